//go:build !noasm

#include "textflag.h"

// ---------------------------------------------------------------- bandwidth

// func readSweepAVX2(p *byte, n int) uint64
//
// With software prefetch 4 KiB ahead, like the GEMV kernels, so that the
// baseline is the best plain read rate and not the hardware prefetcher's.
TEXT ·readSweepAVX2(SB), NOSPLIT, $0-24
	MOVQ  p+0(FP), SI
	MOVQ  n+8(FP), CX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3

loop:
	PREFETCHT0 4096(SI)
	PREFETCHT0 4096+64(SI)
	PREFETCHT0 4096+128(SI)
	PREFETCHT0 4096+192(SI)
	VPADDQ (SI), Y0, Y0
	VPADDQ 32(SI), Y1, Y1
	VPADDQ 64(SI), Y2, Y2
	VPADDQ 96(SI), Y3, Y3
	VPADDQ 128(SI), Y0, Y0
	VPADDQ 160(SI), Y1, Y1
	VPADDQ 192(SI), Y2, Y2
	VPADDQ 224(SI), Y3, Y3
	ADDQ   $256, SI
	SUBQ   $256, CX
	JNZ    loop

	VPADDQ       Y1, Y0, Y0
	VPADDQ       Y3, Y2, Y2
	VPADDQ       Y2, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDQ       X1, X0, X0
	VPSHUFD      $0x4e, X0, X1
	VPADDQ       X1, X0, X0
	VZEROUPPER
	MOVQ         X0, ret+16(FP)
	RET
