package asm

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"

	"github.com/exaone-go/exaone/quant"
)

// kformats are the K-quant weight formats with their entry points.
var kformats = []struct {
	name string
	wb   int
	ref  func(w, x []byte) float32
	dot  func(w, x []byte) float32
	gemv func(out []float32, w, x []byte)
	gemm func(out []float32, ldo int, w []byte, nrows int, x []byte, nx int)
}{
	{"Q4_K", q4KBytes, quant.DotQ4_K, dotQ4_K, gemvQ4_K, gemmQ4_K},
	{"Q5_K", q5KBytes, quant.DotQ5_K, dotQ5_K, gemvQ5_K, gemmQ5_K},
	{"Q6_K", q6KBytes, quant.DotQ6_K, dotQ6_K, gemvQ6_K, gemmQ6_K},
}

func TestKDotRandom(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		for _, f := range kformats {
			r := newRand(11)
			for _, nb := range []int{1, 2, 3, 5, 17, kMaxBlocks + 3} {
				w := kWeights(r, f.wb, nb, func(int) uint16 { return randScale(r) })
				x := kActs(nb, func(int) float32 { return randDx(r) }, func() int8 { return int8(r.Uint32()) })
				if got, want := f.dot(w, x), f.ref(w, x); !sameBits(got, want) {
					t.Errorf("%s nb=%d: got %v want %v", f.name, nb, got, want)
				}
			}
			// Activations from the quantizer.
			v := f32s(r, 4*qkK)
			x := make([]byte, 4*q8KBytes)
			quantizeQ8_K(x, v)
			w := kWeights(r, f.wb, 4, func(int) uint16 { return randScale(r) })
			if got, want := f.dot(w, x), f.ref(w, x); !sameBits(got, want) {
				t.Errorf("%s quantized x: got %v want %v", f.name, got, want)
			}
		}
	})
}

// Extreme packed values and scales: every integer sum at its limits.
func TestKDotExtremes(t *testing.T) {
	one := func(int) float32 { return 1 }
	forEachPath(t, func(t *testing.T) {
		for _, nb := range []int{1, 3} {
			for _, xq := range []int8{-128, 127, -1} {
				x := kActs(nb, one, func() int8 { return xq })
				for _, fill := range []byte{0x00, 0xff, 0xaa, 0x55, 0x0f, 0xf0} {
					for _, f := range kformats {
						w := make([]byte, nb*f.wb)
						for i := range w {
							w[i] = fill
						}
						for b := range nb {
							if f.wb != q6KBytes {
								binary.LittleEndian.PutUint32(w[b*f.wb:], 0x3c003c00)
							} else {
								binary.LittleEndian.PutUint16(w[b*f.wb+208:], 0x3c00)
							}
						}
						if got, want := f.dot(w, x), f.ref(w, x); !sameBits(got, want) {
							t.Errorf("%s nb=%d fill=%#x x=%d: got %v want %v", f.name, nb, fill, xq, got, want)
						}
					}
				}
			}
		}
	})
}

