//go:build !noasm

package asm

import "math"

// repackQ5KTileAsm is repackQ5KTile (rows 1..16) with AVX-512 (see
// repackQ4KTileAsm); the values of missing rows are zeroed too.
//
//go:noescape
func repackQ5KTileAsm(dst *byte, w *byte, idx *[16]int32, rows, nb int)

// repackQ5KAsm is repackQ5KTileAsm with its arguments checked, in calls of
// at most tileKMaxBlocks super-blocks, like repackQ4KAsm.
func repackQ5KAsm(dst, w []byte, rowBytes, rows, nb int) {
	if (tileRows-1)*rowBytes > math.MaxInt32 {
		repackQ5KTile(dst, w, rowBytes, rows, nb)
		return
	}
	_ = dst[nb*kWBytes-1]
	_ = w[(rows-1)*rowBytes+nb*q5KBytes-1]
	var idx [tileRows]int32
	for i := range rows {
		idx[i] = int32(i * rowBytes)
	}
	for b := 0; b < nb; b += tileKMaxBlocks {
		repackQ5KTileAsm(&dst[b*kWBytes], &w[b*q5KBytes], &idx, rows, min(tileKMaxBlocks, nb-b))
	}
}
