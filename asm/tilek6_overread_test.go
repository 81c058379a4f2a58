//go:build linux

package asm

import "testing"

// TestTileK6NoOverread runs GemmQ6_KTiles on slices that touch
// inaccessible pages at either end (see fenced).
func TestTileK6NoOverread(t *testing.T) {
	r := newRand(47)
	forEachPath(t, func(t *testing.T) {
		for _, nb := range []int{1, 3} {
			for _, atEnd := range []bool{false, true} {
				for _, nx := range []int{8, 9} {
					const rows = 17
					w := fenced(t, rows*nb*q6KBytes, atEnd)
					copy(w, q6KRows(r, rows*nb))
					x := fenced(t, nx*nb*q8KBytes, !atEnd)
					copy(x, q8KRows(r, nx, nb, func(int) float64 { return 1 }))
					xt := fenced(t, KTilesBytes(nx, nb*qkK), atEnd)
					PrepKTiles(xt, x, nx)
					out := make([]float32, nx*rows)
					GemmQ6_KTiles(out, rows, w, rows, x, xt, nx)
				}
			}
		}
	})
}
