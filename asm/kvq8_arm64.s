//go:build !noasm

#include "textflag.h"
#include "macros_arm64.h"

// Kernels of a Q8_0 KV cache on NEON (see kvq8.go for the key tile layout
// and kvq8_arm64.go for what each computes). Besides the instruction words
// of macros_arm64.h they use SDOT by element (registers d, n, m; i an
// element index):
//
//	sdot   Vd.4S, Vn.16B, Vm.4B[i]  0x4F80E000 | (i&1)<<21 | m<<16 (5 bits) | (i>>1)<<11 | n<<5 | d
#define SDOTE(d, n, m, i) WORD $(0x4F80E000 | (((i)&1)<<21) | ((m)<<16) | (((i)>>1)<<11) | ((n)<<5) | (d))

// Score kernels. Registers: R0 out, R1 ldo in bytes, R2 the keys, R3 the
// tiles left, R4 q, R5 qstride, R6 nb, R7 tab; per tile R8 counts blocks,
// R9 walks tab, R10 (R11) walks head 0's (1's) query row. V0..V3 (V4..V7)
// hold head 0's (1's) integer sums of a block for keys 0..15, V8..V11
// (V12..V15) its scores, V16/V17 (V18/V19) its query block, V20..V23 4
// values of 16 keys, V24..V27 the keys' scales of the block.

#define SARGS \
	MOVD out+0(FP), R0; \
	MOVD ldo+8(FP), R1; \
	LSL  $2, R1; \
	MOVD k+16(FP), R2; \
	MOVD ntiles+24(FP), R3; \
	MOVD q+32(FP), R4; \
	MOVD qstride+40(FP), R5; \
	MOVD nb+48(FP), R6; \
	MOVD tab+56(FP), R7

// KLOAD loads 4 values of the tile's 16 keys into V20..V23.
#define KLOAD VLD1.P 64(R2), [V20.B16, V21.B16, V22.B16, V23.B16]

// CH1(QA, QB, I) adds those times the query values in lane I of QA to
// head 0's sums; CH2 then those times lane I of QB to head 1's. CH8(CH)
// runs CH on the 8 groups of 4 values of a block (lanes 0..3 of V16/V18,
// then of V17/V19).
#define SDOT4(A, Q, I) \
	SDOTE(A, 20, Q, I); \
	SDOTE(A+1, 21, Q, I); \
	SDOTE(A+2, 22, Q, I); \
	SDOTE(A+3, 23, Q, I)

#define CH1(QA, QB, I) KLOAD; SDOT4(0, QA, I)
#define CH2(QA, QB, I) CH1(QA, QB, I); SDOT4(4, QB, I)

#define CH8(CH) \
	CH(16, 18, 0); \
	CH(16, 18, 1); \
	CH(16, 18, 2); \
	CH(16, 18, 3); \
	CH(17, 19, 0); \
	CH(17, 19, 1); \
	CH(17, 19, 2); \
	CH(17, 19, 3)

// SC(A, SS, K) adds sums A times the key scales K times the query scale
// in V30 to scores SS (V31 scratch), rounded after each step as the
// reference.
#define SC(A, SS, K) \
	FMUL4S(31, K, 30); \
	SCVTF4S(A, A); \
	FMUL4S(A, A, 31); \
	FADD4S(SS, SS, A)

// HEAD(A, SS, R, OFF) finishes a block for one head: sums A..A+3, scores
// SS..SS+3, query row R (stepped to the next block), query scale at
// OFF(R9). (A parameter named S would replace the S of V30.S[0].)
#define HEAD(A, SS, R, OFF) \
	FMOVS OFF(R9), F30; \
	VDUP  V30.S[0], V30.S4; \
	SC(A, SS, 24); \
	SC(A+1, SS+1, 25); \
	SC(A+2, SS+2, 26); \
	SC(A+3, SS+3, 27); \
	ADD   $34, R

#define QLOAD(R, QA, QB) \
	ADD  $2, R, R14; \
	VLD1 (R14), [QA.B16, QB.B16]

// SBLOCK1 and SBLOCK2 are a block of the score kernels for 1 and 2
// heads.
#define SBLOCK1 \
	QLOAD(R10, V16, V17); \
	ZERO4(V0.B16, V1.B16, V2.B16, V3.B16); \
	CH8(CH1); \
	SCALES; \
	HEAD(0, 8, R10, 0)

#define SBLOCK2 \
	QLOAD(R10, V16, V17); \
	QLOAD(R11, V18, V19); \
	ZERO4(V0.B16, V1.B16, V2.B16, V3.B16); \
	ZERO4(V4.B16, V5.B16, V6.B16, V7.B16); \
	CH8(CH2); \
	SCALES; \
	HEAD(0, 8, R10, 0); \
	HEAD(4, 12, R11, 8)

// SCALES loads the 16 keys' f16 scales of the block as float32 into
// V24..V27.
#define SCALES \
	VLD1.P 32(R2), [V28.B16, V29.B16]; \
	FCVTL(24, 28); \
	FCVTL2(25, 28); \
	FCVTL(26, 29); \
	FCVTL2(27, 29)

#define SCORES_SDOT(BLOCK, STORE) \
	SARGS; \
tiles: \
	MOVD R6, R8; \
	MOVD R7, R9; \
	MOVD R4, R10; \
	ADD  R5, R4, R11; \
	ZERO4(V8.B16, V9.B16, V10.B16, V11.B16); \
	ZERO4(V12.B16, V13.B16, V14.B16, V15.B16); \
blocks: \
	BLOCK; \
	ADD  $32, R9; \
	SUB  $1, R8; \
	CBNZ R8, blocks; \
	STORE; \
	ADD  $64, R0; \
	SUB  $1, R3; \
	CBNZ R3, tiles; \
	RET

