//go:build !noasm

#include "textflag.h"

// Small-batch pieces of the Q8_0/Q4_0 tile GEMM (tile_q8q4.go), AVX-512:
// a weight-group unpacker that transposes 16 rows in registers (the Go and
// scalar ones store one dword at a time), and tile kernels for 4 and 2
// activation rows, so that a batch of 2-7 rows does not pay for 8.
//
// Every FP reference below is in a TEXT body (vet checks them against
// that TEXT's Go declaration); the macros hold no arguments.

// SMT_ROWS loads the 16 bytes at off of the group's block in rows m, 4+m,
// 8+m and 12+m into the 128-bit lanes 0..3 of Z. Row 4q+m is at
// P + q*R12 (R12 = 4 rows, R13 = 12 rows), P being row m's block.
#define SMT_ROWS(P, off, Z, X) \
	VMOVDQU      off(P), X; \
	VINSERTI32X4 $1, off(P)(R12*1), Z, Z; \
	VINSERTI32X4 $2, off(P)(R12*2), Z, Z; \
	VINSERTI32X4 $3, off(P)(R13*1), Z, Z

// SMT_TRANSPOSE turns Z0..Z3 (SMT_ROWS of rows m = 0..3) into Z0..Z3 =
// dwords 0..3 of the 16 bytes of every row, row i in dword lane i: a 4x4
// dword transpose within each 128-bit lane (lane q of Zm holds row 4q+m).
#define SMT_TRANSPOSE \
	VPUNPCKLDQ  Z1, Z0, Z4; \
	VPUNPCKHDQ  Z1, Z0, Z5; \
	VPUNPCKLDQ  Z3, Z2, Z6; \
	VPUNPCKHDQ  Z3, Z2, Z7; \
	VPUNPCKLQDQ Z6, Z4, Z0; \
	VPUNPCKHQDQ Z6, Z4, Z1; \
	VPUNPCKLQDQ Z7, Z5, Z2; \
	VPUNPCKHQDQ Z7, Z5, Z3

// SMT_LOAD16 loads and transposes the 16 bytes at off of the block of
// all 16 rows (R8..R11: rows 0..3) into Z0..Z3.
#define SMT_LOAD16(off) \
	SMT_ROWS(R8, off, Z0, X0); \
	SMT_ROWS(R9, off, Z1, X1); \
	SMT_ROWS(R10, off, Z2, X2); \
	SMT_ROWS(R11, off, Z3, X3); \
	SMT_TRANSPOSE

// SMT_SCALES stores the 16 rows' block scales (f16 at the block start,
// gathered through the row offsets in Z31) as float32 at 512(DI).
#define SMT_SCALES \
	KXNORW      K1, K1, K1; \
	VPXORD      Z8, Z8, Z8; \
	VPGATHERDD  (R8)(Z31*1), K1, Z8; \
	VPMOVDW     Z8, Y8; \
	VCVTPH2PS   Y8, Z8; \
	VMOVUPS     Z8, 512(DI)

// SMT_NEXT moves the four row cursors by a weight block of WB bytes, the
// prefetch cursor by 16 of them and the group by a 576-byte block, and
// loops to L.
#define SMT_NEXT(WB, L) \
	ADDQ $(16*WB), BX; \
	ADDQ $WB, R8; \
	ADDQ $WB, R9; \
	ADDQ $WB, R10; \
	ADDQ $WB, R11; \
	ADDQ $576, DI; \
	DECQ CX; \
	JNZ  L

// SMT_Q8OUT(Z, g) stores the int8 values Z (k-group g of the 16 rows) as
// unsigned bytes w+128 (Z29 = 0x80 bytes).
#define SMT_Q8OUT(Z, g) \
	VPXORD    Z29, Z, Z; \
	VMOVDQU32 Z, (64*g)(DI)

// SMT_Q4OUT(Z, g) stores the low nibbles of Z as k-group g and the high
// ones as k-group g+4, as unsigned bytes q-8+128 = q+0x78 (Z30 = 0x0f,
// Z29 = 0x78 bytes).
#define SMT_Q4OUT(Z, g) \
	VPSRLD    $4, Z, Z4; \
	VPANDD    Z30, Z, Z; \
	VPANDD    Z30, Z4, Z4; \
	VPADDB    Z29, Z, Z; \
	VPADDB    Z29, Z4, Z4; \
	VMOVDQU32 Z, (64*g)(DI); \
	VMOVDQU32 Z4, (64*g+256)(DI)

