//go:build !noasm

#include "textflag.h"
#include "macros_amd64.h"

// Attention kernels for AVX-512 F: the softmax of a row of scores and the
// product of probabilities with f16 values. See attn.go.

DATA expc<>+0(SB)/4, $0x3fb8aa3b  // log2(e)
DATA expc<>+4(SB)/4, $0x3f318000  // ln2 high part
DATA expc<>+8(SB)/4, $0xb95e8083  // ln2 low part
DATA expc<>+12(SB)/4, $0x39500d01 // 1/7!
DATA expc<>+16(SB)/4, $0x3ab60b61 // 1/6!
DATA expc<>+20(SB)/4, $0x3c088889 // 1/5!
DATA expc<>+24(SB)/4, $0x3d2aaaab // 1/4!
DATA expc<>+28(SB)/4, $0x3e2aaaab // 1/3!
DATA expc<>+32(SB)/4, $0x3f000000 // 1/2
DATA expc<>+36(SB)/4, $0x3f800000 // 1
DATA expc<>+40(SB)/4, $0xc2b00000 // -88 (exp underflows below)
GLOBL expc<>(SB), RODATA|NOPTR, $44

// EXPCONST loads expc: log2(e) in Z22, ln2 (high, low) in Z23/Z24, the
// polynomial's coefficients in Z25..Z31 (Z31 = 1), -88 in Z19.
#define EXPCONST \
	VBROADCASTSS expc<>+0(SB), Z22; \
	VBROADCASTSS expc<>+4(SB), Z23; \
	VBROADCASTSS expc<>+8(SB), Z24; \
	VBROADCASTSS expc<>+12(SB), Z25; \
	VBROADCASTSS expc<>+16(SB), Z26; \
	VBROADCASTSS expc<>+20(SB), Z27; \
	VBROADCASTSS expc<>+24(SB), Z28; \
	VBROADCASTSS expc<>+28(SB), Z29; \
	VBROADCASTSS expc<>+32(SB), Z30; \
	VBROADCASTSS expc<>+36(SB), Z31; \
	VBROADCASTSS expc<>+40(SB), Z19

// EXPZ1 sets Z3 = exp(Z1) (Z1 >= -88; Z1 and Z2 are clobbered): t = n ln2
// + r with n = round(t log2 e), |r| <= ln2/2, exp(r) by its Taylor
// polynomial of degree 7 (error < 1e-8 relative), times 2^n with
// VSCALEFPS.
#define EXPZ1 \
	VMULPS       Z22, Z1, Z2; \
	VRNDSCALEPS  $0, Z2, Z2; \
	VFNMADD231PS Z23, Z2, Z1; \
	VFNMADD231PS Z24, Z2, Z1; \
	VMOVAPS      Z25, Z3; \
	VFMADD213PS  Z26, Z1, Z3; \
	VFMADD213PS  Z27, Z1, Z3; \
	VFMADD213PS  Z28, Z1, Z3; \
	VFMADD213PS  Z29, Z1, Z3; \
	VFMADD213PS  Z30, Z1, Z3; \
	VFMADD213PS  Z31, Z1, Z3; \
	VFMADD213PS  Z31, Z1, Z3; \
	VSCALEFPS    Z2, Z3, Z3

