//go:build !amd64 || noasm

package asm

import "encoding/binary"

// readSweep returns the sum of the little-endian uint64 words of b (whole
// words only); it exists only to measure read bandwidth.
func readSweep(b []byte) uint64 {
	var s0, s1, s2, s3 uint64
	for ; len(b) >= 32; b = b[32:] {
		s0 += binary.LittleEndian.Uint64(b)
		s1 += binary.LittleEndian.Uint64(b[8:])
		s2 += binary.LittleEndian.Uint64(b[16:])
		s3 += binary.LittleEndian.Uint64(b[24:])
	}
	return s0 + s1 + s2 + s3
}
