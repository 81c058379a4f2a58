//go:build linux

package asm

import (
	"math/rand/v2"
	"testing"
)

// TestTileKNoOverread runs gemmQ4_KTiles and prepKTiles on slices that
// touch inaccessible pages at either end (see fenced).
func TestTileKNoOverread(t *testing.T) {
	checkKTilesNoOverread(t, 37, q4KBytes, q4KRows, gemmQ4_KTiles)
}

// TestTileK5NoOverread runs gemmQ5_KTiles on slices that touch
// inaccessible pages at either end (see fenced).
func TestTileK5NoOverread(t *testing.T) {
	checkKTilesNoOverread(t, 53, q5KBytes, q5KRows, gemmQ5_KTiles)
}

// TestTileK6NoOverread runs gemmQ6_KTiles on slices that touch
// inaccessible pages at either end (see fenced).
func TestTileK6NoOverread(t *testing.T) {
	checkKTilesNoOverread(t, 47, q6KBytes, q6KRows, gemmQ6_KTiles)
}

// checkKTilesNoOverread runs gemm (super-blocks of blockBytes, rows from
// rows) and prepKTiles on fenced slices, on every path.
func checkKTilesNoOverread(t *testing.T, seed uint64, blockBytes int, rows func(r *rand.Rand, n int) []byte, gemm tileGemmFn) {
	r := newRand(seed)
	forEachPath(t, func(t *testing.T) {
		for _, nb := range []int{1, 3} {
			for _, atEnd := range []bool{false, true} {
				for _, nx := range []int{2, 4, 8, 9, 11} {
					const nrows = 17
					w := fenced(t, nrows*nb*blockBytes, atEnd)
					copy(w, rows(r, nrows*nb))
					x := fenced(t, nx*nb*q8KBytes, !atEnd)
					copy(x, q8KRows(r, nx, nb, func(int) float64 { return 1 }))
					xt := fenced(t, kTilesBytes(nx, nb*qkK), atEnd)
					prepKTiles(xt, x, nx)
					out := make([]float32, nx*nrows)
					gemm(out, nrows, w, nrows, x, xt, nx)
				}
			}
		}
	})
}
