package asm

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/exaone-go/exaone/quant"
)

// matmulCase is a weight type with a random matrix maker and the
// reference of one output.
type matmulCase struct {
	t    quant.Type
	cols int
	// rows returns nrows random rows of the type.
	rows func(r *rand.Rand, nrows int) []byte
	// check compares got with the reference for weight row w and input
	// row x (f32).
	check func(got float32, w []byte, x []float32) (want float32, ok bool)
}

// quantRef is the check of a quantized type: the reference dot (dot) on
// the reference quantization (quantize, blocks of ab bytes per 32 or 256
// values) within tol(w, xq) of it.
func quantRef(quantize func(dst []byte, x []float32), block, ab int, dot func(w, x []byte) float32,
	tol func(got, want float32, w, xq []byte) bool) func(float32, []byte, []float32) (float32, bool) {
	return func(got float32, w []byte, x []float32) (float32, bool) {
		xq := make([]byte, len(x)/block*ab)
		quantize(xq, x)
		want := dot(w, xq)
		return want, tol(got, want, w, xq)
	}
}

func bitExact(got, want float32, _, _ []byte) bool { return sameBits(got, want) }

// legacyTol is the float bound of the Q8_0/Q4_0 paths (see doc.go).
func legacyTol(wb int) func(got, want float32, w, xq []byte) bool {
	return func(got, want float32, w, xq []byte) bool {
		nb := len(xq) / q8Bytes
		return same(got, want, absBound(w, xq, wb), float64(nb+16)*0x1p-23)
	}
}

// floatRef is the check of a float type: the float64 dot of the weights
// widened by at.
func floatRef(at func(w []byte, i int) float32) func(float32, []byte, []float32) (float32, bool) {
	return func(got float32, w []byte, x []float32) (float32, bool) {
		var s, mag float64
		for i, v := range x {
			p := float64(at(w, i)) * float64(v)
			s += p
			mag += math.Abs(p)
		}
		return float32(s), math.Abs(float64(got)-s) <= 1e-5*mag
	}
}

func randBlocks(wb, scaleOff, scales int) func(r *rand.Rand, nrows int) []byte {
	return func(r *rand.Rand, n int) []byte {
		w := make([]byte, n)
		for i := range w {
			w[i] = byte(r.Uint32())
		}
		for b := 0; b+wb <= n; b += wb {
			for s := range scales {
				binary.LittleEndian.PutUint16(w[b+scaleOff+2*s:], randScale(r))
			}
		}
		return w
	}
}

