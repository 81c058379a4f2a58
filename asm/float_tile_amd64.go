//go:build !noasm

package asm

// tileF32AVX512 computes a 4x4 tile of dot products of length n (a positive
// multiple of 16): for r, j < 4,
//
//	out[4*r+j] = sum over k < n of w[r*ldw+k] * x[j*ldx+k]
//
//go:noescape
func tileF32AVX512(w *float32, ldw int, x *float32, ldx int, n int, out *[16]float32)

// tileBF16AVX512 is tileF32AVX512 for bf16 weights, widened exactly:
//
//	out[4*r+j] = sum over k < n of float32(w[r*ldw+k])<<16 * x[j*ldx+k]
//
//go:noescape
func tileBF16AVX512(w *uint16, ldw int, x *float32, ldx int, n int, out *[16]float32)

// tileF16AVX512 is tileF32AVX512 for f16 weights (keys of an f16 cache),
// widened exactly:
//
//	out[4*r+j] = sum over k < n of float32(w[r*ldw+k]) * x[j*ldx+k]
//
//go:noescape
func tileF16AVX512(w *uint16, ldw int, x *float32, ldx int, n int, out *[16]float32)

// tileFloat runs the tile kernel of w's kind over the first k values of
// rows r..r+3 and activation rows j..j+3 of x.
func tileFloat(w *floatRows, r int, x []float32, j, k int, t *[16]float32) {
	n := w.n
	switch w.kind {
	case kindBF16:
		tileBF16AVX512(&w.h[r*n], n, &x[j*n], n, k, t)
	case kindF16:
		tileF16AVX512(&w.h[r*n], n, &x[j*n], n, k, t)
	default:
		tileF32AVX512(&w.f[r*n], n, &x[j*n], n, k, t)
	}
}
