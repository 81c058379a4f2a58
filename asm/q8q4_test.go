package asm

import (
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/exaone-go/exaone/quant"
)

// relTol is the documented bound of the SIMD float results:
// |got-want| <= relTol*(|want| + absBound).
const relTol = 1e-6

var formats = []struct {
	name string
	wb   int
}{{"Q8_0", q8Bytes}, {"Q4_0", q4Bytes}}

var lengths = []int{1, 2, 3, 5, 8, 17, 64, 129, 1000, maxBlocks + 3}

func TestDotRandom(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		for _, f := range formats {
			r := newRand(1)
			rs := func(int) uint16 { return randScale(r) }
			for _, nb := range lengths {
				w := weights(r, f.wb, nb, rs)
				x := q8Blocks(nb, rs, func() int8 { return int8(r.Uint32()) })
				got, want := dotCur(w, x, f.wb), dotRef(w, x, f.wb)
				if !same(got, want, absBound(w, x, f.wb), relTol) {
					t.Errorf("%s nb=%d: got %v want %v", f.name, nb, got, want)
				}
				// The NEON kernels do the float part per block in block
				// order, exactly as the reference, within one call.
				if strings.HasPrefix(Path(), "neon") && nb <= maxBlocks && got != want {
					t.Errorf("%s nb=%d: got %v, want exactly %v", f.name, nb, got, want)
				}
			}
		}
	})
}

// With equal power-of-two scales every float operation is exact as long as
// the integer total stays below 2^24, so the result must equal the
// reference bit for bit: this checks the integer sums, extremes included.
func TestDotExactIntegerSums(t *testing.T) {
	pow2 := []uint16{0x3c00, 0x1400, 0x5800} // 1, 2^-10, 2^7
	forEachPath(t, func(t *testing.T) {
		r := newRand(2)
		for _, f := range formats {
			for _, s := range pow2 {
				scale := func(int) uint16 { return s }
				// Full range quants: |block sum| <= 2^19, 32 blocks <= 2^24.
				for _, nb := range []int{1, 2, 3, 7, 32} {
					w := weights(r, f.wb, nb, scale)
					x := q8Blocks(nb, scale, func() int8 { return int8(r.Uint32()) })
					if got, want := dotCur(w, x, f.wb), dotRef(w, x, f.wb); got != want {
						t.Errorf("%s scale %#x nb=%d: got %v want %v", f.name, s, nb, got, want)
					}
				}
				// Small activations, long rows: chunking and all lanes exact.
				nb := maxBlocks + 5
				w := weights(r, f.wb, nb, scale)
				x := q8Blocks(nb, scale, func() int8 { return int8(r.IntN(3) - 1) })
				if got, want := dotCur(w, x, f.wb), dotRef(w, x, f.wb); got != want {
					t.Errorf("%s scale %#x nb=%d: got %v want %v", f.name, s, nb, got, want)
				}
			}
		}
	})
}

func TestDotExtremeQuants(t *testing.T) {
	one := func(int) uint16 { return 0x3c00 }
	forEachPath(t, func(t *testing.T) {
		for _, nb := range []int{1, 3, 16} {
			for _, wq := range []int8{-128, 127, 0, -1} {
				for _, xq := range []int8{-128, 127, 1} {
					w := q8Blocks(nb, one, func() int8 { return wq })
					x := q8Blocks(nb, one, func() int8 { return xq })
					if got, want := dotQ8_0(w, x), quant.DotQ8_0(w, x); got != want {
						t.Errorf("Q8_0 nb=%d w=%d x=%d: got %v want %v", nb, wq, xq, got, want)
					}
				}
			}
			for _, n := range []uint8{0, 15, 8} {
				for _, xq := range []int8{-128, 127} {
					w := q4Blocks(nb, one, func() uint8 { return n })
					x := q8Blocks(nb, one, func() int8 { return xq })
					if got, want := dotQ4_0(w, x), quant.DotQ4_0(w, x); got != want {
						t.Errorf("Q4_0 nb=%d nib=%d x=%d: got %v want %v", nb, n, xq, got, want)
					}
				}
			}
			// Alternating extremes so neighbouring lanes differ.
			i := 0
			alt := func() int8 { i++; return [...]int8{-128, 127, -128, -128, 127, 1}[i%6] }
			w := q8Blocks(nb, one, alt)
			x := q8Blocks(nb, one, alt)
			if got, want := dotQ8_0(w, x), quant.DotQ8_0(w, x); got != want {
				t.Errorf("Q8_0 alternating nb=%d: got %v want %v", nb, got, want)
			}
		}
	})
}

