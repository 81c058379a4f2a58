package quant

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// detRow makes test data from integer arithmetic only, so that it is the same
// on every GOARCH: uniform values, and their cubes for a heavy tail.
func detRow(n int, seed uint64) []float32 {
	x := make([]float32, n)
	s := seed
	for i := range x {
		s ^= s << 13
		s ^= s >> 7
		s ^= s << 17
		u := float32(int32(s>>32)) / (1 << 31) // [-1, 1)
		if i%2 == 1 {
			u = float32(float32(u*u) * u)
		}
		x[i] = float32(u * 0.05)
	}
	return x
}

// Quantized bytes must not depend on the architecture (the converter's output
// should be the same file everywhere): the expressions that a compiler could
// fuse into FMA are written with explicit float32/float64 rounding. This hash
// was recorded on amd64 and must also hold on arm64 (run the test under
// qemu: GOARCH=arm64 go test -exec qemu-aarch64-static).
func TestQuantizeDeterministic(t *testing.T) {
	h := sha256.New()
	for _, typ := range quantTypes {
		for seed := uint64(1); seed <= 3; seed++ {
			x := detRow(4096, seed)
			q := quantized(t, typ, x)
			h.Write(q)
		}
	}
	const want = "88e15aff5501eb3fb32b37e83f554c51986256d080f30976a9e2076931a2221c"
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Errorf("hash of quantized test rows %s, want %s", got, want)
	}
}
