//go:build !noasm

package asm

import "github.com/klauspost/cpuid/v2"

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

// hasTileAVX512 tells whether the CPU runs the tile kernels (AVX-512 F and VL).
var hasTileAVX512 = cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512VL)

func tileF32(w []float32, ldw int, x []float32, ldx, n int, out *[16]float32) bool {
	if !hasTileAVX512 || !tilesOn() {
		return false
	}
	tileF32AVX512(&w[0], ldw, &x[0], ldx, n, out)
	return true
}

func tileBF16(w []uint16, ldw int, x []float32, ldx, n int, out *[16]float32) bool {
	if !hasTileAVX512 || !tilesOn() {
		return false
	}
	tileBF16AVX512(&w[0], ldw, &x[0], ldx, n, out)
	return true
}

func tileF16(w []uint16, ldw int, x []float32, ldx, n int, out *[16]float32) bool {
	if !hasTileAVX512 || !tilesOn() {
		return false
	}
	tileF16AVX512(&w[0], ldw, &x[0], ldx, n, out)
	return true
}

// tilesOn follows the forced path: the tiles belong to the avx512 set.
func tilesOn() bool { return len(cur.name) >= 6 && cur.name[:6] == "avx512" }
