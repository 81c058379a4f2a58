package asm

import "encoding/binary"

// Tiled int8 GEMM of Q5_K weights with Q8_K activations. A Q5_K group is
// unpacked into the Q4_K group layout of tile_q4k.go (values as bytes, scales,
// mins, d, dmin), with values 0..31 instead of 0..15, and multiplied by
// the Q4_K tile kernel: the values are still unsigned bytes for VPDPBUSD,
// a sub-block's sum stays below 32*31*128 < 2^17 and isum below
// 8*63*2^17 < 2^26, so the integer sums are still the reference's exact
// ones and the results equal quant.DotQ5_K bit for bit.

// gemmQ5_KTiles is gemmQ5_K with the activations x also given prepared
// (xt, from prepKTiles(xt, x, nx)): out[j*ldo+r] = quant.DotQ5_K(row r of w,
// activation row j of x), bit for bit. Without a tile kernel it is
// gemmQ5_K.
func gemmQ5_KTiles(out []float32, ldo int, w []byte, nrows int, x, xt []byte, nx int) {
	k := table()
	gemmKType("gemmQ5_KTiles", [3]tileKFunc{k.tileK, k.tileK4, k.tileK2}, k, k.repackQ5K, k.repackQ5KAMX, k.gemmQ5K, q5KBytes, kWBytes, out, ldo, w, nrows, x, xt, nx)
}

// repackQ5KTile unpacks rows (<= 16) Q5_K rows of nb super-blocks into a
// Q4_K group; d and dmin of missing rows are zeroed.
func repackQ5KTile(dst, w []byte, rowBytes, rows, nb int) {
	put := binary.LittleEndian.PutUint32
	get := binary.LittleEndian.Uint32
	repackRows(dst, w, rowBytes, rows, nb, q5KBytes, kWBytes, zeroKDMin, func(blk, src []byte, i int) {
		putKScales(blk, src, i)
		// Values 64k+l and 64k+32+l (l < 32) are the low and high
		// nibbles of qs byte 32k+l with bits 2k and 2k+1 of qh byte l
		// above them; four at a time (one k-group, 64 bytes apart).
		qh, qs := src[16:48], src[48:176]
		for k := range 4 {
			for l := 0; l < 32; l += 4 {
				q := get(qs[32*k+l:])
				h := get(qh[l:]) >> (2 * k)
				g := 16*k + l/4
				put(blk[64*g+4*i:], q&0x0f0f0f0f|(h&0x01010101)<<4)
				put(blk[64*(g+8)+4*i:], q>>4&0x0f0f0f0f|(h>>1&0x01010101)<<4)
			}
		}
	})
}
