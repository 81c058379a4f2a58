//go:build !noasm

#include "textflag.h"

// Q4_K tile kernel, 16 weight rows x 8 activation rows per call, AVX-512
// VNNI. See tileKKernelRef in tilek.go for the layouts and what it
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

// KVNNI8(g, W) adds k-group g of the sub-block of all eight activations
// (broadcast from memory, signed) times the values W (unsigned) to Z8..Z15.
#define KVNNI8(g, W) \
	VPDPBUSD.BCST (4*g)(R11), W, Z8; \
	VPDPBUSD.BCST (256+4*g)(R11), W, Z9; \
	VPDPBUSD.BCST (512+4*g)(R11), W, Z10; \
	VPDPBUSD.BCST (768+4*g)(R11), W, Z11; \
	VPDPBUSD.BCST (1024+4*g)(R11), W, Z12; \
	VPDPBUSD.BCST (1280+4*g)(R11), W, Z13; \
	VPDPBUSD.BCST (1536+4*g)(R11), W, Z14; \
	VPDPBUSD.BCST (1792+4*g)(R11), W, Z15

// KMIN8(s, M) adds min M of sub-block s times the block sums 2s and 2s+1 of
// all eight activations to Z8..Z15.
#define KMIN8(s, M) \
	VPDPWSSD.BCST (2048+4*s)(SI), M, Z8; \
	VPDPWSSD.BCST (2080+4*s)(SI), M, Z9; \
	VPDPWSSD.BCST (2112+4*s)(SI), M, Z10; \
	VPDPWSSD.BCST (2144+4*s)(SI), M, Z11; \
	VPDPWSSD.BCST (2176+4*s)(SI), M, Z12; \
	VPDPWSSD.BCST (2208+4*s)(SI), M, Z13; \
	VPDPWSSD.BCST (2240+4*s)(SI), M, Z14; \
	VPDPWSSD.BCST (2272+4*s)(SI), M, Z15

// KFLOAT(j, I, M, F) is the reference's float step for activation j:
// F = (F + float(I)*(d*dx)) - float(M)*(dmin*dx), each operation rounded
// (no FMA); d is in Z16 and dmin in Z17.
#define KFLOAT(j, I, M, F) \
	VMULPS.BCST (2304+4*j)(SI), Z16, Z18; \
	VCVTDQ2PS   I, I; \
	VMULPS      Z18, I, I; \
	VADDPS      I, F, F; \
	VMULPS.BCST (2304+4*j)(SI), Z17, Z19; \
	VCVTDQ2PS   M, M; \
	VMULPS      Z19, M, M; \
	VSUBPS      M, F, F

// func tileK16x8VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool)
TEXT ·tileK16x8VNNI(SB), NOSPLIT, $0-41
	MOVQ out+0(FP), AX
	MOVQ ldo+8(FP), DX
	SHLQ $2, DX
	MOVQ w+16(FP), BX
	MOVQ x+24(FP), SI
	MOVQ nb+32(FP), CX
	MOVBQZX acc+40(FP), R8
	TESTQ R8, R8
	JNZ  load
	VPXORD Z24, Z24, Z24
	VPXORD Z25, Z25, Z25
	VPXORD Z26, Z26, Z26
	VPXORD Z27, Z27, Z27
	VPXORD Z28, Z28, Z28
	VPXORD Z29, Z29, Z29
	VPXORD Z30, Z30, Z30
	VPXORD Z31, Z31, Z31
	JMP  block

load:
	MOVQ AX, R9
	VMOVUPS (R9), Z24
	ADDQ DX, R9
	VMOVUPS (R9), Z25
	ADDQ DX, R9
	VMOVUPS (R9), Z26
	ADDQ DX, R9
	VMOVUPS (R9), Z27
	ADDQ DX, R9
	VMOVUPS (R9), Z28
	ADDQ DX, R9
	VMOVUPS (R9), Z29
	ADDQ DX, R9
	VMOVUPS (R9), Z30
	ADDQ DX, R9
	VMOVUPS (R9), Z31

block:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	MOVQ   BX, R10
	MOVQ   SI, R11
	LEAQ   4096(BX), R13
	MOVQ   $8, R12

