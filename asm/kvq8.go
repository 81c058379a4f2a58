package asm

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/exaone-go/exaone/quant"
)

// Kernels of a Q8_0 KV cache: attention scores of queries quantized to
// Q8_0 against Q8_0 keys as int8 dot products (ScoresKQ8), and the
// probabilities times Q8_0 values (PVQ8). Both read the cache as it is
// stored; nothing is dequantized whole.
//
// # Key tiles
//
// Keys are stored in tiles of KQ8Tile keys. Each key holds exactly what a
// Q8_0 row of it would (the bytes of quant.QuantizeQ8_0: per 32 values an
// f16 scale and 32 int8), rearranged: block b of a tile (544 bytes from
// b*544) holds values 32b..32b+31 of its 16 keys as 8 groups of 64 bytes,
// group c being values 32b+4c..32b+4c+3 of key 0, then of key 1, ... of
// key 15 (4 bytes each), followed by the 16 keys' f16 scales of block b
// (32 bytes). So one 512-bit load holds 4 values of 16 keys, which one
// VPDPBUSD multiplies by the same 4 values of a query (broadcast): the
// scores of 16 keys build up in the 16 lanes of a register, with no
// horizontal sums, and the group of query heads sharing a KV head reuses
// each load.
//
// # Results
//
// The score of key j against query h is, with isum_b the exact integer dot
// product of block b and dk_b, dq_b the blocks' scales as float32,
//
//	var s float32
//	for b := range blocks {
//		s += float32(float32(isum_b) * float32(dk_b*dq_b))
//	}
//
// (each operation rounded to float32, none fused), so every path gives the
// reference's bits. Values are those QuantizeQ8_0 writes, in [-127, 127];
// the AVX2 kernel multiplies |k| by q*sign(k), which -128 would overflow.
// PVQ8 adds p*(dv*v) with one fused multiply-add per term in order of
// keys (dv*v, an f16 scale times an int8, is exact in float32); the
// reference rounds the fused result through float64, which can differ in
// the last bit.

// kvq8Path is the KV cache kernels of a path (kernels.kvq8). The
// architecture's kq8Scores and kq8PV call them directly rather than through
// func values, whose arguments would escape: the score kernel's table and
// buffer are on the caller's stack.
type kvq8Path uint8

const (
	kvq8None kvq8Path = iota // the Go loops
	kvq8AVX2
	kvq8VNNI
	kvq8NEON // PV only: scores need SDOT
	kvq8SDOT
)

// KQ8Tile is the number of keys in one tile of a Q8_0 key cache.
const KQ8Tile = 16

// kq8Block is the size of one block of a tile: 16 keys' 32 int8 values,
// then their 16 f16 scales.
const kq8Block = KQ8Tile * q8Bytes

// kq8MaxBlocks bounds the blocks per key (head dims up to 256) of the
// assembly kernels; larger keys use the Go loops.
const kq8MaxBlocks = 8

// kq8MaxTiles bounds the tiles of one score kernel call (4096 keys, a few
// microseconds: Go assembly is not preemptible).
const kq8MaxTiles = 256

// KQ8TileBytes is the size of one tile of keys of dim values (dim a
// positive multiple of 32): 34 bytes per 32 values per key, as in Q8_0.
func KQ8TileBytes(dim int) int { return dim / qk * kq8Block }

// PutKQ8 stores one key, given as Q8_0 blocks k (as QuantizeQ8_0 writes
// them), as key lane of tile.
func PutKQ8(tile []byte, lane int, k []byte) {
	nb := len(k) / q8Bytes
	if len(k)%q8Bytes != 0 || nb == 0 || len(tile) != nb*kq8Block || lane < 0 || lane >= KQ8Tile {
		panic(fmt.Sprintf("asm.PutKQ8: len(tile)=%d lane=%d len(k)=%d", len(tile), lane, len(k)))
	}
	for b := range nb {
		src, dst := k[b*q8Bytes:(b+1)*q8Bytes], tile[b*kq8Block:(b+1)*kq8Block]
		copy(dst[qk*KQ8Tile+2*lane:], src[:2])
		for c := 0; c < qk/4; c++ {
			copy(dst[c*4*KQ8Tile+4*lane:][:4], src[2+4*c:])
		}
	}
}

