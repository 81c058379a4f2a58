//go:build !noasm

package asm

// dotF32AVX2 does, for n a positive multiple of 16,
//
//	var s float32
//	for i := 0; i < n; i++ {
//		s += a[i] * b[i]
//	}
//	return s
//
// in 16 lanes.
//
//go:noescape
func dotF32AVX2(a, b *float32, n int) float32

// axpyF32AVX2 does, for n a positive multiple of 16,
//
//	for i := 0; i < n; i++ {
//		y[i] += alpha * x[i]
//	}
//
// with an FMA (one rounding instead of two).
//
//go:noescape
func axpyF32AVX2(alpha float32, x, y *float32, n int)

// dotBF16AVX2 does, for n a positive multiple of 16,
//
//	var s float32
//	for i := 0; i < n; i++ {
//		s += math.Float32frombits(uint32(w[i])<<16) * x[i]
//	}
//	return s
//
//go:noescape
func dotBF16AVX2(w *uint16, x *float32, n int) float32

// dotF16AVX2 is dotBF16AVX2 for f16 weights (F16C VCVTPH2PS, exact).
//
//go:noescape
func dotF16AVX2(w *uint16, x *float32, n int) float32

// scaleF32AVX2 does, for n a positive multiple of 16,
//
//	for i := 0; i < n; i++ {
//		x[i] *= alpha
//	}
//
//go:noescape
func scaleF32AVX2(alpha float32, x *float32, n int)

// axpyF16AVX2 does, for n a positive multiple of 16,
//
//	for i := 0; i < n; i++ {
//		y[i] += alpha * f16(x[i])
//	}
//
// with an FMA and F16C's exact widening.
//
//go:noescape
func axpyF16AVX2(alpha float32, x *uint16, y *float32, n int)

// toF16AVX2 does, for n a positive multiple of 16,
//
//	for i := 0; i < n; i++ {
//		dst[i] = quant.F32ToF16(x[i])
//	}
//
// with F16C's VCVTPS2PH, rounding to nearest even like quant.F32ToF16.
//
//go:noescape
func toF16AVX2(dst *uint16, x *float32, n int)

// axpyBF16AVX2 is axpyF16AVX2 for bf16 x.
//
//go:noescape
func axpyBF16AVX2(alpha float32, x *uint16, y *float32, n int)
