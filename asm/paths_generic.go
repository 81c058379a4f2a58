//go:build (!amd64 && !arm64) || noasm

package asm

// archKernels lists no SIMD sets: this target, or the noasm build, has only
// the generic kernels.
func archKernels() []*kernels { return nil }

// archVariants lists no extra kernel variants.
func archVariants() []*kernels { return nil }
