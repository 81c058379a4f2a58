//go:build linux

package asm

import "testing"

// TestTileK5NoOverread runs GemmQ5_KTiles on slices that touch
// inaccessible pages at either end (see fenced).
func TestTileK5NoOverread(t *testing.T) {
	r := newRand(53)
	forEachPath(t, func(t *testing.T) {
		for _, nb := range []int{1, 3} {
			for _, atEnd := range []bool{false, true} {
				for _, nx := range []int{8, 9} {
					const rows = 17
					w := fenced(t, rows*nb*q5KBytes, atEnd)
					copy(w, q5KRows(r, rows*nb))
					x := fenced(t, nx*nb*q8KBytes, !atEnd)
					copy(x, q8KRows(r, nx, nb, func(int) float64 { return 1 }))
					xt := fenced(t, KTilesBytes(nx, nb*qkK), atEnd)
					PrepKTiles(xt, x, nx)
					out := make([]float32, nx*rows)
					GemmQ5_KTiles(out, rows, w, rows, x, xt, nx)
				}
			}
		}
	})
}
