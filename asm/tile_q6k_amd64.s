//go:build !noasm

#include "textflag.h"
#include "tile_amd64.h"

// Q6_K tile kernel, 16 weight rows x 8 activation rows per call, AVX-512
// VNNI. See tileK6KernelRef in tile_q6k.go for the layouts and what it
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

// func tileK6x16x8VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool)
TEXT ·tileK6x16x8VNNI(SB), NOSPLIT, $0-41
	TILE_ARGS(Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31)

block:
	ZERO8(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	MOVQ   BX, R10
	MOVQ   SI, R11
	LEAQ   4096(BX), R13
	MOVQ   $16, R12

sub:
	ZERO8(Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
	VMOVDQU32 (R10), Z16
	VMOVDQU32 64(R10), Z17
	VMOVDQU32 128(R10), Z18
	VMOVDQU32 192(R10), Z19
	TILE_VNNI8(R11, 256, 0, Z16)
	TILE_VNNI8(R11, 256, 1, Z17)
	TILE_VNNI8(R11, 256, 2, Z18)
	TILE_VNNI8(R11, 256, 3, Z19)
	// isum += scale * sum; |sum| < 2^17 and |scale| <= 128: exact.
	VMOVDQU32 (R13), Z20
	TILE_ISUM8(Z20)
	ADDQ      $256, R10
	ADDQ      $16, R11
	ADDQ      $64, R13
	DECQ      R12
	JNZ       sub

	// the -32 offset: int32 sums in any order are exact (the total fits)
	TILE_LD8(BX, 5120)
	TILE_BSUMS(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)

	VMOVUPS 5632(BX), Z16
	KDSTEP(0, Z0, Z24)
	KDSTEP(1, Z1, Z25)
	KDSTEP(2, Z2, Z26)
	KDSTEP(3, Z3, Z27)
	KDSTEP(4, Z4, Z28)
	KDSTEP(5, Z5, Z29)
	KDSTEP(6, Z6, Z30)
	KDSTEP(7, Z7, Z31)
	ADDQ $5696, BX
	ADDQ $2336, SI
	DECQ CX
	JNZ  block

	TILE_STORE8(Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31)
	VZEROUPPER
	RET

// The values are unpacked by transposing, as in repackQ4KTileAsm: 16 dwords
// of each of the 16 rows are loaded and transposed so that a register
// holds one dword (4 bytes) of every row. qh is transposed first and kept
// in the scales' place of dst (dword c at 4096+64c) until the scales are
// written; then each half of ql, whose dwords l/4 (low 4 bits of values
// 128h+l, +64) and 8+l/4 (values 128h+32+l, +96) combine with qh dword
// 8h+l/4 into four k-groups.

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

// K6QH(X0, X1, X2, X3, off) transposes dword m of the 16 rows' qh (KT3)
// and keeps dwords m, 4+m, 8+m, 12+m at off, +256, +512, +768.
#define K6QH(X0, X1, X2, X3, off) \
	KT3(X0, X1, X2, X3); \
	VMOVDQU32 Z20, off(DI); \
	VMOVDQU32 Z21, (off+256)(DI); \
	VMOVDQU32 Z22, (off+512)(DI); \
	VMOVDQU32 Z23, (off+768)(DI)

// K6QUAD(X0, X1, X2, X3, qoff, g) transposes dword m of the 16 rows' ql
// half (KT3) and stores the k-groups of ql dwords m and 8+m with the qh
// dword at qoff (g on), then of 4+m and 12+m with the one at qoff+256.
#define K6QUAD(X0, X1, X2, X3, qoff, g) \
	KT3(X0, X1, X2, X3); \
	K6VAL(Z20, Z22, qoff, g); \
	K6VAL(Z21, Z23, (qoff+256), (g+4))

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
	KSETUP
	KCONST($0x30303030, Z29)
	KCONST($0xffff, Z28)
	VPXORD    Z27, Z27, Z27

k6blk:
	KLOAD(128)
	K6QH(Z0, Z4, Z8, Z12, 4096)
	K6QH(Z1, Z5, Z9, Z13, 4160)
	K6QH(Z2, Z6, Z10, Z14, 4224)
	K6QH(Z3, Z7, Z11, Z15, 4288)
	KLOAD(0)
	K6QUAD(Z0, Z4, Z8, Z12, 4096, 0)
	K6QUAD(Z1, Z5, Z9, Z13, 4160, 1)
	K6QUAD(Z2, Z6, Z10, Z14, 4224, 2)
	K6QUAD(Z3, Z7, Z11, Z15, 4288, 3)
	KLOAD(64)
	K6QUAD(Z0, Z4, Z8, Z12, 4608, 32)
	K6QUAD(Z1, Z5, Z9, Z13, 4672, 33)
	K6QUAD(Z2, Z6, Z10, Z14, 4736, 34)
	K6QUAD(Z3, Z7, Z11, Z15, 4800, 35)
	KGATHER(192, Z0, K1)
	KGATHER(196, Z1, K2)
	KGATHER(200, Z2, K3)
	KGATHER(204, Z3, K4)
	KGATHER(206, Z4, K1)
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