// GetKQ8 returns key lane of tile as Q8_0 blocks in dst, the inverse of
// PutKQ8 (len(dst) = len(tile)/544*34).
func GetKQ8(dst []byte, tile []byte, lane int) {
	nb := len(dst) / q8Bytes
	if len(dst)%q8Bytes != 0 || len(tile) != nb*kq8Block || lane < 0 || lane >= KQ8Tile {
		panic(fmt.Sprintf("asm.GetKQ8: len(dst)=%d len(tile)=%d lane=%d", len(dst), len(tile), lane))
	}
	for b := range nb {
		d, src := dst[b*q8Bytes:(b+1)*q8Bytes], tile[b*kq8Block:(b+1)*kq8Block]
		copy(d[:2], src[qk*KQ8Tile+2*lane:])
		for c := 0; c < qk/4; c++ {
			copy(d[2+4*c:][:4], src[c*4*KQ8Tile+4*lane:])
		}
	}
}

// ScoresKQ8 sets out[h*ldo+j] to the score of key first+j against query h,
// for h < heads and j < n: keys holds a KV head's key tiles from tile 0 on
// (whole tiles, at least up to the one of key first+n-1), q holds heads
// queries as Q8_0 rows of the keys' length (see the package's Results for
// the arithmetic).
func ScoresKQ8(out []float32, ldo int, keys []byte, first, n int, q []byte, heads int) {
	if n <= 0 || heads <= 0 {
		return
	}
	rowBytes := len(q) / heads
	nb := rowBytes / q8Bytes
	tb := nb * kq8Block
	if nb == 0 || len(q) != heads*rowBytes || rowBytes%q8Bytes != 0 || first < 0 || ldo < n ||
		len(keys)%tb != 0 || len(keys)/tb*KQ8Tile < first+n || len(out) < (heads-1)*ldo+n {
		panic(fmt.Sprintf("asm.ScoresKQ8: len(out)=%d ldo=%d len(keys)=%d first=%d n=%d len(q)=%d heads=%d",
			len(out), ldo, len(keys), first, n, len(q), heads))
	}
	p := table().kvq8
	if kq8ScoreHeads(p) == 0 || nb > kq8MaxBlocks {
		refScoresKQ8(out, ldo, keys, first, n, q, heads)
		return
	}
	for h := 0; h < heads; {
		nh := min(kq8Heads(heads-h), kq8ScoreHeads(p))
		scoresKQ8Heads(p, nh, out[h*ldo:], ldo, keys, first, n, q[h*rowBytes:(h+nh)*rowBytes], nb)
		h += nh
	}
}

// kq8Heads is the heads of the next kernel call when left remain: 4, 2 or
// 1.
func kq8Heads(left int) int {
	switch {
	case left >= 4:
		return 4
	case left >= 2:
		return 2
	}
	return 1
}

// scoresKQ8Heads runs the score kernel for nh (4, 2 or 1) heads: whole
// tiles straight into out, the partial tiles at either end through a
// buffer.
func scoresKQ8Heads(p kvq8Path, nh int, out []float32, ldo int, keys []byte, first, n int, q []byte, nb int) {
	// The kernels' table per (block, head): the query block's scale and
	// -128 times the sum of its values (VPDPBUSD multiplies the keys
	// offset by 128, which this undoes).
	var tab [2 * 4 * kq8MaxBlocks]uint32
	rowBytes := nb * q8Bytes
	for h := range nh {
		for b := range nb {
			blk := q[h*rowBytes+b*q8Bytes:][:q8Bytes]
			var sum int32
			for _, v := range blk[2:] {
				sum += int32(int8(v))
			}
			tab[2*(b*4+h)] = math.Float32bits(quant.F16ToF32(binary.LittleEndian.Uint16(blk)))
			tab[2*(b*4+h)+1] = uint32(-128 * sum)
		}
	}
	tb := nb * kq8Block
	var tmp [4 * KQ8Tile]float32
	j := 0 // scores done
	for j < n {
		key := first + j
		t, lane := key/KQ8Tile, key%KQ8Tile
		if lane != 0 || n-j < KQ8Tile {
			kq8Scores(p, nh, &tmp[0], KQ8Tile, &keys[t*tb], 1, &q[0], rowBytes, nb, &tab)
			m := min(KQ8Tile-lane, n-j)
			for h := range nh {
				copy(out[h*ldo+j:h*ldo+j+m], tmp[h*KQ8Tile+lane:])
			}
			j += m
			continue
		}
		nt := min((n-j)/KQ8Tile, kq8MaxTiles)
		kq8Scores(p, nh, &out[j], ldo, &keys[t*tb], nt, &q[0], rowBytes, nb, &tab)
		j += nt * KQ8Tile
	}
}

