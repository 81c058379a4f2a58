package asm

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/exaone-go/exaone/quant"
)

// Tiled int8 GEMM for batches (prompt processing) of Q4_K weights with
// Q8_K activations, the K-quant counterpart of the Q8_0/Q4_0 tiles in
// tile_q8q4.go, with the same 16 weight rows x 8 activation rows per step.
//
// The activations are prepared once per matmul input (prepKTiles) in tiles
// of 8 rows; per tile, super-block b is kXBytes bytes:
//
//	[256j, 256j+256)  the 256 int8 values of activation j (j < 8)
//	[2048+32j+2g)     block sum g (int16, 16 values) of activation j
//	[2304+4j)         the scale of activation j as float32
//
// The weights are unpacked 16 rows at a time into a buffer (L2); per
// group, super-block b is kWBytes bytes:
//
//	[512s+64g+4i, +4)  values 32s+4g..32s+4g+3 (0..15) of row i, as bytes
//	[4096+64s+4i)      scale of sub-block s of row i as int32
//	[4608+64s+4i)      min of sub-block s of row i as two int16
//	[5120+4i)          d of row i as float32
//	[5184+4i)          dmin of row i as float32
//
// One VPDPBUSD with 4 values of an activation broadcast adds 4 products to
// each of 16 rows (the nibbles are unsigned already: no correction). Per
// sub-block the 8 activations' sums start at zero and are then scaled by
// the 16 rows' sub-block scales into isum; one VPDPWSSD per sub-block and
// activation adds m_s*bsum(2s) + m_s*bsum(2s+1) into msum. Both are the
// reference's exact int32 sums, and the float step (d*dx, float(isum)*d,
// add; dmin*dx, float(msum)*dmin, subtract; no FMA) is the reference's in
// its order, so the results equal quant.DotQ4_K bit for bit, infinities
// and NaNs included. Rows and activation rows missing from a last group or
// tile are computed on padding and dropped.
const (
	kXBytes = 2336
	kWBytes = 5248
	// tileKMaxBlocks bounds the super-blocks of one kernel call (~10 us).
	tileKMaxBlocks = 32
)

// tileKFunc sets (or with acc, adds to) out[j*ldo+i], for j < 8 and i < 16,
// the dotQ4_K sum over nb super-blocks of weight row i and activation j.
type tileKFunc = func(out *float32, ldo int, w *byte, x *byte, nb int, acc bool)

// tileKKernelRef is the Q4_K tile kernel in Go (the reference of the
// assembly).
func tileKKernelRef(out *float32, ldo int, w *byte, x *byte, nb int, acc bool) {
	tileRef(out, ldo, w, x, nb, acc, kWBytes, kXBytes, 2304, func(s float32, wk, xk []byte, i, j int, dx float32) float32 {
		var isum, msum int32
		for sb := range 8 {
			var sub int32
			for l := range 32 {
				sub += int32(wk[512*sb+64*(l/4)+4*i+l%4]) * int32(int8(xk[256*j+32*sb+l]))
			}
			isum += int32(le32(wk, 4096+64*sb+4*i)) * sub
			m := le16(wk, 4608+64*sb+4*i)
			msum += m*le16(xk, 2048+32*j+4*sb) + m*le16(xk, 2048+32*j+4*sb+2)
		}
		d := float32(math.Float32frombits(le32(wk, 5120+4*i)) * dx)
		dmin := float32(math.Float32frombits(le32(wk, 5184+4*i)) * dx)
		s += float32(float32(isum) * d)
		return s - float32(float32(msum)*dmin)
	})
}

// kTilesBytes is the size of the prepared form of nx Q8_K activation rows
// of cols values.
func kTilesBytes(nx, cols int) int {
	return (nx + tileCols - 1) / tileCols * (cols / qkK) * kXBytes
}

// prepKTiles prepares nx Q8_K activation rows x (all the same length) for
// gemmQ4_KTiles into dst (kTilesBytes long). The layout is tile-major (8
// rows per tile), so prepKTiles on rows [8t, 8t+k) into
// dst[t*kTilesBytes(8, cols):] prepares just that tile.
func prepKTiles(dst, x []byte, nx int) {
	if nx <= 0 || len(x)%nx != 0 || len(x)/nx%q8KBytes != 0 || len(dst) < kTilesBytes(nx, len(x)/nx/q8KBytes*qkK) {
		panic(fmt.Sprintf("asm.prepKTiles: len(dst)=%d len(x)=%d nx=%d", len(dst), len(x), nx))
	}
	xrow := len(x) / nx
	nb := xrow / q8KBytes
	for t := 0; t < nx; t += tileCols {
		tile := dst[t/tileCols*nb*kXBytes:][:nb*kXBytes]
		for j := range tileCols {
			for b := range nb {
				blk := tile[b*kXBytes:][:kXBytes]
				vals, bs, dx := blk[256*j:256*j+256], blk[2048+32*j:2048+32*j+32], blk[2304+4*j:2304+4*j+4]
				if t+j >= nx {
					clear(vals)
					clear(bs)
					clear(dx)
					continue
				}
				src := x[(t+j)*xrow+b*q8KBytes:][:q8KBytes]
				copy(vals, src[4:260])
				copy(bs, src[260:292])
				copy(dx, src[:4])
			}
		}
	}
}