func TestKDotEdgeScales(t *testing.T) {
	dxs := []float32{0, float32(math.Copysign(0, -1)), 1e-45, 1e-38, 3e38, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	forEachPath(t, func(t *testing.T) {
		r := newRand(12)
		for _, f := range kformats {
			for _, nb := range []int{1, 4} {
				for _, es := range edgeScales {
					at := r.IntN(nb)
					w := kWeights(r, f.wb, nb, func(b int) uint16 {
						if b == at {
							return es
						}
						return randScale(r)
					})
					x := kActs(nb, func(int) float32 { return randDx(r) }, func() int8 { return int8(r.Uint32()) })
					want := f.ref(w, x)
					if got := f.dot(w, x); !sameBits(got, want) {
						t.Errorf("%s nb=%d scale %#x: got %v want %v", f.name, nb, es, got, want)
					}
					// The same row among finite ones in the multi-row kernels.
					w4 := slices.Concat(w, kWeights(r, f.wb, 3*nb, func(int) uint16 { return randScale(r) }))
					out := make([]float32, 4)
					f.gemv(out, w4, x)
					for i, v := range out {
						rb := nb * f.wb
						if wi := f.ref(w4[i*rb:(i+1)*rb], x); !sameBits(v, wi) {
							t.Errorf("%s nb=%d scale %#x gemv row %d: got %v want %v", f.name, nb, es, i, v, wi)
						}
					}
				}
				for _, dx := range dxs {
					w := kWeights(r, f.wb, nb, func(int) uint16 { return 0x7bff })
					x := kActs(nb, func(int) float32 { return dx }, func() int8 { return int8(r.Uint32()) })
					if got, want := f.dot(w, x), f.ref(w, x); !sameBits(got, want) {
						t.Errorf("%s nb=%d dx %v: got %v want %v", f.name, nb, dx, got, want)
					}
				}
			}
		}
	})
}

func TestKGemv(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := newRand(13)
		for _, f := range kformats {
			for _, nb := range []int{1, 3, kMaxBlocks + 1} {
				for _, rows := range []int{1, 3, 4, 5, 8, 11} {
					if nb > 3 && rows != 1 && rows != 5 {
						continue
					}
					w := odd(kWeights(r, f.wb, rows*nb, func(int) uint16 { return randScale(r) }), 1+rows%3)
					x := odd(kActs(nb, func(int) float32 { return randDx(r) }, func() int8 { return int8(r.Uint32()) }), 3)
					if rows == 5 { // a NaN row among finite ones
						if f.wb != q6KBytes {
							binary.LittleEndian.PutUint16(w[2*nb*f.wb:], 0x7e00)
						} else {
							binary.LittleEndian.PutUint16(w[2*nb*f.wb+208:], 0x7e00)
						}
					}
					buf, out := guarded(rows, 3)
					f.gemv(out, w, x)
					checkGuards(t, buf, 3, rows)
					rb := nb * f.wb
					for i := range rows {
						if want := f.ref(w[i*rb:(i+1)*rb], x); !sameBits(out[i], want) {
							t.Errorf("%s nb=%d rows=%d row %d: got %v want %v", f.name, nb, rows, i, out[i], want)
						}
					}
				}
			}
		}
	})
}

func TestKGemm(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := newRand(14)
		for _, f := range kformats {
			for _, nb := range []int{1, 2, kMaxBlocks + 1} {
				for _, rows := range []int{1, 4, 6} {
					for _, nx := range []int{1, 3, 4, 5, 13} { // 13 = 8 + 4 + 1
						if nb > 2 && (rows > 1 || nx != 13) {
							continue
						}
						ldo := rows + nx%2*3
						w := odd(kWeights(r, f.wb, rows*nb, func(int) uint16 { return randScale(r) }), 1)
						x := odd(kActs(nx*nb, func(int) float32 { return randDx(r) }, func() int8 { return int8(r.Uint32()) }), 5)
						n := (nx-1)*ldo + rows
						buf, out := guarded(n, 2)
						f.gemm(out, ldo, w, rows, x, nx)
						checkGuards(t, buf, 2, n)
						rb, xb := nb*f.wb, nb*q8KBytes
						eachGemmOut(t, f.name, out, rows, nx, ldo, func(j, i, k int) {
							want := f.ref(w[i*rb:(i+1)*rb], x[j*xb:(j+1)*xb])
							if !sameBits(out[k], want) {
								t.Errorf("%s nb=%d rows=%d nx=%d out[%d,%d]: got %v want %v", f.name, nb, rows, nx, j, i, out[k], want)
							}
						})
					}
				}
			}
		}
		// Zero-length rows and no rows.
		gemmQ4_K(nil, 0, nil, 0, nil, 0)
		out := []float32{guard, guard}
		gemvQ6_K(out, nil, nil)
		if out[0] != 0 || out[1] != 0 {
			t.Errorf("gemvQ6_K of empty rows: %v", out)
		}
	})
}

func TestKQuantizeQ8_K(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	forEachPath(t, func(t *testing.T) {
		r := newRand(15)
		const nb = 14
		x := make([]float32, nb*qkK+1)[1:] // odd offset
		for i := range x {
			x[i] = float32(r.NormFloat64() * math.Ldexp(1, r.IntN(20)-10))
		}
		blk := func(b int) []float32 { return x[b*qkK : (b+1)*qkK] }
		clear(blk(1))
		blk(2)[7] = -inf
		blk(3)[200], blk(3)[255] = nan, nan
		blk(4)[3], blk(4)[100] = -5, 5 // equal magnitudes: the first wins
		blk(5)[3], blk(5)[100] = 5, -5
		for i := range blk(6) { // all NaN
			blk(6)[i] = nan
		}
		for i := range blk(7) { // tiny: iscale overflows to inf
			blk(7)[i] = float32(i%3-1) * 1e-45
		}
		for i := range blk(8) { // exact ties of iscale*x at .5
			blk(8)[i] = float32(i%64-32) * 0.5
		}
		blk(8)[0] = -127
		for i := range blk(9) {
			blk(9)[i] = float32(i) * 1e30
		}
		blk(10)[255] = inf
		blk(11)[0], blk(11)[1] = nan, -3
		for i := range blk(12) { // +-127 everywhere: bsums at their limits
			blk(12)[i] = float32(1 - 2*(i%2))
			if i < 128 {
				blk(12)[i] = -1
			}
		}
		want := make([]byte, nb*q8KBytes)
		quant.QuantizeQ8_K(want, x)
		got := quantizeGuarded(t, len(want), func(dst []byte) { quantizeQ8_K(dst, x) })
		for b := range nb {
			if g, w := got[b*q8KBytes:(b+1)*q8KBytes], want[b*q8KBytes:(b+1)*q8KBytes]; !slices.Equal(g, w) {
				t.Errorf("block %d differs from quant.QuantizeQ8_K", b)
			}
		}
	})
}