// edgeScales are f16 scales at the edges: zeros, subnormals, the largest
// finite, infinities and NaNs.
var edgeScales = []uint16{0x0000, 0x8000, 0x0001, 0x03ff, 0x8001, 0x0400, 0x7bff, 0xfbff, 0x7c00, 0xfc00, 0x7e00, 0xfe01}

func TestDotEdgeScales(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := newRand(3)
		for _, f := range formats {
			for _, nb := range []int{1, 5} {
				for _, es := range edgeScales {
					for _, side := range []string{"w", "x", "both"} {
						at := r.IntN(nb)
						sw := func(b int) uint16 {
							if b == at && side != "x" {
								return es
							}
							return randScale(r)
						}
						sx := func(b int) uint16 {
							if b == at && side != "w" {
								return es
							}
							return randScale(r)
						}
						w := weights(r, f.wb, nb, sw)
						x := q8Blocks(nb, sx, func() int8 { return int8(r.Uint32()) })
						got, want := dotCur(w, x, f.wb), dotRef(w, x, f.wb)
						if !same(got, want, absBound(w, x, f.wb), relTol) {
							t.Errorf("%s nb=%d scale %#x on %s: got %v want %v", f.name, nb, es, side, got, want)
						}
					}
				}
			}
			// A zero block under an infinite scale: the reference gives NaN
			// (0*inf), and so must every path.
			w := weights(r, f.wb, 2, func(int) uint16 { return 0x7c00 })
			x := q8Blocks(2, func(int) uint16 { return 0x3c00 }, func() int8 { return 0 })
			if got := dotCur(w, x, f.wb); !math.IsNaN(float64(got)) {
				t.Errorf("%s: inf scale with zero block: got %v, want NaN", f.name, got)
			}
		}
	})
}

const guard = -7.25 // marks output slots a kernel must not write

func TestGemv(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := newRand(4)
		rs := func(int) uint16 { return randScale(r) }
		for _, f := range formats {
			for _, nb := range []int{1, 3, 64, maxBlocks + 1} {
				for _, rows := range []int{1, 3, 4, 5, 8, 11, 12} {
					if nb > 64 && rows != 5 && rows != 8 {
						continue
					}
					w := odd(weights(r, f.wb, rows*nb, rs), 1+rows%3)
					x := odd(q8Blocks(nb, rs, func() int8 { return int8(r.Uint32()) }), 3)
					if rows == 5 { // a non-finite row among finite ones
						binary.LittleEndian.PutUint16(w[2*nb*f.wb:], 0x7e00)
					}
					buf, out := guarded(rows, 3)
					if f.wb == q8Bytes {
						gemvQ8_0(out, w, x)
					} else {
						gemvQ4_0(out, w, x)
					}
					checkGuards(t, buf, 3, rows)
					rb := nb * f.wb
					for i := range rows {
						wr := w[i*rb : (i+1)*rb]
						if want := dotRef(wr, x, f.wb); !same(out[i], want, absBound(wr, x, f.wb), relTol) {
							t.Errorf("%s nb=%d rows=%d row %d: got %v want %v", f.name, nb, rows, i, out[i], want)
						}
					}
				}
			}
		}
	})
}

