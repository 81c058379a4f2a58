//go:build (amd64 || arm64) && !noasm

package asm

import (
	"slices"
	"testing"
)

// TestPrepAsm checks the assembly activation preparation against the Go
// loop, extremes included.
func TestPrepAsm(t *testing.T) {
	prepAsm := table().prepQ8
	if prepAsm == nil {
		t.Skip("no assembly prep on this CPU")
	}
	r := newRand(10)
	for _, nb := range []int{1, 3, 33} {
		x := q8Blocks(nb, func(int) uint16 { return uint16(r.Uint32()) }, func() int8 { return int8(r.Uint32()) })
		ext := q8Blocks(nb, func(int) uint16 { return 0x7bff }, func() int8 { return -128 })
		for _, in := range [][]byte{x, ext} {
			for _, shift := range []uint{3, 7} {
				want := slices.Clone(*prepX(nil, in, nb, shift))
				got := make([]byte, nb*prepBytes+3)
				prepAsm(&got[1], &in[0], nb, uint64(shift))
				if !slices.Equal(got[1:1+nb*prepBytes], want) || got[0] != 0 || got[len(got)-2] != 0 {
					t.Fatalf("nb=%d shift=%d: assembly prep differs", nb, shift)
				}
			}
		}
	}
}
