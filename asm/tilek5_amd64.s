//go:build !noasm

#include "textflag.h"

// repackQ5KTileAsm: a Q5_K group into the Q4_K group layout (tilek.go),
// transposing as repackQ4KTileAsm does. The 64 bytes at 16 of each row
// (qh, then the first 32 bytes of qs) are transposed first and qh's 8
// dwords kept in the scales' place of dst (dword c at 4096+64c) until the
// scales are written; then each half of qs, whose dword 8k+q (bytes
// 32k+4q..) gives k-groups 16k+q (low nibbles, fifth bit from bit 2k of
// qh dword q) and 16k+8+q (high nibbles, bit 2k+1).

// K5ROW(i, off, R) loads the 64 bytes at off of row i (offset idx[i]).
#define K5ROW(i, off, R) \
	MOVLQSX   (4*i)(AX), R9; \
	VMOVDQU32 off(SI)(R9*1), R

// K5T1, K5T2, K5T3: the transposition steps (see KT1..KT3 in
// tilek_amd64.s); K5T3 leaves dword 4L+m of the 16 rows in Z(20+L).
#define K5T1(A, B) \
	VPUNPCKLDQ B, A, Z16; \
	VPUNPCKHDQ B, A, B; \
	VMOVDQA64  Z16, A

#define K5T2(R0, R1, R2, R3) \
	VPUNPCKLQDQ R2, R0, Z16; \
	VPUNPCKHQDQ R2, R0, Z17; \
	VPUNPCKLQDQ R3, R1, Z18; \
	VPUNPCKHQDQ R3, R1, R3; \
	VMOVDQA64   Z16, R0; \
	VMOVDQA64   Z17, R1; \
	VMOVDQA64   Z18, R2

#define K5T3(X0, X1, X2, X3) \
	VSHUFI32X4 $0x44, X1, X0, Z16; \
	VSHUFI32X4 $0xee, X1, X0, Z17; \
	VSHUFI32X4 $0x44, X3, X2, Z18; \
	VSHUFI32X4 $0xee, X3, X2, Z19; \
	VSHUFI32X4 $0x88, Z18, Z16, Z20; \
	VSHUFI32X4 $0xdd, Z18, Z16, Z21; \
	VSHUFI32X4 $0x88, Z19, Z17, Z22; \
	VSHUFI32X4 $0xdd, Z19, Z17, Z23

// K5LOAD(off) loads the 64 bytes at off of the 16 rows into Z0..Z15 and
// transposes them up to K5T3.
#define K5LOAD(off) \
	K5ROW(0, off, Z0); \
	K5ROW(1, off, Z1); \
	K5ROW(2, off, Z2); \
	K5ROW(3, off, Z3); \
	K5ROW(4, off, Z4); \
	K5ROW(5, off, Z5); \
	K5ROW(6, off, Z6); \
	K5ROW(7, off, Z7); \
	K5ROW(8, off, Z8); \
	K5ROW(9, off, Z9); \
	K5ROW(10, off, Z10); \
	K5ROW(11, off, Z11); \
	K5ROW(12, off, Z12); \
	K5ROW(13, off, Z13); \
	K5ROW(14, off, Z14); \
	K5ROW(15, off, Z15); \
	K5T1(Z0, Z1); \
	K5T1(Z2, Z3); \
	K5T1(Z4, Z5); \
	K5T1(Z6, Z7); \
	K5T1(Z8, Z9); \
	K5T1(Z10, Z11); \
	K5T1(Z12, Z13); \
	K5T1(Z14, Z15); \
	K5T2(Z0, Z1, Z2, Z3); \
	K5T2(Z4, Z5, Z6, Z7); \
	K5T2(Z8, Z9, Z10, Z11); \
	K5T2(Z12, Z13, Z14, Z15)

