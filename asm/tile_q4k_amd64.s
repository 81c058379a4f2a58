//go:build !noasm

#include "textflag.h"
#include "tile_amd64.h"
#include "amx_amd64.h"

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

// Q4KEND_AT is the super-block's end with the mins at M of the group
// (d and dmin after them).
#define Q4KEND_AT(EACH, B, M) \
	EACH(ZEROS); \
	TILE_LD8(BX, M); \
	TILE_BSUMS(B, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15); \
	VMOVUPS (M+512)(BX), Z16; \
	VMOVUPS (M+576)(BX), Z17; \
	EACH(KFLOAT)

#define Q4KEND(EACH, B) Q4KEND_AT(EACH, B, 4608)

// Q4KTILE(TILEKn) is the kernel for n activations.
#define Q4KTILE(TILEKn) TILEKn(8, Q4KSUB, Z16, 512, 32, Q4KEND, 5248)

TEXT ·tileK16x8VNNI(SB), NOSPLIT, $0-41
	Q4KTILE(TILEK8)

TEXT ·tileK16x4VNNI(SB), NOSPLIT, $0-41
	Q4KTILE(TILEK4)

TEXT ·tileK16x2VNNI(SB), NOSPLIT, $0-41
	Q4KTILE(TILEK2)

// The AMX kernel (macros in amx_amd64.h); amxCfg: palette 1, every tile
// 16 rows of 64 bytes.
DATA amxCfg<>+0(SB)/8, $1
DATA amxCfg<>+8(SB)/8, $0
DATA amxCfg<>+16(SB)/8, $0x0040004000400040
DATA amxCfg<>+24(SB)/8, $0x0040004000400040
DATA amxCfg<>+32(SB)/8, $0
DATA amxCfg<>+40(SB)/8, $0
DATA amxCfg<>+48(SB)/8, $0x1010101010101010
DATA amxCfg<>+56(SB)/8, $0
GLOBL amxCfg<>(SB), RODATA|NOPTR, $64

// func tileK16x16AMX(out *float32, ldo int, w *byte, x *byte, nb int, acc bool)
TEXT ·tileK16x16AMX(SB), 0, $5184-41
	AMX_KERNEL

// func amxConfigure()
TEXT ·amxConfigure(SB), NOSPLIT, $0-0
	LEAQ amxCfg<>(SB), DI
	AMX_LDTILECFG_DI
	RET

// func amxRelease()
TEXT ·amxRelease(SB), NOSPLIT, $0-0
	AMX_TILERELEASE
	RET

// kToAMXAsm converts a VNNI group into the AMX layout (see kToAMX):
// per sub-block s the scales (Z0, as two int16 per dword: Z1) multiply
// the even and odd value bytes as words (at most 1953); lo = p & 127 and
// hi = p >> 7 are put back together as bytes. Z30 holds 0x00ff00ff, Z29
// 0x007f007f. DI dst, SI src, CX nb.
#define AMX_CONV(g) \
	VMOVDQU32 (64*g)(SI), Z2; \
	VPANDD    Z30, Z2, Z3; \
	VPSRLW    $8, Z2, Z4; \
	VPMULLW   Z1, Z3, Z3; \
	VPMULLW   Z1, Z4, Z4; \
	VPANDD    Z29, Z3, Z5; \
	VPANDD    Z29, Z4, Z6; \
	VPSLLW    $8, Z6, Z6; \
	VPORD     Z6, Z5, Z5; \
	VMOVDQU32 Z5, (64*g)(DI); \
	VPSRLW    $7, Z3, Z3; \
	VPSRLW    $7, Z4, Z4; \
	VPSLLW    $8, Z4, Z4; \
	VPORD     Z4, Z3, Z3; \
	VMOVDQU32 Z3, (4096+64*g)(DI)

#define AMX_CONVSUB \
	VMOVDQU32 4096(R8), Z0; \
	VPSLLD    $16, Z0, Z1; \
	VPORD     Z0, Z1, Z1; \
	AMX_CONV(0); \
	AMX_CONV(1); \
	AMX_CONV(2); \
	AMX_CONV(3); \
	AMX_CONV(4); \
	AMX_CONV(5); \
	AMX_CONV(6); \
	AMX_CONV(7); \
	ADDQ $512, SI; \
	ADDQ $512, DI; \
	ADDQ $64, R8

// func kToAMXAsm(dst, src *byte, nb int)
TEXT ·kToAMXAsm(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ nb+16(FP), CX
	KCONST($0x00ff00ff, Z30)
	KCONST($0x007f007f, Z29)

convblk:
	MOVQ SI, R8
	MOVQ $8, DX

convsub:
	AMX_CONVSUB
	DECQ DX
	JNZ  convsub
	// SI and DI are 4096 on: the mins, d and dmin (640 bytes) follow.
	SUBQ $4096, DI
	ADDQ $8192, DI
	VMOVDQU32 512(SI), Z0
	VMOVDQU32 576(SI), Z1
	VMOVDQU32 640(SI), Z2
	VMOVDQU32 704(SI), Z3
	VMOVDQU32 768(SI), Z4
	VMOVDQU32 832(SI), Z5
	VMOVDQU32 896(SI), Z6
	VMOVDQU32 960(SI), Z7
	VMOVDQU32 1024(SI), Z8
	VMOVDQU32 1088(SI), Z9
	VMOVDQU32 Z0, 0(DI)
	VMOVDQU32 Z1, 64(DI)
	VMOVDQU32 Z2, 128(DI)
	VMOVDQU32 Z3, 192(DI)
	VMOVDQU32 Z4, 256(DI)
	VMOVDQU32 Z5, 320(DI)
	VMOVDQU32 Z6, 384(DI)
	VMOVDQU32 Z7, 448(DI)
	VMOVDQU32 Z8, 512(DI)
	VMOVDQU32 Z9, 576(DI)
	ADDQ $(5248-4096), SI
	ADDQ $640, DI
	DECQ CX
	JNZ  convblk
	VZEROUPPER
	RET

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
