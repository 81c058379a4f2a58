//go:build !noasm

package asm

//go:noescape
func maxF32AVX512(x *float32, n int) float32

//go:noescape
func expSumAVX512(x *float32, n int, max, scale float32) float32

//go:noescape
func pv4x64F16AVX512(out *float32, ldo int, p *float32, ldp int, v *uint16, ldv int, nk int)

//go:noescape
func siluMulAVX512(gate, up *float32, n int)