sub:
	VPXORD    Z8, Z8, Z8
	VPXORD    Z9, Z9, Z9
	VPXORD    Z10, Z10, Z10
	VPXORD    Z11, Z11, Z11
	VPXORD    Z12, Z12, Z12
	VPXORD    Z13, Z13, Z13
	VPXORD    Z14, Z14, Z14
	VPXORD    Z15, Z15, Z15
	VMOVDQU32 (R10), Z16
	VMOVDQU32 64(R10), Z17
	VMOVDQU32 128(R10), Z18
	VMOVDQU32 192(R10), Z19
	VMOVDQU32 256(R10), Z20
	VMOVDQU32 320(R10), Z21
	VMOVDQU32 384(R10), Z22
	VMOVDQU32 448(R10), Z23
	KVNNI8(0, Z16)
	KVNNI8(1, Z17)
	KVNNI8(2, Z18)
	KVNNI8(3, Z19)
	KVNNI8(4, Z20)
	KVNNI8(5, Z21)
	KVNNI8(6, Z22)
	KVNNI8(7, Z23)
	// isum += scale * sum; |sum| < 2^16 and scale < 64: exact.
	VMOVDQU32 (R13), Z16
	VPMULLD   Z16, Z8, Z8
	VPMULLD   Z16, Z9, Z9
	VPMULLD   Z16, Z10, Z10
	VPMULLD   Z16, Z11, Z11
	VPMULLD   Z16, Z12, Z12
	VPMULLD   Z16, Z13, Z13
	VPMULLD   Z16, Z14, Z14
	VPMULLD   Z16, Z15, Z15
	VPADDD    Z8, Z0, Z0
	VPADDD    Z9, Z1, Z1
	VPADDD    Z10, Z2, Z2
	VPADDD    Z11, Z3, Z3
	VPADDD    Z12, Z4, Z4
	VPADDD    Z13, Z5, Z5
	VPADDD    Z14, Z6, Z6
	VPADDD    Z15, Z7, Z7
	ADDQ      $512, R10
	ADDQ      $32, R11
	ADDQ      $64, R13
	DECQ      R12
	JNZ       sub

	// msum of each activation
	VPXORD    Z8, Z8, Z8
	VPXORD    Z9, Z9, Z9
	VPXORD    Z10, Z10, Z10
	VPXORD    Z11, Z11, Z11
	VPXORD    Z12, Z12, Z12
	VPXORD    Z13, Z13, Z13
	VPXORD    Z14, Z14, Z14
	VPXORD    Z15, Z15, Z15
	VMOVDQU32 4608(BX), Z16
	VMOVDQU32 4672(BX), Z17
	VMOVDQU32 4736(BX), Z18
	VMOVDQU32 4800(BX), Z19
	VMOVDQU32 4864(BX), Z20
	VMOVDQU32 4928(BX), Z21
	VMOVDQU32 4992(BX), Z22
	VMOVDQU32 5056(BX), Z23
	KMIN8(0, Z16)
	KMIN8(1, Z17)
	KMIN8(2, Z18)
	KMIN8(3, Z19)
	KMIN8(4, Z20)
	KMIN8(5, Z21)
	KMIN8(6, Z22)
	KMIN8(7, Z23)

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

	VMOVUPS Z24, (AX)
	ADDQ    DX, AX
	VMOVUPS Z25, (AX)
	ADDQ    DX, AX
	VMOVUPS Z26, (AX)
	ADDQ    DX, AX
	VMOVUPS Z27, (AX)
	ADDQ    DX, AX
	VMOVUPS Z28, (AX)
	ADDQ    DX, AX
	VMOVUPS Z29, (AX)
	ADDQ    DX, AX
	VMOVUPS Z30, (AX)
	ADDQ    DX, AX
	VMOVUPS Z31, (AX)
	VZEROUPPER
	RET

// The values are unpacked by transposing: the 128 value bytes of a row are
// 32 dwords, two zmm of 16 (half h: dwords 16h..16h+15); the 16 rows' zmm
// of a half are transposed (VPUNPCK*DQ, then 128-bit lanes with
// VSHUFI32X4) so that register c holds dword 16h+c of every row, which is
// k-group g = c%8 of chunk 2h+c/8: its low nibbles go to sub-block 2k, its
// high nibbles to 2k+1.

// KROW(i, h, R) loads half h of the values of row i (offset idx[i]).
#define KROW(i, h, R) \
	MOVLQSX   (4*i)(AX), R9; \
	VMOVDQU32 (16+64*h)(SI)(R9*1), R

// KT1(A, B) interleaves the dwords of rows A and B within 128-bit lanes:
// A = a0 b0 a1 b1, B = a2 b2 a3 b3 (per lane).
#define KT1(A, B) \
	VPUNPCKLDQ B, A, Z16; \
	VPUNPCKHDQ B, A, B; \
	VMOVDQA64  Z16, A

