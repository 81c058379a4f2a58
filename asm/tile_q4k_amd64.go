//go:build !noasm

package asm

import "math"

// tileK16x8VNNI is tileKKernelRef (see tile_q4k.go) with AVX-512 VNNI; nb > 0.
//
//go:noescape
func tileK16x8VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool)

// repackQ4KTileAsm is repackQ4KTile (rows 1..16) with AVX-512: the values
// by a transpose in registers, the scales by gathers; row i starts idx[i]
// bytes after w. The scales of missing rows are zeroed like their values.
//
//go:noescape
func repackQ4KTileAsm(dst *byte, w *byte, idx *[16]int32, rows, nb int)

// repackQ4KAsm is repackQ4KTileAsm with its arguments checked, in calls of
// at most tileKMaxBlocks super-blocks (Go assembly is not preemptible);
// the row offsets are int32 (rows of up to 2^31/15 bytes, else the Go
// version). Missing rows read row 0 (offset 0), masked out.
func repackQ4KAsm(dst, w []byte, rowBytes, rows, nb int) {
	if (tileRows-1)*rowBytes > math.MaxInt32 {
		repackQ4KTile(dst, w, rowBytes, rows, nb)
		return
	}
	_ = dst[nb*kWBytes-1]
	_ = w[(rows-1)*rowBytes+nb*q4KBytes-1]
	var idx [tileRows]int32
	for i := range rows {
		idx[i] = int32(i * rowBytes)
	}
	for b := 0; b < nb; b += tileKMaxBlocks {
		repackQ4KTileAsm(&dst[b*kWBytes], &w[b*q4KBytes], &idx, rows, min(tileKMaxBlocks, nb-b))
	}
}
