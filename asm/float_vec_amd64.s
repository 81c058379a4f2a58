//go:build !noasm

#include "textflag.h"
#include "macros_amd64.h"

// The loaders put 16 values at SI, widened to f32, into A and B: f32
// loads, bf16 zero-extended and shifted (bf16 is the top half of an f32,
// so exactly), f16 converted.
#define LD_F32(A, B) VMOVUPS (SI), A; VMOVUPS 32(SI), B
#define LD_BF16(A, B) \
	VPMOVZXWD (SI), A; \
	VPMOVZXWD 16(SI), B; \
	VPSLLD    $16, A, A; \
	VPSLLD    $16, B, B
#define LD_F16(A, B) VCVTPH2PS (SI), A; VCVTPH2PS 16(SI), B

// DOTK is a dot kernel (func(a, b, n) float32, A and B the names of the
// pointer arguments): the dot product of n (a multiple of 16) values at
// SI, read by LD and WB bytes per 16, with the f32 at DI, left in X0: two
// accumulators, reduced at the end. The macros that touch FP precede
// every TEXT, so that vet checks them against none.
#define DOTK(A, B, LD, WB) \
	MOVQ A+0(FP), SI; MOVQ B+8(FP), DI; MOVQ n+16(FP), CX; \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
loop: \
	LD(Y2, Y3); \
	VFMADD231PS (DI), Y2, Y0; \
	VFMADD231PS 32(DI), Y3, Y1; \
	ADDQ        $WB, SI; \
	ADDQ        $64, DI; \
	SUBQ        $16, CX; \
	JNZ         loop; \
	VADDPS      Y1, Y0, Y0; \
	HSUM8(Y0, X0, X1); \
	VZEROUPPER; \
	MOVSS       X0, ret+24(FP); \
	RET

// AXPYK is an axpy kernel (func(alpha float32, x, y, n)): adds alpha (Y0)
// times the n values at SI, read by LD into (or used from) V0 and V1, WB
// bytes per 16, to the f32 at DI.
#define AXPYK(LD, V0, V1, WB) \
	VBROADCASTSS alpha+0(FP), Y0; \
	MOVQ         x+8(FP), SI; MOVQ y+16(FP), DI; MOVQ n+24(FP), CX; \
loop: \
	LD(Y4, Y5); \
	VMOVUPS     (DI), Y2; \
	VMOVUPS     32(DI), Y3; \
	VFMADD231PS V0, Y0, Y2; \
	VFMADD231PS V1, Y0, Y3; \
	VMOVUPS     Y2, (DI); \
	VMOVUPS     Y3, 32(DI); \
	ADDQ        $WB, SI; \
	ADDQ        $64, DI; \
	SUBQ        $16, CX; \
	JNZ         loop; \
	VZEROUPPER; \
	RET

// f32 values are FMA operands directly.
#define LD_NONE(A, B)

TEXT ·dotF32AVX2(SB), NOSPLIT, $0-28
	DOTK(a, b, LD_F32, 64)

TEXT ·axpyF32AVX2(SB), NOSPLIT, $0-32
	AXPYK(LD_NONE, (SI), 32(SI), 64)

TEXT ·dotBF16AVX2(SB), NOSPLIT, $0-28
	DOTK(w, x, LD_BF16, 32)

TEXT ·dotF16AVX2(SB), NOSPLIT, $0-28
	DOTK(w, x, LD_F16, 32)

// func scaleF32AVX2(alpha float32, x *float32, n int)
TEXT ·scaleF32AVX2(SB), NOSPLIT, $0-24
	VBROADCASTSS alpha+0(FP), Y0
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX

loop:
	VMULPS  (SI), Y0, Y2
	VMULPS  32(SI), Y0, Y3
	VMOVUPS Y2, (SI)
	VMOVUPS Y3, 32(SI)
	ADDQ    $64, SI
	SUBQ    $16, CX
	JNZ     loop
	VZEROUPPER
	RET

TEXT ·axpyF16AVX2(SB), NOSPLIT, $0-32
	AXPYK(LD_F16, Y4, Y5, 32)

TEXT ·axpyBF16AVX2(SB), NOSPLIT, $0-32
	AXPYK(LD_BF16, Y4, Y5, 32)

// func toF16AVX2(dst *uint16, x *float32, n int)
TEXT ·toF16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX

loop:
	VMOVUPS   (SI), Y0
	VMOVUPS   32(SI), Y1
	VCVTPS2PH $0, Y0, X0
	VCVTPS2PH $0, Y1, X1
	VMOVDQU   X0, (DI)
	VMOVDQU   X1, 16(DI)
	ADDQ      $64, SI
	ADDQ      $32, DI
	SUBQ      $16, CX
	JNZ       loop
	VZEROUPPER
	RET
