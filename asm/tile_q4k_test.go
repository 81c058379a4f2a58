package asm

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/exaone-go/exaone/quant"
)

// q4KRows returns n random Q4_K super-blocks (random values and packed
// scales) with random finite f16 d and dmin of either sign.
func q4KRows(r *rand.Rand, n int) []byte {
	w := kWeights(r, q4KBytes, n, func(int) uint16 { return randScale(r) })
	for b := range n {
		binary.LittleEndian.PutUint16(w[b*q4KBytes+2:], randScale(r))
	}
	return w
}

// q8KRows returns nx rows of nb Q8_K super-blocks quantized from random
// floats; row j is scaled by scale(j).
func q8KRows(r *rand.Rand, nx, nb int, scale func(j int) float64) []byte {
	x := make([]byte, nx*nb*q8KBytes)
	for j := range nx {
		v := make([]float32, nb*qkK)
		s := scale(j)
		for i := range v {
			v[i] = float32(r.NormFloat64() * s)
		}
		quant.QuantizeQ8_K(x[j*nb*q8KBytes:][:nb*q8KBytes], v)
	}
	return x
}

// TestTileKKernel checks the Q4_K tile kernel of each path that has one
// against tileKKernelRef on random prepared data, bit for bit (both do the
// reference's exact integer sums and float steps), with and without acc;
// the guard values around the tile stay.
func TestTileKKernel(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		f := tileKKernel()
		if f == nil {
			t.Skip("no tile kernel")
		}
		r := newRand(21)
		for _, nb := range []int{1, 2, 5} {
			w := make([]byte, nb*kWBytes)
			x := make([]byte, nb*kXBytes)
			for i := range x {
				x[i] = byte(r.Uint32())
			}
			for i := range w[:4096] {
				for b := range nb {
					w[b*kWBytes+i] = byte(r.IntN(16))
				}
			}
			for b := range nb {
				blk := w[b*kWBytes:]
				for i := range 128 {
					m := uint32(r.IntN(64))
					binary.LittleEndian.PutUint32(blk[4096+4*i:], uint32(r.IntN(64)))
					binary.LittleEndian.PutUint32(blk[4608+4*i:], m|m<<16)
				}
				for i := range 32 {
					binary.LittleEndian.PutUint32(blk[5120+4*i:], math.Float32bits(float32(r.NormFloat64())))
				}
				for j := range tileCols {
					binary.LittleEndian.PutUint32(x[b*kXBytes+2304+4*j:], math.Float32bits(float32(r.NormFloat64())))
				}
			}
			for _, acc := range []bool{false, true} {
				const ldo = 21
				got := make([]float32, 8*ldo+3)
				want := make([]float32, len(got))
				for i := range got {
					got[i] = float32(i) + 0.5
					want[i] = got[i]
				}
				f(&got[1], ldo, &w[0], &x[0], nb, acc)
				tileKKernelRef(&want[1], ldo, &w[0], &x[0], nb, acc)
				for i := range got {
					if !sameBits(got[i], want[i]) {
						t.Fatalf("nb=%d acc=%v: out[%d] = %g, want %g", nb, acc, i, got[i], want[i])
					}
				}
			}
		}
	})
}

// TestGemmQ4_KTiles checks GemmQ4_KTiles on every path against
// quant.DotQ4_K bit for bit (see checkGemmKTiles; hostile values go to d
// and dmin), and the same driver with the Go reference kernel on any
// machine.
func TestGemmQ4_KTiles(t *testing.T) {
	hostile := hostileDMin(q4KBytes)
	nbs := []int{1, 3, 8, 11, tileKMaxBlocks + 3}
	forEachPath(t, func(t *testing.T) {
		checkGemmKTiles(t, 23, GemmQ4_KTiles, quant.DotQ4_K, q4KBytes, q4KRows, hostile, nbs)
	})
	t.Run("ref", func(t *testing.T) {
		checkGemmKTiles(t, 23, func(out []float32, ldo int, w []byte, nrows int, x, xt []byte, nx int) {
			gemmKTiles(tileKKernelRef, nil, repackQ4KTile, q4KBytes, kWBytes, out, ldo, w, nrows, x, xt, nx)
		}, quant.DotQ4_K, q4KBytes, q4KRows, hostile, nbs[:4])
	})
}

// hostileDMin returns the hostile-scale writer of checkGemmKTiles and
// checkRepackK for Q4_K and Q5_K (blocks of blockBytes): the i-th value
// goes to d (i even) or dmin (i odd).
func hostileDMin(blockBytes int) func(w []byte, blk, i int, h uint16) {
	return func(w []byte, blk, i int, h uint16) {
		binary.LittleEndian.PutUint16(w[blk*blockBytes+2*(i%2):], h)
	}
}

// TestGemmQ4_KTilesExtremes checks GemmQ4_KTiles with every integer sum at
// its limits: all values, scales and mins at their maximum or zero, and
// activations all -128 or 127.
func TestGemmQ4_KTilesExtremes(t *testing.T) {
	const nb, nrows, nx = 2, 17, 9
	one := func(int) float32 { return 1 }
	forEachPath(t, func(t *testing.T) {
		for _, xq := range []int8{-128, 127} {
			x := kActs(nx*nb, one, func() int8 { return xq })
			for _, fill := range []byte{0xff, 0x00, 0xf0, 0x0f} {
				w := make([]byte, nrows*nb*q4KBytes)
				for i := range w {
					w[i] = fill
				}
				for b := range nrows * nb {
					binary.LittleEndian.PutUint16(w[b*q4KBytes:], 0x3c00)
					binary.LittleEndian.PutUint16(w[b*q4KBytes+2:], 0x3800)
				}
				xt := make([]byte, KTilesBytes(nx, nb*qkK))
				PrepKTiles(xt, x, nx)
				out := make([]float32, nx*nrows)
				GemmQ4_KTiles(out, nrows, w, nrows, x, xt, nx)
				rowBytes := nb * q4KBytes
				for j := range nx {
					for rr := range nrows {
						want := quant.DotQ4_K(w[rr*rowBytes:][:rowBytes], x[j*nb*q8KBytes:][:nb*q8KBytes])
						if got := out[j*nrows+rr]; !sameBits(got, want) {
							t.Fatalf("x=%d fill=%#x: out[%d][%d] = %g, want %g", xq, fill, j, rr, got, want)
						}
					}
				}
			}
		}
	})
}

