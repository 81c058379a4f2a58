//go:build !noasm

package asm

// quantQ8AVX2 does quant.QuantizeQ8_0(dst[:nb*34], x[:nb*32]) for nb > 0:
// per block amax = max|x| (NaN skipped), d = amax/127 stored as f16,
// id = 1/d (0 if d == 0), q = round-half-away-from-zero(x*id), with 0 for
// NaN or out-of-int32-range products, as the reference does.
//
//go:noescape
func quantQ8AVX2(dst *byte, x *float32, nb int)

// prepAVX2 does what prepX does for nb > 0 blocks into dst (nb*72 bytes),
// about ten times faster: callers that split a matrix into many row chunks
// prepare the activations once per chunk.
//
//go:noescape
func prepAVX2(dst *byte, x *byte, nb int, shift uint64)
