package asm

import (
	"bytes"
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
		// (200 blocks: several K-chunks of the driver, the last
		// partial; 70 rows: two sets of groups, the second's partial; 41
		// activations: a block of 4 tiles and a partial one.)
		for _, nb := range []int{1, 3, 64, 200} {
			for _, nrows := range []int{1, 15, 16, 17, 40, 70} {
				for _, nx := range []int{1, 7, 8, 9, 20, 41} {
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
					if (nb == 3 || nb == 200) && (nrows == 17 || nrows == 70) {
						// an infinite scale (in a later K-chunk for 200
						// blocks; in the second set of groups for 70
						// rows): the result is the reference's
						binary.LittleEndian.PutUint16(w[(nrows-12)*rowBytes+(nb/2)*wb:], 0x7c00)
					}
					xt := make([]byte, q8TilesBytes(nx, nb*qk))
					prepTiles(xt, x, nx)
					runGuarded(t, gemm, w, nrows, x, xt, nx, func(j, rr int, v float32) {
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
					})
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

// TestTileNarrow checks the 4- and 2-activation tile kernels of each path
// that has them against the 8-wide kernel, bit for bit, with and without
// acc, and that they report non-finite sums and write only their rows.
func TestTileNarrow(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		k := table()
		if k.tile4 == nil && k.tile2 == nil {
			t.Skip("no narrow tile kernels")
		}
		r := newRand(13)
		for _, c := range []struct {
			f     tileFunc
			width int
		}{{k.tile4, 4}, {k.tile2, 2}} {
			for _, nb := range []int{1, 2, 5, 64} {
				w, x := randQ8Tile(r, nb)
				for _, acc := range []bool{false, true} {
					got, want := tileOuts()
					const ldo = tileLdo
					if bad := c.f(&got[1], ldo, &w[0], &x[0], nb, acc); bad {
						t.Fatalf("width %d nb=%d acc=%v: reported non-finite", c.width, nb, acc)
					}
					k.tile(&want[1], ldo, &w[0], &x[0], nb, acc)
					for i := range got {
						j, rr := (i-1)/ldo, (i-1)%ldo
						if i > 0 && j < c.width && rr < tileRows {
							if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
								t.Fatalf("width %d nb=%d acc=%v: out[%d][%d] = %g, 8-wide %g", c.width, nb, acc, j, rr, got[i], want[i])
							}
						} else if got[i] != tileOut(i) {
							t.Fatalf("width %d nb=%d acc=%v: out[%d] = %g written", c.width, nb, acc, i, got[i])
						}
					}
					w2 := infScale(w, nb)
					if !c.f(&got[1], ldo, &w2[0], &x[0], nb, acc) {
						t.Fatalf("width %d nb=%d acc=%v: an infinite scale is not reported", c.width, nb, acc)
					}
				}
			}
		}
	})
}

// TestRepackQ8Q4 checks each path's group unpackers against the Go ones
// byte for byte: full groups (the transposing kernels) and partial ones,
// rows further apart than their length, hostile block scales (infinite,
// NaN, subnormal, negative zero) among random ones.
func TestRepackQ8Q4(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		k := table()
		r := newRand(29)
		for _, f := range []struct {
			name      string
			wb        int
			got, want repackFunc
		}{{"q8_0", q8Bytes, k.repackQ8, repackQ8Tile}, {"q4_0", q4Bytes, k.repackQ4, repackQ4Tile}} {
			for _, nb := range []int{1, 3, 64, tileMaxBlocks + 3} {
				for _, rows := range []int{1, 7, 15, 16} {
					rowBytes := nb*f.wb + 5
					w := make([]byte, rows*rowBytes)
					for i := range w {
						w[i] = byte(r.Uint32())
					}
					for i := range rows {
						for b := range nb {
							binary.LittleEndian.PutUint16(w[i*rowBytes+b*f.wb:], randScale(r))
						}
					}
					for i, h := range []uint16{0x7c00, 0xfc00, 0x7e00, 0x0001, 0x83ff, 0x8000} {
						blk := (i * 7) % (rows * nb)
						binary.LittleEndian.PutUint16(w[blk/nb*rowBytes+blk%nb*f.wb:], h)
					}
					got := make([]byte, nb*tileWBytes)
					want := make([]byte, nb*tileWBytes)
					for i := range got {
						got[i], want[i] = 0xa5, 0xa5
					}
					f.got(got, w, rowBytes, rows, nb)
					f.want(want, w, rowBytes, rows, nb)
					if !bytes.Equal(got, want) {
						i := 0
						for got[i] == want[i] {
							i++
						}
						t.Fatalf("%s nb=%d rows=%d: byte %d (block %d, offset %d) = %#x, want %#x",
							f.name, nb, rows, i, i/tileWBytes, i%tileWBytes, got[i], want[i])
					}
				}
			}
		}
	})
}

// TestPrepTiles checks prepTiles byte for byte against the layout of
// tile_q8q4.go written out plainly, for whole and partial tiles, with
// extreme values (sums of -128s and of 127s) among random ones.
func TestPrepTiles(t *testing.T) {
	r := newRand(37)
	for _, nb := range []int{1, 3} {
		for _, nx := range []int{1, 2, 7, 8, 9, 17} {
			x := q8Blocks(nx*nb, func(int) uint16 { return randScale(r) }, func() int8 { return int8(r.Uint32()) })
			for i := range qk {
				x[2+i] = 0x80
				if nx*nb > 1 {
					x[q8Bytes+2+i] = 0x7f
				}
			}
			got := make([]byte, q8TilesBytes(nx, nb*qk))
			for i := range got {
				got[i] = 0xa5
			}
			prepTiles(got, x, nx)
			want := make([]byte, len(got))
			for j := range (nx + tileCols - 1) / tileCols * tileCols {
				for b := range nb {
					blk := want[(j/tileCols*nb+b)*tileXBytes:]
					jj := j % tileCols
					if j >= nx {
						continue
					}
					src := x[(j*nb+b)*q8Bytes:][:q8Bytes]
					copy(blk[32*jj:], src[2:])
					var s int32
					for _, v := range src[2:] {
						s += int32(int8(v))
					}
					binary.LittleEndian.PutUint32(blk[256+4*jj:], uint32(-128*s))
					binary.LittleEndian.PutUint32(blk[288+4*jj:], math.Float32bits(quant.F16ToF32(binary.LittleEndian.Uint16(src))))
				}
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("nb=%d nx=%d: prepared tiles differ", nb, nx)
			}
		}
	}
}