// refScoresKQ8 is ScoresKQ8 in Go.
func refScoresKQ8(out []float32, ldo int, keys []byte, first, n int, q []byte, heads int) {
	rowBytes := len(q) / heads
	nb := rowBytes / q8Bytes
	tb := nb * kq8Block
	for j := range n {
		key := first + j
		tile := keys[key/KQ8Tile*tb:][:tb]
		lane := key % KQ8Tile
		for h := range heads {
			var s float32
			for b := range nb {
				kb, qb := tile[b*kq8Block:][:kq8Block], q[h*rowBytes+b*q8Bytes:][:q8Bytes]
				var isum int32
				for c := 0; c < qk/4; c++ {
					kc, qc := kb[c*4*KQ8Tile+4*lane:][:4], qb[2+4*c:][:4]
					for i := range 4 {
						isum += int32(int8(kc[i])) * int32(int8(qc[i]))
					}
				}
				dk := quant.F16ToF32(binary.LittleEndian.Uint16(kb[qk*KQ8Tile+2*lane:]))
				dq := quant.F16ToF32(binary.LittleEndian.Uint16(qb))
				s += float32(float32(isum) * float32(dk*dq))
			}
			out[h*ldo+j] = s
		}
	}
}

// pvKeysQ8 bounds the keys of one PV kernel call (a few microseconds).
const pvKeysQ8 = 1024

// PVQ8 adds the probabilities times Q8_0 values of attention heads: for h
// < heads, d < dim (a multiple of 32), with v(j) row j of v (dim/32 Q8_0
// blocks at v[j*ldv:]), dv(j, b) its block b's scale and q(j, d) its value
// d,
//
//	out[h*ldo+d] += sum over j < nk of p[h*ldp+j] * (dv(j, d/32) * q(j, d))
//
// in order of j, one fused multiply-add per term.
func PVQ8(out []float32, ldo int, p []float32, ldp int, v []byte, ldv int, heads, nk, dim int) {
	if heads <= 0 || nk <= 0 || dim <= 0 {
		return
	}
	rowBytes := dim / qk * q8Bytes
	if dim%qk != 0 || ldo < dim || ldp < nk || ldv < rowBytes || len(out) < (heads-1)*ldo+dim ||
		len(p) < (heads-1)*ldp+nk || len(v) < (nk-1)*ldv+rowBytes {
		panic(fmt.Sprintf("asm.PVQ8: len(out)=%d ldo=%d len(p)=%d ldp=%d len(v)=%d ldv=%d heads=%d nk=%d dim=%d",
			len(out), ldo, len(p), ldp, len(v), ldv, heads, nk, dim))
	}
	pth := table().kvq8
	if pth == kvq8None {
		refPVQ8(out, ldo, p, ldp, v, ldv, heads, nk, dim)
		return
	}
	cols := kq8PVCols(pth)
	d0 := dim / cols * cols
	for h := 0; h < heads; {
		nh := min(kq8Heads(heads-h), kq8PVHeads(pth))
		for d := 0; d < d0; d += cols {
			for j := 0; j < nk; j += pvKeysQ8 {
				kq8PV(pth, nh, &out[h*ldo+d], ldo, &p[h*ldp+j], ldp, &v[j*ldv+d/qk*q8Bytes], ldv, min(pvKeysQ8, nk-j))
			}
		}
		h += nh
	}
	if d0 < dim {
		// Columns past the kernels' width (head dims not a multiple of
		// 64 on avx512).
		refPVQ8Cols(out, ldo, p, ldp, v, ldv, heads, nk, d0, dim)
	}
}

// refPVQ8 is PVQ8 in Go.
func refPVQ8(out []float32, ldo int, p []float32, ldp int, v []byte, ldv int, heads, nk, dim int) {
	refPVQ8Cols(out, ldo, p, ldp, v, ldv, heads, nk, 0, dim)
}

// refPVQ8Cols is refPVQ8 on columns [lo, hi) (multiples of 32).
func refPVQ8Cols(out []float32, ldo int, p []float32, ldp int, v []byte, ldv int, heads, nk, lo, hi int) {
	var row [qk]float32
	for j := range nk {
		for b := lo / qk; b < hi/qk; b++ {
			blk := v[j*ldv+b*q8Bytes:][:q8Bytes]
			dv := quant.F16ToF32(binary.LittleEndian.Uint16(blk))
			for i := range row {
				row[i] = float32(int8(blk[2+i])) * dv
			}
			for h := range heads {
				a := float64(p[h*ldp+j])
				o := out[h*ldo+b*qk:][:qk]
				for i, x := range row {
					o[i] = float32(math.FMA(a, float64(x), float64(o[i])))
				}
			}
		}
	}
}
