//go:build !noasm

package asm

// tile16x8VNNI is tileKernelRef (see tile.go) with AVX-512 VNNI; nb > 0.
//
//go:noescape
func tile16x8VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool)

// tileKernel returns the tile kernel of the current path, or nil if it has
// none (then the tiled GEMM is not used).
func tileKernel() tileFunc {
	if avx512() && (cur.name == "avx512" || cur.name == "avx512-nogfni") {
		return tile16x8VNNI
	}
	return nil
}
