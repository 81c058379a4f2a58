//go:build noasm || !amd64

package asm

// Without assembly tiles the float GEMMs fall back to one dot per pair.
func tileF32(w []float32, ldw int, x []float32, ldx, n int, out *[16]float32) bool {
	return false
}

func tileBF16(w []uint16, ldw int, x []float32, ldx, n int, out *[16]float32) bool {
	return false
}

func tileF16(w []uint16, ldw int, x []float32, ldx, n int, out *[16]float32) bool {
	return false
}