// KT2(R0, R1, R2, R3) makes, from KT1's pairs (R0, R1) and (R2, R3) of 4
// rows, Rm = dword m of the 4 rows (per 128-bit lane).
#define KT2(R0, R1, R2, R3) \
	VPUNPCKLQDQ R2, R0, Z16; \
	VPUNPCKHQDQ R2, R0, Z17; \
	VPUNPCKLQDQ R3, R1, Z18; \
	VPUNPCKHQDQ R3, R1, R3; \
	VMOVDQA64   Z16, R0; \
	VMOVDQA64   Z17, R1; \
	VMOVDQA64   Z18, R2

// KT3(X0, X1, X2, X3) transposes the 128-bit lanes of X0..X3 (dword m of
// rows 4q..4q+3 in Xq) into Z20..Z23 (Z(20+L) = dword 4L+m of the 16 rows).
#define KT3(X0, X1, X2, X3) \
	VSHUFI32X4 $0x44, X1, X0, Z16; \
	VSHUFI32X4 $0xee, X1, X0, Z17; \
	VSHUFI32X4 $0x44, X3, X2, Z18; \
	VSHUFI32X4 $0xee, X3, X2, Z19; \
	VSHUFI32X4 $0x88, Z18, Z16, Z20; \
	VSHUFI32X4 $0xdd, Z18, Z16, Z21; \
	VSHUFI32X4 $0x88, Z19, Z17, Z22; \
	VSHUFI32X4 $0xdd, Z19, Z17, Z23

// KOUT(R, off) stores the low nibbles of R at off and its high nibbles
// 512 bytes on (the next sub-block); lanes of missing rows (K5) are zero.
#define KOUT(R, off) \
	VPANDD.Z  Z30, R, K5, Z24; \
	VPSRLD    $4, R, R; \
	VPANDD.Z  Z30, R, K5, R; \
	VMOVDQU32 Z24, off(DI); \
	VMOVDQU32 R, (512+off)(DI)

// KGATHER(off, R, K) gathers the dwords at off of the rows' super-block
// into R (zero for missing rows).
#define KGATHER(off, R, K) \
	KMOVW      R8, K; \
	VPXORD     R, R, R; \
	VPGATHERDD off(SI)(Z31*1), K, R

// KSTORE2(T, off) stores T as int32 pairs of int16 (T < 64) at off.
#define KSTORE2(T, off) \
	VPSLLD    $16, T, Z20; \
	VPORD     Z20, T, T; \
	VMOVDQU32 T, off(DI)

// KLOW(s) stores scale and min of sub-block s < 4: the low 6 bits of
// packed bytes s and s+4 (byte s of Z16 and Z17).
#define KLOW(s) \
	VPSRLD    $(8*s), Z16, Z19; \
	VPANDD    Z29, Z19, Z19; \
	VMOVDQU32 Z19, (4096+64*s)(DI); \
	VPSRLD    $(8*s), Z17, Z19; \
	VPANDD    Z29, Z19, Z19; \
	KSTORE2(Z19, (4608+64*s))

// KHIGH(t) stores scale and min of sub-block 4+t: the low and high nibbles
// of packed byte 8+t (byte t of Z18) with the top 2 bits of bytes t and
// t+4 above them.
#define KHIGH(t) \
	VPSRLD    $(8*t), Z18, Z19; \
	VPANDD    Z28, Z19, Z19; \
	VPSRLD    $(8*t+6), Z16, Z21; \
	VPANDD    Z27, Z21, Z21; \
	VPSLLD    $4, Z21, Z21; \
	VPORD     Z21, Z19, Z19; \
	VMOVDQU32 Z19, (4096+256+64*t)(DI); \
	VPSRLD    $(8*t+4), Z18, Z19; \
	VPANDD    Z28, Z19, Z19; \
	VPSRLD    $(8*t+6), Z17, Z21; \
	VPANDD    Z27, Z21, Z21; \
	VPSLLD    $4, Z21, Z21; \
	VPORD     Z21, Z19, Z19; \
	KSTORE2(Z19, (4608+256+64*t))

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
	VMOVDQU32 (AX), Z31
	MOVL      $1, R8
	SHLL      CX, R8
	DECL      R8
	KMOVW     R8, K5
	MOVL      $0x0f0f0f0f, R9
	VPBROADCASTD R9, Z30
	MOVL      $63, R9
	VPBROADCASTD R9, Z29
	MOVL      $15, R9
	VPBROADCASTD R9, Z28
	MOVL      $3, R9
	VPBROADCASTD R9, Z27

