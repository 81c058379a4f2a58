//go:build !noasm

package asm

// tileK6x16x8VNNI is tileK6KernelRef (see tilek6.go) with AVX-512 VNNI;
// nb > 0.
//
//go:noescape
func tileK6x16x8VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool)

// tileK6Kernel returns the Q6_K tile kernel of the current path, or nil if
// it has none; it needs what the Q4_K tile kernel needs.
func tileK6Kernel() tileKFunc {
	if tileKKernel() != nil {
		return tileK6x16x8VNNI
	}
	return nil
}
