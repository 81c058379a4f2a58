//go:build !noasm

package asm

// Ids of the 1-row kernels for kOne.
const (
	kidQ4AVX2 = iota + 1
	kidQ5AVX2
	kidQ6AVX2
	kidQ4VNNI
	kidQ6VNNI
)

// kOne runs 1-row kernel id over one row (see kDot).
func kOne(id int, s *float32, w, x *byte, n int) {
	switch id {
	case kidQ4AVX2:
		gemvQ4KAVX2(s, w, 0, 1, x, n)
	case kidQ5AVX2:
		gemvQ5KAVX2(s, w, 0, 1, x, n)
	case kidQ6AVX2:
		gemvQ6KAVX2(s, w, 0, 1, x, n)
	case kidQ4VNNI:
		gemvQ4KVNNI(s, w, 0, 1, x, n)
	case kidQ6VNNI:
		gemvQ6KVNNI(s, w, 0, 1, x, n)
	default:
		panic("asm: unknown K-quant kernel")
	}
}

// The kernels below are kgemvFunc (kquant_simd.go).

// gemvQ4KAVX2 multiplies Q4_K rows with VPMADDUBSW (nibbles are unsigned,
// pairs cannot saturate) and applies the sub-block scales with VPMADDWD.
//
//go:noescape
func gemvQ4KAVX2(out *float32, w *byte, stride, rows int, x *byte, nb int)

// gemvQ6KAVX2 is gemvQ4KAVX2 for Q6_K rows: 6-bit values q in 0..63 are
// multiplied unsigned, and the -32 offset is applied through the Q8_K
// block sums.
//
//go:noescape
func gemvQ6KAVX2(out *float32, w *byte, stride, rows int, x *byte, nb int)

// gemvQ4KVNNI is gemvQ4KAVX2 with AVX-512 VNNI: VPDPBUSD sums four
// nibble-activation products per lane and VPDPWSSD adds them times the
// sub-block scale (broadcast from memory) to the accumulator.
//
//go:noescape
func gemvQ4KVNNI(out *float32, w *byte, stride, rows int, x *byte, nb int)

// gemvQ6KVNNI is gemvQ6KAVX2 with VPDPWSSD applying the scales.
//
//go:noescape
func gemvQ6KVNNI(out *float32, w *byte, stride, rows int, x *byte, nb int)

// gemv4Q4KVNNI is gemvQ4KVNNI for rows a multiple of 4, four rows at a
// time on zmm (see kquant_gemv_amd64.s).
//
//go:noescape
func gemv4Q4KVNNI(out *float32, w *byte, stride, rows int, x *byte, nb int)

// gemv4Q4KGFNI is gemv4Q4KVNNI with the nibbles unpacked by one
// GF2P8AFFINEQB instead of a shift and a mask.
//
//go:noescape
func gemv4Q4KGFNI(out *float32, w *byte, stride, rows int, x *byte, nb int)

// gemv4Q5KGFNI is gemv4Q5KVNNI with GF2P8AFFINEQB.
//
//go:noescape
func gemv4Q5KGFNI(out *float32, w *byte, stride, rows int, x *byte, nb int)

// gemm4Q4KVNNI does, for a = 0..3, what gemvQ4KVNNI does for activation
// row x+a*xstride into out+a*ldo: each weight block is unpacked once for
// the 4 activation rows.
//
//go:noescape
func gemm4Q4KVNNI(out *float32, ldo int, w *byte, stride, rows int, x *byte, xstride, nb int)

// gemv4Q6KVNNI is gemvQ6KVNNI for rows a multiple of 4, four rows at a
// time on zmm.
//
//go:noescape
func gemv4Q6KVNNI(out *float32, w *byte, stride, rows int, x *byte, nb int)

// gemm4Q6KVNNI is gemm4Q4KVNNI for Q6_K weights.
//
//go:noescape
func gemm4Q6KVNNI(out *float32, ldo int, w *byte, stride, rows int, x *byte, xstride, nb int)

// gemvQ5KAVX2 is gemvQ4KAVX2 for Q5_K rows: the fifth bits (qh) are merged
// into the nibbles before the multiplies.
//
//go:noescape
func gemvQ5KAVX2(out *float32, w *byte, stride, rows int, x *byte, nb int)

// gemv4Q5KVNNI is gemv4Q4KVNNI for Q5_K rows.
//
//go:noescape
func gemv4Q5KVNNI(out *float32, w *byte, stride, rows int, x *byte, nb int)

// gemm4Q5KVNNI is gemm4Q4KVNNI for Q5_K rows.
//
//go:noescape
func gemm4Q5KVNNI(out *float32, ldo int, w *byte, stride, rows int, x *byte, xstride, nb int)

// gemm4Q4KAVX2, gemm4Q5KAVX2 and gemm4Q6KAVX2 are the AVX2 versions of
// gemm4Q4KVNNI etc.: each weight block is unpacked once for 4 activation
// rows.
//
//go:noescape
func gemm4Q4KAVX2(out *float32, ldo int, w *byte, stride, rows int, x *byte, xstride, nb int)

//go:noescape
func gemm4Q5KAVX2(out *float32, ldo int, w *byte, stride, rows int, x *byte, xstride, nb int)

//go:noescape
func gemm4Q6KAVX2(out *float32, ldo int, w *byte, stride, rows int, x *byte, xstride, nb int)

// gemm4Q4KPERM is gemm4Q4KVNNI on activations permuted by permQ8K: one
// VPDPBUSD per 64 values and one VPMADDWD per block and activation apply
// the scales (GFNI).
//
//go:noescape
func gemm4Q4KPERM(out *float32, ldo int, w *byte, stride, rows int, x *byte, xstride, nb int)

// gemm4Q5KPERM is gemm4Q4KPERM for Q5_K weights.
//
//go:noescape
func gemm4Q5KPERM(out *float32, ldo int, w *byte, stride, rows int, x *byte, xstride, nb int)

// gemm8Q4KPERM is gemm4Q4KPERM for 8 activation rows.
//
//go:noescape
func gemm8Q4KPERM(out *float32, ldo int, w *byte, stride, rows int, x *byte, xstride, nb int)

// gemm8Q5KPERM is gemm4Q5KPERM for 8 activation rows.
//
//go:noescape
func gemm8Q5KPERM(out *float32, ldo int, w *byte, stride, rows int, x *byte, xstride, nb int)

// gemm8Q6KVNNI is gemm4Q6KVNNI for 8 activation rows.
//
//go:noescape
func gemm8Q6KVNNI(out *float32, ldo int, w *byte, stride, rows int, x *byte, xstride, nb int)
