package asm

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/exaone-go/exaone/quant"
)

// TestTileK6Kernel checks the Q6_K tile kernel of each path that has one
// against tileK6KernelRef on random groups in the kernel's value ranges.
func TestTileK6Kernel(t *testing.T) {
	testTileKernel(t, tileK6Kernel, tileK6KernelRef, k6WBytes, fillK6Group)
}

// fillK6Group is a checkTileKernel fill for Q6_K groups: values 0..63,
// random int8 scales and their offset pairs, random d.
func fillK6Group(r *rand.Rand, blk []byte) {
	for i := range 4096 {
		blk[i] = byte(r.IntN(64))
	}
	for i := range 256 {
		sc := int32(int8(r.Uint32()))
		binary.LittleEndian.PutUint32(blk[4096+4*i:], uint32(sc))
	}
	for i := range 128 {
		lo, hi := int16(-32*int8(r.Uint32())), int16(-32*int8(r.Uint32()))
		binary.LittleEndian.PutUint32(blk[5120+4*i:], uint32(uint16(lo))|uint32(uint16(hi))<<16)
	}
	for i := range 16 {
		binary.LittleEndian.PutUint32(blk[5632+4*i:], math.Float32bits(float32(r.NormFloat64())))
	}
}

// TestGemmQ6_KTiles checks gemmQ6_KTiles on every path against
// quant.DotQ6_K bit for bit (see checkGemmKTiles), and the same driver
// with the Go reference kernel on any machine.
func TestGemmQ6_KTiles(t *testing.T) {
	testGemmKTiles(t, 43, gemmQ6_KTiles, tileK6KernelRef, repackQ6KTile, k6WBytes, quant.DotQ6_K, q6KBytes, q6KRows, hostileQ6KD)
}

// TestGemmQ6_KTilesExtremes checks gemmQ6_KTiles with every integer sum at
// its limits: all values 0 or 63 (and mixed), scales -128, 127 or 0, and
// activations all -128 or 127.
func TestGemmQ6_KTilesExtremes(t *testing.T) {
	const nb, nrows, nx = 2, 17, 9
	one := func(int) float32 { return 1 }
	forEachPath(t, func(t *testing.T) {
		for _, xq := range []int8{-128, 127} {
			x := kActs(nx*nb, one, func() int8 { return xq })
			for _, fill := range []byte{0xff, 0x00, 0xf0, 0x0f, 0xaa} {
				for _, sc := range []int8{-128, 127, 0, -1} {
					w := make([]byte, nrows*nb*q6KBytes)
					for i := range w {
						w[i] = fill
					}
					for b := range nrows * nb {
						blk := w[b*q6KBytes:][:q6KBytes]
						for s := range 16 {
							blk[192+s] = byte(sc)
						}
						binary.LittleEndian.PutUint16(blk[208:], 0x3c00)
					}
					xt := make([]byte, kTilesBytes(nx, nb*qkK))
					prepKTiles(xt, x, nx)
					out := make([]float32, nx*nrows)
					gemmQ6_KTiles(out, nrows, w, nrows, x, xt, nx)
					rowBytes := nb * q6KBytes
					for j := range nx {
						for rr := range nrows {
							want := quant.DotQ6_K(w[rr*rowBytes:][:rowBytes], x[j*nb*q8KBytes:][:nb*q8KBytes])
							if got := out[j*nrows+rr]; !sameBits(got, want) {
								t.Fatalf("x=%d fill=%#x sc=%d: out[%d][%d] = %g, want %g", xq, fill, sc, j, rr, got, want)
							}
						}
					}
				}
			}
		}
	})
}

// benchGemmKTiles reports multiply-adds per second of tiles (preparation
// excluded) and of gemm on the same 2048 x 2048 matrix (rows from rows)
// and 512 activation rows, one thread.
func benchGemmKTiles(b *testing.B, tiles tileGemmFn, gemm func(out []float32, ldo int, w []byte, nrows int, x []byte, nx int),
	rows func(r *rand.Rand, n int) []byte) {
	const nrows, cols, nx = 2048, 2048, 512
	nb := cols / qkK
	r := newRand(31)
	w := rows(r, nrows*nb)
	x := q8KRows(r, nx, nb, func(int) float64 { return 1 })
	xt := make([]byte, kTilesBytes(nx, cols))
	prepKTiles(xt, x, nx)
	out := make([]float32, nx*nrows)
	b.Run("tiles", func(b *testing.B) {
		for b.Loop() {
			tiles(out, nrows, w, nrows, x, xt, nx)
		}
		b.ReportMetric(float64(b.N)*nrows*nx*cols/b.Elapsed().Seconds()/1e9, "GMAC/s")
	})
	b.Run("gemm", func(b *testing.B) {
		for b.Loop() {
			gemm(out, nrows, w, nrows, x, nx)
		}
		b.ReportMetric(float64(b.N)*nrows*nx*cols/b.Elapsed().Seconds()/1e9, "GMAC/s")
	})
}

// BenchmarkGemmQ6_KTiles compares gemmQ6_KTiles with gemmQ6_K.
func BenchmarkGemmQ6_KTiles(b *testing.B) {
	benchGemmKTiles(b, gemmQ6_KTiles, gemmQ6_K, q6KRows)
}

// TestRepackQ6K checks the group unpacking in use (the assembly on amd64)
// against repackQ6KTile (see checkRepackK).
func TestRepackQ6K(t *testing.T) {
	if tileK6Kernel() == nil {
		t.Skip("no tile kernel (the unpacking may need its instructions)")
	}
	checkRepackK(t, 59, []int{1, 3, 8, tileKMaxBlocks + 3}, q6KBytes, k6WBytes, q6KRows, hostileQ6KD, table().repackQ6K, repackQ6KTile)
}
