//go:build !noasm

package asm

import (
	"math"
	"unsafe"
)

// tile16x8VNNI is tileKernelRef (see tile_q8q4.go) with AVX-512 VNNI; nb > 0.
// tile16x4VNNI and tile16x2VNNI are it on the first 4 and 2 activations of
// the tile: the same operations per activation, so the same results.
//
//go:noescape
func tile16x8VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool) (bad bool)

//go:noescape
func tile16x4VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool) (bad bool)

//go:noescape
func tile16x2VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool) (bad bool)

// prefetchL2 requests the n > 0 bytes at p into L2 (PREFETCHT1 per line).
//
//go:noescape
func prefetchL2(p *byte, n int)

// repackQ8TileAsm and repackQ4TileAsm are repackQ8Tile and repackQ4Tile
// for the rows > 0 rows that exist (no padding), with scales from tab.
//
//go:noescape
func repackQ8TileAsm(dst *byte, w *byte, rowBytes, rows, nb int, tab *[1 << 16]float32)

//go:noescape
func repackQ4TileAsm(dst *byte, w *byte, rowBytes, rows, nb int, tab *[1 << 16]float32)

// repackQ8Asm and repackQ4Asm are repackQ8Tile and repackQ4Tile with
// AVX-512 (repackAsm: wb is the block size).
func repackQ8Asm(dst, w []byte, rowBytes, rows, nb int) {
	repackAsm(q8Bytes, dst, w, rowBytes, rows, nb)
}
func repackQ4Asm(dst, w []byte, rowBytes, rows, nb int) {
	repackAsm(q4Bytes, dst, w, rowBytes, rows, nb)
}

func repackAsm(wb int, dst, w []byte, rowBytes, rows, nb int) {
	_ = dst[nb*tileWBytes-1]
	_ = w[(rows-1)*rowBytes+nb*wb-1]
	if wb == q8Bytes {
		repackQ8TileAsm(&dst[0], &w[0], rowBytes, rows, nb, f16tab)
	} else {
		repackQ4TileAsm(&dst[0], &w[0], rowBytes, rows, nb, f16tab)
	}
	padTile(dst, rows, nb)
}

// repackQ8Tile16 and repackQ4Tile16 are repackQ8Tile and repackQ4Tile
// for a full group (16 rows; idx[i] = i*rowBytes) with AVX-512: the
// values by a transpose in registers, the scales by a gather; nb > 0.
// Spread over the blocks they prefetch as many bytes from pf on (any
// address: prefetches do not fault). The tile driver prefetches each
// K-chunk of a group ahead of its unpacking, for every family, so
// repackVec points pf at the group's own first rows.
//
//go:noescape
func repackQ8Tile16(dst *byte, w *byte, rowBytes int, nb int, idx *[16]int32, pf uintptr)

//go:noescape
func repackQ4Tile16(dst *byte, w *byte, rowBytes int, nb int, idx *[16]int32, pf uintptr)

// repackQ8Vec and repackQ4Vec unpack a group with repackQ8Tile16 and
// repackQ4Tile16 (repackVec: wb is the block size), in calls of at most
// tileMaxBlocks blocks (Go assembly is not preemptible); a partial group,
// or rows too far apart for int32 offsets, go to the scalar unpackers.
// The kernels are called directly: through a func value idx would escape
// to the heap.
func repackQ8Vec(dst, w []byte, rowBytes, rows, nb int) {
	repackVec(q8Bytes, dst, w, rowBytes, rows, nb)
}
func repackQ4Vec(dst, w []byte, rowBytes, rows, nb int) {
	repackVec(q4Bytes, dst, w, rowBytes, rows, nb)
}

func repackVec(wb int, dst, w []byte, rowBytes, rows, nb int) {
	if rows < tileRows || (tileRows-1)*rowBytes > math.MaxInt32 {
		repackAsm(wb, dst, w, rowBytes, rows, nb)
		return
	}
	idx := groupOffsets(dst, w, rowBytes, nb, wb)
	pf := uintptr(unsafe.Pointer(&w[0]))
	for b := 0; b < nb; b += tileMaxBlocks {
		n := min(tileMaxBlocks, nb-b)
		if wb == q8Bytes {
			repackQ8Tile16(&dst[b*tileWBytes], &w[b*wb], rowBytes, n, &idx, pf)
		} else {
			repackQ4Tile16(&dst[b*tileWBytes], &w[b*wb], rowBytes, n, &idx, pf)
		}
		pf += uintptr(n * tileRows * wb)
	}
}

// groupOffsets checks that dst holds a group of nb blocks and w 16 rows of
// nb blocks of wb bytes, rowBytes apart, and returns the rows' offsets.
func groupOffsets(dst, w []byte, rowBytes, nb, wb int) (idx [tileRows]int32) {
	_ = dst[nb*tileWBytes-1]
	_ = w[(tileRows-1)*rowBytes+nb*wb-1]
	for i := range idx {
		idx[i] = int32(i * rowBytes)
	}
	return idx
}

// prefetchL1 requests the n > 0 bytes at p into L1 (PREFETCHT0 per line).
//
//go:noescape
func prefetchL1(p *byte, n int)

// prefetchNear asks for b to be brought into L1 ahead of use.
func prefetchNear(b []byte) {
	if len(b) > 0 {
		prefetchL1(&b[0], len(b))
	}
}
