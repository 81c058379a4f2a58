package asm

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/exaone-go/exaone/quant"
)

// TestTileKKernel checks the Q4_K tile kernel of each path that has one
// against tileKKernelRef on random prepared data, bit for bit (both do the
// reference's exact integer sums and float steps), with and without acc;
// the guard values around the tile stay.
func TestTileKKernel(t *testing.T) {
	testTileKernel(t, tileKKernel, tileKKernelRef, kWBytes, fillKGroup(16))
}

// TestGemmQ4_KTiles checks gemmQ4_KTiles on every path against
// quant.DotQ4_K bit for bit (see checkGemmKTiles; hostile values go to d
// and dmin), and the same driver with the Go reference kernel on any
// machine.
func TestGemmQ4_KTiles(t *testing.T) {
	testGemmKTiles(t, 23, gemmQ4_KTiles, tileKKernelRef, repackQ4KTile, kWBytes, quant.DotQ4_K, q4KBytes, q4KRows, hostileDMin(q4KBytes))
}

// TestGemmQ4_KTilesExtremes checks gemmQ4_KTiles with every integer sum at
// its limits: all values, scales and mins at their maximum or zero, and
// activations all -128 or 127.
func TestGemmQ4_KTilesExtremes(t *testing.T) {
	checkKExtremes(t, gemmQ4_KTiles, quant.DotQ4_K, q4KBytes, []byte{0xff, 0x00, 0xf0, 0x0f}, 1, func(blk []byte, _ byte, _ int) {
		binary.LittleEndian.PutUint16(blk, 0x3c00)
		binary.LittleEndian.PutUint16(blk[2:], 0x3800)
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

// TestPrepKTilesSplit checks that preparing tile by tile (as callers split
// the work) gives the same bytes as preparing all rows at once.
func TestPrepKTilesSplit(t *testing.T) {
	r := newRand(29)
	const nb, nx = 2, 19
	x := q8KRows(r, nx, nb, func(int) float64 { return 1 })
	all := make([]byte, kTilesBytes(nx, nb*qkK))
	prepKTiles(all, x, nx)
	split := make([]byte, len(all))
	for i := range split {
		split[i] = 0xa5
	}
	xrow := nb * q8KBytes
	tb := kTilesBytes(8, nb*qkK)
	for tt := 0; tt*8 < nx; tt++ {
		k := min(8, nx-8*tt)
		prepKTiles(split[tt*tb:], x[8*tt*xrow:(8*tt+k)*xrow], k)
	}
	if string(all) != string(split) {
		t.Fatal("tile-by-tile preparation differs")
	}
}

// BenchmarkGemmQ4_KTiles compares gemmQ4_KTiles with gemmQ4_K.
func BenchmarkGemmQ4_KTiles(b *testing.B) {
	benchGemmKTiles(b, gemmQ4_KTiles, gemmQ4_K, q4KRows)
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

// narrowRef is the tile kernel reference ref on the first width
// activations of the tile: the other rows of out are left as they were.
func narrowRef(ref tileKFunc, width int) tileKFunc {
	return func(out *float32, ldo int, w *byte, x *byte, nb int, acc bool) {
		o := unsafeF32(out, 7*ldo+tileRows)
		saved := append([]float32(nil), o...)
		ref(out, ldo, w, x, nb, acc)
		for j := width; j < tileCols; j++ {
			copy(o[j*ldo:j*ldo+tileRows], saved[j*ldo:j*ldo+tileRows])
		}
	}
}

// TestTileKNarrow checks the 4- and 2-activation K-quant tile kernels of
// each path that has them against the references on those activations,
// bit for bit, with the guard values (and the other activations' rows of
// out) untouched.
func TestTileKNarrow(t *testing.T) {
	for _, c := range []struct {
		name   string
		kernel func() tileKFunc
		ref    tileKFunc
		width  int
		q6     bool
	}{
		{"q4k/4", func() tileKFunc { return table().tileK4 }, tileKKernelRef, 4, false},
		{"q4k/2", func() tileKFunc { return table().tileK2 }, tileKKernelRef, 2, false},
		{"q6k/4", func() tileKFunc { return table().tileK6x4 }, tileK6KernelRef, 4, true},
		{"q6k/2", func() tileKFunc { return table().tileK6x2 }, tileK6KernelRef, 2, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.q6 {
				testTileKernel(t, c.kernel, narrowRef(c.ref, c.width), k6WBytes, fillK6Group)
			} else {
				testTileKernel(t, c.kernel, narrowRef(c.ref, c.width), kWBytes, fillKGroup(32))
			}
		})
	}
}

// BenchmarkGemmShapes runs the tile GEMMs of Q4_K, Q4_0 and Q8_0 on 64
// rows against 512 activations at the 1.2B and 32B widths (2048, 5120 and
// 27392 columns, the last the 32B's ffn_down): the activations of the
// widest no longer fit a core's L2, nor does a group of its weights.
func BenchmarkGemmShapes(b *testing.B) {
	const nrows, nx = 64, 512
	for _, cols := range []int{2048, 5120, 27392} {
		r := newRand(31)
		nb := cols / qkK
		wk := q4KRows(r, nrows*nb)
		xk := q8KRows(r, nx, nb, func(int) float64 { return 1 })
		xtk := make([]byte, kTilesBytes(nx, cols))
		prepKTiles(xtk, xk, nx)
		x := make([]byte, nx*cols/qk*q8Bytes)
		for i := range x {
			x[i] = byte(r.Uint32())
		}
		for i := 0; i < len(x); i += q8Bytes {
			x[i], x[i+1] = 0, 0x3c // scale 1
		}
		xt := make([]byte, q8TilesBytes(nx, cols))
		prepTiles(xt, x, nx)
		w4, w8 := blockRows(r, nrows*cols/qk, q4Bytes), blockRows(r, nrows*cols/qk, q8Bytes)
		for _, c := range []struct {
			name string
			run  func(out []float32)
		}{
			{"q4_k", func(out []float32) { gemmQ4_KTiles(out, nrows, wk, nrows, xk, xtk, nx) }},
			{"q4_0", func(out []float32) { gemmQ4_0Tiles(out, nrows, w4, nrows, x, xt, nx) }},
			{"q8_0", func(out []float32) { gemmQ8_0Tiles(out, nrows, w8, nrows, x, xt, nx) }},
		} {
			out := make([]float32, nx*nrows)
			b.Run(fmt.Sprintf("%s/cols=%d", c.name, cols), func(b *testing.B) {
				for b.Loop() {
					c.run(out)
				}
				b.ReportMetric(float64(b.N)*nrows*nx*float64(cols)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		}
	}
}

// blockRows returns n random Q4_0 or Q8_0 blocks (bb bytes each) with the
// scale 1/16.
func blockRows(r *rand.Rand, n, bb int) []byte {
	w := make([]byte, n*bb)
	for i := range w {
		w[i] = byte(r.Uint32())
	}
	for i := 0; i < len(w); i += bb {
		w[i], w[i+1] = 0, 0x2c
	}
	return w
}
