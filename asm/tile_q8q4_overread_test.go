//go:build linux

package asm

import "testing"

// TestTilesNoOverread runs gemmQ8_0Tiles and gemmQ4_0Tiles (the group
// unpackers and the tile kernels of every width) and prepTiles on slices
// that touch inaccessible pages at either end (see fenced).
func TestTilesNoOverread(t *testing.T) {
	r := newRand(31)
	rs := func(int) uint16 { return randScale(r) }
	forEachPath(t, func(t *testing.T) {
		for _, f := range []struct {
			wb   int
			gemm tileGemmFn
		}{{q8Bytes, gemmQ8_0Tiles}, {q4Bytes, gemmQ4_0Tiles}} {
			for _, nb := range []int{1, 3} {
				for _, atEnd := range []bool{false, true} {
					for _, nx := range []int{1, 2, 3, 4, 8, 9, 13} {
						const nrows = 32
						w := fenced(t, nrows*nb*f.wb, atEnd)
						copy(w, weights(r, f.wb, nrows*nb, rs))
						x := fenced(t, nx*nb*q8Bytes, !atEnd)
						copy(x, q8Blocks(nx*nb, rs, func() int8 { return int8(r.Uint32()) }))
						xt := fenced(t, q8TilesBytes(nx, nb*qk), atEnd)
						prepTiles(xt, x, nx)
						out := make([]float32, nx*nrows)
						f.gemm(out, nrows, w, nrows, x, xt, nx)
					}
				}
			}
		}
	})
}
