//go:build !noasm

#include "textflag.h"
#include "tile_amd64.h"

// Q6_K tile kernels, 16 weight rows x 8, 4 or 2 activation rows per
// call, AVX-512 VNNI (TILEK, as for Q4_K). See tileK6KernelRef in
// tile_q6k.go for the layouts and what they compute. Sub-block scales are within +-128, so |sum| < 2^17
// keeps the isums exact; the -32 offset goes through the block sums
// (int32 sums in any order are exact: the total fits), then Z16 holds d.

#define Q6KSUB(V) \
	VMOVDQU32 (R10), Z16; \
	VMOVDQU32 64(R10), Z17; \
	VMOVDQU32 128(R10), Z18; \
	VMOVDQU32 192(R10), Z19; \
	TILE_G32(V, R11, 256)

#define K6STEP(j, I, M, T, F) KDSTEP(j, I, F)

#define Q6KEND(EACH, B) \
	TILE_LD8(BX, 5120); \
	TILE_BSUMS(B, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7); \
	VMOVUPS 5632(BX), Z16; \
	EACH(K6STEP)

// Q6KTILE(TILEKn) is the kernel for n activations.
#define Q6KTILE(TILEKn) TILEKn(16, Q6KSUB, Z20, 256, 16, Q6KEND, 5696)

TEXT ·tileK6x16x8VNNI(SB), NOSPLIT, $0-41
	Q6KTILE(TILEK8)

TEXT ·tileK6x16x4VNNI(SB), NOSPLIT, $0-41
	Q6KTILE(TILEK4)

TEXT ·tileK6x16x2VNNI(SB), NOSPLIT, $0-41
	Q6KTILE(TILEK2)

// repackQ6KTileAsm (REPACK) unpacks the values by transposing, as
// repackQ4KTileAsm does: 16 dwords of each of the 16 rows are loaded and
// transposed so that a register holds one dword (4 bytes) of every row. qh
// is transposed first and kept in the scales' place of dst (dword c at
// 4096+64c) until the scales are written; then each half of ql, whose
// dwords l/4 (low 4 bits of values 128h+l, +64) and 8+l/4 (values
// 128h+32+l, +96) combine with qh dword 8h+l/4 into four k-groups. Reads
// stay within each 210-byte block (d by the dword at 206).

// K6VAL(LO, HI, qoff, g) stores the k-groups g, g+8, g+16, g+24 from the
// ql dwords LO and HI and the qh dword at qoff(DI): the low nibbles of LO
// and HI, then their high nibbles, each with the next 2 bits of qh as
// bits 4..5; lanes of missing rows (K5) are zero. Z29 = 0x30 bytes.
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

// K6QH(X0, X1, X2, X3, m, _) transposes dword m of the 16 rows' qh (KT3)
// and keeps dwords m, 4+m, 8+m, 12+m at off = 4096+64m, +256, +512, +768.
#define K6QH(X0, X1, X2, X3, m, _) \
	KT3(X0, X1, X2, X3); \
	VMOVDQU32 Z20, (4096+64*m)(DI); \
	VMOVDQU32 Z21, (4096+64*m+256)(DI); \
	VMOVDQU32 Z22, (4096+64*m+512)(DI); \
	VMOVDQU32 Z23, (4096+64*m+768)(DI)

// K6QUAD(X0, X1, X2, X3, m, h) transposes dword m of the 16 rows' ql half
// h (KT3) and stores the k-groups of ql dwords m and 8+m with the qh dword
// at qoff = 4096+512h+64m (g = 32h+m on), then of 4+m and 12+m with the
// one at qoff+256.
#define K6QUAD(X0, X1, X2, X3, m, h) \
	KT3(X0, X1, X2, X3); \
	K6VAL(Z20, Z22, (4096+512*h+64*m), (32*h+m)); \
	K6VAL(Z21, Z23, (4096+512*h+64*m+256), (32*h+m+4))

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

#define Q6KCONST KCONST($0x30303030, Z29); KCONST($0xffff, Z28); VPXORD Z27, Z27, Z27

// Q6KBODY: the values, then the scales, offsets and d (the high half of
// the dword at 206).
#define Q6KBODY \
	KPASS(128, K6QH, 0); \
	KPASS(0, K6QUAD, 0); \
	KPASS(64, K6QUAD, 1); \
	KGATHER(192, Z0, K1); \
	KGATHER(196, Z1, K2); \
	KGATHER(200, Z2, K3); \
	KGATHER(204, Z3, K4); \
	KGATHER(206, Z4, K1); \
	K6SC(Z0, 0); \
	K6SC(Z1, 1); \
	K6SC(Z2, 2); \
	K6SC(Z3, 3); \
	VPSRLD    $16, Z4, Z4; \
	VPMOVDW   Z4, Y5; \
	VCVTPH2PS Y5, Z5; \
	VMOVUPS   Z5, 5632(DI)

TEXT ·repackQ6KTileAsm(SB), NOSPLIT, $0-40
	REPACK(Q6KCONST, Q6KBODY, 210, 5696)
