//go:build !noasm

#include "textflag.h"

// K-quant tile kernels for the first 4 and 2 activations of a tile: the
// 16x8 kernels of tile_q4k_amd64.s (Q4_K, Q5_K) and tile_q6k_amd64.s (Q6_K)
// with fewer activations, so that a batch of 2-7 rows does not pay for 8.
// See tileKKernelRef and tileK6KernelRef for the layouts and what they
// compute; like them, every result equals the reference's bit for bit.
//
// Z0..Z3   isum of activation j (16 rows each), per super-block
// Z8..Z11  int32 sums of the current sub-block of activation j, then
//          (Q4_K) msum
// Z16..Z23 the sub-block's values (k-group g of the 16 rows), its scales,
//          then the mins or offset pairs, d, dmin and temporaries
// Z24..Z27 float sums of activation j
//
// BX super-block of the weights, SI of the activations; R10 values and R11
// activations of the sub-block, R13 its scales. The macros hold no
// arguments (vet checks FP references against the TEXT they are in).

// SMK_LOAD(N) loads the float sums of the first N activations from out
// (AX, rows DX bytes apart) under K1 (zero when acc is false).
#define SMK_LOAD2 \
	VMOVUPS.Z (AX), K1, Z24; \
	VMOVUPS.Z (AX)(DX*1), K1, Z25

#define SMK_LOAD4 \
	SMK_LOAD2; \
	LEAQ      (AX)(DX*2), R9; \
	VMOVUPS.Z (R9), K1, Z26; \
	VMOVUPS.Z (R9)(DX*1), K1, Z27

#define SMK_STORE2 \
	VMOVUPS Z24, (AX); \
	VMOVUPS Z25, (AX)(DX*1)

#define SMK_STORE4 \
	SMK_STORE2; \
	LEAQ    (AX)(DX*2), R9; \
	VMOVUPS Z26, (R9); \
	VMOVUPS Z27, (R9)(DX*1)

#define SMK_ZERO2(A, B) \
	VPXORD A, A, A; \
	VPXORD B, B, B

// SMK_VNNI2 / SMK_VNNI4 (g, W): k-group g of the first 2 / 4 activations
// (broadcast from R11, 256 bytes apart) times the weights W into Z8...
#define SMK_VNNI2(g, W) \
	VPDPBUSD.BCST (4*g)(R11), W, Z8; \
	VPDPBUSD.BCST (256+4*g)(R11), W, Z9

#define SMK_VNNI4(g, W) \
	SMK_VNNI2(g, W); \
	VPDPBUSD.BCST (512+4*g)(R11), W, Z10; \
	VPDPBUSD.BCST (768+4*g)(R11), W, Z11

// SMK_ISUM2 / SMK_ISUM4 (S): isum_j += sub-block sum_j * scales S, for
// the first 2 / 4 activations (exact in int32 for the kernels' ranges).
#define SMK_ISUM2(S) \
	VPMULLD S, Z8, Z8; \
	VPMULLD S, Z9, Z9; \
	VPADDD  Z8, Z0, Z0; \
	VPADDD  Z9, Z1, Z1

#define SMK_ISUM4(S) \
	SMK_ISUM2(S); \
	VPMULLD S, Z10, Z10; \
	VPMULLD S, Z11, Z11; \
	VPADDD  Z10, Z2, Z2; \
	VPADDD  Z11, Z3, Z3

// SMK_BSUM2 / SMK_BSUM4 (p, P, D0..): D_j += the int16 pair P times the
// block sums 2p and 2p+1 of activation j (at 2048 of its super-block in
// SI, 32 bytes apart).
#define SMK_BSUM2(p, P, D0, D1) \
	VPDPWSSD.BCST (2048+4*p)(SI), P, D0; \
	VPDPWSSD.BCST (2080+4*p)(SI), P, D1

#define SMK_BSUM4(p, P, D0, D1, D2, D3) \
	SMK_BSUM2(p, P, D0, D1); \
	VPDPWSSD.BCST (2112+4*p)(SI), P, D2; \
	VPDPWSSD.BCST (2144+4*p)(SI), P, D3

