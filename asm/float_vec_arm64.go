//go:build !noasm

package asm

// dotF32NEON does, for n a positive multiple of 16,
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
func dotF32NEON(a, b *float32, n int) float32

// axpyF32NEON does, for n a positive multiple of 16,
//
//	for i := 0; i < n; i++ {
//		y[i] += alpha * x[i]
//	}
//
// with a fused multiply-add.
//
//go:noescape
func axpyF32NEON(alpha float32, x, y *float32, n int)

// dotBF16NEON does, for n a positive multiple of 16,
//
//	var s float32
//	for i := 0; i < n; i++ {
//		s += math.Float32frombits(uint32(w[i])<<16) * x[i]
//	}
//	return s
//
//go:noescape
func dotBF16NEON(w *uint16, x *float32, n int) float32

// dotF16NEON is dotBF16NEON for f16 weights (FCVTL, exact).
//
//go:noescape
func dotF16NEON(w *uint16, x *float32, n int) float32

// scaleF32NEON does, for n a positive multiple of 16,
//
//	for i := 0; i < n; i++ {
//		x[i] *= alpha
//	}
//
//go:noescape
func scaleF32NEON(alpha float32, x *float32, n int)

// axpyF16NEON does, for n a positive multiple of 16,
//
//	for i := 0; i < n; i++ {
//		y[i] += alpha * f16(x[i])
//	}
//
// with a fused multiply-add and FCVTL's exact widening.
//
//go:noescape
func axpyF16NEON(alpha float32, x *uint16, y *float32, n int)

// axpyBF16NEON is axpyF16NEON for bf16 x.
//
//go:noescape
func axpyBF16NEON(alpha float32, x *uint16, y *float32, n int)