// func maxF32AVX512(x *float32, n int) float32
// n is a positive multiple of 16.
TEXT ·maxF32AVX512(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VMOVUPS (SI), Z0
	ADDQ    $64, SI
	SUBQ    $16, CX
	JZ      mdone

mloop:
	VMAXPS (SI), Z0, Z0
	ADDQ   $64, SI
	SUBQ   $16, CX
	JNZ    mloop

mdone:
	VEXTRACTF64X4 $1, Z0, Y1
	VMAXPS        Y1, Y0, Y0
	HMAX8(Y0, X0, X1)
	VMOVSS        X0, ret+16(FP)
	VZEROUPPER
	RET

// func expSumAVX512(x *float32, n int, max, scale float32) float32
// Sets x[i] = exp((x[i]-max)*scale) for i < n (a positive multiple of 16)
// and returns their sum (EXPZ1).
TEXT ·expSumAVX512(SB), NOSPLIT, $0-28
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS max+16(FP), Z20
	VBROADCASTSS scale+20(FP), Z21
	EXPCONST
	VPXORD       Z0, Z0, Z0

eloop:
	VMOVUPS      (SI), Z1
	VSUBPS       Z20, Z1, Z1
	VMULPS       Z21, Z1, Z1
	VMAXPS       Z19, Z1, Z1
	EXPZ1
	VMOVUPS      Z3, (SI)
	VADDPS       Z3, Z0, Z0
	ADDQ         $64, SI
	SUBQ         $16, CX
	JNZ          eloop

	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS        Y1, Y0, Y0
	HRED8(VADDPS, VADDPS, Y0, X0, X1)
	VMOVSS        X0, ret+24(FP)
	VZEROUPPER
	RET

// PV4(P, A) adds p[h][j] (broadcast from P) times the value row in
// Z16..Z19 to the accumulators A..A+3.
#define PV4(P, A0, A1, A2, A3) \
	VFMADD231PS.BCST P, Z16, A0; \
	VFMADD231PS.BCST P, Z17, A1; \
	VFMADD231PS.BCST P, Z18, A2; \
	VFMADD231PS.BCST P, Z19, A3

// PVROWS runs OP on the 4 rows of out (at AX, DX bytes apart) with their
// accumulators, Z0..Z3 for row 0 up to Z12..Z15 for row 3; PVLD loads
// them, PVST stores them.
#define PVROWS(OP) \
	MOVQ AX, BX; \
	OP(Z0, Z1, Z2, Z3); \
	ADDQ DX, BX; \
	OP(Z4, Z5, Z6, Z7); \
	ADDQ DX, BX; \
	OP(Z8, Z9, Z10, Z11); \
	ADDQ DX, BX; \
	OP(Z12, Z13, Z14, Z15)

#define PVLD(A, B, C, D) VMOVUPS (BX), A; VMOVUPS 64(BX), B; VMOVUPS 128(BX), C; VMOVUPS 192(BX), D
#define PVST(A, B, C, D) VMOVUPS A, (BX); VMOVUPS B, 64(BX); VMOVUPS C, 128(BX); VMOVUPS D, 192(BX)

// func pv4x64F16AVX512(out *float32, ldo int, p *float32, ldp int, v *uint16, ldv int, nk int)
// For h < 4, d < 64: out[h*ldo+d] += sum over j < nk (nk > 0), in order,
// of p[h*ldp+j] * v[j*ldv+d].
TEXT ·pv4x64F16AVX512(SB), NOSPLIT, $0-56
	MOVQ out+0(FP), AX
	MOVQ ldo+8(FP), DX
	SHLQ $2, DX
	MOVQ p+16(FP), R8
	MOVQ ldp+24(FP), R9
	SHLQ $2, R9
	MOVQ v+32(FP), SI
	MOVQ ldv+40(FP), R10
	SHLQ $1, R10
	MOVQ nk+48(FP), CX
	LEAQ (R8)(R9*1), R11
	LEAQ (R11)(R9*1), R12
	LEAQ (R12)(R9*1), R13

	PVROWS(PVLD)

pvloop:
	VCVTPH2PS (SI), Z16
	VCVTPH2PS 32(SI), Z17
	VCVTPH2PS 64(SI), Z18
	VCVTPH2PS 96(SI), Z19
	PV4((R8), Z0, Z1, Z2, Z3)
	PV4((R11), Z4, Z5, Z6, Z7)
	PV4((R12), Z8, Z9, Z10, Z11)
	PV4((R13), Z12, Z13, Z14, Z15)
	ADDQ $4, R8
	ADDQ $4, R11
	ADDQ $4, R12
	ADDQ $4, R13
	ADDQ R10, SI
	DECQ CX
	JNZ  pvloop

	PVROWS(PVST)
	VZEROUPPER
	RET

// func siluMulAVX512(gate, up *float32, n int)
// Sets g[i] = g[i] / (1 + exp(-g[i])) * up[i] for i < n (a positive
// multiple of 16), exp as in expSumAVX512 with its argument clamped to
// [-88, 88].
TEXT ·siluMulAVX512(SB), NOSPLIT, $0-24
	MOVQ         gate+0(FP), SI
	MOVQ         up+8(FP), DI
	MOVQ         n+16(FP), CX
	EXPCONST
	VPXORD       Z18, Z18, Z18
	VSUBPS       Z19, Z18, Z18

sloop:
	VMOVUPS      (SI), Z0
	VPXORD       Z1, Z1, Z1
	VSUBPS       Z0, Z1, Z1
	VMAXPS       Z19, Z1, Z1
	VMINPS       Z18, Z1, Z1
	EXPZ1
	VADDPS       Z31, Z3, Z3
	VDIVPS       Z3, Z0, Z0
	VMULPS       (DI), Z0, Z0
	VMOVUPS      Z0, (SI)
	ADDQ         $64, SI
	ADDQ         $64, DI
	SUBQ         $16, CX
	JNZ          sloop
	VZEROUPPER
	RET
