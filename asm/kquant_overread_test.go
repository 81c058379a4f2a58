//go:build linux

package asm

import "testing"

// TestKNoOverread runs the K-quant kernels on slices that touch
// inaccessible pages at either end (see fenced).
func TestKNoOverread(t *testing.T) {
	r := newRand(18)
	forEachPath(t, func(t *testing.T) {
		for _, nb := range []int{1, 3} {
			for _, atEnd := range []bool{false, true} {
				for _, f := range kformats {
					const rows = 9
					w := fenced(t, rows*nb*f.wb, atEnd)
					copy(w, kWeights(r, f.wb, rows*nb, func(int) uint16 { return randScale(r) }))
					x := fenced(t, 8*nb*q8KBytes, !atEnd)
					copy(x, kActs(8*nb, func(int) float32 { return randDx(r) }, func() int8 { return int8(r.Uint32()) }))
					out := make([]float32, 8*rows)
					f.dot(w[:nb*f.wb], x[:nb*q8KBytes])
					f.gemv(out[:rows], w, x[7*nb*q8KBytes:])
					f.gemm(out, rows, w, rows, x, 8)
				}
				v := make([]float32, 2*nb*qkK)
				q := fenced(t, 2*nb*q8KBytes, atEnd)
				quantizeQ8_K(q, v)
			}
		}
	})
}
