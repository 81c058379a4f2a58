//go:build (!amd64 && !arm64) || noasm

package asm

// No KV cache kernels on this target or build: every path's kvq8 is
// kvq8None, and the exported functions run the Go loops, so these are never
// called.

func kq8ScoreHeads(kvq8Path) int { return 0 }

func kq8Scores(kvq8Path, int, *float32, int, *byte, int, *byte, int, int, *[2 * 4 * kq8MaxBlocks]uint32) {
	panic("asm: no KV cache kernels")
}

func kq8PVCols(kvq8Path) int { return 0 }

func kq8PVHeads(kvq8Path) int { return 0 }

func kq8PV(kvq8Path, int, *float32, int, *float32, int, *byte, int, int) {
	panic("asm: no KV cache kernels")
}
