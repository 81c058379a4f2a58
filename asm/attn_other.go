//go:build !amd64 || noasm

package asm

func attnAVX512() bool { return false }

func maxF32AVX512(x *float32, n int) float32                     { panic("unreachable") }
func expSumAVX512(x *float32, n int, max, scale float32) float32 { panic("unreachable") }
func pv4x64F16AVX512(out *float32, ldo int, p *float32, ldp int, v *uint16, ldv int, nk int) {
	panic("unreachable")
}

func siluMulAVX512(gate, up *float32, n int) { panic("unreachable") }