// SMK_LD8(P, off) loads the 8 zmm at off(P), off+64(P), ... into Z16..Z23.
#define SMK_LD8(P, off) \
	VMOVDQU32 (off)(P), Z16; \
	VMOVDQU32 (off+64)(P), Z17; \
	VMOVDQU32 (off+128)(P), Z18; \
	VMOVDQU32 (off+192)(P), Z19; \
	VMOVDQU32 (off+256)(P), Z20; \
	VMOVDQU32 (off+320)(P), Z21; \
	VMOVDQU32 (off+384)(P), Z22; \
	VMOVDQU32 (off+448)(P), Z23

// SMK_DSTEP(j, I, F) is the reference's float step for activation j:
// F = F + float(I)*(d*dx), each operation rounded (no FMA); d is in Z16.
#define SMK_DSTEP(j, I, F) \
	VMULPS.BCST (2304+4*j)(SI), Z16, Z18; \
	VCVTDQ2PS   I, I; \
	VMULPS      Z18, I, I; \
	VADDPS      I, F, F

// SMK_MSTEP(j, M, F) then subtracts float(M)*(dmin*dx); dmin is in Z17.
#define SMK_MSTEP(j, M, F) \
	VMULPS.BCST (2304+4*j)(SI), Z17, Z19; \
	VCVTDQ2PS   M, M; \
	VMULPS      Z19, M, M; \
	VSUBPS      M, F, F

// func tileK16x4VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool)
TEXT ·tileK16x4VNNI(SB), NOSPLIT, $0-41
	MOVQ    out+0(FP), AX
	MOVQ    ldo+8(FP), DX
	SHLQ    $2, DX
	MOVQ    w+16(FP), BX
	MOVQ    x+24(FP), SI
	MOVQ    nb+32(FP), CX
	MOVBQZX acc+40(FP), R8
	NEGL    R8
	KMOVW   R8, K1
	SMK_LOAD4

k4block:
	SMK_ZERO2(Z0, Z1)
	SMK_ZERO2(Z2, Z3)
	MOVQ BX, R10
	MOVQ SI, R11
	LEAQ 4096(BX), R13
	MOVQ $8, R12

k4sub:
	SMK_ZERO2(Z8, Z9)
	SMK_ZERO2(Z10, Z11)
	SMK_LD8(R10, 0)
	SMK_VNNI4(0, Z16)
	SMK_VNNI4(1, Z17)
	SMK_VNNI4(2, Z18)
	SMK_VNNI4(3, Z19)
	SMK_VNNI4(4, Z20)
	SMK_VNNI4(5, Z21)
	SMK_VNNI4(6, Z22)
	SMK_VNNI4(7, Z23)
	VMOVDQU32 (R13), Z16
	SMK_ISUM4(Z16)
	ADDQ      $512, R10
	ADDQ      $32, R11
	ADDQ      $64, R13
	DECQ      R12
	JNZ       k4sub

	// msum of each activation
	SMK_ZERO2(Z8, Z9)
	SMK_ZERO2(Z10, Z11)
	SMK_LD8(BX, 4608)
	SMK_BSUM4(0, Z16, Z8, Z9, Z10, Z11)
	SMK_BSUM4(1, Z17, Z8, Z9, Z10, Z11)
	SMK_BSUM4(2, Z18, Z8, Z9, Z10, Z11)
	SMK_BSUM4(3, Z19, Z8, Z9, Z10, Z11)
	SMK_BSUM4(4, Z20, Z8, Z9, Z10, Z11)
	SMK_BSUM4(5, Z21, Z8, Z9, Z10, Z11)
	SMK_BSUM4(6, Z22, Z8, Z9, Z10, Z11)
	SMK_BSUM4(7, Z23, Z8, Z9, Z10, Z11)
	VMOVUPS 5120(BX), Z16
	VMOVUPS 5184(BX), Z17
	SMK_DSTEP(0, Z0, Z24)
	SMK_MSTEP(0, Z8, Z24)
	SMK_DSTEP(1, Z1, Z25)
	SMK_MSTEP(1, Z9, Z25)
	SMK_DSTEP(2, Z2, Z26)
	SMK_MSTEP(2, Z10, Z26)
	SMK_DSTEP(3, Z3, Z27)
	SMK_MSTEP(3, Z11, Z27)
	ADDQ $5248, BX
	ADDQ $2336, SI
	DECQ CX
	JNZ  k4block

	SMK_STORE4
	VZEROUPPER
	RET

