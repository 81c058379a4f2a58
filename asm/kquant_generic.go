//go:build (!amd64 && !arm64) || noasm

package asm

// kqArch lists no SIMD K-quant sets on this target or in the noasm build.
func kqArch() []*kqKernels { return nil }
