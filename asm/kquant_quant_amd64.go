//go:build !noasm

package asm

// quantQ8KAVX2 does quant.QuantizeQ8_K(dst[:nb*292], x[:nb*256]) for
// nb > 0, byte for byte (see kquant_quant_amd64.s).
//
//go:noescape
func quantQ8KAVX2(dst *byte, x *float32, nb int)
