package asm

import (
	"fmt"

	"github.com/exaone-go/exaone/quant"
)

// K-quant kernels: Q4_K, Q5_K and Q6_K weights (256 values per
// super-block) against Q8_K activations.
//
// The SIMD paths compute each super-block's integer sums exactly and then do
// the reference's float steps in the reference's order, per row and
// super-block, so their results equal quant.DotQ4_K/DotQ5_K/DotQ6_K bit for bit
// (infinities and NaNs included). One precondition beyond the reference:
// the 16 block sums of each Q8_K block must be the sums of its values, as
// quantizeQ8_K writes them; on amd64 Q6_K's -32 offset is taken from them.
//
// Kernels per path: every SIMD path has 1-row GEMV kernels for the three
// formats and GEMM kernels that unpack each weight block once for 4
// activation rows; avx512 adds 4-row GEMV kernels on zmm (VNNI VPDPWSSD,
// GFNI when present) and, with GFNI, Q4_K/Q5_K GEMM kernels on permuted
// activations with one VPDPBUSD per 64 values. avx2 and avx512 quantize
// Q8_K with AVX2; neon and neon-dotprod (SMULL/SADALP or SDOT) use the
// generic quantizer. Rates are measured with
//
//	go test -run X -bench 'ReadBandwidth|gemvQ4_0|GemvK' ./asm/

const (
	q8KBytes = quant.BlockBytesQ8_K
	q4KBytes = quant.BlockBytesQ4_K
	q5KBytes = quant.BlockBytesQ5_K
	q6KBytes = quant.BlockBytesQ6_K
	qkK      = quant.QK_K

	// kMaxBlocks bounds the super-blocks per row of one assembly call and
	// kMaxWork its super-block-rows (a few ns each): Go assembly is not
	// asynchronously preemptible.
	kMaxBlocks = 1024
	kMaxWork   = 8192
)

// setGenericK fills k's K-quant entries with the references.
func setGenericK(k *kernels) {
	k.quantQ8K = quant.QuantizeQ8_K
	k.dotQ4K, k.dotQ5K, k.dotQ6K = quant.DotQ4_K, quant.DotQ5_K, quant.DotQ6_K
	k.gemvQ4K = func(out []float32, w, x []byte) {
		refGemv(quant.DotQ4_K, out, w, x, len(x)/q8KBytes*q4KBytes)
	}
	k.gemvQ5K = func(out []float32, w, x []byte) {
		refGemv(quant.DotQ5_K, out, w, x, len(x)/q8KBytes*q5KBytes)
	}
	k.gemvQ6K = func(out []float32, w, x []byte) {
		refGemv(quant.DotQ6_K, out, w, x, len(x)/q8KBytes*q6KBytes)
	}
	k.gemmQ4K = func(out []float32, ldo int, w []byte, nrows int, x []byte, nx int) {
		refGemm(quant.DotQ4_K, q8KBytes, q4KBytes, out, ldo, w, nrows, x, nx)
	}
	k.gemmQ5K = func(out []float32, ldo int, w []byte, nrows int, x []byte, nx int) {
		refGemm(quant.DotQ5_K, q8KBytes, q5KBytes, out, ldo, w, nrows, x, nx)
	}
	k.gemmQ6K = func(out []float32, ldo int, w []byte, nrows int, x []byte, nx int) {
		refGemm(quant.DotQ6_K, q8KBytes, q6KBytes, out, ldo, w, nrows, x, nx)
	}
}

// quantizeQ8_K quantizes x into Q8_K blocks in dst, byte-identical to
// quant.QuantizeQ8_K. len(x) must be a multiple of 256 and len(dst) ==
// len(x)/256*292.
func quantizeQ8_K(dst []byte, x []float32) {
	if len(x)%qkK != 0 || len(dst) != len(x)/qkK*q8KBytes {
		panic(fmt.Sprintf("asm.quantizeQ8_K: len(x)=%d len(dst)=%d", len(x), len(dst)))
	}
	table().quantQ8K(dst, x)
}