func TestGemm(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := newRand(5)
		rs := func(int) uint16 { return randScale(r) }
		for _, f := range formats {
			for _, nb := range []int{1, 2, 9, maxBlocks + 1} {
				for _, rows := range []int{1, 4, 6, 9} {
					for _, nx := range []int{1, 2, 3} {
						if nb > maxBlocks && (rows != 4 || nx != 3) {
							continue // long rows: one case, for the column split
						}
						ldo := rows + nx%2*3
						w := odd(weights(r, f.wb, rows*nb, rs), 1)
						x := odd(q8Blocks(nx*nb, rs, func() int8 { return int8(r.Uint32()) }), 5)
						n := (nx-1)*ldo + rows
						buf, out := guarded(n, 2)
						if f.wb == q8Bytes {
							gemmQ8_0(out, ldo, w, rows, x, nx)
						} else {
							gemmQ4_0(out, ldo, w, rows, x, nx)
						}
						checkGuards(t, buf, 2, n)
						rb, xb := nb*f.wb, nb*q8Bytes
						eachGemmOut(t, f.name, out, rows, nx, ldo, func(j, i, k int) {
							wr, xr := w[i*rb:(i+1)*rb], x[j*xb:(j+1)*xb]
							if want := dotRef(wr, xr, f.wb); !same(out[k], want, absBound(wr, xr, f.wb), relTol) {
								t.Errorf("%s nb=%d rows=%d nx=%d out[%d,%d]: got %v want %v", f.name, nb, rows, nx, j, i, out[k], want)
							}
						})
					}
				}
			}
		}
	})
}

func TestQuantizeQ8_0(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := newRand(6)
		for _, nb := range []int{1, 2, 7, 40} {
			x := make([]float32, nb*qk+1)[1:] // odd offset
			for i := range x {
				x[i] = float32(r.NormFloat64() * math.Ldexp(1, r.IntN(20)-10))
			}
			// Edge blocks: all zero, ties at .5 after scaling, huge, tiny.
			if nb >= 7 {
				clear(x[0:qk])
				for i := range qk {
					x[qk+i] = float32(i-16) * 0.5
					x[2*qk+i] = float32(i) * 1e30
					x[3*qk+i] = float32(i) * 1e-40
				}
				// d = 1: exact ties and the largest float below 0.5.
				ties := []float32{127, 0.5, -0.5, 1.5, -2.5, 126.5, -126.5, 0.49999997, -0.49999997, 3.5000002}
				copy(x[6*qk:], ties)
				x[4*qk+3] = float32(math.Inf(1))
				x[5*qk+4] = float32(math.NaN())
			}
			want := make([]byte, nb*q8Bytes)
			quant.QuantizeQ8_0(want, x)
			got := quantizeGuarded(t, len(want), func(dst []byte) { QuantizeQ8_0(dst, x) })
			if !slices.Equal(got, want) {
				t.Errorf("nb=%d: output differs from quant.QuantizeQ8_0", nb)
			}
		}
	})
}