// func tileK16x2VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool)
TEXT ·tileK16x2VNNI(SB), NOSPLIT, $0-41
	MOVQ    out+0(FP), AX
	MOVQ    ldo+8(FP), DX
	SHLQ    $2, DX
	MOVQ    w+16(FP), BX
	MOVQ    x+24(FP), SI
	MOVQ    nb+32(FP), CX
	MOVBQZX acc+40(FP), R8
	NEGL    R8
	KMOVW   R8, K1
	SMK_LOAD2

k2block:
	SMK_ZERO2(Z0, Z1)
	MOVQ BX, R10
	MOVQ SI, R11
	LEAQ 4096(BX), R13
	MOVQ $8, R12

k2sub:
	SMK_ZERO2(Z8, Z9)
	SMK_LD8(R10, 0)
	SMK_VNNI2(0, Z16)
	SMK_VNNI2(1, Z17)
	SMK_VNNI2(2, Z18)
	SMK_VNNI2(3, Z19)
	SMK_VNNI2(4, Z20)
	SMK_VNNI2(5, Z21)
	SMK_VNNI2(6, Z22)
	SMK_VNNI2(7, Z23)
	VMOVDQU32 (R13), Z16
	SMK_ISUM2(Z16)
	ADDQ      $512, R10
	ADDQ      $32, R11
	ADDQ      $64, R13
	DECQ      R12
	JNZ       k2sub

	// msum of each activation
	SMK_ZERO2(Z8, Z9)
	SMK_LD8(BX, 4608)
	SMK_BSUM2(0, Z16, Z8, Z9)
	SMK_BSUM2(1, Z17, Z8, Z9)
	SMK_BSUM2(2, Z18, Z8, Z9)
	SMK_BSUM2(3, Z19, Z8, Z9)
	SMK_BSUM2(4, Z20, Z8, Z9)
	SMK_BSUM2(5, Z21, Z8, Z9)
	SMK_BSUM2(6, Z22, Z8, Z9)
	SMK_BSUM2(7, Z23, Z8, Z9)
	VMOVUPS 5120(BX), Z16
	VMOVUPS 5184(BX), Z17
	SMK_DSTEP(0, Z0, Z24)
	SMK_MSTEP(0, Z8, Z24)
	SMK_DSTEP(1, Z1, Z25)
	SMK_MSTEP(1, Z9, Z25)
	ADDQ $5248, BX
	ADDQ $2336, SI
	DECQ CX
	JNZ  k2block

	SMK_STORE2
	VZEROUPPER
	RET

// func tileK6x16x4VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool)
TEXT ·tileK6x16x4VNNI(SB), NOSPLIT, $0-41
	MOVQ    out+0(FP), AX
	MOVQ    ldo+8(FP), DX
	SHLQ    $2, DX
	MOVQ    w+16(FP), BX
	MOVQ    x+24(FP), SI
	MOVQ    nb+32(FP), CX
	MOVBQZX acc+40(FP), R8
	NEGL    R8
	KMOVW   R8, K1
	SMK_LOAD4

k64block:
	SMK_ZERO2(Z0, Z1)
	SMK_ZERO2(Z2, Z3)
	MOVQ BX, R10
	MOVQ SI, R11
	LEAQ 4096(BX), R13
	MOVQ $16, R12

