//go:build !noasm

#include "textflag.h"

// The 16 multiply-adds of one step: acc[4r+j] += w_r * x_j.
#define FMA16 \
	VFMADD231PS Z20, Z16, Z0  \
	VFMADD231PS Z21, Z16, Z1  \
	VFMADD231PS Z22, Z16, Z2  \
	VFMADD231PS Z23, Z16, Z3  \
	VFMADD231PS Z20, Z17, Z4  \
	VFMADD231PS Z21, Z17, Z5  \
	VFMADD231PS Z22, Z17, Z6  \
	VFMADD231PS Z23, Z17, Z7  \
	VFMADD231PS Z20, Z18, Z8  \
	VFMADD231PS Z21, Z18, Z9  \
	VFMADD231PS Z22, Z18, Z10 \
	VFMADD231PS Z23, Z18, Z11 \
	VFMADD231PS Z20, Z19, Z12 \
	VFMADD231PS Z21, Z19, Z13 \
	VFMADD231PS Z22, Z19, Z14 \
	VFMADD231PS Z23, Z19, Z15

#define ZERO16 \
	VPXORD Z0, Z0, Z0   \
	VPXORD Z1, Z1, Z1   \
	VPXORD Z2, Z2, Z2   \
	VPXORD Z3, Z3, Z3   \
	VPXORD Z4, Z4, Z4   \
	VPXORD Z5, Z5, Z5   \
	VPXORD Z6, Z6, Z6   \
	VPXORD Z7, Z7, Z7   \
	VPXORD Z8, Z8, Z8   \
	VPXORD Z9, Z9, Z9   \
	VPXORD Z10, Z10, Z10 \
	VPXORD Z11, Z11, Z11 \
	VPXORD Z12, Z12, Z12 \
	VPXORD Z13, Z13, Z13 \
	VPXORD Z14, Z14, Z14 \
	VPXORD Z15, Z15, Z15

// FOLD256(A, B, P): P = [A's 256-bit halves added, B's halves added],
// 8 partial sums of each, using Z30, Z31.
#define FOLD256(A, B, P) \
	VSHUFF32X4 $0x44, B, A, Z30 \
	VSHUFF32X4 $0xEE, B, A, Z31 \
	VADDPS     Z31, Z30, P

// FOLD128(C, D, Q): from two FOLD256 results of accumulators a,b and e,f,
// Q = 4 partial sums of each of a, b, e, f, one per 128-bit lane.
#define FOLD128(C, D, Q) \
	VSHUFF32X4 $0x88, D, C, Z30 \
	VSHUFF32X4 $0xDD, D, C, Z31 \
	VADDPS     Z31, Z30, Q

// FOLDQ(A, B, E, F, Q): Q = 4 partial sums of each of A, B, E, F, one per
// 128-bit lane (Z20, Z21 temporaries).
#define FOLDQ(A, B, E, F, Q) \
	FOLD256(A, B, Z20) \
	FOLD256(E, F, Z21) \
	FOLD128(Z20, Z21, Q)

// STORE16 writes the 16 sums acc[4r+j] = sum of the lanes of Z(4r+j) to
// out[4r+j] (DX): a tree of shuffles and adds (46 instructions) instead of
// 16 horizontal sums (128), which dominated a tile of 64-value dot products
// such as attention scores. Step 1 and 2 gather, for each j, the partial
// sums of (0,j)..(3,j) into the 128-bit lanes of Q_j (Z16..Z19); step 3
// transposes and adds within lanes, leaving lane r = [S(r,0) .. S(r,3)].
#define STORE16 \
	FOLDQ(Z0, Z4, Z8, Z12, Z16)  \
	FOLDQ(Z1, Z5, Z9, Z13, Z17)  \
	FOLDQ(Z2, Z6, Z10, Z14, Z18) \
	FOLDQ(Z3, Z7, Z11, Z15, Z19) \
	VUNPCKLPS Z17, Z16, Z20 \
	VUNPCKHPS Z17, Z16, Z21 \
	VADDPS    Z21, Z20, Z22 \
	VUNPCKLPS Z19, Z18, Z20 \
	VUNPCKHPS Z19, Z18, Z21 \
	VADDPS    Z21, Z20, Z23 \
	VUNPCKLPD Z23, Z22, Z20 \
	VUNPCKHPD Z23, Z22, Z21 \
	VADDPS    Z21, Z20, Z20 \
	VMOVUPS   Z20, (DX)