// K5VAL(QS, qoff, g, OPL, nL, OPH, nH) stores k-groups g (low nibbles of
// QS) and g+8 (high nibbles), each with a bit of the qh dword at qoff(DI)
// as bit 4: the bit OPL (a shift) by nL and OPH by nH bring there; lanes
// of missing rows (K5) are zero.
#define K5VAL(QS, qoff, g, OPL, nL, OPH, nH) \
	VMOVDQU32 qoff(DI), Z16; \
	OPL       $nL, Z16, Z18; \
	VPANDD    Z26, Z18, Z18; \
	VPANDD    Z30, QS, Z17; \
	VPORD.Z   Z18, Z17, K5, Z17; \
	VMOVDQU32 Z17, (64*g)(DI); \
	OPH       $nH, Z16, Z18; \
	VPANDD    Z26, Z18, Z18; \
	VPSRLD    $4, QS, Z17; \
	VPANDD    Z30, Z17, Z17; \
	VPORD.Z   Z18, Z17, K5, Z17; \
	VMOVDQU32 Z17, (64*(g+8))(DI)

// K5GATHER(off, R, K) gathers the dwords at off of the rows' super-block
// into R (zero for missing rows).
#define K5GATHER(off, R, K) \
	KMOVW      R8, K; \
	VPXORD     R, R, R; \
	VPGATHERDD off(SI)(Z31*1), K, R

// K5STORE2(T, off) stores T as int32 pairs of int16 (T < 64) at off.
#define K5STORE2(T, off) \
	VPSLLD    $16, T, Z20; \
	VPORD     Z20, T, T; \
	VMOVDQU32 T, off(DI)

// K5LOW(s) and K5HIGH(t): scale and min of sub-blocks s < 4 and 4+t, as
// KLOW and KHIGH in tilek_amd64.s (packed bytes 0..3, 4..7, 8..11 in Z16,
// Z17, Z18).
#define K5LOW(s) \
	VPSRLD    $(8*s), Z16, Z19; \
	VPANDD    Z29, Z19, Z19; \
	VMOVDQU32 Z19, (4096+64*s)(DI); \
	VPSRLD    $(8*s), Z17, Z19; \
	VPANDD    Z29, Z19, Z19; \
	K5STORE2(Z19, (4608+64*s))

#define K5HIGH(t) \
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
	K5STORE2(Z19, (4608+256+64*t))

// func repackQ5KTileAsm(dst *byte, w *byte, idx *[16]int32, rows, nb int)
// repackQ5KTile: row i of the group starts idx[i] bytes after w (idx of a
// missing row is any valid row's); lanes of the rows >= rows (1..16) are
// zero, scales included (those by masked gathers).
// Z0..Z15 the rows' dwords, Z16..Z23 temporaries, Z26..Z31 constants and
// row offsets; K5 the rows present, K1..K4 gather masks.
TEXT ·repackQ5KTileAsm(SB), NOSPLIT, $0-40
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
	MOVL      $0x10101010, R9
	VPBROADCASTD R9, Z26