k64sub:
	SMK_ZERO2(Z8, Z9)
	SMK_ZERO2(Z10, Z11)
	VMOVDQU32 (R10), Z16
	VMOVDQU32 64(R10), Z17
	VMOVDQU32 128(R10), Z18
	VMOVDQU32 192(R10), Z19
	SMK_VNNI4(0, Z16)
	SMK_VNNI4(1, Z17)
	SMK_VNNI4(2, Z18)
	SMK_VNNI4(3, Z19)
	VMOVDQU32 (R13), Z20
	SMK_ISUM4(Z20)
	ADDQ      $256, R10
	ADDQ      $16, R11
	ADDQ      $64, R13
	DECQ      R12
	JNZ       k64sub

	// the -32 offset: int32 sums in any order are exact (the total fits)
	SMK_LD8(BX, 5120)
	SMK_BSUM4(0, Z16, Z0, Z1, Z2, Z3)
	SMK_BSUM4(1, Z17, Z0, Z1, Z2, Z3)
	SMK_BSUM4(2, Z18, Z0, Z1, Z2, Z3)
	SMK_BSUM4(3, Z19, Z0, Z1, Z2, Z3)
	SMK_BSUM4(4, Z20, Z0, Z1, Z2, Z3)
	SMK_BSUM4(5, Z21, Z0, Z1, Z2, Z3)
	SMK_BSUM4(6, Z22, Z0, Z1, Z2, Z3)
	SMK_BSUM4(7, Z23, Z0, Z1, Z2, Z3)
	VMOVUPS 5632(BX), Z16
	SMK_DSTEP(0, Z0, Z24)
	SMK_DSTEP(1, Z1, Z25)
	SMK_DSTEP(2, Z2, Z26)
	SMK_DSTEP(3, Z3, Z27)
	ADDQ $5696, BX
	ADDQ $2336, SI
	DECQ CX
	JNZ  k64block

	SMK_STORE4
	VZEROUPPER
	RET

// func tileK6x16x2VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool)
TEXT ·tileK6x16x2VNNI(SB), NOSPLIT, $0-41
	MOVQ    out+0(FP), AX
	MOVQ    ldo+8(FP), DX
	SHLQ    $2, DX
	MOVQ    w+16(FP), BX
	MOVQ    x+24(FP), SI
	MOVQ    nb+32(FP), CX
	MOVBQZX acc+40(FP), R8
	NEGL    R8
	KMOVW   R8, K1
	SMK_LOAD2

k62block:
	SMK_ZERO2(Z0, Z1)
	MOVQ BX, R10
	MOVQ SI, R11
	LEAQ 4096(BX), R13
	MOVQ $16, R12

k62sub:
	SMK_ZERO2(Z8, Z9)
	VMOVDQU32 (R10), Z16
	VMOVDQU32 64(R10), Z17
	VMOVDQU32 128(R10), Z18
	VMOVDQU32 192(R10), Z19
	SMK_VNNI2(0, Z16)
	SMK_VNNI2(1, Z17)
	SMK_VNNI2(2, Z18)
	SMK_VNNI2(3, Z19)
	VMOVDQU32 (R13), Z20
	SMK_ISUM2(Z20)
	ADDQ      $256, R10
	ADDQ      $16, R11
	ADDQ      $64, R13
	DECQ      R12
	JNZ       k62sub

	// the -32 offset: int32 sums in any order are exact (the total fits)
	SMK_LD8(BX, 5120)
	SMK_BSUM2(0, Z16, Z0, Z1)
	SMK_BSUM2(1, Z17, Z0, Z1)
	SMK_BSUM2(2, Z18, Z0, Z1)
	SMK_BSUM2(3, Z19, Z0, Z1)
	SMK_BSUM2(4, Z20, Z0, Z1)
	SMK_BSUM2(5, Z21, Z0, Z1)
	SMK_BSUM2(6, Z22, Z0, Z1)
	SMK_BSUM2(7, Z23, Z0, Z1)
	VMOVUPS 5632(BX), Z16
	SMK_DSTEP(0, Z0, Z24)
	SMK_DSTEP(1, Z1, Z25)
	ADDQ $5696, BX
	ADDQ $2336, SI
	DECQ CX
	JNZ  k62block

	SMK_STORE2
	VZEROUPPER
	RET
