//go:build !amd64 || noasm

package asm

// tileFloat is never called here: no path of this build has float tiles.
func tileFloat(w *floatRows, r int, x []float32, j, k int, t *[16]float32) {
	panic("asm: no float tile kernel in this build")
}