func TestF32Kernels(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := newRand(7)
		for _, n := range []int{0, 1, 15, 16, 17, 33, 100, 1000} {
			a, b := f32s(r, n), f32s(r, n)
			if got, want := dotF32(a, b), refDotF32(a, b); !same(got, want, absDot(a, b), relTol) {
				t.Errorf("dotF32 n=%d: got %v want %v", n, got, want)
			}
			w16, wf16 := make([]uint16, n), make([]uint16, n)
			wb, wf := make([]float32, n), make([]float32, n)
			for i := range n {
				w16[i] = uint16(r.Uint32())
				if w16[i]&0x7f80 == 0x7f80 { // keep bf16 finite
					w16[i] &^= 0x4000
				}
				wb[i] = quant.BF16ToF32(w16[i])
				wf16[i] = uint16(r.Uint32())
				if wf16[i]&0x7c00 == 0x7c00 {
					wf16[i] &^= 0x4000
				}
				wf[i] = quant.F16ToF32(wf16[i])
			}
			if got, want := dotBF16(w16, b), refDot16(quant.BF16ToF32, w16, b); !same(got, want, absDot(wb, b), relTol) {
				t.Errorf("dotBF16 n=%d: got %v want %v", n, got, want)
			}
			if got, want := dotF16(wf16, b), refDot16(quant.F16ToF32, wf16, b); !same(got, want, absDot(wf, b), relTol) {
				t.Errorf("dotF16 n=%d: got %v want %v", n, got, want)
			}
			// In-place kernels on guarded outputs: y = b, then the op; the
			// result must match the reference element by element.
			const alpha = -0.75
			for _, op := range []struct {
				name string
				src  []float32 // the values multiplied by alpha
				f    func(y []float32)
				ref  func(y []float32)
			}{
				{"AxpyF32", a, func(y []float32) { AxpyF32(alpha, a, y) }, func(y []float32) { refAxpyF32(alpha, a, y) }},
				{"axpyF16", wf, func(y []float32) { axpyF16(alpha, wf16, y) }, func(y []float32) { refAxpy16(quant.F16ToF32, alpha, wf16, y) }},
				{"axpyBF16", wb, func(y []float32) { axpyBF16(alpha, w16, y) }, func(y []float32) { refAxpy16(quant.BF16ToF32, alpha, w16, y) }},
				{"scaleF32", b, func(y []float32) { scaleF32(alpha, y) }, func(y []float32) { refScaleF32(alpha, y) }},
			} {
				buf, y := guarded(n, 2)
				copy(y, b)
				want := slices.Clone(y)
				op.ref(want)
				op.f(y)
				checkGuards(t, buf, 2, n)
				for i := range y {
					bound := math.Abs(float64(op.src[i])) + math.Abs(float64(b[i]))
					if !same(y[i], want[i], bound, relTol) {
						t.Errorf("%s n=%d y[%d]: got %v want %v", op.name, n, i, y[i], want[i])
					}
				}
				if op.name == "scaleF32" && !slices.Equal(y, want) {
					t.Errorf("scaleF32 n=%d: not exactly x*alpha", n)
				}
			}
		}
		// Special values widen exactly: inf, NaN, subnormals.
		w := []uint16{0x7c00, 0x0001, 0x8400, 0x3c00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
		x := make([]float32, 16)
		x[1], x[2], x[3] = 1, 2, 3
		if got, want := dotF16(w[1:], x[1:]), refDot16(quant.F16ToF32, w[1:], x[1:]); got != want {
			t.Errorf("dotF16 subnormals: got %v want %v", got, want)
		}
		x[0] = 1
		if got := dotF16(w, x); !math.IsInf(float64(got), 1) {
			t.Errorf("dotF16 inf: got %v", got)
		}
	})
}

func TestPaths(t *testing.T) {
	if err := Err(); err != nil {
		t.Fatalf("Err() = %v", err)
	}
	p := Paths()
	if len(p) == 0 || p[len(p)-1] != "generic" || !slices.Contains(p, Path()) {
		t.Fatalf("Paths() = %v, Path() = %q", p, Path())
	}
	saved := table()
	defer func() { cur.Store(saved) }()
	if err := SetPath("sse9"); err == nil {
		t.Error("SetPath(sse9) succeeded")
	}
	for _, name := range []string{"generic", "avx2", "avx512", "neon", "neon-dotprod"} {
		err := SetPath(name)
		if (err == nil) != slices.Contains(p, name) {
			t.Errorf("SetPath(%q) = %v with Paths() = %v", name, err, p)
		}
		if err == nil && Path() != name {
			t.Errorf("after SetPath(%q), Path() = %q", name, Path())
		}
	}
	// An env asking for an unknown or unrunnable path is an error; the best
	// path is used meanwhile, so that no kernel panics.
	for _, env := range []string{"sse9", "neon", "avx2"} {
		if slices.Contains(p, env) {
			continue
		}
		k, err := initialPath(env)
		if err == nil || !strings.Contains(err.Error(), env) {
			t.Fatalf("initialPath(%q) error = %v", env, err)
		}
		if k.name != p[0] {
			t.Errorf("initialPath(%q) chose %s, want the best path %s", env, k.name, p[0])
		}
		k.dotQ8(nil, nil)
	}
	if k, err := initialPath(""); err != nil || k.name != p[0] {
		t.Errorf("initialPath(\"\") = %v, %v; want %s", k.name, err, p[0])
	}
}

