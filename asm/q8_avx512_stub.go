//go:build !noasm

package asm

var (
	dotQ8AVX512   = dotQ8AVX2
	dotQ4AVX512   = dotQ4AVX2
	gemv4Q8AVX512 = gemv4Q8AVX2
	gemv4Q4AVX512 = gemv4Q4AVX2
)
