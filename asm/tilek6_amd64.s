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