func checkDotK(fn string, lw, lx, wb int) {
	if lx%q8KBytes != 0 || lw != lx/q8KBytes*wb {
		panic(fmt.Sprintf("asm.%s: len(w)=%d len(x)=%d", fn, lw, lx))
	}
}

// dotQ4_K returns the dot product of one Q4_K weight row w (len(w)/144
// super-blocks) with Q8_K activations x (len(x)/292, the same number).
func dotQ4_K(w, x []byte) float32 {
	checkDotK("dotQ4_K", len(w), len(x), q4KBytes)
	return table().dotQ4K(w, x)
}

// dotQ5_K returns the dot product of one Q5_K weight row w (len(w)/176
// super-blocks) with Q8_K activations x.
func dotQ5_K(w, x []byte) float32 {
	checkDotK("dotQ5_K", len(w), len(x), q5KBytes)
	return table().dotQ5K(w, x)
}

// dotQ6_K returns the dot product of one Q6_K weight row w (len(w)/210
// super-blocks) with Q8_K activations x.
func dotQ6_K(w, x []byte) float32 {
	checkDotK("dotQ6_K", len(w), len(x), q6KBytes)
	return table().dotQ6K(w, x)
}

func checkGemvK(fn string, out []float32, lw, lx, wb int) {
	if lx%q8KBytes != 0 || lw != len(out)*(lx/q8KBytes*wb) {
		panic(fmt.Sprintf("asm.%s: len(out)=%d len(w)=%d len(x)=%d", fn, len(out), lw, lx))
	}
}

// gemvQ4_K sets out[r] = quant.DotQ4_K(row r of w, x) for r < len(out); rows are
// len(x)/292*144 bytes.
func gemvQ4_K(out []float32, w []byte, x []byte) {
	checkGemvK("gemvQ4_K", out, len(w), len(x), q4KBytes)
	table().gemvQ4K(out, w, x)
}

// gemvQ5_K sets out[r] = quant.DotQ5_K(row r of w, x) for r < len(out); rows are
// len(x)/292*176 bytes.
func gemvQ5_K(out []float32, w []byte, x []byte) {
	checkGemvK("gemvQ5_K", out, len(w), len(x), q5KBytes)
	table().gemvQ5K(out, w, x)
}

// gemvQ6_K sets out[r] = quant.DotQ6_K(row r of w, x) for r < len(out); rows are
// len(x)/292*210 bytes.
func gemvQ6_K(out []float32, w []byte, x []byte) {
	checkGemvK("gemvQ6_K", out, len(w), len(x), q6KBytes)
	table().gemvQ6K(out, w, x)
}

// gemmQ4_K sets out[j*ldo+r] = quant.DotQ4_K(row r of w, activation row j of x)
// for r < nrows and j < nx; x holds nx Q8_K rows of len(x)/nx bytes.
func gemmQ4_K(out []float32, ldo int, w []byte, nrows int, x []byte, nx int) {
	checkGemm("gemmQ4_K", out, ldo, len(w), nrows, len(x), nx, q8KBytes, q4KBytes)
	table().gemmQ4K(out, ldo, w, nrows, x, nx)
}

// gemmQ5_K is gemmQ4_K for Q5_K weights.
func gemmQ5_K(out []float32, ldo int, w []byte, nrows int, x []byte, nx int) {
	checkGemm("gemmQ5_K", out, ldo, len(w), nrows, len(x), nx, q8KBytes, q5KBytes)
	table().gemmQ5K(out, ldo, w, nrows, x, nx)
}

// gemmQ6_K is gemmQ4_K for Q6_K weights.
func gemmQ6_K(out []float32, ldo int, w []byte, nrows int, x []byte, nx int) {
	checkGemm("gemmQ6_K", out, ldo, len(w), nrows, len(x), nx, q8KBytes, q6KBytes)
	table().gemmQ6K(out, ldo, w, nrows, x, nx)
}