// SMT_PF(off) prefetches the line at off of the prefetch cursor BX.
#define SMT_PF(off) PREFETCHT0 off(BX)

// func repackQ8Tile16(dst *byte, w *byte, rowBytes int, nb int, idx *[16]int32, pf uintptr)
// repackQ8Tile for a full group of 16 rows; nb > 0, idx[i] = i*rowBytes.
// Per block it prefetches the 16*34 bytes at the cursor pf, which moves
// on by as many: the group's bytes, later in memory.
TEXT ·repackQ8Tile16(SB), NOSPLIT, $0-48
	MOVQ      dst+0(FP), DI
	MOVQ      w+8(FP), R8
	MOVQ      rowBytes+16(FP), DX
	MOVQ      nb+24(FP), CX
	MOVQ      idx+32(FP), AX
	MOVQ      pf+40(FP), BX
	VMOVDQU32 (AX), Z31
	LEAQ      (R8)(DX*1), R9
	LEAQ      (R8)(DX*2), R10
	LEAQ      (R9)(DX*2), R11
	MOVQ      DX, R12
	SHLQ      $2, R12
	LEAQ      (R12)(R12*2), R13
	MOVL      $0x80808080, AX
	VPBROADCASTD AX, Z29

q8blk:
	SMT_PF(0)
	SMT_PF(64)
	SMT_PF(128)
	SMT_PF(192)
	SMT_PF(256)
	SMT_PF(320)
	SMT_PF(384)
	SMT_PF(448)
	SMT_PF(512)
	SMT_LOAD16(2)
	SMT_Q8OUT(Z0, 0)
	SMT_Q8OUT(Z1, 1)
	SMT_Q8OUT(Z2, 2)
	SMT_Q8OUT(Z3, 3)
	SMT_LOAD16(18)
	SMT_Q8OUT(Z0, 4)
	SMT_Q8OUT(Z1, 5)
	SMT_Q8OUT(Z2, 6)
	SMT_Q8OUT(Z3, 7)
	SMT_SCALES
	SMT_NEXT(34, q8blk)
	VZEROUPPER
	RET

// func repackQ4Tile16(dst *byte, w *byte, rowBytes int, nb int, idx *[16]int32, pf uintptr)
// repackQ8Tile16 for Q4_0 (16*18 bytes prefetched per block).
TEXT ·repackQ4Tile16(SB), NOSPLIT, $0-48
	MOVQ      dst+0(FP), DI
	MOVQ      w+8(FP), R8
	MOVQ      rowBytes+16(FP), DX
	MOVQ      nb+24(FP), CX
	MOVQ      idx+32(FP), AX
	MOVQ      pf+40(FP), BX
	VMOVDQU32 (AX), Z31
	LEAQ      (R8)(DX*1), R9
	LEAQ      (R8)(DX*2), R10
	LEAQ      (R9)(DX*2), R11
	MOVQ      DX, R12
	SHLQ      $2, R12
	LEAQ      (R12)(R12*2), R13
	MOVL      $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z30
	MOVL      $0x78787878, AX
	VPBROADCASTD AX, Z29

q4blk:
	SMT_PF(0)
	SMT_PF(64)
	SMT_PF(128)
	SMT_PF(192)
	SMT_PF(256)
	SMT_LOAD16(2)
	SMT_Q4OUT(Z0, 0)
	SMT_Q4OUT(Z1, 1)
	SMT_Q4OUT(Z2, 2)
	SMT_Q4OUT(Z3, 3)
	SMT_SCALES
	SMT_NEXT(18, q4blk)
	VZEROUPPER
	RET

// The narrow tile kernels are tile16x8VNNI (tile_q8q4_amd64.s) on the
// first 4 or 2 activations of a tile, with the same operations in the same
// order per activation, so every result equals the 8-wide kernel's.
// Z0..Z3 float sums, Z8..Z15 int32 sums of the block, Z16..Z23 the
// block's weights (k-group g of the 16 rows), Z24 their scales.

