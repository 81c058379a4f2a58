//go:build (amd64 || arm64) && !noasm

package asm

import (
	"math"

	"github.com/exaone-go/exaone/quant"
)

// lowKernels are the assembly entry points of one SIMD set. They take raw
// pointers and block counts; the wrappers below validate nothing (the
// checked functions did), split work into bounded calls and handle tails.
// A nil entry means the set has no assembly for it and uses the generic
// kernel.
type lowKernels struct {
	name string
	// Sum over n blocks; n <= maxBlocks.
	dotQ8, dotQ4 func(w, x *byte, n int) float32
	// out[i] = dot(w + i*stride, x) for i < 4, over n blocks; n <= maxBlocks.
	gemv4Q8, gemv4Q4 func(out *[4]float32, w *byte, stride int, x *byte, n int)
	// Optional multi-row kernels on prepared activations (see prepX):
	// out[i] = dot(w + i*stride, x, nb) for i < rows, rows a positive
	// multiple of 4, rows*nb <= maxWork, nb <= maxBlocks. When set they
	// replace gemv4Q8/gemv4Q4 (which may then be nil).
	gemvQ8P, gemvQ4P gemvPFunc
	// Optional 8-row versions (rows a positive multiple of 8).
	gemvQ8P8, gemvQ4P8 gemvPFunc
	// Optional GEMM tiles (4 rows x 2 activations; see gemmTFunc).
	gemmQ8T, gemmQ4T gemmTFunc
	// Prepares activations for gemvQ8P etc. (nil: the Go loop).
	prep prepFunc
	// Quantizes nb blocks, 0 < nb <= maxBlocks.
	quantQ8 func(dst *byte, x *float32, nb int)
	// n is a positive multiple of f32Step and at most maxF32.
	dotF32            func(a, b *float32, n int) float32
	axpyF32           func(alpha float32, x, y *float32, n int)
	dotBF16           func(w *uint16, x *float32, n int) float32
	dotF16            func(w *uint16, x *float32, n int) float32
	scaleF32          func(alpha float32, x *float32, n int)
	axpyF16, axpyBF16 func(alpha float32, x *uint16, y *float32, n int)
	toF16             func(dst *uint16, x *float32, n int)
}

const (
	// Go assembly is not asynchronously preemptible, so each call is kept
	// to a bounded amount of work (tens of microseconds at most).
	maxF32 = 1 << 16
	// f32Step is the element count the f32 kernels process per iteration;
	// the rest is done in Go.
	f32Step = 16
)

func isFinite(f float32) bool { return !math.IsInf(float64(f), 0) && !math.IsNaN(float64(f)) }

