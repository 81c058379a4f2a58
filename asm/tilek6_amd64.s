//go:build !noasm

#include "textflag.h"

// Q6_K tile kernel, 16 weight rows x 8 activation rows per call, AVX-512
// VNNI. See tileK6KernelRef in tilek6.go for the layouts and what it
// computes.
//
// Z0..Z7   isum of activation j (16 rows each), per super-block
// Z8..Z15  int32 sums of the current sub-block of activation j
// Z16..Z23 the sub-block's values (k-group g of the 16 rows), its scales,
//          then the offset pairs, d and temporaries
// Z24..Z31 float sums of activation j
//
// BX super-block of the weights, SI of the activations; R10 values and R11
// activations of the sub-block, R13 its scales.

// K6VNNI8(g, W) adds k-group g of the sub-block of all eight activations
// (broadcast from memory, signed) times the values W (unsigned) to Z8..Z15.
#define K6VNNI8(g, W) \
	VPDPBUSD.BCST (4*g)(R11), W, Z8; \
	VPDPBUSD.BCST (256+4*g)(R11), W, Z9; \
	VPDPBUSD.BCST (512+4*g)(R11), W, Z10; \
	VPDPBUSD.BCST (768+4*g)(R11), W, Z11; \
	VPDPBUSD.BCST (1024+4*g)(R11), W, Z12; \
	VPDPBUSD.BCST (1280+4*g)(R11), W, Z13; \
	VPDPBUSD.BCST (1536+4*g)(R11), W, Z14; \
	VPDPBUSD.BCST (1792+4*g)(R11), W, Z15

// K6OFF8(p, P) adds the offset pair P (-32*scale of sub-blocks 2p, 2p+1)
// times the block sums 2p and 2p+1 of all eight activations to isum.
#define K6OFF8(p, P) \
	VPDPWSSD.BCST (2048+4*p)(SI), P, Z0; \
	VPDPWSSD.BCST (2080+4*p)(SI), P, Z1; \
	VPDPWSSD.BCST (2112+4*p)(SI), P, Z2; \
	VPDPWSSD.BCST (2144+4*p)(SI), P, Z3; \
	VPDPWSSD.BCST (2176+4*p)(SI), P, Z4; \
	VPDPWSSD.BCST (2208+4*p)(SI), P, Z5; \
	VPDPWSSD.BCST (2240+4*p)(SI), P, Z6; \
	VPDPWSSD.BCST (2272+4*p)(SI), P, Z7

// K6FLOAT(j, I, F) is the reference's float step for activation j:
// F = F + float(I)*(d*dx), each operation rounded (no FMA); d is in Z16.
#define K6FLOAT(j, I, F) \
	VMULPS.BCST (2304+4*j)(SI), Z16, Z18; \
	VCVTDQ2PS   I, I; \
	VMULPS      Z18, I, I; \
	VADDPS      I, F, F

