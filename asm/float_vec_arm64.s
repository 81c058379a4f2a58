//go:build !noasm

#include "textflag.h"
#include "macros_arm64.h"

// REDUCE4 sums the float lanes of V0..V3 into F0. The Go assembler has no
// vector FADD mnemonic; adding through VFMLA with 1.0 is exact per product
// (x*1 is x) and rounds once per add, like an add.
#define REDUCE4 \
	FMOVS $1.0, F31; \
	VDUP  V31.S[0], V31.S4; \
	VFMLA V31.S4, V1.S4, V0.S4; \
	VFMLA V31.S4, V2.S4, V0.S4; \
	VFMLA V31.S4, V3.S4, V0.S4; \
	VDUP  V0.S[1], V1.S4; \
	VDUP  V0.S[2], V2.S4; \
	VDUP  V0.S[3], V3.S4; \
	FADDS F1, F0, F0; \
	FADDS F3, F2, F2; \
	FADDS F2, F0, F0

// The loaders put 16 values at R0 (advanced), widened to f32, into V4..V7:
// f32 loads, bf16 interleaved with zero halves (bf16 is the top half of an
// f32; V30 = 0), f16 through fcvtl.
#define LD_F32 VLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]

#define LD_BF16 \
	VLD1.P 32(R0), [V12.H8, V13.H8]; \
	VZIP1  V12.H8, V30.H8, V4.H8; \
	VZIP2  V12.H8, V30.H8, V5.H8; \
	VZIP1  V13.H8, V30.H8, V6.H8; \
	VZIP2  V13.H8, V30.H8, V7.H8

#define LD_F16 \
	VLD1.P 32(R0), [V12.H8, V13.H8]; \
	FCVTL(4, 12); \
	FCVTL2(5, 12); \
	FCVTL(6, 13); \
	FCVTL2(7, 13)

// DOT16 is the dot product of the n (a multiple of 16) values read by LD
// with the f32 at R1, left in F0: four accumulators, reduced at the end.
#define DOT16(LD) \
loop: \
	LD; \
	VLD1.P 64(R1), [V8.S4, V9.S4, V10.S4, V11.S4]; \
	VFMLA  V8.S4, V4.S4, V0.S4; \
	VFMLA  V9.S4, V5.S4, V1.S4; \
	VFMLA  V10.S4, V6.S4, V2.S4; \
	VFMLA  V11.S4, V7.S4, V3.S4; \
	SUBS   $16, R2; \
	BNE    loop; \
	REDUCE4

// AXPY16 adds alpha (V31) times the n values read by LD to the f32 at R1.
#define AXPY16(LD) \
loop: \
	LD; \
	VLD1   (R1), [V0.S4, V1.S4, V2.S4, V3.S4]; \
	VFMLA  V31.S4, V4.S4, V0.S4; \
	VFMLA  V31.S4, V5.S4, V1.S4; \
	VFMLA  V31.S4, V6.S4, V2.S4; \
	VFMLA  V31.S4, V7.S4, V3.S4; \
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R1); \
	SUBS   $16, R2; \
	BNE    loop; \
	RET

// DOTK is a dot kernel (func(a, b, n) float32, A and B the names of the
// pointer arguments): LD reads the first operand, PRE sets up its
// constants.
#define DOTK(A, B, LD, PRE) \
	MOVD A+0(FP), R0; MOVD B+8(FP), R1; MOVD n+16(FP), R2; \
	ZERO4(V0.B16, V1.B16, V2.B16, V3.B16); \
	PRE; \
	DOT16(LD); \
	FMOVS F0, ret+24(FP); \
	RET

// AXPYK is an axpy kernel (func(alpha float32, x, y, n)).
#define AXPYK(LD, PRE) \
	FMOVS alpha+0(FP), F31; \
	VDUP  V31.S[0], V31.S4; \
	MOVD  x+8(FP), R0; MOVD y+16(FP), R1; MOVD n+24(FP), R2; \
	PRE; \
	AXPY16(LD)

// V30 = 0, for LD_BF16.
#define ZERO30 VEOR V30.B16, V30.B16, V30.B16

TEXT ·dotF32NEON(SB), NOSPLIT, $0-28
	DOTK(a, b, LD_F32, NONE)

TEXT ·axpyF32NEON(SB), NOSPLIT, $0-32
	AXPYK(LD_F32, NONE)

TEXT ·dotBF16NEON(SB), NOSPLIT, $0-28
	DOTK(w, x, LD_BF16, ZERO30)

TEXT ·dotF16NEON(SB), NOSPLIT, $0-28
	DOTK(w, x, LD_F16, NONE)

// func scaleF32NEON(alpha float32, x *float32, n int)
TEXT ·scaleF32NEON(SB), NOSPLIT, $0-24
	FMOVS alpha+0(FP), F31
	VDUP  V31.S[0], V31.S4
	MOVD  x+8(FP), R0
	MOVD  n+16(FP), R2

loop:
	VLD1   (R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	FMUL4S(0, 0, 31)
	FMUL4S(1, 1, 31)
	FMUL4S(2, 2, 31)
	FMUL4S(3, 3, 31)
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	SUBS   $16, R2
	BNE    loop
	RET

TEXT ·axpyF16NEON(SB), NOSPLIT, $0-32
	AXPYK(LD_F16, NONE)

TEXT ·axpyBF16NEON(SB), NOSPLIT, $0-32
	AXPYK(LD_BF16, ZERO30)
