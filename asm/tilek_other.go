//go:build !amd64 || noasm

package asm

// tileKKernel: only amd64 has a Q4_K tile kernel; elsewhere GemmQ4_KTiles
// is GemmQ4_K.
func tileKKernel() tileKFunc { return nil }