// func tileK6x16x8VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool)
TEXT ·tileK6x16x8VNNI(SB), NOSPLIT, $0-41
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
	MOVQ   $16, R12

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
	K6VNNI8(0, Z16)
	K6VNNI8(1, Z17)
	K6VNNI8(2, Z18)
	K6VNNI8(3, Z19)
	// isum += scale * sum; |sum| < 2^17 and |scale| <= 128: exact.
	VMOVDQU32 (R13), Z20
	VPMULLD   Z20, Z8, Z8
	VPMULLD   Z20, Z9, Z9
	VPMULLD   Z20, Z10, Z10
	VPMULLD   Z20, Z11, Z11
	VPMULLD   Z20, Z12, Z12
	VPMULLD   Z20, Z13, Z13
	VPMULLD   Z20, Z14, Z14
	VPMULLD   Z20, Z15, Z15
	VPADDD    Z8, Z0, Z0
	VPADDD    Z9, Z1, Z1
	VPADDD    Z10, Z2, Z2
	VPADDD    Z11, Z3, Z3
	VPADDD    Z12, Z4, Z4
	VPADDD    Z13, Z5, Z5
	VPADDD    Z14, Z6, Z6
	VPADDD    Z15, Z7, Z7
	ADDQ      $256, R10
	ADDQ      $16, R11
	ADDQ      $64, R13
	DECQ      R12
	JNZ       sub

	// the -32 offset: int32 sums in any order are exact (the total fits)
	VMOVDQU32 5120(BX), Z16
	VMOVDQU32 5184(BX), Z17
	VMOVDQU32 5248(BX), Z18
	VMOVDQU32 5312(BX), Z19
	VMOVDQU32 5376(BX), Z20
	VMOVDQU32 5440(BX), Z21
	VMOVDQU32 5504(BX), Z22
	VMOVDQU32 5568(BX), Z23
	K6OFF8(0, Z16)
	K6OFF8(1, Z17)
	K6OFF8(2, Z18)
	K6OFF8(3, Z19)
	K6OFF8(4, Z20)
	K6OFF8(5, Z21)
	K6OFF8(6, Z22)
	K6OFF8(7, Z23)

	VMOVUPS 5632(BX), Z16
	K6FLOAT(0, Z0, Z24)
	K6FLOAT(1, Z1, Z25)
	K6FLOAT(2, Z2, Z26)
	K6FLOAT(3, Z3, Z27)
	K6FLOAT(4, Z4, Z28)
	K6FLOAT(5, Z5, Z29)
	K6FLOAT(6, Z6, Z30)
	K6FLOAT(7, Z7, Z31)
	ADDQ $5696, BX
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

// The values are unpacked by transposing, as in repackQ4KTileAsm: 16 dwords
// of each of the 16 rows are loaded and transposed so that a register
// holds one dword (4 bytes) of every row. qh is transposed first and kept
// in the scales' place of dst (dword c at 4096+64c) until the scales are
// written; then each half of ql, whose dwords l/4 (low 4 bits of values
// 128h+l, +64) and 8+l/4 (values 128h+32+l, +96) combine with qh dword
// 8h+l/4 into four k-groups.

// K6ROW(i, off, R) loads the 64 bytes at off of row i (offset idx[i]).
#define K6ROW(i, off, R) \
	MOVLQSX   (4*i)(AX), R9; \
	VMOVDQU32 off(SI)(R9*1), R

// K6T1, K6T2, K6T3: the transposition steps (see KT1..KT3 in
// tilek_amd64.s); K6T3 leaves dword 4L+m of the 16 rows in Z(20+L).
#define K6T1(A, B) \
	VPUNPCKLDQ B, A, Z16; \
	VPUNPCKHDQ B, A, B; \
	VMOVDQA64  Z16, A

#define K6T2(R0, R1, R2, R3) \
	VPUNPCKLQDQ R2, R0, Z16; \
	VPUNPCKHQDQ R2, R0, Z17; \
	VPUNPCKLQDQ R3, R1, Z18; \
	VPUNPCKHQDQ R3, R1, R3; \
	VMOVDQA64   Z16, R0; \
	VMOVDQA64   Z17, R1; \
	VMOVDQA64   Z18, R2

#define K6T3(X0, X1, X2, X3) \
	VSHUFI32X4 $0x44, X1, X0, Z16; \
	VSHUFI32X4 $0xee, X1, X0, Z17; \
	VSHUFI32X4 $0x44, X3, X2, Z18; \
	VSHUFI32X4 $0xee, X3, X2, Z19; \
	VSHUFI32X4 $0x88, Z18, Z16, Z20; \
	VSHUFI32X4 $0xdd, Z18, Z16, Z21; \
	VSHUFI32X4 $0x88, Z19, Z17, Z22; \
	VSHUFI32X4 $0xdd, Z19, Z17, Z23

