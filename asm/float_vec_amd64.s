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

// DOT16 is the dot product of n (a multiple of 16) values at SI, read by
// LD and WB bytes per 16, with the f32 at DI, left in X0: two accumulators,
// reduced at the end.
#define DOT16(LD, WB) \
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
	VZEROUPPER

// AXPY16 adds alpha (Y0) times the n values at SI, read by LD and WB bytes
// per 16, to the f32 at DI.
#define AXPY16(LD, WB) \
loop: \
	LD(Y4, Y5); \
	VMOVUPS     (DI), Y2; \
	VMOVUPS     32(DI), Y3; \
	VFMADD231PS Y4, Y0, Y2; \
	VFMADD231PS Y5, Y0, Y3; \
	VMOVUPS     Y2, (DI); \
	VMOVUPS     Y3, 32(DI); \
	ADDQ        $WB, SI; \
	ADDQ        $64, DI; \
	SUBQ        $16, CX; \
	JNZ         loop; \
	VZEROUPPER; \
	RET

// func dotF32AVX2(a, b *float32, n int) float32
TEXT ·dotF32AVX2(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ n+16(FP), CX
	DOT16(LD_F32, 64)
	MOVSS X0, ret+24(FP)
	RET

// func axpyF32AVX2(alpha float32, x, y *float32, n int)
TEXT ·axpyF32AVX2(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Y0
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), DI
	MOVQ         n+24(FP), CX

loop:
	VMOVUPS     (DI), Y2
	VMOVUPS     32(DI), Y3
	VFMADD231PS (SI), Y0, Y2
	VFMADD231PS 32(SI), Y0, Y3
	VMOVUPS     Y2, (DI)
	VMOVUPS     Y3, 32(DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JNZ         loop
	VZEROUPPER
	RET

// func dotBF16AVX2(w *uint16, x *float32, n int) float32
TEXT ·dotBF16AVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+16(FP), CX
	DOT16(LD_BF16, 32)
	MOVSS X0, ret+24(FP)
	RET

// func dotF16AVX2(w *uint16, x *float32, n int) float32
TEXT ·dotF16AVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+16(FP), CX
	DOT16(LD_F16, 32)
	MOVSS X0, ret+24(FP)
	RET

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

// func axpyF16AVX2(alpha float32, x *uint16, y *float32, n int)
TEXT ·axpyF16AVX2(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Y0
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), DI
	MOVQ         n+24(FP), CX
	AXPY16(LD_F16, 32)

// func axpyBF16AVX2(alpha float32, x *uint16, y *float32, n int)
TEXT ·axpyBF16AVX2(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Y0
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), DI
	MOVQ         n+24(FP), CX
	AXPY16(LD_BF16, 32)

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
