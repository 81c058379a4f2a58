//go:build linux

package asm

import (
	"testing"
)

// TestNoOverread runs every kernel on arguments that touch inaccessible
// pages at either end: the test crashes if a kernel reads (or writes) a
// byte outside its slices.
func TestNoOverread(t *testing.T) {
	r := newRand(11)
	rs := func(int) uint16 { return randScale(r) }
	forEachPath(t, func(t *testing.T) {
		for _, nb := range []int{1, 3, 64} {
			for _, atEnd := range []bool{false, true} {
				for _, f := range formats {
					const rows = 13
					w := fenced(t, rows*nb*f.wb, atEnd)
					copy(w, weights(r, f.wb, rows*nb, rs))
					x := fenced(t, 2*nb*q8Bytes, !atEnd)
					copy(x, q8Blocks(2*nb, rs, func() int8 { return int8(r.Uint32()) }))
					out := make([]float32, 2*rows)
					if f.wb == q8Bytes {
						dotQ8_0(w[:nb*f.wb], x[:nb*q8Bytes])
						gemvQ8_0(out[:rows], w, x[nb*q8Bytes:])
						gemmQ8_0(out, rows, w, rows, x, 2)
					} else {
						dotQ4_0(w[:nb*f.wb], x[:nb*q8Bytes])
						gemvQ4_0(out[:rows], w, x[nb*q8Bytes:])
						gemmQ4_0(out, rows, w, rows, x, 2)
					}
				}
				xs := fenced(t, 4*nb*qk, atEnd)
				for i := range len(xs) / 4 {
					putF32(xs[4*i:], float32(r.NormFloat64()))
				}
				fx := bytesF32(xs)
				q := fenced(t, nb*q8Bytes, !atEnd)
				QuantizeQ8_0(q, fx)
				h := bytesU16(fenced(t, 2*nb*qk, !atEnd))
				y := bytesF32(fenced(t, 4*nb*qk, !atEnd))
				dotF32(fx, y)
				AxpyF32(0.5, fx, y)
				scaleF32(0.5, y)
				dotF16(h, fx)
				dotBF16(h, fx)
				axpyF16(0.5, h, y)
				axpyBF16(0.5, h, y)
			}
		}
	})
}
