package asm

import (
	"math"
	"sync"
)

// The Q4_K/Q5_K tile kernel on Intel's AMX tiles (tileK16x16AMX in
// tile_q4k_amd64.s, amx_amd64.h) multiplies a group of 16 weight rows with
// 16 activations per call. It reads the weights in its own layout, made
// from the VNNI group (kWBytes per super-block, see tile_q4k.go) by
// kToAMX. A tile multiply (TDPBSSD) sums 64 products per output, two
// sub-blocks with different scales, so the scales are folded into the
// weights: each value q (0..15, or 0..31 for Q5_K) times its sub-block
// scale sc (0..63) is split into lo = q*sc & 127 and hi = q*sc >> 7, both
// signed bytes. One multiply of the activations with the lo tile and one
// with the hi tile give lo + 128*hi = the reference's exact isum of the
// super-block (at most 256*1953*128 < 2^31). Per super-block, kAMXBytes:
//
//	[0, 4096)          lo of the values, in the VNNI layout (which is the
//	                   tile's: k-group g of 64 values, row i at 64g+4i)
//	[4096, 8192)       hi, the same way
//	[8192+64s+4i)      min of sub-block s of row i as two int16
//	[8704+4i)          d of row i as float32
//	[8768+4i)          dmin of row i as float32
//
// The activations come in tiles of 16 (prepKTiles16), kXBytes16 per
// super-block: the values of activation j at 256j (a tile's rows, 256
// bytes apart), its block sums at 4096+32j, its scale at 4608+4j. The
// mins and the float steps are the VNNI kernel's, so the results are the
// reference's bit for bit.
const kAMXBytes = 8832

// kToAMX converts nb super-blocks of a VNNI group src into the AMX layout
// dst.
func kToAMX(dst, src []byte, nb int) {
	for b := range nb {
		s := src[b*kWBytes:][:kWBytes]
		d := dst[b*kAMXBytes:][:kAMXBytes]
		for sb := range 8 {
			for i := range tileRows {
				sc := uint32(le32(s, 4096+64*sb+4*i))
				for g := range 8 {
					for t := range 4 {
						o := 512*sb + 64*g + 4*i + t
						p := uint32(s[o]) * sc
						d[o] = byte(p & 127)
						d[4096+o] = byte(p >> 7)
					}
				}
			}
		}
		copy(d[8192:], s[4608:kWBytes])
	}
}

// amxScratch holds the VNNI super-blocks that repackAMX converts.
var amxScratch = sync.Pool{New: func() any { return new([tileKMaxBlocks * kWBytes]byte) }}

// repackAMX returns the AMX repacker made from the VNNI repacker base (of
// super-blocks of wb bytes) and the converter conv (kToAMX or its
// assembly), tileKMaxBlocks super-blocks at a time so that they convert
// from L1/L2.
func repackAMX(base repackFunc, wb int, conv func(dst, src []byte, nb int)) repackFunc {
	return func(dst, w []byte, rowBytes, rows, nb int) {
		s := amxScratch.Get().(*[tileKMaxBlocks * kWBytes]byte)
		for b := 0; b < nb; b += tileKMaxBlocks {
			n := min(tileKMaxBlocks, nb-b)
			base(s[:n*kWBytes], w[b*wb:], rowBytes, rows, n)
			conv(dst[b*kAMXBytes:], s[:], n)
		}
		amxScratch.Put(s)
	}
}

// tileKAMXRef is the VNNI kernel's computation (tileKKernelRef) on an AMX
// weight group and an 8-activation tile.
func tileKAMXRef(out *float32, ldo int, w *byte, x *byte, nb int, acc bool) {
	tileRef(out, ldo, w, x, nb, acc, kAMXBytes, kXBytes, 2304, func(s float32, wk, xk []byte, i, j int, dx float32) float32 {
		var lo, hi, msum int32
		for k := range qkK {
			o := 64*(k/4) + 4*i + k%4
			v := int32(int8(xk[256*j+k]))
			lo += int32(int8(wk[o])) * v
			hi += int32(int8(wk[4096+o])) * v
		}
		for sb := range 8 {
			m := le16(wk, 8192+64*sb+4*i)
			msum += m*le16(xk, 2048+32*j+4*sb) + m*le16(xk, 2048+32*j+4*sb+2)
		}
		isum := lo + hi<<7
		d := float32(math.Float32frombits(le32(wk, 8704+4*i)) * dx)
		dmin := float32(math.Float32frombits(le32(wk, 8768+4*i)) * dx)
		s += float32(float32(isum) * d)
		return s - float32(float32(msum)*dmin)
	})
}

// kXBytes16 is the size of a super-block of a 16-activation tile.
const kXBytes16 = 2 * kXBytes

// kTiles16Bytes is the size of the 16-activation tiles of nx Q8_K rows of
// cols values.
func kTiles16Bytes(nx, cols int) int {
	return (nx + 15) / 16 * (cols / qkK) * kXBytes16
}

// prepKTiles16 lays Q8_K activation rows [r0, r1) of n (x, r0 a multiple
// of 8) out in the 16-activation tiles dst (kTiles16Bytes(n, cols) long)
// and, if r1 == n, zeroes the rows of the last tile past n. Calls on
// disjoint ranges of 8-row parts may run concurrently: each writes only
// its rows.
func prepKTiles16(dst, x []byte, r0, r1, n int) {
	if r1 <= r0 {
		return
	}
	xrow := len(x) / (r1 - r0)
	nb := xrow / q8KBytes
	put := func(i int, src []byte) {
		t, j := i/16, i%16
		for b := range nb {
			blk := dst[(t*nb+b)*kXBytes16:][:kXBytes16]
			vals, bs, dx := blk[256*j:256*j+256], blk[4096+32*j:4096+32*j+32], blk[4608+4*j:4608+4*j+4]
			if src == nil {
				clear(vals)
				clear(bs)
				clear(dx)
				continue
			}
			s := src[b*q8KBytes:][:q8KBytes]
			copy(vals, s[4:260])
			copy(bs, s[260:292])
			copy(dx, s[:4])
		}
	}
	for i := r0; i < r1; i++ {
		put(i, x[(i-r0)*xrow:][:xrow])
	}
	if r1 == n {
		for i := n; i%16 != 0; i++ {
			put(i, nil)
		}
	}
}

// tileKAMX16Ref is tileK16x16AMX in Go: tileKAMXRef on each half of the
// 16-activation tile x, into out's rows 0..7 and 8..15.
func tileKAMX16Ref(out *float32, ldo int, w *byte, x *byte, nb int, acc bool) {
	x16 := unsafeBytes(x, nb*kXBytes16)
	for h := range 2 {
		t := make([]byte, nb*kXBytes)
		for s := range nb {
			d := t[s*kXBytes:][:kXBytes]
			src := x16[s*kXBytes16:][:kXBytes16]
			copy(d[:2048], src[2048*h:])
			copy(d[2048:2304], src[4096+256*h:])
			copy(d[2304:2336], src[4608+32*h:])
		}
		tileKAMXRef(&unsafeF32(out, 8*h*ldo+1)[8*h*ldo], ldo, w, &t[0], nb, acc)
	}
}
