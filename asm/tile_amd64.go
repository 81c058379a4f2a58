//go:build !noasm

package asm

// tile16x8VNNI is tileKernelRef (see tile.go) with AVX-512 VNNI; nb > 0.
//
//go:noescape
func tile16x8VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool) (bad bool)

// tileKernel returns the tile kernel of the current path, or nil if it has
// none (then the tiled GEMM is not used).
func tileKernel() tileFunc {
	if avx512() && (cur.name == "avx512" || cur.name == "avx512-nogfni") {
		return tile16x8VNNI
	}
	return nil
}

// prefetchL2 requests the n > 0 bytes at p into L2 (PREFETCHT1 per line).
//
//go:noescape
func prefetchL2(p *byte, n int)

// prefetch asks for b to be brought into L2 ahead of use.
func prefetch(b []byte) {
	if len(b) > 0 {
		prefetchL2(&b[0], len(b))
	}
}

// repackQ8TileAsm and repackQ4TileAsm are repackQ8Tile and repackQ4Tile
// for the rows > 0 rows that exist (no padding), with scales from tab.
//
//go:noescape
func repackQ8TileAsm(dst *byte, w *byte, rowBytes, rows, nb int, tab *[1 << 16]float32)

//go:noescape
func repackQ4TileAsm(dst *byte, w *byte, rowBytes, rows, nb int, tab *[1 << 16]float32)

func init() {
	repackQ8 = func(dst, w []byte, rowBytes, rows, nb int) {
		_ = dst[nb*tileWBytes-1]
		_ = w[(rows-1)*rowBytes+nb*q8Bytes-1]
		repackQ8TileAsm(&dst[0], &w[0], rowBytes, rows, nb, f16tab)
		padTile(dst, rows, nb)
	}
	repackQ4 = func(dst, w []byte, rowBytes, rows, nb int) {
		_ = dst[nb*tileWBytes-1]
		_ = w[(rows-1)*rowBytes+nb*q4Bytes-1]
		repackQ4TileAsm(&dst[0], &w[0], rowBytes, rows, nb, f16tab)
		padTile(dst, rows, nb)
	}
}
