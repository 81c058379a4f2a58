//go:build !amd64 || noasm

package asm

// tileK6Kernel: only amd64 has a Q6_K tile kernel; elsewhere GemmQ6_KTiles
// is GemmQ6_K.
func tileK6Kernel() tileKFunc { return nil }
