//go:build !noasm

#include "textflag.h"
#include "tile_amd64.h"

// Q4_K tile kernels, 16 weight rows x 8, 4 or 2 activation rows per
// call, AVX-512 VNNI (TILEK: fewer activations so that a batch of 2-7 rows
// does not pay for 8). See tileKKernelRef in tile_q4k.go for the layouts
// and what they compute; every result equals the reference's bit for
// bit. Per super-block the sub-block sums then take the msum of
// activation j, Z16/Z17 d and dmin; sub-block scales are below 64, so
// |sum| < 2^16 keeps the isums exact.

// KFLOAT(j, I, M, T, F) is the reference's float step for activation j:
// F = (F + float(I)*(d*dx)) - float(M)*(dmin*dx), each operation rounded
// (no FMA); d is in Z16 and dmin in Z17.
#define KFLOAT(j, I, M, T, F) \
	KDSTEP(j, I, F); \
	VMULPS.BCST (2304+4*j)(SI), Z17, Z19; \
	VCVTDQ2PS   M, M; \
	VMULPS      Z19, M, M; \
	VSUBPS      M, F, F

#define Q4KSUB(V) TILE_LD8(R10, 0); TILE_G64(V, R11, 256)

#define Q4KEND(EACH, B) \
	EACH(ZEROS); \
	TILE_LD8(BX, 4608); \
	TILE_BSUMS(B, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15); \
	VMOVUPS 5120(BX), Z16; \
	VMOVUPS 5184(BX), Z17; \
	EACH(KFLOAT)

// Q4KTILE(TILEKn) is the kernel for n activations.
#define Q4KTILE(TILEKn) TILEKn(8, Q4KSUB, Z16, 512, 32, Q4KEND, 5248)

TEXT ·tileK16x8VNNI(SB), NOSPLIT, $0-41
	Q4KTILE(TILEK8)

TEXT ·tileK16x4VNNI(SB), NOSPLIT, $0-41
	Q4KTILE(TILEK4)

TEXT ·tileK16x2VNNI(SB), NOSPLIT, $0-41
	Q4KTILE(TILEK2)

// repackQ4KTileAsm (REPACK) unpacks the values by transposing: the 128
// value bytes of a row are 32 dwords, two zmm of 16 (half h: dwords
// 16h..16h+15); the 16 rows' zmm of a half are transposed (VPUNPCK*DQ,
// then 128-bit lanes with VSHUFI32X4) so that register c holds dword
// 16h+c of every row, which is k-group g = c%8 of chunk 2h+c/8: its low
// nibbles go to sub-block 2k, its high nibbles to 2k+1. KLOAD(16+64h) and
// KT3 (tile_amd64.h) transpose.

// KOUT(R, off) stores the low nibbles of R at off and its high nibbles
// 512 bytes on (the next sub-block); lanes of missing rows (K5) are zero.
#define KOUT(R, off) \
	VPANDD.Z  Z30, R, K5, Z24; \
	VPSRLD    $4, R, R; \
	VPANDD.Z  Z30, R, K5, R; \
	VMOVDQU32 Z24, off(DI); \
	VMOVDQU32 R, (512+off)(DI)

// KQUAD(X0, X1, X2, X3, m, base) transposes dword m of the half's 16 rows
// (KT3) and unpacks dwords m, 4+m, 8+m, 12+m (Z20..Z23, k-groups m and
// 4+m of two chunks) to off, off+256, off+1024, off+1280; off = 64m+base,
// base = 2048h.
#define KQUAD(X0, X1, X2, X3, m, base) \
	KT3(X0, X1, X2, X3); \
	KOUT(Z20, (base+64*m)); \
	KOUT(Z21, (base+64*m+256)); \
	KOUT(Z22, (base+64*m+1024)); \
	KOUT(Z23, (base+64*m+1280))

// Q4_K/Q5_K scales and mins need 63, 15 and 3 in Z29, Z28, Z27.
#define KSCCONST KCONST($63, Z29); KCONST($15, Z28); KCONST($3, Z27)

#define Q4KBODY \
	KPASS(16, KQUAD, 0); \
	KPASS(80, KQUAD, 2048); \
	KSCALES

TEXT ·repackQ4KTileAsm(SB), NOSPLIT, $0-40
	REPACK(KSCCONST, Q4KBODY, 144, 5248)
