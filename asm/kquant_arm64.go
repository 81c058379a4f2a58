//go:build !noasm

package asm

// kqArch lists the arm64 K-quant sets this CPU can run (none yet: the
// NEON paths use the generic K-quant kernels).
func kqArch() []*kqKernels { return nil }