// Loads the arguments and points SI, R12, R10, R13 at the four weight rows
// (rows of WSHIFT-byte elements, as a shift) and DI, R14, R11, BX at the
// four activation rows; CX = n, DX = out; zeroes the accumulators.
#define SETUP(WSHIFT) \
	MOVQ w+0(FP), SI         \
	MOVQ ldw+8(FP), R8       \
	MOVQ x+16(FP), DI        \
	MOVQ ldx+24(FP), R9      \
	MOVQ n+32(FP), CX        \
	MOVQ out+40(FP), DX      \
	SHLQ $WSHIFT, R8         \
	SHLQ $2, R9              \
	LEAQ (SI)(R8*1), R12     \
	LEAQ (R12)(R8*1), R10    \
	LEAQ (R10)(R8*1), R13    \
	LEAQ (DI)(R9*1), R14     \
	LEAQ (R14)(R9*1), R11    \
	LEAQ (R11)(R9*1), BX     \
	ZERO16

// The weight loaders put 16 values of each of the 4 rows (SI, R12, R10,
// R13), widened to f32, into Z16..Z19: f32 loads, bf16 zero-extended and
// shifted (bf16 is the top half of an f32, so exactly), f16 converted.
#define LDW_F32 \
	VMOVUPS (SI), Z16; \
	VMOVUPS (R12), Z17; \
	VMOVUPS (R10), Z18; \
	VMOVUPS (R13), Z19

#define LDW_BF16 \
	VPMOVZXWD (SI), Z16; \
	VPMOVZXWD (R12), Z17; \
	VPMOVZXWD (R10), Z18; \
	VPMOVZXWD (R13), Z19; \
	VPSLLD    $16, Z16, Z16; \
	VPSLLD    $16, Z17, Z17; \
	VPSLLD    $16, Z18, Z18; \
	VPSLLD    $16, Z19, Z19

#define LDW_F16 \
	VCVTPH2PS (SI), Z16; \
	VCVTPH2PS (R12), Z17; \
	VCVTPH2PS (R10), Z18; \
	VCVTPH2PS (R13), Z19

// TILE4X4 is the loop of the float tiles: LDW loads the weights (WB bytes
// per 16 values and row), the 4 activation rows are f32.
#define TILE4X4(LDW, WB) \
loop: \
	LDW; \
	VMOVUPS (DI), Z20; \
	VMOVUPS (R14), Z21; \
	VMOVUPS (R11), Z22; \
	VMOVUPS (BX), Z23; \
	FMA16; \
	ADDQ    $WB, SI; \
	ADDQ    $WB, R12; \
	ADDQ    $WB, R10; \
	ADDQ    $WB, R13; \
	ADDQ    $64, DI; \
	ADDQ    $64, R14; \
	ADDQ    $64, R11; \
	ADDQ    $64, BX; \
	SUBQ    $16, CX; \
	JNZ     loop; \
	STORE16; \
	VZEROUPPER; \
	RET

// func tileF32AVX512(w *float32, ldw int, x *float32, ldx int, n int, out *[16]float32)
TEXT ·tileF32AVX512(SB), NOSPLIT, $0-48
	SETUP(2)
	TILE4X4(LDW_F32, 64)

// func tileBF16AVX512(w *uint16, ldw int, x *float32, ldx int, n int, out *[16]float32)
TEXT ·tileBF16AVX512(SB), NOSPLIT, $0-48
	SETUP(1)
	TILE4X4(LDW_BF16, 32)

// func tileF16AVX512(w *uint16, ldw int, x *float32, ldx int, n int, out *[16]float32)
TEXT ·tileF16AVX512(SB), NOSPLIT, $0-48
	SETUP(1)
	TILE4X4(LDW_F16, 32)