// K6LOAD(off) loads the 64 bytes at off of the 16 rows into Z0..Z15 and
// transposes them up to K6T3.
#define K6LOAD(off) \
	K6ROW(0, off, Z0); \
	K6ROW(1, off, Z1); \
	K6ROW(2, off, Z2); \
	K6ROW(3, off, Z3); \
	K6ROW(4, off, Z4); \
	K6ROW(5, off, Z5); \
	K6ROW(6, off, Z6); \
	K6ROW(7, off, Z7); \
	K6ROW(8, off, Z8); \
	K6ROW(9, off, Z9); \
	K6ROW(10, off, Z10); \
	K6ROW(11, off, Z11); \
	K6ROW(12, off, Z12); \
	K6ROW(13, off, Z13); \
	K6ROW(14, off, Z14); \
	K6ROW(15, off, Z15); \
	K6T1(Z0, Z1); \
	K6T1(Z2, Z3); \
	K6T1(Z4, Z5); \
	K6T1(Z6, Z7); \
	K6T1(Z8, Z9); \
	K6T1(Z10, Z11); \
	K6T1(Z12, Z13); \
	K6T1(Z14, Z15); \
	K6T2(Z0, Z1, Z2, Z3); \
	K6T2(Z4, Z5, Z6, Z7); \
	K6T2(Z8, Z9, Z10, Z11); \
	K6T2(Z12, Z13, Z14, Z15)

// K6VAL(LO, HI, qoff, g) stores the k-groups g, g+8, g+16, g+24 from the
// ql dwords LO and HI and the qh dword at qoff(DI): the low nibbles of LO
// and HI, then their high nibbles, each with the next 2 bits of qh as
// bits 4..5; lanes of missing rows (K5) are zero.
#define K6VAL(LO, HI, qoff, g) \
	VMOVDQU32 qoff(DI), Z16; \
	VPSLLD    $4, Z16, Z18; \
	VPANDD    Z29, Z18, Z18; \
	VPANDD    Z30, LO, Z17; \
	VPORD.Z   Z18, Z17, K5, Z17; \
	VMOVDQU32 Z17, (64*g)(DI); \
	VPSLLD    $2, Z16, Z18; \
	VPANDD    Z29, Z18, Z18; \
	VPANDD    Z30, HI, Z17; \
	VPORD.Z   Z18, Z17, K5, Z17; \
	VMOVDQU32 Z17, (64*(g+8))(DI); \
	VPANDD    Z29, Z16, Z18; \
	VPSRLD    $4, LO, Z17; \
	VPANDD    Z30, Z17, Z17; \
	VPORD.Z   Z18, Z17, K5, Z17; \
	VMOVDQU32 Z17, (64*(g+16))(DI); \
	VPSRLD    $2, Z16, Z18; \
	VPANDD    Z29, Z18, Z18; \
	VPSRLD    $4, HI, Z17; \
	VPANDD    Z30, Z17, Z17; \
	VPORD.Z   Z18, Z17, K5, Z17; \
	VMOVDQU32 Z17, (64*(g+24))(DI)

// K6GATHER(off, R, K) gathers the dwords at off of the rows' super-block
// into R (zero for missing rows).
#define K6GATHER(off, R, K) \
	KMOVW      R8, K; \
	VPXORD     R, R, R; \
	VPGATHERDD off(SI)(Z31*1), K, R

// K6PAIR(X, Y, off) stores -32*X and -32*Y (int32, |.| <= 4096) as the
// low and high int16 of a dword at off.
#define K6PAIR(X, Y, off) \
	VPSLLD    $5, X, X; \
	VPSUBD    X, Z27, X; \
	VPANDD    Z28, X, X; \
	VPSLLD    $21, Y, Y; \
	VPSUBD    Y, Z27, Y; \
	VPORD     Y, X, X; \
	VMOVDQU32 X, off(DI)

// K6SC(G, a) stores the sign-extended scales 4a..4a+3 (bytes of G) and
// the offset pairs 2a and 2a+1.
#define K6SC(G, a) \
	VPSLLD    $24, G, Z16; \
	VPSRAD    $24, Z16, Z16; \
	VMOVDQU32 Z16, (4096+256*a)(DI); \
	VPSLLD    $16, G, Z17; \
	VPSRAD    $24, Z17, Z17; \
	VMOVDQU32 Z17, (4096+256*a+64)(DI); \
	VPSLLD    $8, G, Z18; \
	VPSRAD    $24, Z18, Z18; \
	VMOVDQU32 Z18, (4096+256*a+128)(DI); \
	VPSRAD    $24, G, Z19; \
	VMOVDQU32 Z19, (4096+256*a+192)(DI); \
	K6PAIR(Z16, Z17, (5120+128*a)); \
	K6PAIR(Z18, Z19, (5120+128*a+64))