k5blk:
	K5LOAD(16)
	K5T3(Z0, Z4, Z8, Z12)
	VMOVDQU32 Z20, 4096(DI)
	VMOVDQU32 Z21, 4352(DI)
	K5T3(Z1, Z5, Z9, Z13)
	VMOVDQU32 Z20, 4160(DI)
	VMOVDQU32 Z21, 4416(DI)
	K5T3(Z2, Z6, Z10, Z14)
	VMOVDQU32 Z20, 4224(DI)
	VMOVDQU32 Z21, 4480(DI)
	K5T3(Z3, Z7, Z11, Z15)
	VMOVDQU32 Z20, 4288(DI)
	VMOVDQU32 Z21, 4544(DI)
	K5LOAD(48)
	K5T3(Z0, Z4, Z8, Z12)
	K5VAL(Z20, 4096, 0, VPSLLD, 4, VPSLLD, 3)
	K5VAL(Z21, 4352, 4, VPSLLD, 4, VPSLLD, 3)
	K5VAL(Z22, 4096, 16, VPSLLD, 2, VPSLLD, 1)
	K5VAL(Z23, 4352, 20, VPSLLD, 2, VPSLLD, 1)
	K5T3(Z1, Z5, Z9, Z13)
	K5VAL(Z20, 4160, 1, VPSLLD, 4, VPSLLD, 3)
	K5VAL(Z21, 4416, 5, VPSLLD, 4, VPSLLD, 3)
	K5VAL(Z22, 4160, 17, VPSLLD, 2, VPSLLD, 1)
	K5VAL(Z23, 4416, 21, VPSLLD, 2, VPSLLD, 1)
	K5T3(Z2, Z6, Z10, Z14)
	K5VAL(Z20, 4224, 2, VPSLLD, 4, VPSLLD, 3)
	K5VAL(Z21, 4480, 6, VPSLLD, 4, VPSLLD, 3)
	K5VAL(Z22, 4224, 18, VPSLLD, 2, VPSLLD, 1)
	K5VAL(Z23, 4480, 22, VPSLLD, 2, VPSLLD, 1)
	K5T3(Z3, Z7, Z11, Z15)
	K5VAL(Z20, 4288, 3, VPSLLD, 4, VPSLLD, 3)
	K5VAL(Z21, 4544, 7, VPSLLD, 4, VPSLLD, 3)
	K5VAL(Z22, 4288, 19, VPSLLD, 2, VPSLLD, 1)
	K5VAL(Z23, 4544, 23, VPSLLD, 2, VPSLLD, 1)
	K5LOAD(112)
	K5T3(Z0, Z4, Z8, Z12)
	K5VAL(Z20, 4096, 32, VPSLLD, 0, VPSRLD, 1)
	K5VAL(Z21, 4352, 36, VPSLLD, 0, VPSRLD, 1)
	K5VAL(Z22, 4096, 48, VPSRLD, 2, VPSRLD, 3)
	K5VAL(Z23, 4352, 52, VPSRLD, 2, VPSRLD, 3)
	K5T3(Z1, Z5, Z9, Z13)
	K5VAL(Z20, 4160, 33, VPSLLD, 0, VPSRLD, 1)
	K5VAL(Z21, 4416, 37, VPSLLD, 0, VPSRLD, 1)
	K5VAL(Z22, 4160, 49, VPSRLD, 2, VPSRLD, 3)
	K5VAL(Z23, 4416, 53, VPSRLD, 2, VPSRLD, 3)
	K5T3(Z2, Z6, Z10, Z14)
	K5VAL(Z20, 4224, 34, VPSLLD, 0, VPSRLD, 1)
	K5VAL(Z21, 4480, 38, VPSLLD, 0, VPSRLD, 1)
	K5VAL(Z22, 4224, 50, VPSRLD, 2, VPSRLD, 3)
	K5VAL(Z23, 4480, 54, VPSRLD, 2, VPSRLD, 3)
	K5T3(Z3, Z7, Z11, Z15)
	K5VAL(Z20, 4288, 35, VPSLLD, 0, VPSRLD, 1)
	K5VAL(Z21, 4544, 39, VPSLLD, 0, VPSRLD, 1)
	K5VAL(Z22, 4288, 51, VPSRLD, 2, VPSRLD, 3)
	K5VAL(Z23, 4544, 55, VPSRLD, 2, VPSRLD, 3)
	K5GATHER(4, Z16, K1)
	K5GATHER(8, Z17, K2)
	K5GATHER(12, Z18, K3)
	K5GATHER(0, Z22, K4)
	K5LOW(0)
	K5LOW(1)
	K5LOW(2)
	K5LOW(3)
	K5HIGH(0)
	K5HIGH(1)
	K5HIGH(2)
	K5HIGH(3)
	// d and dmin: the low and high halves of the first dword
	VPMOVDW   Z22, Y23
	VCVTPH2PS Y23, Z23
	VMOVUPS   Z23, 5120(DI)
	VPSRLD    $16, Z22, Z22
	VPMOVDW   Z22, Y23
	VCVTPH2PS Y23, Z23
	VMOVUPS   Z23, 5184(DI)
	ADDQ      $176, SI
	ADDQ      $5248, DI
	DECQ      DX
	JNZ       k5blk
	VZEROUPPER
	RET
