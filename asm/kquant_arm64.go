//go:build !noasm

package asm

// Ids of the 1-row kernels for kOne.
const (
	kidQ4SDOT = iota + 1
	kidQ5SDOT
	kidQ6SDOT
	kidQ4NEON
	kidQ5NEON
	kidQ6NEON
)

// kOne runs 1-row kernel id over one row (see kDot).
func kOne(id int, s *float32, w, x *byte, n int) {
	switch id {
	case kidQ4SDOT:
		gemvQ4KSDOT(s, w, 0, 1, x, n)
	case kidQ5SDOT:
		gemvQ5KSDOT(s, w, 0, 1, x, n)
	case kidQ6SDOT:
		gemvQ6KSDOT(s, w, 0, 1, x, n)
	case kidQ4NEON:
		gemvQ4KNEON(s, w, 0, 1, x, n)
	case kidQ5NEON:
		gemvQ5KNEON(s, w, 0, 1, x, n)
	case kidQ6NEON:
		gemvQ6KNEON(s, w, 0, 1, x, n)
	default:
		panic("asm: unknown K-quant kernel")
	}
}

// The kernels below are kgemvFunc (kquant_simd.go). Q6_K values are made
// signed (q-32) before the signed dot product, so unlike amd64 the Q8_K
// block sums are not used for Q6_K.

// gemvQ4KSDOT multiplies Q4_K rows with SDOT.
//
//go:noescape
func gemvQ4KSDOT(out *float32, w *byte, stride, rows int, x *byte, nb int)

// gemvQ4KNEON is gemvQ4KSDOT with SMULL/SADALP (no dot-product extension).
//
//go:noescape
func gemvQ4KNEON(out *float32, w *byte, stride, rows int, x *byte, nb int)

// gemvQ6KSDOT multiplies Q6_K rows with SDOT.
//
//go:noescape
func gemvQ6KSDOT(out *float32, w *byte, stride, rows int, x *byte, nb int)

// gemvQ6KNEON is gemvQ6KSDOT with SMULL/SADALP.
//
//go:noescape
func gemvQ6KNEON(out *float32, w *byte, stride, rows int, x *byte, nb int)

// gemvQ5KSDOT is gemvQ4KSDOT for Q5_K rows (fifth bits merged into the
// nibbles first).
//
//go:noescape
func gemvQ5KSDOT(out *float32, w *byte, stride, rows int, x *byte, nb int)

// gemvQ5KNEON is gemvQ5KSDOT with SMULL/SADALP.
//
//go:noescape
func gemvQ5KNEON(out *float32, w *byte, stride, rows int, x *byte, nb int)

// gemm4Q4KSDOT, gemm4Q5KSDOT (and the NEON versions without SDOT) do for 4
// activation rows what the GEMV kernels do for one (see kgemm4Func): each
// weight block is unpacked once.
//
//go:noescape
func gemm4Q4KSDOT(out *float32, ldo int, w *byte, stride, rows int, x *byte, xstride, nb int)

//go:noescape
func gemm4Q4KNEON(out *float32, ldo int, w *byte, stride, rows int, x *byte, xstride, nb int)

//go:noescape
func gemm4Q5KSDOT(out *float32, ldo int, w *byte, stride, rows int, x *byte, xstride, nb int)

//go:noescape
func gemm4Q5KNEON(out *float32, ldo int, w *byte, stride, rows int, x *byte, xstride, nb int)

//go:noescape
func gemm4Q6KSDOT(out *float32, ldo int, w *byte, stride, rows int, x *byte, xstride, nb int)

//go:noescape
func gemm4Q6KNEON(out *float32, ldo int, w *byte, stride, rows int, x *byte, xstride, nb int)