kblk:
	KROW(0, 0, Z0)
	KROW(1, 0, Z1)
	KROW(2, 0, Z2)
	KROW(3, 0, Z3)
	KROW(4, 0, Z4)
	KROW(5, 0, Z5)
	KROW(6, 0, Z6)
	KROW(7, 0, Z7)
	KROW(8, 0, Z8)
	KROW(9, 0, Z9)
	KROW(10, 0, Z10)
	KROW(11, 0, Z11)
	KROW(12, 0, Z12)
	KROW(13, 0, Z13)
	KROW(14, 0, Z14)
	KROW(15, 0, Z15)
	KT1(Z0, Z1)
	KT1(Z2, Z3)
	KT1(Z4, Z5)
	KT1(Z6, Z7)
	KT1(Z8, Z9)
	KT1(Z10, Z11)
	KT1(Z12, Z13)
	KT1(Z14, Z15)
	KT2(Z0, Z1, Z2, Z3)
	KT2(Z4, Z5, Z6, Z7)
	KT2(Z8, Z9, Z10, Z11)
	KT2(Z12, Z13, Z14, Z15)
	KT3(Z0, Z4, Z8, Z12)
	KOUT(Z20, 0)
	KOUT(Z21, 256)
	KOUT(Z22, 1024)
	KOUT(Z23, 1280)
	KT3(Z1, Z5, Z9, Z13)
	KOUT(Z20, 64)
	KOUT(Z21, 320)
	KOUT(Z22, 1088)
	KOUT(Z23, 1344)
	KT3(Z2, Z6, Z10, Z14)
	KOUT(Z20, 128)
	KOUT(Z21, 384)
	KOUT(Z22, 1152)
	KOUT(Z23, 1408)
	KT3(Z3, Z7, Z11, Z15)
	KOUT(Z20, 192)
	KOUT(Z21, 448)
	KOUT(Z22, 1216)
	KOUT(Z23, 1472)
	KROW(0, 1, Z0)
	KROW(1, 1, Z1)
	KROW(2, 1, Z2)
	KROW(3, 1, Z3)
	KROW(4, 1, Z4)
	KROW(5, 1, Z5)
	KROW(6, 1, Z6)
	KROW(7, 1, Z7)
	KROW(8, 1, Z8)
	KROW(9, 1, Z9)
	KROW(10, 1, Z10)
	KROW(11, 1, Z11)
	KROW(12, 1, Z12)
	KROW(13, 1, Z13)
	KROW(14, 1, Z14)
	KROW(15, 1, Z15)
	KT1(Z0, Z1)
	KT1(Z2, Z3)
	KT1(Z4, Z5)
	KT1(Z6, Z7)
	KT1(Z8, Z9)
	KT1(Z10, Z11)
	KT1(Z12, Z13)
	KT1(Z14, Z15)
	KT2(Z0, Z1, Z2, Z3)
	KT2(Z4, Z5, Z6, Z7)
	KT2(Z8, Z9, Z10, Z11)
	KT2(Z12, Z13, Z14, Z15)
	KT3(Z0, Z4, Z8, Z12)
	KOUT(Z20, 2048)
	KOUT(Z21, 2304)
	KOUT(Z22, 3072)
	KOUT(Z23, 3328)
	KT3(Z1, Z5, Z9, Z13)
	KOUT(Z20, 2112)
	KOUT(Z21, 2368)
	KOUT(Z22, 3136)
	KOUT(Z23, 3392)
	KT3(Z2, Z6, Z10, Z14)
	KOUT(Z20, 2176)
	KOUT(Z21, 2432)
	KOUT(Z22, 3200)
	KOUT(Z23, 3456)
	KT3(Z3, Z7, Z11, Z15)
	KOUT(Z20, 2240)
	KOUT(Z21, 2496)
	KOUT(Z22, 3264)
	KOUT(Z23, 3520)
	KGATHER(4, Z16, K1)
	KGATHER(8, Z17, K2)
	KGATHER(12, Z18, K3)
	KGATHER(0, Z22, K4)
	KLOW(0)
	KLOW(1)
	KLOW(2)
	KLOW(3)
	KHIGH(0)
	KHIGH(1)
	KHIGH(2)
	KHIGH(3)
	// d and dmin: the low and high halves of the first dword
	VPMOVDW   Z22, Y23
	VCVTPH2PS Y23, Z23
	VMOVUPS   Z23, 5120(DI)
	VPSRLD    $16, Z22, Z22
	VPMOVDW   Z22, Y23
	VCVTPH2PS Y23, Z23
	VMOVUPS   Z23, 5184(DI)
	ADDQ      $144, SI
	ADDQ      $5248, DI
	DECQ      DX
	JNZ       kblk
	VZEROUPPER
	RET