// FuzzQuantizeQ8_K checks every path's Q8_K quantizer against the
// reference for any float bit patterns.
func FuzzQuantizeQ8_K(f *testing.F) {
	f.Add(make([]byte, 4*qkK))
	f.Add([]byte{0, 0, 0xc0, 0x7f, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, data []byte) {
		n := min(len(data)/4/qkK*qkK, 4*qkK)
		if n == 0 {
			n = qkK
			data = append(data, make([]byte, 4*qkK)...)
		}
		quantizeOnSets(t, bitsToFloats(data, n), qkK, q8KBytes, quant.QuantizeQ8_K, quantizeQ8_K, "quant.QuantizeQ8_K")
	})
}

// FuzzDotK feeds raw bytes as weights and activations (block sums made
// consistent) of both formats to every path; results must equal the
// reference exactly, for GEMV over 3 rows as well.
func FuzzDotK(f *testing.F) {
	f.Add(make([]byte, 700))
	r := newRand(16)
	seed := make([]byte, 2*(q6KBytes+q8KBytes))
	for i := range seed {
		seed[i] = byte(r.Uint32())
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		saved := table()
		defer func() { cur.Store(saved) }()
		for _, kf := range kformats {
			nb := min(len(data)/(kf.wb+q8KBytes), 8)
			w := data[:nb*kf.wb]
			x := slices.Clone(data[nb*kf.wb : nb*(kf.wb+q8KBytes)])
			fixBsums(x)
			wr := slices.Concat(w, w, w)
			for _, k := range allSets() {
				cur.Store(k)
				want := kf.ref(w, x)
				if got := kf.dot(w, x); !sameBits(got, want) {
					t.Fatalf("%s %s nb=%d: got %v want %v", k.name, kf.name, nb, got, want)
				}
				out := make([]float32, 3)
				kf.gemv(out, wr, x)
				for i, v := range out {
					if !sameBits(v, want) {
						t.Fatalf("%s %s nb=%d gemv row %d: got %v want %v", k.name, kf.name, nb, i, v, want)
					}
				}
			}
		}
	})
}

// TestKPaths checks that every SIMD path runs its own K-quant kernels and
// only generic runs the references: a path's dot product is the
// reference's function itself only on generic.
func TestKPaths(t *testing.T) {
	saved := table()
	defer func() { cur.Store(saved) }()
	refs := []uintptr{funcPC(quant.DotQ4_K), funcPC(quant.DotQ5_K), funcPC(quant.DotQ6_K)}
	for _, name := range Paths() {
		if err := SetPath(name); err != nil {
			t.Fatal(err)
		}
		k := table()
		for i, f := range []func(w, x []byte) float32{k.dotQ4K, k.dotQ5K, k.dotQ6K} {
			if isRef := funcPC(f) == refs[i]; isRef != (name == "generic") {
				t.Errorf("path %s: K-quant dot %d is the reference: %v", name, i, isRef)
			}
		}
	}
}

// The dot products are called per row in loops; they must not allocate.
func TestKDotNoAlloc(t *testing.T) {
	r := newRand(19)
	forEachPath(t, func(t *testing.T) {
		for _, f := range kformats {
			w := kWeights(r, f.wb, 2, func(int) uint16 { return randScale(r) })
			x := kActs(2, func(int) float32 { return randDx(r) }, func() int8 { return int8(r.Uint32()) })
			if n := testing.AllocsPerRun(5, func() { f.dot(w, x) }); n != 0 {
				t.Errorf("%s: %v allocations per dot product", f.name, n)
			}
		}
	})
}