func matmulCases() []matmulCase {
	const cols = 512
	nb, nbK := cols/qk, cols/qkK
	rows := func(wb, nb int, f func(r *rand.Rand, n int) []byte) func(r *rand.Rand, nrows int) []byte {
		return func(r *rand.Rand, nrows int) []byte { return f(r, nrows*nb*wb) }
	}
	floats := func(conv func(float32) []byte) func(r *rand.Rand, nrows int) []byte {
		return func(r *rand.Rand, nrows int) []byte {
			var w []byte
			for range nrows * cols {
				w = append(w, conv(float32(r.NormFloat64()))...)
			}
			return w
		}
	}
	u16 := func(h uint16) []byte { return binary.LittleEndian.AppendUint16(nil, h) }
	at16 := func(conv func(uint16) float32) func(w []byte, i int) float32 {
		return func(w []byte, i int) float32 { return conv(binary.LittleEndian.Uint16(w[2*i:])) }
	}
	return []matmulCase{
		{quant.Q8_0, cols, rows(q8Bytes, nb, randBlocks(q8Bytes, 0, 1)),
			quantRef(quant.QuantizeQ8_0, qk, q8Bytes, quant.DotQ8_0, legacyTol(q8Bytes))},
		{quant.Q4_0, cols, rows(q4Bytes, nb, randBlocks(q4Bytes, 0, 1)),
			quantRef(quant.QuantizeQ8_0, qk, q8Bytes, quant.DotQ4_0, legacyTol(q4Bytes))},
		{quant.Q4_K, cols, rows(q4KBytes, nbK, randBlocks(q4KBytes, 0, 2)),
			quantRef(quant.QuantizeQ8_K, qkK, q8KBytes, quant.DotQ4_K, bitExact)},
		{quant.Q5_K, cols, rows(q5KBytes, nbK, randBlocks(q5KBytes, 0, 2)),
			quantRef(quant.QuantizeQ8_K, qkK, q8KBytes, quant.DotQ5_K, bitExact)},
		{quant.Q6_K, cols, rows(q6KBytes, nbK, randBlocks(q6KBytes, 208, 1)),
			quantRef(quant.QuantizeQ8_K, qkK, q8KBytes, quant.DotQ6_K, bitExact)},
		{quant.Q4_1, cols, rows(quant.BlockBytesQ4_1, nb, randBlocks(quant.BlockBytesQ4_1, 0, 2)),
			quantRef(quant.QuantizeQ8_1, qk, quant.BlockBytesQ8_1, quant.DotQ4_1, bitExact)},
		{quant.Q5_1, cols, rows(quant.BlockBytesQ5_1, nb, randBlocks(quant.BlockBytesQ5_1, 0, 2)),
			quantRef(quant.QuantizeQ8_1, qk, quant.BlockBytesQ8_1, quant.DotQ5_1, bitExact)},
		{quant.F32, cols, floats(func(v float32) []byte { return binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)) }),
			floatRef(func(w []byte, i int) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(w[4*i:])) })},
		{quant.BF16, cols, floats(func(v float32) []byte { return u16(quant.F32ToBF16(v)) }), floatRef(at16(quant.BF16ToF32))},
		{quant.F16, cols, floats(func(v float32) []byte { return u16(quant.F32ToF16(v)) }), floatRef(at16(quant.F16ToF32))},
	}
}

// matmulAll runs Matmul over rows [0, nrows) of w in the chunks that
// split gives (its bounds, ascending), preparing a first, with its parts
// run in reverse order.
func matmulAll(out []float32, ldo int, t quant.Type, w []byte, rowBytes int, a *Activations, split []int) {
	if parts := a.Prepare(t); parts > 0 {
		for p := parts - 1; p >= 0; p-- {
			a.PrepareParts(t, p, p+1)
		}
	}
	for i := 0; i+1 < len(split); i++ {
		Matmul(out, ldo, t, w, rowBytes, a, split[i], split[i+1])
	}
}

// TestMatmul checks Matmul on every path, weight type and a range of input
// sizes against the references, with guard values around the outputs, and
// that splitting the rows at multiples of SplitRows changes no result.
func TestMatmul(t *testing.T) {
	const nrows = 2*SplitRows + 5
	forEachPath(t, func(t *testing.T) {
		for _, c := range matmulCases() {
			t.Run(c.t.String(), func(t *testing.T) {
				r := newRand(uint64(c.t) + 1)
				w := c.rows(r, nrows)
				rowBytes := len(w) / nrows
				var a Activations
				for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33} {
					x := f32s(r, n*c.cols+3)
					a.Set(x, n, c.cols)
					ldo := nrows + 3
					const pad = 5
					buf, out := guarded(max(0, n*ldo), pad)
					matmulAll(out, ldo, c.t, w, rowBytes, &a, []int{0, nrows})
					checkGuards(t, buf, pad, len(out))
					for j := range n {
						for rr := range ldo {
							got := out[j*ldo+rr]
							if rr >= nrows {
								if got != guard {
									t.Fatalf("n=%d: out[%d][%d] = %g, past the rows", n, j, rr, got)
								}
								continue
							}
							want, ok := c.check(got, w[rr*rowBytes:][:rowBytes], x[j*c.cols:][:c.cols])
							if !ok {
								t.Fatalf("n=%d: out[%d][%d] = %g, want %g", n, j, rr, got, want)
							}
						}
					}
					// The same input again, in chunks of the split size:
					// the same bits.
					_, out2 := guarded(max(0, n*ldo), 0)
					a.Set(x, n, c.cols)
					matmulAll(out2, ldo, c.t, w, rowBytes, &a, []int{0, SplitRows, 2 * SplitRows, nrows})
					for i := range out {
						if i%ldo < nrows && math.Float32bits(out[i]) != math.Float32bits(out2[i]) {
							t.Fatalf("n=%d: out[%d] = %g in one piece, %g split", n, i, out[i], out2[i])
						}
					}
				}
			})
		}
	}, amxRefSet())
}