// TestBadLengthsPanic checks that the exported kernels (and the dots the
// model calls) panic on inconsistent lengths, Q8_0/Q4_0 and K-quants.
func TestBadLengthsPanic(t *testing.T) {
	cases := map[string]func(){
		"dotQ8_0":      func() { dotQ8_0(make([]byte, 34), make([]byte, 68)) },
		"dotQ4_0":      func() { dotQ4_0(make([]byte, 34), make([]byte, 34)) },
		"gemvQ8_0":     func() { gemvQ8_0(make([]float32, 2), make([]byte, 34), make([]byte, 34)) },
		"gemmQ4_0":     func() { gemmQ4_0(make([]float32, 3), 2, make([]byte, 36), 2, make([]byte, 68), 2) },
		"dotF32":       func() { dotF32(make([]float32, 3), make([]float32, 2)) },
		"dotQ4_K":      func() { dotQ4_K(make([]byte, 144), make([]byte, 291)) },
		"dotQ6_K":      func() { dotQ6_K(make([]byte, 144), make([]byte, 292)) },
		"gemvQ4_K":     func() { gemvQ4_K(make([]float32, 2), make([]byte, 144), make([]byte, 292)) },
		"gemmQ6_K":     func() { gemmQ6_K(make([]float32, 3), 2, make([]byte, 420), 2, make([]byte, 584), 2) },
		"quantizeQ8_K": func() { quantizeQ8_K(make([]byte, 292), make([]float32, 255)) },
	}
	for name, f := range cases {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s with bad lengths did not panic", name)
				}
			}()
			f()
		}()
	}
}

// ToF16 must round every float32 as quant.F32ToF16 does: ties to even,
// subnormal halves, overflow to infinity, and NaN to a NaN. Lengths
// exercise the assembly body and the Go tail.
func TestToF16(t *testing.T) {
	r := newRand(16)
	var x []float32
	for _, v := range []float32{0, float32(math.Copysign(0, -1)), 1, -1, 65504, 65519.996, 65520, -65520, 1e10,
		float32(math.Inf(1)), float32(math.Inf(-1)), 5.9604645e-08, 2.9802322e-08, 2.9802326e-08, 8.940697e-08, 6.1035156e-05, 6.1035153e-05} {
		x = append(x, v)
	}
	for len(x) < 4099 {
		switch r.IntN(3) {
		case 0: // any bit pattern
			x = append(x, math.Float32frombits(r.Uint32()))
		case 1: // exact ties between two f16 values
			h := uint16(r.IntN(0x7bff))
			a, b := quant.F16ToF32(h), quant.F16ToF32(h+1)
			x = append(x, (a+b)/2)
		default: // the magnitudes of keys and values
			x = append(x, float32(r.NormFloat64()*math.Ldexp(1, r.IntN(30)-20)))
		}
	}
	forEachPath(t, func(t *testing.T) {
		for _, n := range []int{0, 1, 15, 16, 17, 64, len(x)} {
			dst := make([]uint16, n+1)
			dst[n] = 0xbeef
			ToF16(dst[:n], x[:n])
			for i, v := range x[:n] {
				want := quant.F32ToF16(v)
				if v != v {
					if quant.F16ToF32(dst[i]) == quant.F16ToF32(dst[i]) {
						t.Fatalf("n=%d: x[%d] NaN became %#04x", n, i, dst[i])
					}
					continue
				}
				if dst[i] != want {
					t.Fatalf("n=%d: x[%d]=%g (%#08x): got %#04x, want %#04x", n, i, v, math.Float32bits(v), dst[i], want)
				}
			}
			if dst[n] != 0xbeef {
				t.Fatalf("n=%d: wrote past the end", n)
			}
		}
	})
}