// TestRepackQ4K checks the group unpacking in use (the assembly on amd64)
// against repackQ4KTile (see checkRepackK).
func TestRepackQ4K(t *testing.T) {
	if tileKKernel() == nil {
		t.Skip("no tile kernel (the unpacking may need its instructions)")
	}
	checkRepackK(t, 27, []int{1, 3, 8}, q4KBytes, kWBytes, q4KRows, hostileDMin(q4KBytes), table().repackQ4K, repackQ4KTile)
}

// checkRepackK checks the group unpacking repack against its reference ref
// byte for byte, for full and partial groups of nbs super-blocks (of
// blockBytes, unpacked to gBytes; rows from rows), with infinite, NaN and
// subnormal f16 scales (put by hostile) among the random ones.
func checkRepackK(t *testing.T, seed uint64, nbs []int, blockBytes, gBytes int, rows func(r *rand.Rand, n int) []byte,
	hostile func(w []byte, blk, i int, h uint16), repack, ref func(dst, w []byte, rowBytes, rows, nb int)) {
	r := newRand(seed)
	for _, nb := range nbs {
		for nr := 1; nr <= tileRows; nr++ {
			rowBytes := nb * blockBytes
			w := rows(r, nr*nb)
			for i, h := range []uint16{0x7c00, 0xfc00, 0x7e00, 0x0001, 0x83ff} {
				hostile(w, (i*5)%(nr*nb), i, h)
			}
			got := make([]byte, nb*gBytes)
			want := make([]byte, nb*gBytes)
			for i := range got {
				got[i] = byte(i)
			}
			repack(got, w, rowBytes, nr, nb)
			ref(want, w, rowBytes, nr, nb)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("nb=%d rows=%d: byte %d (of super-block %d) = %#x, want %#x", nb, nr, i, i/gBytes, got[i], want[i])
				}
			}
		}
	}
}

// TestPrepKTilesSplit checks that preparing tile by tile (as callers split
// the work) gives the same bytes as preparing all rows at once.
func TestPrepKTilesSplit(t *testing.T) {
	r := newRand(29)
	const nb, nx = 2, 19
	x := q8KRows(r, nx, nb, func(int) float64 { return 1 })
	all := make([]byte, KTilesBytes(nx, nb*qkK))
	PrepKTiles(all, x, nx)
	split := make([]byte, len(all))
	for i := range split {
		split[i] = 0xa5
	}
	xrow := nb * q8KBytes
	tb := KTilesBytes(8, nb*qkK)
	for tt := 0; tt*8 < nx; tt++ {
		k := min(8, nx-8*tt)
		PrepKTiles(split[tt*tb:], x[8*tt*xrow:(8*tt+k)*xrow], k)
	}
	if string(all) != string(split) {
		t.Fatal("tile-by-tile preparation differs")
	}
}

// BenchmarkGemmQ4_KTiles reports multiply-adds per second of
// GemmQ4_KTiles (preparation excluded) and of GemmQ4_K on the same 2048 x
// 2048 Q4_K matrix and 512 activation rows, one thread.
func BenchmarkGemmQ4_KTiles(b *testing.B) {
	const nrows, cols, nx = 2048, 2048, 512
	nb := cols / qkK
	r := newRand(31)
	w := q4KRows(r, nrows*nb)
	x := q8KRows(r, nx, nb, func(int) float64 { return 1 })
	xt := make([]byte, KTilesBytes(nx, cols))
	PrepKTiles(xt, x, nx)
	out := make([]float32, nx*nrows)
	b.Run("tiles", func(b *testing.B) {
		for b.Loop() {
			GemmQ4_KTiles(out, nrows, w, nrows, x, xt, nx)
		}
		b.ReportMetric(float64(b.N)*nrows*nx*cols/b.Elapsed().Seconds()/1e9, "GMAC/s")
	})
	b.Run("gemm", func(b *testing.B) {
		for b.Loop() {
			GemmQ4_K(out, nrows, w, nrows, x, nx)
		}
		b.ReportMetric(float64(b.N)*nrows*nx*cols/b.Elapsed().Seconds()/1e9, "GMAC/s")
	})
}

// BenchmarkTileKKernel reports the multiply-adds per second of the Q4_K
// tile kernel on an L1/L2-resident group (2048 columns).
func BenchmarkTileKKernel(b *testing.B) {
	f := tileKKernel()
	if f == nil {
		b.Skip("no tile kernel")
	}
	const nb = 8
	w := make([]byte, nb*kWBytes)
	x := make([]byte, nb*kXBytes)
	out := make([]float32, 8*16)
	for b.Loop() {
		f(&out[0], 16, &w[0], &x[0], nb, false)
	}
	b.ReportMetric(float64(b.N)*16*8*nb*qkK/b.Elapsed().Seconds()/1e9, "GMAC/s")
}
