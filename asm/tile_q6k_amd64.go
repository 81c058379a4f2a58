//go:build !noasm

package asm

// tileK6x16x8VNNI is tileK6KernelRef (see tile_q6k.go) with AVX-512 VNNI;
// nb > 0. tileK6x16x4VNNI and tileK6x16x2VNNI are it on the first 4 and 2
// activations of the tile.
//
//go:noescape
func tileK6x16x8VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool)

//go:noescape
func tileK6x16x4VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool)

//go:noescape
func tileK6x16x2VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool)

// repackQ6KTileAsm is repackQ6KTile (rows 1..16) with AVX-512 (see
// repackQ4KTileAsm); the values of missing rows are zeroed too.
//
//go:noescape
func repackQ6KTileAsm(dst *byte, w *byte, idx *[16]int32, rows, nb int)

// repackQ6KAsm is repackQ4KAsm for Q6_K.
func repackQ6KAsm(dst, w []byte, rowBytes, rows, nb int) {
	repackKAsm(q6KBytes, k6WBytes, repackQ6KTile, dst, w, rowBytes, rows, nb)
}
