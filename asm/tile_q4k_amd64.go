//go:build !noasm

package asm

import (
	"math"
	"runtime"
)

// tileK16x8VNNI is tileKKernelRef (see tile_q4k.go) with AVX-512 VNNI; nb > 0.
// tileK16x4VNNI and tileK16x2VNNI are it on the first 4 and 2 activations
// of the tile.
//
//go:noescape
func tileK16x8VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool)

//go:noescape
func tileK16x4VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool)

//go:noescape
func tileK16x2VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool)

// tileK16x16AMX is tileKAMX16Ref (see tile_q4k_amx.go) with AMX tiles
// and AVX-512; nb > 0. The thread must have its tiles configured
// (amxConfigure).
//
//go:noescape
func tileK16x16AMX(out *float32, ldo int, w *byte, x *byte, nb int, acc bool)

// amxConfigure sets this thread's tiles up for tileK16x16AMX (palette 1,
// all 16 rows of 64 bytes); amxRelease returns them to their initial
// state. The process must hold the tile state (amxEnable).
func amxConfigure()
func amxRelease()

// amxOn locks the calling goroutine to its thread and configures the
// thread's tiles; amxOff undoes both. Between them tileK16x16AMX may run:
// the OS saves and restores the tiles when the thread is switched out or
// signalled, and no other goroutine runs on the thread.
func amxOn() {
	runtime.LockOSThread()
	amxConfigure()
}

func amxOff() {
	amxRelease()
	runtime.UnlockOSThread()
}

// kToAMXAsm is kToAMX (see tile_q4k_amx.go) with AVX-512 on nb > 0
// super-blocks.
//
//go:noescape
func kToAMXAsm(dst, src *byte, nb int)

// kToAMXVec is kToAMX by kToAMXAsm.
func kToAMXVec(dst, src []byte, nb int) {
	_ = dst[nb*kAMXBytes-1]
	_ = src[nb*kWBytes-1]
	kToAMXAsm(&dst[0], &src[0], nb)
}

// repackQ4KTileAsm is repackQ4KTile (rows 1..16) with AVX-512: the values
// by a transpose in registers, the scales by gathers; row i starts idx[i]
// bytes after w. The scales of missing rows are zeroed like their values.
//
//go:noescape
func repackQ4KTileAsm(dst *byte, w *byte, idx *[16]int32, rows, nb int)

// repackKAsm is repackQ4KTileAsm, repackQ5KTileAsm or repackQ6KTileAsm
// (by the block size wb; gb bytes per super-block of the group) with its
// arguments checked, in calls of at most tileKMaxBlocks super-blocks (Go
// assembly is not preemptible); the row offsets are int32 (rows of up to
// 2^31/15 bytes, else the Go version ref). Missing rows read row 0 (offset
// 0), masked out. The kernels are called directly: through a func value
// idx would escape to the heap.
func repackKAsm(wb, gb int, ref repackFunc, dst, w []byte, rowBytes, rows, nb int) {
	if (tileRows-1)*rowBytes > math.MaxInt32 {
		ref(dst, w, rowBytes, rows, nb)
		return
	}
	_ = dst[nb*gb-1]
	_ = w[(rows-1)*rowBytes+nb*wb-1]
	var idx [tileRows]int32
	for i := range rows {
		idx[i] = int32(i * rowBytes)
	}
	for b := 0; b < nb; b += tileKMaxBlocks {
		d, src, n := &dst[b*gb], &w[b*wb], min(tileKMaxBlocks, nb-b)
		switch wb {
		case q4KBytes:
			repackQ4KTileAsm(d, src, &idx, rows, n)
		case q5KBytes:
			repackQ5KTileAsm(d, src, &idx, rows, n)
		default:
			repackQ6KTileAsm(d, src, &idx, rows, n)
		}
	}
}

// repackQ4KAsm is the Q4_K repacker (repackFunc) of the avx512 path.
func repackQ4KAsm(dst, w []byte, rowBytes, rows, nb int) {
	repackKAsm(q4KBytes, kWBytes, repackQ4KTile, dst, w, rowBytes, rows, nb)
}
