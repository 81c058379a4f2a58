//go:build !noasm

package asm

// tile16x8VNNI is tileKernelRef (see tile_q8q4.go) with AVX-512 VNNI; nb > 0.
//
//go:noescape
func tile16x8VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool) (bad bool)

// prefetchL2 requests the n > 0 bytes at p into L2 (PREFETCHT1 per line).
//
//go:noescape
func prefetchL2(p *byte, n int)

// repackQ8TileAsm and repackQ4TileAsm are repackQ8Tile and repackQ4Tile
// for the rows > 0 rows that exist (no padding), with scales from tab.
//
//go:noescape
func repackQ8TileAsm(dst *byte, w *byte, rowBytes, rows, nb int, tab *[1 << 16]float32)

//go:noescape
func repackQ4TileAsm(dst *byte, w *byte, rowBytes, rows, nb int, tab *[1 << 16]float32)

// repackQ8Asm and repackQ4Asm are repackQ8Tile and repackQ4Tile with
// AVX-512.
func repackQ8Asm(dst, w []byte, rowBytes, rows, nb int) {
	_ = dst[nb*tileWBytes-1]
	_ = w[(rows-1)*rowBytes+nb*q8Bytes-1]
	repackQ8TileAsm(&dst[0], &w[0], rowBytes, rows, nb, f16tab)
	padTile(dst, rows, nb)
}

func repackQ4Asm(dst, w []byte, rowBytes, rows, nb int) {
	_ = dst[nb*tileWBytes-1]
	_ = w[(rows-1)*rowBytes+nb*q4Bytes-1]
	repackQ4TileAsm(&dst[0], &w[0], rowBytes, rows, nb, f16tab)
	padTile(dst, rows, nb)
}
