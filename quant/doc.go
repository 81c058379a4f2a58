// Package quant defines the ggml tensor types and their block layouts, and
// holds the pure-Go reference implementations of quantization,
// dequantization and quantized dot products.
//
// These functions are the specification the SIMD kernels in package asm are
// tested against, and what the converter uses to write GGUF files. Q4_0,
// Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q6_K and Q8_K quantize exactly like ggml's
// reference (non-imatrix) quantizers, so files we write from the same f32
// values are byte-identical to llama-quantize's. The Q4_K and Q5_K weight
// quantizers use a search of their own; they aim at llama.cpp's quality,
// not its bytes.
//
// Floating-point expressions that the Go compiler could fuse into FMA
// instructions on some architectures are written with explicit float32
// conversions so that results are the same on every GOARCH.
package quant
