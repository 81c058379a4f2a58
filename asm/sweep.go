package asm

// ReadSweep reads every byte of b as fast as this CPU can and returns a
// checksum (so the reads cannot be elided). It measures memory read
// bandwidth, the limit of matrix-vector products, in the same run as them.
func ReadSweep(b []byte) uint64 { return readSweep(b) }