#define SSTORE2 \
	VST1 [V8.S4, V9.S4, V10.S4, V11.S4], (R0); \
	ADD  R1, R0, R14; \
	VST1 [V12.S4, V13.S4, V14.S4, V15.S4], (R14)

#define SSTORE1 \
	VST1 [V8.S4, V9.S4, V10.S4, V11.S4], (R0)

// PV kernels. Registers: R0 out, R1 ldo in bytes, R2 (R3) head 0's
// (1's) p row, R4 the value rows, R5 ldv, R6 keys left; V0..V7 (V8..V15)
// head 0's (1's) 32 accumulators, V16/V17 a row's values, V20..V27 them
// widened, V28 (V29) head 0's (1's) p, V30 the row's scale.

#define PVARGS \
	MOVD out+0(FP), R0; \
	MOVD ldo+8(FP), R1; \
	LSL  $2, R1; \
	MOVD p+16(FP), R2; \
	MOVD ldp+24(FP), R3; \
	LSL  $2, R3; \
	ADD  R2, R3, R3; \
	MOVD v+32(FP), R4; \
	MOVD ldv+40(FP), R5; \
	MOVD nk+48(FP), R6

// ACC2/ACC1(OP) load or store the heads' accumulators (VLD1 or VST1 as
// OP's spelling needs).
#define ACCLD(R, A, B, C, D) VLD1 (R), [A.S4, B.S4, C.S4, D.S4]
#define ACCST(R, A, B, C, D) VST1 [A.S4, B.S4, C.S4, D.S4], (R)

#define ACC1(OP) \
	OP(R0, V0, V1, V2, V3); \
	ADD $64, R0, R14; \
	OP(R14, V4, V5, V6, V7)

#define ACC2(OP) \
	ACC1(OP); \
	ADD R1, R0, R14; \
	OP(R14, V8, V9, V10, V11); \
	ADD $64, R14, R14; \
	OP(R14, V12, V13, V14, V15)

// WIDEN(Q, A) widens the 16 int8 of VQ to float32 in V(A)..V(A+3) times
// the scale in V30 (exact).
#define WIDEN(Q, A) \
	SXTL8B(18, Q); \
	SXTL2B(19, Q); \
	SXTL4H(A, 18); \
	SXTL2H(A+1, 18); \
	SXTL4H(A+2, 19); \
	SXTL2H(A+3, 19); \
	SCVTF4S(A, A); \
	SCVTF4S(A+1, A+1); \
	SCVTF4S(A+2, A+2); \
	SCVTF4S(A+3, A+3); \
	FMUL4S(A, A, 30); \
	FMUL4S(A+1, A+1, 30); \
	FMUL4S(A+2, A+2, 30); \
	FMUL4S(A+3, A+3, 30)

// FMA8(P, A) adds V(P) times V20..V27 to the accumulators V(A)..V(A+7).
#define FMA8(P, A0, A1, A2, A3, A4, A5, A6, A7) \
	VFMLA P.S4, V20.S4, A0.S4; \
	VFMLA P.S4, V21.S4, A1.S4; \
	VFMLA P.S4, V22.S4, A2.S4; \
	VFMLA P.S4, V23.S4, A3.S4; \
	VFMLA P.S4, V24.S4, A4.S4; \
	VFMLA P.S4, V25.S4, A5.S4; \
	VFMLA P.S4, V26.S4, A6.S4; \
	VFMLA P.S4, V27.S4, A7.S4

#define PFMA1 \
	FMOVS.P 4(R2), F28; \
	VDUP    V28.S[0], V28.S4; \
	FMA8(V28, V0, V1, V2, V3, V4, V5, V6, V7)

#define PFMA2 \
	PFMA1; \
	FMOVS.P 4(R3), F29; \
	VDUP    V29.S[0], V29.S4; \
	FMA8(V29, V8, V9, V10, V11, V12, V13, V14, V15)

#define PV_NEON(ACC, FMAS) \
	PVARGS; \
	ACC(ACCLD); \
pv: \
	MOVHU  (R4), R7; \
	ADD    $2, R4, R8; \
	VLD1   (R8), [V16.B16, V17.B16]; \
	FMOVS  R7, F30; \
	FCVTHS F30, F30; \
	VDUP   V30.S[0], V30.S4; \
	WIDEN(16, 20); \
	WIDEN(17, 24); \
	FMAS; \
	ADD    R5, R4; \
	SUB    $1, R6; \
	CBNZ   R6, pv; \
	ACC(ACCST); \
	RET

// func kq8Scores2SDOT(out *float32, ldo int, k *byte, ntiles int, q *byte, qstride, nb int, tab *[64]uint32)
TEXT ·kq8Scores2SDOT(SB), NOSPLIT, $0-64
	SCORES_SDOT(SBLOCK2, SSTORE2)

// func kq8Scores1SDOT(out *float32, ldo int, k *byte, ntiles int, q *byte, qstride, nb int, tab *[64]uint32)
TEXT ·kq8Scores1SDOT(SB), NOSPLIT, $0-64
	SCORES_SDOT(SBLOCK1, SSTORE1)

// func kq8PV2NEON(out *float32, ldo int, p *float32, ldp int, v *byte, ldv, nk int)
TEXT ·kq8PV2NEON(SB), NOSPLIT, $0-56
	PV_NEON(ACC2, PFMA2)

// func kq8PV1NEON(out *float32, ldo int, p *float32, ldp int, v *byte, ldv, nk int)
TEXT ·kq8PV1NEON(SB), NOSPLIT, $0-56
	PV_NEON(ACC1, PFMA1)
