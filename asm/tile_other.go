//go:build !amd64 || noasm

package asm

// tileKernel: only amd64 has a tile kernel; elsewhere the tiled GEMM
// entry points fall back to GemmQ8_0 and GemmQ4_0.
func tileKernel() tileFunc { return nil }

// prefetch is a no-op without the tile kernel.
func prefetch(b []byte) {}