// SMT_VNNI2(g, W, A0, A1) / SMT_VNNI4(g, W, A0, A1, A2, A3) add k-group
// g of the first 2 / 4 activations (broadcast from SI, 32 bytes apart)
// times the weights W to the int32 sums A0.. . With few activations one
// sum per activation would be a chain of 8 dependent VPDPBUSDs per block:
// the kernels spread the k-groups over 2 or 4 sums per activation and add
// them up after (int32 sums in any order are exact).
#define SMT_VNNI2(g, W, A0, A1) \
	VPDPBUSD.BCST (4*g)(SI), W, A0; \
	VPDPBUSD.BCST (32+4*g)(SI), W, A1

#define SMT_VNNI4(g, W, A0, A1, A2, A3) \
	SMT_VNNI2(g, W, A0, A1); \
	VPDPBUSD.BCST (64+4*g)(SI), W, A2; \
	VPDPBUSD.BCST (96+4*g)(SI), W, A3

// SMT_SCALE(j, I, T, F) adds float(I) * (dw * dx_j) to F, using T.
#define SMT_SCALE(j, I, T, F) \
	VCVTDQ2PS   I, I; \
	VMULPS.BCST (288+4*j)(SI), Z24, T; \
	VFMADD231PS T, I, F

// SMT_WEIGHTS loads the block's weights and scales, and prefetches the
// next block of weights and activations.
#define SMT_WEIGHTS \
	VMOVDQU32  0(BX), Z16; \
	VMOVDQU32  64(BX), Z17; \
	VMOVDQU32  128(BX), Z18; \
	VMOVDQU32  192(BX), Z19; \
	VMOVDQU32  256(BX), Z20; \
	VMOVDQU32  320(BX), Z21; \
	VMOVDQU32  384(BX), Z22; \
	VMOVDQU32  448(BX), Z23; \
	VMOVUPS    512(BX), Z24; \
	PREFETCHT0 576(BX); \
	PREFETCHT0 640(BX); \
	PREFETCHT0 320(SI); \
	PREFETCHT0 384(SI)

// SMT_BAD sets T = F*0 (Z25 = 0): NaN exactly in the lanes where the sum
// F is infinite or NaN.
#define SMT_BAD(F, T) \
	VMULPS  Z25, F, T

// func tile16x4VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool) (bad bool)
TEXT ·tile16x4VNNI(SB), NOSPLIT, $0-49
	MOVQ      out+0(FP), AX
	MOVQ      ldo+8(FP), DX
	SHLQ      $2, DX
	MOVQ      w+16(FP), BX
	MOVQ      x+24(FP), SI
	MOVQ      nb+32(FP), CX
	MOVBQZX   acc+40(FP), R8
	NEGL      R8
	KMOVW     R8, K1
	MOVQ      AX, R9
	VMOVUPS.Z (R9), K1, Z0
	ADDQ      DX, R9
	VMOVUPS.Z (R9), K1, Z1
	ADDQ      DX, R9
	VMOVUPS.Z (R9), K1, Z2
	ADDQ      DX, R9
	VMOVUPS.Z (R9), K1, Z3

