//go:build !noasm

package asm

// tileK16x4VNNI and tileK16x2VNNI are tileK16x8VNNI (Q4_K and Q5_K
// groups) on the first 4 and 2 activations of the tile; tileK6x16x4VNNI
// and tileK6x16x2VNNI are tileK6x16x8VNNI (Q6_K) on them. nb > 0.
//
//go:noescape
func tileK16x4VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool)

//go:noescape
func tileK16x2VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool)

//go:noescape
func tileK6x16x4VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool)

//go:noescape
func tileK6x16x2VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool)
