//go:build !noasm

package asm

import "github.com/klauspost/cpuid/v2"

// The arm64 kernel table: which assembly each path runs. Adding a path or
// a kernel means adding it here (and to the kernels struct).

// archKernels lists the arm64 sets this CPU can run, best first.
func archKernels() []*kernels {
	var ks []*kernels
	f32 := func(lk lowKernels) lowKernels {
		lk.dotF32, lk.axpyF32, lk.dotBF16, lk.dotF16 = dotF32NEON, axpyF32NEON, dotBF16NEON, dotF16NEON
		lk.scaleF32, lk.axpyF16, lk.axpyBF16 = scaleF32NEON, axpyF16NEON, axpyBF16NEON
		return lk
	}
	if cpuid.CPU.Supports(cpuid.ASIMD, cpuid.ASIMDDP) {
		k := simdKernels(f32(lowKernels{
			name:    "neon-dotprod",
			dotQ8:   dotQ8SDOT,
			dotQ4:   dotQ4SDOT,
			gemv4Q8: gemv4Q8SDOT,
			gemv4Q4: gemv4Q4SDOT,
		}))
		setSimdK(k, nil,
			kpair{gemvQ4KSDOT, nil, gemm4Q4KSDOT, nil, false, kidQ4SDOT},
			kpair{gemvQ5KSDOT, nil, gemm4Q5KSDOT, nil, false, kidQ5SDOT},
			kpair{gemvQ6KSDOT, nil, gemm4Q6KSDOT, nil, false, kidQ6SDOT})
		k.kvq8 = kvq8SDOT
		ks = append(ks, k)
	}
	if cpuid.CPU.Supports(cpuid.ASIMD) {
		k := simdKernels(f32(lowKernels{
			name:    "neon",
			dotQ8:   dotQ8NEON,
			dotQ4:   dotQ4NEON,
			gemv4Q8: gemv4Q8NEON,
			gemv4Q4: gemv4Q4NEON,
		}))
		setSimdK(k, nil,
			kpair{gemvQ4KNEON, nil, gemm4Q4KNEON, nil, false, kidQ4NEON},
			kpair{gemvQ5KNEON, nil, gemm4Q5KNEON, nil, false, kidQ5NEON},
			kpair{gemvQ6KNEON, nil, gemm4Q6KNEON, nil, false, kidQ6NEON})
		k.kvq8 = kvq8NEON
		ks = append(ks, k)
	}
	return ks
}

// archVariants lists no extra kernel variants on arm64 (see amd64).
func archVariants() []*kernels { return nil }