block4:
	SMT_WEIGHTS
	VPBROADCASTD 256(SI), Z8
	VPBROADCASTD 260(SI), Z9
	VPBROADCASTD 264(SI), Z10
	VPBROADCASTD 268(SI), Z11
	VPXORD       Z12, Z12, Z12
	VPXORD       Z13, Z13, Z13
	VPXORD       Z14, Z14, Z14
	VPXORD       Z15, Z15, Z15
	SMT_VNNI4(0, Z16, Z8, Z9, Z10, Z11)
	SMT_VNNI4(4, Z20, Z12, Z13, Z14, Z15)
	SMT_VNNI4(1, Z17, Z8, Z9, Z10, Z11)
	SMT_VNNI4(5, Z21, Z12, Z13, Z14, Z15)
	SMT_VNNI4(2, Z18, Z8, Z9, Z10, Z11)
	SMT_VNNI4(6, Z22, Z12, Z13, Z14, Z15)
	SMT_VNNI4(3, Z19, Z8, Z9, Z10, Z11)
	SMT_VNNI4(7, Z23, Z12, Z13, Z14, Z15)
	VPADDD       Z12, Z8, Z8
	VPADDD       Z13, Z9, Z9
	VPADDD       Z14, Z10, Z10
	VPADDD       Z15, Z11, Z11
	SMT_SCALE(0, Z8, Z16, Z0)
	SMT_SCALE(1, Z9, Z17, Z1)
	SMT_SCALE(2, Z10, Z18, Z2)
	SMT_SCALE(3, Z11, Z19, Z3)
	ADDQ      $576, BX
	ADDQ      $320, SI
	DECQ      CX
	JNZ       block4

	VPXORD    Z25, Z25, Z25
	SMT_BAD(Z0, Z16)
	SMT_BAD(Z1, Z17)
	SMT_BAD(Z2, Z18)
	SMT_BAD(Z3, Z19)
	VADDPS    Z17, Z16, Z16
	VADDPS    Z19, Z18, Z18
	VADDPS    Z18, Z16, Z16
	VCMPPS    $3, Z16, Z16, K1
	KMOVW     K1, R9
	TESTL     R9, R9
	SETNE     bad+48(FP)

	VMOVUPS   Z0, (AX)
	ADDQ      DX, AX
	VMOVUPS   Z1, (AX)
	ADDQ      DX, AX
	VMOVUPS   Z2, (AX)
	ADDQ      DX, AX
	VMOVUPS   Z3, (AX)
	VZEROUPPER
	RET

// func tile16x2VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool) (bad bool)
TEXT ·tile16x2VNNI(SB), NOSPLIT, $0-49
	MOVQ      out+0(FP), AX
	MOVQ      ldo+8(FP), DX
	SHLQ      $2, DX
	MOVQ      w+16(FP), BX
	MOVQ      x+24(FP), SI
	MOVQ      nb+32(FP), CX
	MOVBQZX   acc+40(FP), R8
	NEGL      R8
	KMOVW     R8, K1
	VMOVUPS.Z (AX), K1, Z0
	VMOVUPS.Z (AX)(DX*1), K1, Z1

block2:
	SMT_WEIGHTS
	VPBROADCASTD 256(SI), Z8
	VPBROADCASTD 260(SI), Z9
	VPXORD       Z10, Z10, Z10
	VPXORD       Z11, Z11, Z11
	VPXORD       Z12, Z12, Z12
	VPXORD       Z13, Z13, Z13
	VPXORD       Z14, Z14, Z14
	VPXORD       Z15, Z15, Z15
	SMT_VNNI2(0, Z16, Z8, Z9)
	SMT_VNNI2(2, Z18, Z10, Z11)
	SMT_VNNI2(4, Z20, Z12, Z13)
	SMT_VNNI2(6, Z22, Z14, Z15)
	SMT_VNNI2(1, Z17, Z8, Z9)
	SMT_VNNI2(3, Z19, Z10, Z11)
	SMT_VNNI2(5, Z21, Z12, Z13)
	SMT_VNNI2(7, Z23, Z14, Z15)
	VPADDD       Z10, Z8, Z8
	VPADDD       Z11, Z9, Z9
	VPADDD       Z14, Z12, Z12
	VPADDD       Z15, Z13, Z13
	VPADDD       Z12, Z8, Z8
	VPADDD       Z13, Z9, Z9
	SMT_SCALE(0, Z8, Z16, Z0)
	SMT_SCALE(1, Z9, Z17, Z1)
	ADDQ      $576, BX
	ADDQ      $320, SI
	DECQ      CX
	JNZ       block2

	VPXORD    Z25, Z25, Z25
	SMT_BAD(Z0, Z16)
	SMT_BAD(Z1, Z17)
	VADDPS    Z17, Z16, Z16
	VCMPPS    $3, Z16, Z16, K1
	KMOVW     K1, R9
	TESTL     R9, R9
	SETNE     bad+48(FP)

	VMOVUPS   Z0, (AX)
	VMOVUPS   Z1, (AX)(DX*1)
	VZEROUPPER
	RET

// func prefetchL1(p *byte, n int)
// Asks for the n bytes at p (n > 0) to be brought into L1, one request
// per 64-byte line; no faults, so p+n may run past mapped memory.
TEXT ·prefetchL1(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	ADDQ SI, CX

pfl1:
	PREFETCHT0 (SI)
	ADDQ       $64, SI
	CMPQ       SI, CX
	JB         pfl1
	RET
