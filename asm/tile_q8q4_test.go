package asm

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/exaone-go/exaone/quant"
)

// TestTileKernel checks the tile kernel of each path that has one against
// tileKernelRef on random prepared data: integer sums are exact, so the
// results agree to float rounding; the guard values around the tile stay.
func TestTileKernel(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		f := tileKernel()
		if f == nil {
			t.Skip("no tile kernel")
		}
		r := newRand(7)
		for _, nb := range []int{1, 2, 5, 64} {
			w, x := randQ8Tile(r, nb)
			for _, acc := range []bool{false, true} {
				got, want := tileOuts()
				const ldo = tileLdo
				gb := f(&got[1], ldo, &w[0], &x[0], nb, acc)
				wantBad := tileKernelRef(&want[1], ldo, &w[0], &x[0], nb, acc)
				if gb != wantBad || gb {
					t.Fatalf("nb=%d acc=%v: reported non-finite %v, reference %v", nb, acc, gb, wantBad)
				}
				for i := range got {
					if d := math.Abs(float64(got[i] - want[i])); d > 1e-5*(1+math.Abs(float64(want[i]))) {
						t.Fatalf("nb=%d acc=%v: out[%d] = %g, want %g", nb, acc, i, got[i], want[i])
					}
				}
				// An infinite weight scale is reported.
				w2 := infScale(w, nb)
				if !f(&got[1], ldo, &w2[0], &x[0], nb, acc) || !tileKernelRef(&want[1], ldo, &w2[0], &x[0], nb, acc) {
					t.Fatalf("nb=%d acc=%v: an infinite scale is not reported", nb, acc)
				}
			}
		}
	})
}

// TestGemmTiles checks gemmQ8_0Tiles and gemmQ4_0Tiles on every path
// against the quant dot products, with odd sizes, guard values, a row
// stride larger than the rows, and (through the reference kernel) the
// prepare and unpack steps on every machine.
func TestGemmTiles(t *testing.T) {
	check := func(t *testing.T, gemm func(out []float32, ldo int, w []byte, nrows int, x, xt []byte, nx int),
		dot func(w, x []byte) float32, wb int, strict bool) {
		r := newRand(11)
		// (The paths without tiles run gemmQ8_0/gemmQ4_0, tested
		// elsewhere with their own tolerances; here only the guards.)
		const tol = 1e-6
		for _, nb := range []int{1, 3, 64} {
			for _, nrows := range []int{1, 15, 16, 17, 40} {
				for _, nx := range []int{1, 7, 8, 9, 20} {
					rowBytes := nb * wb
					w := make([]byte, nrows*rowBytes)
					for i := range w {
						w[i] = byte(r.IntN(256))
					}
					for rr := range nrows {
						for b := range nb {
							binary.LittleEndian.PutUint16(w[rr*rowBytes+b*wb:], randScale(r))
						}
					}
					x := q8Blocks(nx*nb, func(int) uint16 { return randScale(r) }, func() int8 { return int8(r.IntN(255) - 127) })
					if nb == 3 && nrows == 17 {
						// an infinite scale: the result is the reference's
						binary.LittleEndian.PutUint16(w[5*rowBytes+wb:], 0x7c00)
					}
					xt := make([]byte, q8TilesBytes(nx, nb*qk))
					prepTiles(xt, x, nx)
					out, ldo := runGuarded(t, gemm, w, nrows, x, xt, nx)
					for i, v := range out {
						j, rr := i/ldo, i%ldo
						if j >= nx || rr >= nrows {
							continue
						}
						want := dot(w[rr*rowBytes:][:rowBytes], x[j*nb*q8Bytes:][:nb*q8Bytes])
						// rounding is relative to the size of the terms
						var mag float64
						for b := range nb {
							mag += math.Abs(float64(dot(w[rr*rowBytes+b*wb:][:wb], x[(j*nb+b)*q8Bytes:][:q8Bytes])))
						}
						if strict && !(math.Abs(float64(v-want)) <= tol*mag) &&
							!(math.IsNaN(float64(v)) && math.IsNaN(float64(want))) && v != want {
							t.Fatalf("nb=%d nrows=%d nx=%d: out[%d][%d] = %g, want %g", nb, nrows, nx, j, rr, v, want)
						}
					}
				}
			}
		}
	}
	forEachPath(t, func(t *testing.T) {
		t.Run("q8_0", func(t *testing.T) { check(t, gemmQ8_0Tiles, quant.DotQ8_0, q8Bytes, hasTiles()) })
		t.Run("q4_0", func(t *testing.T) { check(t, gemmQ4_0Tiles, quant.DotQ4_0, q4Bytes, hasTiles()) })
	})
	// The Go reference kernel with the same driver, on any machine.
	ref := func(dot func(w, x []byte) float32, repack func(dst, w []byte, rowBytes, rows, nb int), wb int) func([]float32, int, []byte, int, []byte, []byte, int) {
		return func(out []float32, ldo int, w []byte, nrows int, x, xt []byte, nx int) {
			gemmTiles(&q8TileShape, tileSet{tileKernelRef}, nil, repack, dot, wb, tileWBytes, out, ldo, w, nrows, x, xt, nx)
		}
	}
	t.Run("ref/q8_0", func(t *testing.T) { check(t, ref(quant.DotQ8_0, repackQ8Tile, q8Bytes), quant.DotQ8_0, q8Bytes, true) })
	t.Run("ref/q4_0", func(t *testing.T) { check(t, ref(quant.DotQ4_0, repackQ4Tile, q4Bytes), quant.DotQ4_0, q4Bytes, true) })
}

// BenchmarkTileKernel reports the multiply-adds per second of the tile
// kernel on an L1/L2-resident 16-row group (2048 columns).
func BenchmarkTileKernel(b *testing.B) {
	f := tileKernel()
	if f == nil {
		b.Skip("no tile kernel")
	}
	const nb = 64
	w := make([]byte, nb*tileWBytes)
	x := make([]byte, nb*tileXBytes)
	out := make([]float32, 8*16)
	for i := 0; i < b.N; i++ {
		f(&out[0], 16, &w[0], &x[0], nb, false)
	}
	b.ReportMetric(float64(b.N)*16*8*nb*qk/b.Elapsed().Seconds()/1e9, "GMAC/s")
}

// BenchmarkGemmTiles reports multiply-adds per second of gemmQ8_0Tiles and
// gemmQ4_0Tiles on a 256 x 2048 matrix and 512 activation rows.
func BenchmarkGemmTiles(b *testing.B) {
	const nb, nrows, nx = 64, 256, 512
	for _, c := range []struct {
		name string
		wb   int
		f    func(out []float32, ldo int, w []byte, nrows int, x, xt []byte, nx int)
	}{{"q8_0", q8Bytes, gemmQ8_0Tiles}, {"q4_0", q4Bytes, gemmQ4_0Tiles}} {
		b.Run(c.name, func(b *testing.B) {
			w := make([]byte, nrows*nb*c.wb)
			x := make([]byte, nx*nb*q8Bytes)
			xt := make([]byte, q8TilesBytes(nx, nb*qk))
			prepTiles(xt, x, nx)
			out := make([]float32, nx*nrows)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c.f(out, nrows, w, nrows, x, xt, nx)
			}
			b.ReportMetric(float64(b.N)*nrows*nx*nb*qk/b.Elapsed().Seconds()/1e9, "GMAC/s")
		})
	}
}
