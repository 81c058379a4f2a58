package asm

import "github.com/exaone-go/exaone/quant"

// genericKernels is the pure-Go kernel set. It is the reference the SIMD
// sets are tested against, so the quantized kernels call package quant
// rather than restating its arithmetic.
func genericKernels() *kernels {
	k := &kernels{
		name:    "generic",
		quantQ8: quant.QuantizeQ8_0,
		dotQ8:   quant.DotQ8_0,
		dotQ4:   quant.DotQ4_0,
		gemvQ8:  func(out []float32, w, x []byte) { refGemv(quant.DotQ8_0, out, w, x, len(x)) },
		gemvQ4: func(out []float32, w, x []byte) {
			refGemv(quant.DotQ4_0, out, w, x, len(x)/q8Bytes*q4Bytes)
		},
		gemmQ8: func(out []float32, ldo int, w []byte, nrows int, x []byte, nx int) {
			refGemm(quant.DotQ8_0, q8Bytes, q8Bytes, out, ldo, w, nrows, x, nx)
		},
		gemmQ4: func(out []float32, ldo int, w []byte, nrows int, x []byte, nx int) {
			refGemm(quant.DotQ4_0, q8Bytes, q4Bytes, out, ldo, w, nrows, x, nx)
		},
		dotF32:   refDotF32,
		axpyF32:  refAxpyF32,
		dotBF16:  func(w []uint16, x []float32) float32 { return refDot16(quant.BF16ToF32, w, x) },
		dotF16:   func(w []uint16, x []float32) float32 { return refDot16(quant.F16ToF32, w, x) },
		scaleF32: refScaleF32,
		axpyF16: func(alpha float32, x []uint16, y []float32) {
			refAxpy16(quant.F16ToF32, alpha, x, y)
		},
		axpyBF16: func(alpha float32, x []uint16, y []float32) {
			refAxpy16(quant.BF16ToF32, alpha, x, y)
		},
		toF16: refToF16,
		// No tile kernel: these only serve the tests of the faster ones.
		repackQ8:  repackQ8Tile,
		repackQ4:  repackQ4Tile,
		repackQ4K: repackQ4KTile,
		repackQ5K: repackQ5KTile,
		repackQ6K: repackQ6KTile,
	}
	setGenericK(k)
	return k
}

func refGemv(dot func(w, x []byte) float32, out []float32, w, x []byte, rowBytes int) {
	for r := range out {
		out[r] = dot(w[r*rowBytes:][:rowBytes], x)
	}
}

// refGemm is the reference GEMM of every quantized weight type: xb and wb
// are the activation and weight block sizes (Q8_0 and Q4_0 or Q8_K and a
// K-quant).
func refGemm(dot func(w, x []byte) float32, xb, wb int, out []float32, ldo int, w []byte, nrows int, x []byte, nx int) {
	if nx == 0 {
		return
	}
	xrow := len(x) / nx
	wrow := xrow / xb * wb
	for j := range nx {
		xj := x[j*xrow:][:xrow]
		for r := range nrows {
			out[j*ldo+r] = dot(w[r*wrow:][:wrow], xj)
		}
	}
}

func refDotF32(a, b []float32) float32 {
	var s float32
	for i, v := range a {
		s += float32(v * b[i])
	}
	return s
}

func refAxpyF32(alpha float32, x, y []float32) {
	for i, v := range x {
		y[i] += float32(alpha * v)
	}
}

func refDot16(conv func(uint16) float32, w []uint16, x []float32) float32 {
	var s float32
	for i, v := range w {
		s += float32(conv(v) * x[i])
	}
	return s
}

func refScaleF32(alpha float32, x []float32) {
	for i := range x {
		x[i] *= alpha
	}
}

func refAxpy16(conv func(uint16) float32, alpha float32, x []uint16, y []float32) {
	for i, v := range x {
		y[i] += float32(alpha * conv(v))
	}
}

func refToF16(dst []uint16, x []float32) {
	for i, v := range x {
		dst[i] = quant.F32ToF16(v)
	}
}