// simdKernels builds a kernel set from the assembly entry points; its
// K-quant, tile and attention entries are generic or nil until the
// architecture's table sets them.
func simdKernels(lk lowKernels) *kernels {
	k := genericKernels()
	k.name = lk.name
	k.prepQ8 = lk.prep
	k.dotQ8 = func(w, x []byte) float32 {
		return dotQ(lk.dotQ8, quant.DotQ8_0, w, x, q8Bytes)
	}
	k.dotQ4 = func(w, x []byte) float32 {
		return dotQ(lk.dotQ4, quant.DotQ4_0, w, x, q4Bytes)
	}
	k.gemvQ8 = func(out []float32, w, x []byte) {
		gemvQ(lk.gemv4Q8, lk.dotQ8, quant.DotQ8_0, out, w, x, q8Bytes)
	}
	k.gemvQ4 = func(out []float32, w, x []byte) {
		gemvQ(lk.gemv4Q4, lk.dotQ4, quant.DotQ4_0, out, w, x, q4Bytes)
	}
	k.gemmQ8 = func(out []float32, ldo int, w []byte, nrows int, x []byte, nx int) {
		gemmQ(lk.gemv4Q8, lk.dotQ8, quant.DotQ8_0, out, ldo, w, nrows, x, nx, q8Bytes)
	}
	k.gemmQ4 = func(out []float32, ldo int, w []byte, nrows int, x []byte, nx int) {
		gemmQ(lk.gemv4Q4, lk.dotQ4, quant.DotQ4_0, out, ldo, w, nrows, x, nx, q4Bytes)
	}
	if lk.quantQ8 != nil {
		k.quantQ8 = func(dst []byte, x []float32) {
			nb := len(x) / qk
			for b := 0; b < nb; b += maxBlocks {
				lk.quantQ8(&dst[b*q8Bytes], &x[b*qk], min(maxBlocks, nb-b))
			}
		}
	}
	if lk.gemvQ8P != nil {
		k.gemvQ8 = func(out []float32, w, x []byte) {
			gemvP(lk.prep, lk.gemvQ8P, lk.gemvQ8P8, lk.dotQ8, quant.DotQ8_0, out, w, x, q8Bytes, 7)
		}
		k.gemmQ8 = func(out []float32, ldo int, w []byte, nrows int, x []byte, nx int) {
			gemmP(lk.prep, lk.gemvQ8P, lk.gemvQ8P8, lk.gemmQ8T, lk.dotQ8, quant.DotQ8_0, out, ldo, w, nrows, x, nx, q8Bytes, 7)
		}
	}
	if lk.gemvQ4P != nil {
		k.gemvQ4 = func(out []float32, w, x []byte) {
			gemvP(lk.prep, lk.gemvQ4P, lk.gemvQ4P8, lk.dotQ4, quant.DotQ4_0, out, w, x, q4Bytes, 3)
		}
		k.gemmQ4 = func(out []float32, ldo int, w []byte, nrows int, x []byte, nx int) {
			gemmP(lk.prep, lk.gemvQ4P, lk.gemvQ4P8, lk.gemmQ4T, lk.dotQ4, quant.DotQ4_0, out, ldo, w, nrows, x, nx, q4Bytes, 3)
		}
	}
	if lk.dotF32 != nil {
		k.dotF32 = func(a, b []float32) float32 {
			n := len(a) / f32Step * f32Step
			var s float32
			for i := 0; i < n; i += maxF32 {
				m := min(maxF32, n-i)
				s += lk.dotF32(&a[i], &b[i], m)
			}
			return s + refDotF32(a[n:], b[n:len(a)])
		}
	}
	if lk.axpyF32 != nil {
		k.axpyF32 = func(alpha float32, x, y []float32) {
			n := len(x) / f32Step * f32Step
			for i := 0; i < n; i += maxF32 {
				lk.axpyF32(alpha, &x[i], &y[i], min(maxF32, n-i))
			}
			refAxpyF32(alpha, x[n:], y[n:len(x)])
		}
	}
	if lk.scaleF32 != nil {
		k.scaleF32 = func(alpha float32, x []float32) {
			n := len(x) / f32Step * f32Step
			for i := 0; i < n; i += maxF32 {
				lk.scaleF32(alpha, &x[i], min(maxF32, n-i))
			}
			refScaleF32(alpha, x[n:])
		}
	}
	if lk.toF16 != nil {
		k.toF16 = func(dst []uint16, x []float32) {
			n := len(x) / f32Step * f32Step
			for i := 0; i < n; i += maxF32 {
				lk.toF16(&dst[i], &x[i], min(maxF32, n-i))
			}
			refToF16(dst[n:len(x)], x[n:])
		}
	}
	if lk.axpyF16 != nil {
		k.axpyF16 = axpy16(lk.axpyF16, quant.F16ToF32)
	}
	if lk.axpyBF16 != nil {
		k.axpyBF16 = axpy16(lk.axpyBF16, quant.BF16ToF32)
	}
	if lk.dotBF16 != nil {
		k.dotBF16 = dot16(lk.dotBF16, quant.BF16ToF32)
	}
	if lk.dotF16 != nil {
		k.dotF16 = dot16(lk.dotF16, quant.F16ToF32)
	}
	return k
}

func dot16(f func(w *uint16, x *float32, n int) float32, conv func(uint16) float32) func([]uint16, []float32) float32 {
	return func(w []uint16, x []float32) float32 {
		n := len(w) / f32Step * f32Step
		var s float32
		for i := 0; i < n; i += maxF32 {
			s += f(&w[i], &x[i], min(maxF32, n-i))
		}
		return s + refDot16(conv, w[n:], x[n:len(w)])
	}
}

func axpy16(f func(alpha float32, x *uint16, y *float32, n int), conv func(uint16) float32) func(float32, []uint16, []float32) {
	return func(alpha float32, x []uint16, y []float32) {
		n := len(x) / f32Step * f32Step
		for i := 0; i < n; i += maxF32 {
			f(alpha, &x[i], &y[i], min(maxF32, n-i))
		}
		refAxpy16(conv, alpha, x[n:], y[n:len(x)])
	}
}