// TestMatmulPrepare checks the preparation contract: a Matmul on an input
// not prepared for its weight type panics; forms shared by two types are
// made once (the second Prepare has no parts left); Set starts over.
func TestMatmulPrepare(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		const cols, nrows = 256, SplitRows
		r := newRand(3)
		wq8 := randBlocks(q8Bytes, 0, 1)(r, nrows*cols/qk*q8Bytes)
		for _, n := range []int{1, 4, 40} {
			var a Activations
			x := f32s(r, n*cols)
			a.Set(x, n, cols)
			out := make([]float32, n*nrows)
			mustPanic(t, "not prepared", func() { Matmul(out, nrows, quant.Q8_0, wq8, len(wq8)/nrows, &a, 0, nrows) })
			mustPanic(t, "type", func() { a.Prepare(quant.Q2_K) })
			parts := a.Prepare(quant.Q4_0)
			if (parts > 0) != (n >= prepRows) {
				t.Fatalf("n=%d: Prepare left %d parts", n, parts)
			}
			for p := range parts {
				a.PrepareParts(quant.Q4_0, p, p+1)
			}
			if p := a.Prepare(quant.Q8_0); p != 0 {
				t.Fatalf("n=%d: the Q8_0 form was made again (%d parts)", n, p)
			}
			Matmul(out, nrows, quant.Q8_0, wq8, len(wq8)/nrows, &a, 0, nrows)
			if p := a.Prepare(quant.F32); p != 0 {
				t.Fatalf("n=%d: f32 weights need %d parts", n, p)
			}
			a.Set(x, n, cols)
			mustPanic(t, "not prepared", func() { Matmul(out, nrows, quant.Q8_0, wq8, len(wq8)/nrows, &a, 0, nrows) })
			mustPanic(t, "asm.Matmul", func() { Matmul(out, nrows, quant.Q8_0, wq8, len(wq8)/nrows-1, &a, 0, nrows) })
			mustPanic(t, "asm.Matmul", func() { Matmul(out, nrows, quant.Q8_0, wq8, len(wq8)/nrows, &a, 0, nrows+1) })
			mustPanic(t, "asm.Matmul", func() { Matmul(out[:len(out)-1], nrows, quant.Q8_0, wq8, len(wq8)/nrows, &a, 0, nrows) })
		}
	})
}

func mustPanic(t *testing.T, msg string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		if e := recover(); e == nil || !strings.Contains(fmt.Sprint(e), msg) {
			t.Fatalf("panic %v, want one saying %q", e, msg)
		}
	}()
	f()
}

// TestMatmulAllocs checks that a decode-sized Matmul (and its
// preparation) allocates nothing once the buffers have grown.
func TestMatmulAllocs(t *testing.T) {
	const cols, nrows = 512, 4 * SplitRows
	r := newRand(5)
	var a Activations
	for _, c := range matmulCases() {
		w := c.rows(r, nrows)
		for _, n := range []int{1, 16} {
			x := f32s(r, n*cols)
			out := make([]float32, n*nrows)
			run := func() {
				a.Set(x, n, cols)
				matmulAll(out, nrows, c.t, w, len(w)/nrows, &a, []int{0, SplitRows, nrows})
			}
			run()
			if allocs := testing.AllocsPerRun(20, run); allocs != 0 {
				t.Errorf("%s, %d rows: %.1f allocations", c.t, n, allocs)
			}
		}
	}
}
