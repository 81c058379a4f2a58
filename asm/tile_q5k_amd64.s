//go:build !noasm

#include "textflag.h"
#include "tile_amd64.h"

// repackQ5KTileAsm (REPACK): a Q5_K group into the Q4_K group layout
// (tile_q4k.go), transposing as repackQ4KTileAsm does. The 64 bytes at 16
// of each row (qh, then the first 32 bytes of qs) are transposed first and
// qh's 8 dwords kept in the scales' place of dst (dword c at 4096+64c)
// until the scales are written; then each half of qs, whose dword 8k+q
// (bytes 32k+4q..) gives k-groups 16k+q (low nibbles, fifth bit from bit
// 2k of qh dword q) and 16k+8+q (high nibbles, bit 2k+1).

// K5VAL(QS, qoff, g, OPL, nL, OPH, nH) stores k-groups g (low nibbles of
// QS) and g+8 (high nibbles), each with a bit of the qh dword at qoff(DI)
// as bit 4: the bit OPL (a shift) by nL and OPH by nH bring there; lanes
// of missing rows (K5) are zero. Z26 = 0x10 bytes.
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

// K5QH(X0, X1, X2, X3, m, _) transposes dword m of the 16 rows' first 64
// bytes (KT3) and keeps qh dwords m and 4+m at 4096+64m and +256.
#define K5QH(X0, X1, X2, X3, m, _) \
	KT3(X0, X1, X2, X3); \
	VMOVDQU32 Z20, (4096+64*m)(DI); \
	VMOVDQU32 Z21, (4096+64*m+256)(DI)

// K5QUAD(X0, X1, X2, X3, qoff, g, shifts for chunk 2k, for 2k+1)
// transposes dword m of the 16 rows' qs half (KT3) and stores, with K5VAL,
// the k-groups of qs dwords m, 4+m (chunk 2k) and 8+m, 12+m (chunk 2k+1)
// with qh dwords m (at qoff) and 4+m (qoff+256). K5QA and K5QB are it for
// dword m of half 0 and 1 (bits 0-3 and 4-7 of qh to bit 4).
#define K5QUAD(X0, X1, X2, X3, qoff, g, OPL0, nL0, OPH0, nH0, OPL1, nL1, OPH1, nH1) \
	KT3(X0, X1, X2, X3); \
	K5VAL(Z20, qoff, g, OPL0, nL0, OPH0, nH0); \
	K5VAL(Z21, (qoff+256), (g+4), OPL0, nL0, OPH0, nH0); \
	K5VAL(Z22, qoff, (g+16), OPL1, nL1, OPH1, nH1); \
	K5VAL(Z23, (qoff+256), (g+20), OPL1, nL1, OPH1, nH1)

#define K5QA(X0, X1, X2, X3, m, _) K5QUAD(X0, X1, X2, X3, (4096+64*m), m, VPSLLD, 4, VPSLLD, 3, VPSLLD, 2, VPSLLD, 1)
#define K5QB(X0, X1, X2, X3, m, _) K5QUAD(X0, X1, X2, X3, (4096+64*m), (32+m), VPSLLD, 0, VPSRLD, 1, VPSRLD, 2, VPSRLD, 3)

#define Q5KCONST KCONST($63, Z29); KCONST($15, Z28); KCONST($3, Z27); KCONST($0x10101010, Z26)

#define Q5KBODY \
	KPASS(16, K5QH, 0); \
	KPASS(48, K5QA, 0); \
	KPASS(112, K5QB, 0); \
	KSCALES

TEXT ·repackQ5KTileAsm(SB), NOSPLIT, $0-40
	REPACK(Q5KCONST, Q5KBODY, 176, 5248)
