package model

import (
	"github.com/exaone-go/exaone/asm"

	"github.com/exaone-go/exaone/quant"
)

// computes reports whether the decoder computes with weights stored as t:
// the types asm.Matmul multiplies, and Q5_0, repacked to Q8_0 at load.
func computes(t quant.Type) bool {
	return t == quant.Q5_0 || asm.MatmulSupports(t)
}

// repackQ5_0 rewrites Q5_0 blocks as Q8_0 blocks with the same scale and
// q-16 as the int8 value: the same numbers, the same integer sums, so Q5_0
// runs exactly on the Q8_0 kernels. Q5_0 appears only where llama.cpp falls
// back from Q4_K for rows that are not a multiple of 256 (never for real
// EXAONE sizes), so the 1.5x memory of those tensors is a small price.
func repackQ5_0(src []byte) []byte {
	nb := len(src) / quant.BlockBytesQ5_0
	dst := make([]byte, nb*quant.BlockBytesQ8_0)
	var vals [quant.QK]float32
	for b := 0; b < nb; b++ {
		in := src[b*quant.BlockBytesQ5_0 : (b+1)*quant.BlockBytesQ5_0]
		out := dst[b*quant.BlockBytesQ8_0 : (b+1)*quant.BlockBytesQ8_0]
		out[0], out[1] = in[0], in[1] // the f16 scale
		// Dequantizing with scale 1 recovers q-16 exactly.
		one := append([]byte{0x00, 0x3c}, in[2:]...)
		quant.DequantizeQ5_0(vals[:], one)
		for j, v := range vals {
			out[2+j] = byte(int8(v))
		}
	}
	return dst
}
