package asm

import (
	"encoding/binary"
	"math"

	"github.com/exaone-go/exaone/quant"
)

// Tiled int8 GEMM of Q6_K weights with Q8_K activations: the Q4_K tile of
// tile_q4k.go (same driver, same prepared activations) with another unpacked
// weight group. Per group, super-block b is k6WBytes bytes:
//
//	[64g+4i, +4)      values 4g..4g+3 (0..63, without the -32) of row i
//	[4096+64s+4i)     int8 scale of sub-block s (16 values) of row i as int32
//	[5120+64p+4i)     -32*scale of sub-blocks 2p and 2p+1 of row i, two int16
//	[5632+4i)         d of row i as float32
//
// The values are unsigned, as VPDPBUSD needs; per sub-block the sums of
// the 8 activations are scaled by the rows' scales into isum, and the -32
// offset is added with one VPDPWSSD per sub-block pair and activation:
// -32*sc(2p)*bsum(2p) - 32*sc(2p+1)*bsum(2p+1), the activations' block sums
// being the sums of their values (quantizeQ8_K). isum is then the
// reference's exact int32 sum and the float step (d*dx, float(isum)*that,
// add; no FMA) is the reference's, so the results equal quant.DotQ6_K bit
// for bit, infinities and NaNs included.
const k6WBytes = 5696

// tileK6KernelRef is the Q6_K tile kernel in Go (the reference of the
// assembly): out[j*ldo+i] (+)= the dotQ6_K sum over nb super-blocks of row
// i of the group w and activation j of the tile x.
func tileK6KernelRef(out *float32, ldo int, w *byte, x *byte, nb int, acc bool) {
	tileRef(out, ldo, w, x, nb, acc, k6WBytes, kXBytes, 2304, func(s float32, wk, xk []byte, i, j int, dx float32) float32 {
		var isum int32
		for sb := range 16 {
			var sub int32
			for l := range 16 {
				n := 16*sb + l
				sub += int32(wk[64*(n/4)+4*i+n%4]) * int32(int8(xk[256*j+n]))
			}
			isum += int32(le32(wk, 4096+64*sb+4*i)) * sub
		}
		for p := range 8 {
			isum += le16(wk, 5120+64*p+4*i)*le16(xk, 2048+32*j+4*p) +
				le16(wk, 5120+64*p+4*i+2)*le16(xk, 2048+32*j+4*p+2)
		}
		d := float32(math.Float32frombits(le32(wk, 5632+4*i)) * dx)
		return s + float32(float32(isum)*d)
	})
}

// gemmQ6_KTiles is gemmQ6_K with the activations x also given prepared
// (xt, from prepKTiles(xt, x, nx)): out[j*ldo+r] = quant.DotQ6_K(row r of w,
// activation row j of x), bit for bit. Without a tile kernel it is
// gemmQ6_K.
func gemmQ6_KTiles(out []float32, ldo int, w []byte, nrows int, x, xt []byte, nx int) {
	k := table()
	gemmKType("gemmQ6_KTiles", [3]tileKFunc{k.tileK6, k.tileK6x4, k.tileK6x2}, k, k.repackQ6K, nil, k.gemmQ6K, q6KBytes, k6WBytes, out, ldo, w, nrows, x, xt, nx)
}

// repackQ6KTile unpacks rows (<= 16) Q6_K rows of nb super-blocks into a
// group; the scales and d of missing rows are zeroed.
func repackQ6KTile(dst, w []byte, rowBytes, rows, nb int) {
	put := binary.LittleEndian.PutUint32
	get := binary.LittleEndian.Uint32
	missing := func(blk []byte, i int) {
		for s := range 16 {
			put(blk[4096+64*s+4*i:], 0)
		}
		for p := range 8 {
			put(blk[5120+64*p+4*i:], 0)
		}
		put(blk[5632+4*i:], 0)
	}
	repackRows(dst, w, rowBytes, rows, nb, q6KBytes, k6WBytes, missing, func(blk, src []byte, i int) {
		put(blk[5632+4*i:], math.Float32bits(quant.F16ToF32(binary.LittleEndian.Uint16(src[208:]))))
		sc := src[192:208]
		for s := range 16 {
			put(blk[4096+64*s+4*i:], uint32(int32(int8(sc[s]))))
		}
		for p := range 8 {
			lo := uint32(uint16(int16(-32 * int32(int8(sc[2*p])))))
			hi := uint32(uint16(int16(-32 * int32(int8(sc[2*p+1])))))
			put(blk[5120+64*p+4*i:], lo|hi<<16)
		}
		// Values 128h+32q+l (l < 32) take their low 4 bits from ql
		// (byte 64h+l for q = 0, 2, 64h+32+l for q = 1, 3; low nibble
		// for q < 2) and their top 2 from bits 2q of qh byte 32h+l;
		// four at a time (one k-group).
		for h := range 2 {
			for l := 0; l < 32; l += 4 {
				lo := get(src[64*h+l:])
				hi := get(src[64*h+32+l:])
				qh := get(src[128+32*h+l:])
				g := (128*h + l) / 4
				put(blk[64*g+4*i:], lo&0x0f0f0f0f|(qh&0x03030303)<<4)
				put(blk[64*(g+8)+4*i:], hi&0x0f0f0f0f|(qh>>2&0x03030303)<<4)
				put(blk[64*(g+16)+4*i:], lo>>4&0x0f0f0f0f|(qh>>4&0x03030303)<<4)
				put(blk[64*(g+24)+4*i:], hi>>4&0x0f0f0f0f|(qh>>6&0x03030303)<<4)
			}
		}
	})
}
