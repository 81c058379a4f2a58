//go:build !noasm

package asm

// readSweep returns the sum of the little-endian uint64 words of p[:n]
// (n a positive multiple of 256) with 256-bit loads. It exists only to
// measure the read bandwidth the GEMV kernels are compared with.
//
//go:noescape
func readSweepAVX2(p *byte, n int) uint64

func readSweep(b []byte) uint64 {
	n := len(b) &^ 255
	if n == 0 {
		return 0
	}
	return readSweepAVX2(&b[0], n)
}
