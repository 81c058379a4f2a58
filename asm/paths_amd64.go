//go:build !noasm

package asm

import "github.com/klauspost/cpuid/v2"

// The amd64 kernel table: which assembly each path runs. Adding a path or
// a kernel means adding it here (and to the kernels struct).

// archKernels lists the amd64 sets this CPU can run, best first.
func archKernels() []*kernels {
	var ks []*kernels
	if avx512() && cpuid.CPU.Supports(cpuid.AMXTILE, cpuid.AMXINT8) && amxEnable() {
		ks = append(ks, amxSet())
	}
	if avx512() {
		ks = append(ks, avx512Set("avx512", cpuid.CPU.Supports(cpuid.GFNI)))
	}
	if cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3, cpuid.F16C) {
		ks = append(ks, avx2Set())
	}
	return ks
}

// archVariants lists runnable sets that differ from a path only in a kernel
// chosen by a finer CPU feature; they are not paths, but the tests run them
// so that every kernel this CPU can execute is checked.
func archVariants() []*kernels {
	if avx512() && cpuid.CPU.Supports(cpuid.GFNI) {
		return []*kernels{avx512Set("avx512-nogfni", false)}
	}
	return nil
}

// amxSet is the avx512 set with the Q4_K and Q5_K tiles on AMX.
func amxSet() *kernels {
	k := avx512Set("avx512-amx", cpuid.CPU.Supports(cpuid.GFNI))
	k.tileKAMX = tileK16x16AMX
	k.amxOn, k.amxOff = amxOn, amxOff
	k.repackQ4KAMX, k.repackQ5KAMX = repackAMX(k.repackQ4K, q4KBytes, kToAMXVec), repackAMX(k.repackQ5K, q5KBytes, kToAMXVec)
	return k
}

func avx512() bool {
	return cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VL, cpuid.AVX512VNNI, cpuid.AVX2, cpuid.FMA3, cpuid.F16C)
}

// avx2Low are the AVX2 entry points every amd64 path starts from.
func avx2Low(name string) lowKernels {
	return lowKernels{
		name:     name,
		dotQ8:    dotQ8AVX2,
		dotQ4:    dotQ4AVX2,
		gemvQ8P:  gemvQ8AVX2P,
		gemvQ4P:  gemvQ4AVX2P,
		gemvQ4P8: gemvQ4AVX2P8,
		prep:     prepAVX2,
		quantQ8:  quantQ8AVX2,
		dotF32:   dotF32AVX2,
		axpyF32:  axpyF32AVX2,
		dotBF16:  dotBF16AVX2,
		dotF16:   dotF16AVX2,
		scaleF32: scaleF32AVX2,
		axpyF16:  axpyF16AVX2,
		axpyBF16: axpyBF16AVX2,
		toF16:    toF16AVX2,
	}
}

func avx2Set() *kernels {
	k := simdKernels(avx2Low("avx2"))
	setSimdK(k, quantQ8KAVX2,
		kpair{gemvQ4KAVX2, nil, gemm4Q4KAVX2, nil, false, kidQ4AVX2},
		kpair{gemvQ5KAVX2, nil, gemm4Q5KAVX2, nil, false, kidQ5AVX2},
		kpair{gemvQ6KAVX2, nil, gemm4Q6KAVX2, nil, false, kidQ6AVX2})
	k.kvq8 = kvq8AVX2
	return k
}

// avx512Set builds the AVX-512 set. gfni selects the kernels that unpack
// nibbles with GF2P8AFFINEQB: without it Q4_0 uses the 4-row
// shift-and-mask kernel and Q4_K/Q5_K the GEMMs on unpermuted activations.
func avx512Set(name string, gfni bool) *kernels {
	lk := avx2Low(name)
	// A single row gains nothing from preparing x: the AVX2 dot stays.
	lk.gemvQ8P, lk.gemvQ4P, lk.gemvQ4P8 = gemvQ8VNNI, gemvQ4VNNI, nil
	lk.gemmQ8T = gemm42Q8VNNI
	q4k := kpair{gemvQ4KVNNI, gemv4Q4KVNNI, gemm4Q4KVNNI, nil, false, kidQ4VNNI}
	q5k := kpair{gemvQ5KAVX2, gemv4Q5KVNNI, gemm4Q5KVNNI, nil, false, kidQ5AVX2}
	if gfni {
		lk.gemvQ4P, lk.gemvQ4P8, lk.gemmQ4T = gemvQ4GFNI, gemvQ4GFNI8, gemm42Q4GFNI
		q4k.four, q4k.gemm4, q4k.gemm8, q4k.permX = gemv4Q4KGFNI, gemm4Q4KPERM, gemm8Q4KPERM, true
		q5k.four, q5k.gemm4, q5k.gemm8, q5k.permX = gemv4Q5KGFNI, gemm4Q5KPERM, gemm8Q5KPERM, true
	}
	k := simdKernels(lk)
	setSimdK(k, quantQ8KAVX2, q4k, q5k,
		kpair{gemvQ6KVNNI, gemv4Q6KVNNI, gemm4Q6KVNNI, gemm8Q6KVNNI, false, kidQ6VNNI})

	k.tile, k.tileK, k.tileK6 = tile16x8VNNI, tileK16x8VNNI, tileK6x16x8VNNI
	k.tile4, k.tile2 = tile16x4VNNI, tile16x2VNNI
	k.tileK4, k.tileK2 = tileK16x4VNNI, tileK16x2VNNI
	k.tileK6x4, k.tileK6x2 = tileK6x16x4VNNI, tileK6x16x2VNNI
	k.repackQ8, k.repackQ4 = repackQ8Vec, repackQ4Vec
	k.repackQ4K, k.repackQ5K, k.repackQ6K = repackQ4KAsm, repackQ5KAsm, repackQ6KAsm
	k.prefetch = prefetchNear
	k.floatTiles = true
	k.attn = &attnKernels{maxF32AVX512, expSumAVX512, pv4x64F16AVX512, siluMulAVX512}
	k.kvq8 = kvq8VNNI
	return k
}