// gemmQ4_KTiles is gemmQ4_K with the activations x also given prepared (xt,
// from prepKTiles(xt, x, nx) and, on the AMX path, prepKTiles16 after it):
// out[j*ldo+r] = quant.DotQ4_K(row r of w, activation row j of x), bit for
// bit. Without a tile kernel (hasTiles) it is gemmQ4_K.
func gemmQ4_KTiles(out []float32, ldo int, w []byte, nrows int, x, xt []byte, nx int) {
	k := table()
	gemmKType("gemmQ4_KTiles", [3]tileKFunc{k.tileK, k.tileK4, k.tileK2}, k, k.repackQ4K, k.repackQ4KAMX, k.gemmQ4K, q4KBytes, kWBytes, out, ldo, w, nrows, x, xt, nx)
}

// gemmKType is gemmQ4_KTiles and its kin (name) on path k: the arguments
// checked, then the AMX kernel with amxRepack (if both are there and xt
// holds the 16-activation tiles), the tile kernels fs with repack or, if
// the path has none (fs[0] nil), the row GEMM gemm.
func gemmKType(name string, fs [3]tileKFunc, k *kernels, repack, amxRepack repackFunc, gemm gemmFunc, wBlock, gBytes int,
	out []float32, ldo int, w []byte, nrows int, x, xt []byte, nx int) {
	checkGemm(name, out, ldo, len(w), nrows, len(x), nx, q8KBytes, wBlock)
	if fs[0] == nil {
		gemm(out, ldo, w, nrows, x, nx)
		return
	}
	if k.tileKAMX != nil && amxRepack != nil && nx > 0 {
		cols := len(x) / nx / q8KBytes * qkK
		if off := kTilesBytes(nx, cols); len(xt) >= off+kTiles16Bytes(nx, cols) {
			k.amxOn()
			defer k.amxOff()
			gemmKTiles(&kAMXTileShape, [3]tileKFunc{k.tileKAMX}, k.prefetch, amxRepack, wBlock, kAMXBytes, out, ldo, w, nrows, x, xt[off:], nx)
			return
		}
	}
	gemmKTiles(&kTileShape, fs, k.prefetch, repack, wBlock, gBytes, out, ldo, w, nrows, x, xt, nx)
}

// gemmKTiles is gemmTiles (tiles of shape sh) for the K-quant tile kernels
// fs (for a tile's activations and for 4 and 2, the last two optional;
// super-blocks of wBlock bytes, gBytes unpacked), whose results are always
// finite.
func gemmKTiles(sh *tileShape, fs [3]tileKFunc, prefetch func([]byte), repack repackFunc, wBlock, gBytes int,
	out []float32, ldo int, w []byte, nrows int, x, xt []byte, nx int) {
	ts := tileSet{func(out *float32, ldo int, w *byte, x *byte, nb int, acc bool) bool {
		fs[0](out, ldo, w, x, nb, acc)
		return false
	}}
	if fs[1] != nil {
		ts[1] = func(out *float32, ldo int, w *byte, x *byte, nb int, acc bool) bool {
			fs[1](out, ldo, w, x, nb, acc)
			return false
		}
	}
	if fs[2] != nil {
		ts[2] = func(out *float32, ldo int, w *byte, x *byte, nb int, acc bool) bool {
			fs[2](out, ldo, w, x, nb, acc)
			return false
		}
	}
	gemmTiles(sh, ts, prefetch, repack, nil, wBlock, gBytes, out, ldo, w, nrows, x, xt, nx)
}

// repackQ4KTile unpacks rows (<= 16) Q4_K rows of nb super-blocks into a
// group; the scales of missing rows are zeroed.
func repackQ4KTile(dst, w []byte, rowBytes, rows, nb int) {
	put := binary.LittleEndian.PutUint32
	repackRows(dst, w, rowBytes, rows, nb, q4KBytes, kWBytes, zeroKDMin, func(blk, src []byte, i int) {
		putKScales(blk, src, i)
		qs := src[16:144]
		for k := range 4 {
			for g := range 8 {
				v := binary.LittleEndian.Uint32(qs[32*k+4*g:])
				put(blk[512*(2*k)+64*g+4*i:], v&0x0f0f0f0f)
				put(blk[512*(2*k+1)+64*g+4*i:], v>>4&0x0f0f0f0f)
			}
		}
	})
}

// zeroKDMin zeroes d and dmin of the missing row i in the super-block blk
// of a Q4_K group, so that its lanes compute zeros.
func zeroKDMin(blk []byte, i int) {
	binary.LittleEndian.PutUint32(blk[5120+4*i:], 0)
	binary.LittleEndian.PutUint32(blk[5184+4*i:], 0)
}

// putKScales stores, for row i of the group super-block blk, d, dmin and
// the sub-blocks' scales and mins of the Q4_K or Q5_K super-block src
// (both start with the same 16 bytes).
func putKScales(blk, src []byte, i int) {
	put := binary.LittleEndian.PutUint32
	put(blk[5120+4*i:], math.Float32bits(quant.F16ToF32(binary.LittleEndian.Uint16(src))))
	put(blk[5184+4*i:], math.Float32bits(quant.F16ToF32(binary.LittleEndian.Uint16(src[2:]))))
	sc := src[4:16]
	for s := range 8 {
		// 6-bit scale and min of sub-block s: bytes 0..3 and 4..7 hold
		// those of 0..3 in their low 6 bits; those of 4..7 are a nibble
		// of bytes 8..11 with their top 2 bits in the top bits of bytes
		// 0..7.
		var d, m uint32
		if s < 4 {
			d, m = uint32(sc[s]&63), uint32(sc[s+4]&63)
		} else {
			d = uint32(sc[s+4]&15) | uint32(sc[s-4]>>6)<<4
			m = uint32(sc[s+4]>>4) | uint32(sc[s]>>6)<<4
		}
		put(blk[4096+64*s+4*i:], d)
		put(blk[4608+64*s+4*i:], m|m<<16)
	}
}
