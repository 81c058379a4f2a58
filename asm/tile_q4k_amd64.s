//go:build !noasm

#include "textflag.h"
#include "tile_amd64.h"

// Q4_K tile kernel, 16 weight rows x 8 activation rows per call, AVX-512
// VNNI. See tileKKernelRef in tile_q4k.go for the layouts and what it
// computes.
//
// Z0..Z7   isum of activation j (16 rows each), per super-block
// Z8..Z15  int32 sums of the current sub-block, then msum, activation j
// Z16..Z23 the sub-block's values: k-group g (4 values) of the 16 rows;
//          then the mins, then d and dmin and temporaries
// Z24..Z31 float sums of activation j
//
// BX super-block of the weights, SI of the activations; R10 values and R11
// activations of the sub-block, R13 its scales.

// KFLOAT(j, I, M, F) is the reference's float step for activation j:
// F = (F + float(I)*(d*dx)) - float(M)*(dmin*dx), each operation rounded
// (no FMA); d is in Z16 and dmin in Z17.
#define KFLOAT(j, I, M, F) \
	KDSTEP(j, I, F); \
	VMULPS.BCST (2304+4*j)(SI), Z17, Z19; \
	VCVTDQ2PS   M, M; \
	VMULPS      Z19, M, M; \
	VSUBPS      M, F, F

// func tileK16x8VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool)
TEXT ·tileK16x8VNNI(SB), NOSPLIT, $0-41
	TILE_ARGS(Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31)

block:
	ZERO8(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	MOVQ   BX, R10
	MOVQ   SI, R11
	LEAQ   4096(BX), R13
	MOVQ   $8, R12

sub:
	ZERO8(Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
	TILE_LD8(R10, 0)
	TILE_VNNI8(R11, 256, 0, Z16)
	TILE_VNNI8(R11, 256, 1, Z17)
	TILE_VNNI8(R11, 256, 2, Z18)
	TILE_VNNI8(R11, 256, 3, Z19)
	TILE_VNNI8(R11, 256, 4, Z20)
	TILE_VNNI8(R11, 256, 5, Z21)
	TILE_VNNI8(R11, 256, 6, Z22)
	TILE_VNNI8(R11, 256, 7, Z23)
	// isum += scale * sum; |sum| < 2^16 and scale < 64: exact.
	VMOVDQU32 (R13), Z16
	TILE_ISUM8(Z16)
	ADDQ      $512, R10
	ADDQ      $32, R11
	ADDQ      $64, R13
	DECQ      R12
	JNZ       sub

	// msum of each activation
	ZERO8(Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
	TILE_LD8(BX, 4608)
	TILE_BSUMS(Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)

	VMOVUPS 5120(BX), Z16
	VMOVUPS 5184(BX), Z17
	KFLOAT(0, Z0, Z8, Z24)
	KFLOAT(1, Z1, Z9, Z25)
	KFLOAT(2, Z2, Z10, Z26)
	KFLOAT(3, Z3, Z11, Z27)
	KFLOAT(4, Z4, Z12, Z28)
	KFLOAT(5, Z5, Z13, Z29)
	KFLOAT(6, Z6, Z14, Z30)
	KFLOAT(7, Z7, Z15, Z31)
	ADDQ $5248, BX
	ADDQ $2336, SI
	DECQ CX
	JNZ  block

	TILE_STORE8(Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31)
	VZEROUPPER
	RET

// The values are unpacked by transposing: the 128 value bytes of a row are
// 32 dwords, two zmm of 16 (half h: dwords 16h..16h+15); the 16 rows' zmm
// of a half are transposed (VPUNPCK*DQ, then 128-bit lanes with
// VSHUFI32X4) so that register c holds dword 16h+c of every row, which is
// k-group g = c%8 of chunk 2h+c/8: its low nibbles go to sub-block 2k, its
// high nibbles to 2k+1. KLOAD(16+64h) and KT3 (tile_amd64.h) transpose.

// KOUT(R, off) stores the low nibbles of R at off and its high nibbles
// 512 bytes on (the next sub-block); lanes of missing rows (K5) are zero.
#define KOUT(R, off) \
	VPANDD.Z  Z30, R, K5, Z24; \
	VPSRLD    $4, R, R; \
	VPANDD.Z  Z30, R, K5, R; \
	VMOVDQU32 Z24, off(DI); \
	VMOVDQU32 R, (512+off)(DI)

// KQUAD(X0, X1, X2, X3, off) transposes dword m of the half's 16 rows
// (KT3) and unpacks dwords m, 4+m, 8+m, 12+m (Z20..Z23, k-groups m and
// 4+m of two chunks) to off, off+256, off+1024, off+1280; off = 64m+2048h.
#define KQUAD(X0, X1, X2, X3, off) \
	KT3(X0, X1, X2, X3); \
	KOUT(Z20, off); \
	KOUT(Z21, (off+256)); \
	KOUT(Z22, (off+1024)); \
	KOUT(Z23, (off+1280))

// func repackQ4KTileAsm(dst *byte, w *byte, idx *[16]int32, rows, nb int)
// repackQ4KTile: row i of the group starts idx[i] bytes after w (idx of a
// missing row is any valid row's); lanes of the rows >= rows (1..16) are
// zero, scales included (those by masked gathers).
// Z0..Z15 the rows' half, Z16..Z24 temporaries, Z27..Z31 constants and
// row offsets; K5 the rows present, K1..K4 gather masks.
TEXT ·repackQ4KTileAsm(SB), NOSPLIT, $0-40
	MOVQ      dst+0(FP), DI
	MOVQ      w+8(FP), SI
	MOVQ      idx+16(FP), AX
	MOVQ      rows+24(FP), CX
	MOVQ      nb+32(FP), DX
	KSETUP
	KCONST($63, Z29)
	KCONST($15, Z28)
	KCONST($3, Z27)

kblk:
	KLOAD(16)
	KQUAD(Z0, Z4, Z8, Z12, 0)
	KQUAD(Z1, Z5, Z9, Z13, 64)
	KQUAD(Z2, Z6, Z10, Z14, 128)
	KQUAD(Z3, Z7, Z11, Z15, 192)
	KLOAD(80)
	KQUAD(Z0, Z4, Z8, Z12, 2048)
	KQUAD(Z1, Z5, Z9, Z13, 2112)
	KQUAD(Z2, Z6, Z10, Z14, 2176)
	KQUAD(Z3, Z7, Z11, Z15, 2240)
	KSCALES
	ADDQ      $144, SI
	ADDQ      $5248, DI
	DECQ      DX
	JNZ       kblk
	VZEROUPPER
	RET