// dotQ sums the assembly dot over chunks of at most maxBlocks blocks. A
// non-finite result can only come from an inf or NaN block scale; the row is
// then recomputed by the reference so such results match it exactly.
func dotQ(f func(w, x *byte, n int) float32, ref func(w, x []byte) float32, w, x []byte, wb int) float32 {
	nb := len(x) / q8Bytes
	var s float32
	for b := 0; b < nb; b += maxBlocks {
		s += f(&w[b*wb], &x[b*q8Bytes], min(maxBlocks, nb-b))
	}
	if !isFinite(s) {
		return ref(w, x)
	}
	return s
}

// gemvQ runs the 4-row kernel over groups of 4 rows (x is loaded once per
// block for all four) and the 1-row kernel over the rest.
func gemvQ(f4 func(*[4]float32, *byte, int, *byte, int), f1 func(w, x *byte, n int) float32,
	ref func(w, x []byte) float32, out []float32, w, x []byte, wb int) {
	nb := len(x) / q8Bytes
	if nb == 0 {
		clear(out)
		return
	}
	rowBytes := nb * wb
	r := 0
	for ; r+4 <= len(out); r += 4 {
		gemv4(f4, (*[4]float32)(out[r:r+4]), w[r*rowBytes:], rowBytes, x, nb, wb)
		for i, v := range out[r : r+4] {
			if !isFinite(v) {
				out[r+i] = ref(w[(r+i)*rowBytes:][:rowBytes], x)
			}
		}
	}
	for ; r < len(out); r++ {
		out[r] = dotQ(f1, ref, w[r*rowBytes:][:rowBytes], x, wb)
	}
}

// gemv4 sets out to the dots of the 4 rows at w (rowBytes apart) with x
// (nb blocks) by the 4-row kernel f4, in calls of at most maxBlocks blocks
// whose sums are added. out is the caller's (heap) memory: a local array
// passed to f4, a func value, would be allocated on every call.
func gemv4(f4 func(*[4]float32, *byte, int, *byte, int), out *[4]float32, w []byte, rowBytes int, x []byte, nb, wb int) {
	f4(out, &w[0], rowBytes, &x[0], min(maxBlocks, nb))
	for i := range out {
		out[i] += 0 // as summing into a zeroed array did: -0 becomes +0
	}
	for b := maxBlocks; b < nb; b += maxBlocks {
		part := new([4]float32) // rows of more than maxBlocks blocks only
		f4(part, &w[b*wb], rowBytes, &x[b*q8Bytes], min(maxBlocks, nb-b))
		for i := range out {
			out[i] += part[i]
		}
	}
}

// gemmQ walks weight rows in groups of 4 and, for each group, every
// activation row: the group (4 rows) stays in L1/L2 while it is multiplied
// with all nx activation rows.
func gemmQ(f4 func(*[4]float32, *byte, int, *byte, int), f1 func(w, x *byte, n int) float32,
	ref func(w, x []byte) float32, out []float32, ldo int, w []byte, nrows int, x []byte, nx int, wb int) {
	if nx == 0 || nrows == 0 {
		return
	}
	xrow := len(x) / nx
	nb := xrow / q8Bytes
	rowBytes := nb * wb
	if nb == 0 {
		for j := range nx {
			clear(out[j*ldo : j*ldo+nrows])
		}
		return
	}
	r := 0
	for ; r+4 <= nrows; r += 4 {
		wg := w[r*rowBytes : (r+4)*rowBytes]
		for j := range nx {
			xj := x[j*xrow:][:xrow]
			o := out[j*ldo+r : j*ldo+r+4]
			gemv4(f4, (*[4]float32)(o), wg, rowBytes, xj, nb, wb)
			for i, v := range o {
				if !isFinite(v) {
					o[i] = ref(wg[i*rowBytes:][:rowBytes], xj)
				}
			}
		}
	}
	for ; r < nrows; r++ {
		for j := range nx {
			out[j*ldo+r] = dotQ(f1, ref, w[r*rowBytes:][:rowBytes], x[j*xrow:][:xrow], wb)
		}
	}
}
