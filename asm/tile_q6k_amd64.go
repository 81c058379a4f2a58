//go:build !noasm

package asm

import "math"

// tileK6x16x8VNNI is tileK6KernelRef (see tile_q6k.go) with AVX-512 VNNI;
// nb > 0.
//
//go:noescape
func tileK6x16x8VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool)

// repackQ6KTileAsm is repackQ6KTile (rows 1..16) with AVX-512 (see
// repackQ4KTileAsm); the values of missing rows are zeroed too.
//
//go:noescape
func repackQ6KTileAsm(dst *byte, w *byte, idx *[16]int32, rows, nb int)

// repackQ6KAsm is repackQ6KTileAsm with its arguments checked, in calls of
// at most tileKMaxBlocks super-blocks, like repackQ4KAsm.
func repackQ6KAsm(dst, w []byte, rowBytes, rows, nb int) {
	if (tileRows-1)*rowBytes > math.MaxInt32 {
		repackQ6KTile(dst, w, rowBytes, rows, nb)
		return
	}
	_ = dst[nb*k6WBytes-1]
	_ = w[(rows-1)*rowBytes+nb*q6KBytes-1]
	var idx [tileRows]int32
	for i := range rows {
		idx[i] = int32(i * rowBytes)
	}
	for b := 0; b < nb; b += tileKMaxBlocks {
		repackQ6KTileAsm(&dst[b*k6WBytes], &w[b*q6KBytes], &idx, rows, min(tileKMaxBlocks, nb-b))
	}
}
