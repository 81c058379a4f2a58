//go:build !noasm

package asm

// repackQ5KTileAsm is repackQ5KTile (rows 1..16) with AVX-512 (see
// repackQ4KTileAsm); the values of missing rows are zeroed too.
//
//go:noescape
func repackQ5KTileAsm(dst *byte, w *byte, idx *[16]int32, rows, nb int)

// repackQ5KAsm is repackQ4KAsm for Q5_K.
func repackQ5KAsm(dst, w []byte, rowBytes, rows, nb int) {
	repackKAsm(q5KBytes, kWBytes, repackQ5KTile, dst, w, rowBytes, rows, nb)
}