// func repackQ6KTileAsm(dst *byte, w *byte, idx *[16]int32, rows, nb int)
// repackQ6KTile: row i of the group starts idx[i] bytes after w (idx of a
// missing row is any valid row's); lanes of the rows >= rows (1..16) are
// zero, scales included (those by masked gathers). Reads stay within each
// 210-byte block (d by the dword at 206).
// Z0..Z15 the rows' dwords, Z16..Z23 temporaries, Z27..Z31 constants and
// row offsets; K5 the rows present, K1..K4 gather masks.
TEXT ·repackQ6KTileAsm(SB), NOSPLIT, $0-40
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
	MOVL      $0x30303030, R9
	VPBROADCASTD R9, Z29
	MOVL      $0xffff, R9
	VPBROADCASTD R9, Z28
	VPXORD    Z27, Z27, Z27

k6blk:
	K6LOAD(128)
	K6T3(Z0, Z4, Z8, Z12)
	VMOVDQU32 Z20, 4096(DI)
	VMOVDQU32 Z21, 4352(DI)
	VMOVDQU32 Z22, 4608(DI)
	VMOVDQU32 Z23, 4864(DI)
	K6T3(Z1, Z5, Z9, Z13)
	VMOVDQU32 Z20, 4160(DI)
	VMOVDQU32 Z21, 4416(DI)
	VMOVDQU32 Z22, 4672(DI)
	VMOVDQU32 Z23, 4928(DI)
	K6T3(Z2, Z6, Z10, Z14)
	VMOVDQU32 Z20, 4224(DI)
	VMOVDQU32 Z21, 4480(DI)
	VMOVDQU32 Z22, 4736(DI)
	VMOVDQU32 Z23, 4992(DI)
	K6T3(Z3, Z7, Z11, Z15)
	VMOVDQU32 Z20, 4288(DI)
	VMOVDQU32 Z21, 4544(DI)
	VMOVDQU32 Z22, 4800(DI)
	VMOVDQU32 Z23, 5056(DI)
	K6LOAD(0)
	K6T3(Z0, Z4, Z8, Z12)
	K6VAL(Z20, Z22, 4096, 0)
	K6VAL(Z21, Z23, 4352, 4)
	K6T3(Z1, Z5, Z9, Z13)
	K6VAL(Z20, Z22, 4160, 1)
	K6VAL(Z21, Z23, 4416, 5)
	K6T3(Z2, Z6, Z10, Z14)
	K6VAL(Z20, Z22, 4224, 2)
	K6VAL(Z21, Z23, 4480, 6)
	K6T3(Z3, Z7, Z11, Z15)
	K6VAL(Z20, Z22, 4288, 3)
	K6VAL(Z21, Z23, 4544, 7)
	K6LOAD(64)
	K6T3(Z0, Z4, Z8, Z12)
	K6VAL(Z20, Z22, 4608, 32)
	K6VAL(Z21, Z23, 4864, 36)
	K6T3(Z1, Z5, Z9, Z13)
	K6VAL(Z20, Z22, 4672, 33)
	K6VAL(Z21, Z23, 4928, 37)
	K6T3(Z2, Z6, Z10, Z14)
	K6VAL(Z20, Z22, 4736, 34)
	K6VAL(Z21, Z23, 4992, 38)
	K6T3(Z3, Z7, Z11, Z15)
	K6VAL(Z20, Z22, 4800, 35)
	K6VAL(Z21, Z23, 5056, 39)
	K6GATHER(192, Z0, K1)
	K6GATHER(196, Z1, K2)
	K6GATHER(200, Z2, K3)
	K6GATHER(204, Z3, K4)
	K6GATHER(206, Z4, K1)
	K6SC(Z0, 0)
	K6SC(Z1, 1)
	K6SC(Z2, 2)
	K6SC(Z3, 3)
	// d: the high half of the dword at 206
	VPSRLD    $16, Z4, Z4
	VPMOVDW   Z4, Y5
	VCVTPH2PS Y5, Z5
	VMOVUPS   Z5, 5632(DI)
	ADDQ      $210, SI
	ADDQ      $5696, DI
	DECQ      DX
	JNZ       k6blk
	VZEROUPPER
	RET
