//go:build !noasm

#include "textflag.h"
#include "tile_amd64.h"

// repackQ5KTileAsm: a Q5_K group into the Q4_K group layout (tile_q4k.go),
// transposing as repackQ4KTileAsm does. The 64 bytes at 16 of each row
// (qh, then the first 32 bytes of qs) are transposed first and qh's 8
// dwords kept in the scales' place of dst (dword c at 4096+64c) until the
// scales are written; then each half of qs, whose dword 8k+q (bytes
// 32k+4q..) gives k-groups 16k+q (low nibbles, fifth bit from bit 2k of
// qh dword q) and 16k+8+q (high nibbles, bit 2k+1).

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

// K5QH(X0, X1, X2, X3, off) transposes dword m of the 16 rows' first 64
// bytes (KT3) and keeps qh dwords m and 4+m at off and off+256.
#define K5QH(X0, X1, X2, X3, off) \
	KT3(X0, X1, X2, X3); \
	VMOVDQU32 Z20, off(DI); \
	VMOVDQU32 Z21, (off+256)(DI)

// K5QUAD(X0, X1, X2, X3, qoff, g, shifts for chunk 2k, for 2k+1)
// transposes dword m of the 16 rows' qs half (KT3) and stores, with K5VAL,
// the k-groups of qs dwords m, 4+m (chunk 2k) and 8+m, 12+m (chunk 2k+1)
// with qh dwords m (at qoff) and 4+m (qoff+256).
#define K5QUAD(X0, X1, X2, X3, qoff, g, OPL0, nL0, OPH0, nH0, OPL1, nL1, OPH1, nH1) \
	KT3(X0, X1, X2, X3); \
	K5VAL(Z20, qoff, g, OPL0, nL0, OPH0, nH0); \
	K5VAL(Z21, (qoff+256), (g+4), OPL0, nL0, OPH0, nH0); \
	K5VAL(Z22, qoff, (g+16), OPL1, nL1, OPH1, nH1); \
	K5VAL(Z23, (qoff+256), (g+20), OPL1, nL1, OPH1, nH1)

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
	KSETUP
	KCONST($63, Z29)
	KCONST($15, Z28)
	KCONST($3, Z27)
	KCONST($0x10101010, Z26)

k5blk:
	KLOAD(16)
	K5QH(Z0, Z4, Z8, Z12, 4096)
	K5QH(Z1, Z5, Z9, Z13, 4160)
	K5QH(Z2, Z6, Z10, Z14, 4224)
	K5QH(Z3, Z7, Z11, Z15, 4288)
	KLOAD(48)
	K5QUAD(Z0, Z4, Z8, Z12, 4096, 0, VPSLLD, 4, VPSLLD, 3, VPSLLD, 2, VPSLLD, 1)
	K5QUAD(Z1, Z5, Z9, Z13, 4160, 1, VPSLLD, 4, VPSLLD, 3, VPSLLD, 2, VPSLLD, 1)
	K5QUAD(Z2, Z6, Z10, Z14, 4224, 2, VPSLLD, 4, VPSLLD, 3, VPSLLD, 2, VPSLLD, 1)
	K5QUAD(Z3, Z7, Z11, Z15, 4288, 3, VPSLLD, 4, VPSLLD, 3, VPSLLD, 2, VPSLLD, 1)
	KLOAD(112)
	K5QUAD(Z0, Z4, Z8, Z12, 4096, 32, VPSLLD, 0, VPSRLD, 1, VPSRLD, 2, VPSRLD, 3)
	K5QUAD(Z1, Z5, Z9, Z13, 4160, 33, VPSLLD, 0, VPSRLD, 1, VPSRLD, 2, VPSRLD, 3)
	K5QUAD(Z2, Z6, Z10, Z14, 4224, 34, VPSLLD, 0, VPSRLD, 1, VPSRLD, 2, VPSRLD, 3)
	K5QUAD(Z3, Z7, Z11, Z15, 4288, 35, VPSLLD, 0, VPSRLD, 1, VPSRLD, 2, VPSRLD, 3)
	KSCALES
	ADDQ      $176, SI
	ADDQ      $5248, DI
	DECQ      DX
	JNZ       k5blk
	VZEROUPPER
	RET
