//go:build !noasm

#include "textflag.h"

// Kernels of a Q8_0 KV cache (see kvq8.go for the key tile layout and
// kvq8_amd64.go for what each computes).
//
// Registers of the score kernels: DI out, DX ldo in bytes, SI the keys, CX
// the tiles left, R8 q, R9 qstride, R10 tab, R11 nb; per tile BX walks tab
// and AX counts blocks, R12..R15 walk the heads' query rows; Z0..Z3 (Y0..Y3)
// the heads' integer sums of a block, Z4..Z7 (Y4..Y7) their scores.

// KQ8_ARGS loads the arguments of a score kernel.
#define KQ8_ARGS \
	MOVQ out+0(FP), DI; \
	MOVQ ldo+8(FP), DX; \
	SHLQ $2, DX; \
	MOVQ k+16(FP), SI; \
	MOVQ ntiles+24(FP), CX; \
	MOVQ q+32(FP), R8; \
	MOVQ qstride+40(FP), R9; \
	MOVQ nb+48(FP), R11; \
	MOVQ tab+56(FP), R10

// PV_ARGS loads the arguments of a PV kernel and points R11..R13 at the
// p rows of heads 1..3.
#define PV_ARGS \
	MOVQ out+0(FP), AX; \
	MOVQ ldo+8(FP), DX; \
	SHLQ $2, DX; \
	MOVQ p+16(FP), R8; \
	MOVQ ldp+24(FP), R9; \
	SHLQ $2, R9; \
	MOVQ v+32(FP), SI; \
	MOVQ ldv+40(FP), R10; \
	MOVQ nk+48(FP), CX; \
	LEAQ (R8)(R9*1), R11; \
	LEAQ (R11)(R9*1), R12; \
	LEAQ (R12)(R9*1), R13

// The kernels come for 4, 2 and 1 heads: each step of the 2-head kernel
// is the 1-head one's and then the second head's, each of the 4-head
// kernel the 2-head one's and then heads 2 and 3's. Steps that both
// vector widths use take the registers (always four, of which the 2- and
// 1-head steps use the first ones).

// QROWS4/2/1 point R12.. at the heads' query rows; QNEXT4/2/1 step them
// to their next block.
#define QROWS1 MOVQ R8, R12
#define QROWS2 QROWS1; LEAQ (R8)(R9*1), R13
#define QROWS4 QROWS2; LEAQ (R13)(R9*1), R14; LEAQ (R14)(R9*1), R15

#define QNEXT1 ADDQ $34, R12
#define QNEXT2 QNEXT1; ADDQ $34, R13
#define QNEXT4 QNEXT2; ADDQ $34, R14; ADDQ $34, R15

// ZERO4/2/1(OP, R0..R3) clear the heads' registers R0, R1, ... with OP
// (VPXORD or VPXOR).
#define ZERO1(OP, R0, R1, R2, R3) OP R0, R0, R0
#define ZERO2(OP, R0, R1, R2, R3) ZERO1(OP, R0, R1, R2, R3); OP R1, R1, R1
#define ZERO4(OP, R0, R1, R2, R3) ZERO2(OP, R0, R1, R2, R3); OP R2, R2, R2; OP R3, R3, R3

// SCALE4/2/1(SC, A0..A3, S0..S3) run SC (SCALE or ASCALE) on the heads'
// sums A and scores S.
#define SCALE1(SC, A0, A1, A2, A3, S0, S1, S2, S3) SC(A0, S0, 0)
#define SCALE2(SC, A0, A1, A2, A3, S0, S1, S2, S3) SCALE1(SC, A0, A1, A2, A3, S0, S1, S2, S3); SC(A1, S1, 8)
#define SCALE4(SC, A0, A1, A2, A3, S0, S1, S2, S3) SCALE2(SC, A0, A1, A2, A3, S0, S1, S2, S3); SC(A2, S2, 16); SC(A3, S3, 24)

// STORE4/2/1(OFF, S0..S3) write the heads' scores at OFF(DI) (AX is free
// here).
#define STORE1(OFF, S0, S1, S2, S3) VMOVUPS S0, OFF(DI)
#define STORE2(OFF, S0, S1, S2, S3) STORE1(OFF, S0, S1, S2, S3); VMOVUPS S1, OFF(DI)(DX*1)
#define STORE4(OFF, S0, S1, S2, S3) STORE2(OFF, S0, S1, S2, S3); LEAQ (DI)(DX*2), AX; VMOVUPS S2, OFF(AX); VMOVUPS S3, OFF(AX)(DX*1)

// DPBLOCK(DP) runs DP(KOFF, QOFF) on the 8 groups of 4 values of a block:
// the keys' at 64*g of the tile's block, the query's at 2+4*g of its own.
#define DPBLOCK(DP) \
	DP(0, 2); \
	DP(64, 6); \
	DP(128, 10); \
	DP(192, 14); \
	DP(256, 18); \
	DP(320, 22); \
	DP(384, 26); \
	DP(448, 30)

// ---- AVX-512 VNNI: 16 keys per 512-bit register ----

// INIT4/2/1 start each head's integer sums of a block at -128 times the
// sum of its query values: VPDPBUSD adds (k+128)*q.
#define INIT1 VPBROADCASTD 4(BX), Z0
#define INIT2 INIT1; VPBROADCASTD 12(BX), Z1
#define INIT4 INIT2; VPBROADCASTD 20(BX), Z2; VPBROADCASTD 28(BX), Z3

// DP4/2/1(KOFF, QOFF) add 4 values of 16 keys (at KOFF(SI), offset to
// unsigned by the XOR with Z31) times the same 4 values of each query (at
// QOFF of its block, broadcast).
#define DP1(KOFF, QOFF) VPXORD KOFF(SI), Z31, Z8; VPDPBUSD.BCST QOFF(R12), Z8, Z0
#define DP2(KOFF, QOFF) DP1(KOFF, QOFF); VPDPBUSD.BCST QOFF(R13), Z8, Z1
#define DP4(KOFF, QOFF) DP2(KOFF, QOFF); VPDPBUSD.BCST QOFF(R14), Z8, Z2; VPDPBUSD.BCST QOFF(R15), Z8, Z3

// SCALE(A, S, TOFF) adds the sums A of a block, times the key scales in
// Z9 times the query scale at TOFF(BX), to the scores S: rounded after
// each step, as the reference.
#define SCALE(A, S, TOFF) \
	VCVTDQ2PS        A, A; \
	VMULPS.BCST      TOFF(BX), Z9, Z10; \
	VMULPS           Z10, A, A; \
	VADDPS           A, S, S

// SPASS(L, SOFF, KS, QROWS, QNEXT, ZEROS, INIT, DP, SCALES, STORES) is a
// pass of a score kernel over the blocks of a tile (of its half on AVX2)
// for the heads: ZEROS clears the scores; per block INIT starts the
// integer sums, DP adds the products, KS takes the keys' scales from
// SOFF(SI) and SCALES adds the block to the scores; STORES writes them.
// BX walks tab, AX counts the blocks.
#define SPASS(L, SOFF, KS, QROWS, QNEXT, ZEROS, INIT, DP, SCALES, STORES) \
	MOVQ      R10, BX; \
	MOVQ      R11, AX; \
	QROWS; \
	ZEROS; \
L: \
	INIT; \
	DPBLOCK(DP); \
	VCVTPH2PS SOFF(SI), KS; \
	SCALES; \
	ADDQ      $544, SI; \
	QNEXT; \
	ADDQ      $32, BX; \
	DECQ      AX; \
	JNZ       L; \
	STORES

// SCORES(CONST, TILE) is the body of a score kernel: CONST loads its
// constants, TILE does a tile of 16 keys.
#define SCORES(CONST, TILE) \
	KQ8_ARGS; \
	CONST; \
tiles: \
	TILE; \
	ADDQ $64, DI; \
	DECQ CX; \
	JNZ  tiles; \
	VZEROUPPER; \
	RET

// SCORES_VNNI is a VNNI score kernel for the heads of the step macros it
// is given (QROWS, QNEXT, INIT, DP and ZERO, SCALEH, STORE of the same
// count), one pass per tile; Z31 holds 0x80 bytes.
#define VNNICONST MOVL $0x80808080, AX; VPBROADCASTD AX, Z31
#define SCORES_VNNI(QROWS, QNEXT, ZERO, INIT, DP, SCALEH, STORE) \
	SCORES(VNNICONST, SPASS(blocks, 512, Z9, QROWS, QNEXT, ZERO(VPXORD, Z4, Z5, Z6, Z7), INIT, DP, SCALEH(SCALE, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7), STORE(0, Z4, Z5, Z6, Z7)))

// func kq8Scores4VNNI(out *float32, ldo int, k *byte, ntiles int, q *byte, qstride, nb int, tab *[64]uint32)
TEXT ·kq8Scores4VNNI(SB), NOSPLIT, $0-64
	SCORES_VNNI(QROWS4, QNEXT4, ZERO4, INIT4, DP4, SCALE4, STORE4)

// func kq8Scores2VNNI(out *float32, ldo int, k *byte, ntiles int, q *byte, qstride, nb int, tab *[64]uint32)
TEXT ·kq8Scores2VNNI(SB), NOSPLIT, $0-64
	SCORES_VNNI(QROWS2, QNEXT2, ZERO2, INIT2, DP2, SCALE2, STORE2)

// func kq8Scores1VNNI(out *float32, ldo int, k *byte, ntiles int, q *byte, qstride, nb int, tab *[64]uint32)
TEXT ·kq8Scores1VNNI(SB), NOSPLIT, $0-64
	SCORES_VNNI(QROWS1, QNEXT1, ZERO1, INIT1, DP1, SCALE1, STORE1)

// ---- AVX2: 8 keys per 256-bit register, a tile in two halves ----

// ADPH(Q, A, QOFF) adds to A the dot products of 4 values of 8 keys (Y8,
// their magnitudes in Y9) with 4 query values at QOFF(Q): |k| (unsigned)
// times q*sign(k) (signed) in int16 pairs, which cannot saturate for
// values in [-127, 127], then pairs of pairs into int32 by Y11 (ones).
#define ADPH(Q, A, QOFF) \
	VPBROADCASTD QOFF(Q), Y10; \
	VPSIGNB      Y8, Y10, Y10; \
	VPMADDUBSW   Y10, Y9, Y10; \
	VPMADDWD     Y11, Y10, Y10; \
	VPADDD       Y10, A, A

// ADP4/2/1(KOFF, QOFF) are DP4/2/1 with ADPH.
#define ADP1(KOFF, QOFF) VMOVDQU KOFF(SI), Y8; VPABSB Y8, Y9; ADPH(R12, Y0, QOFF)
#define ADP2(KOFF, QOFF) ADP1(KOFF, QOFF); ADPH(R13, Y1, QOFF)
#define ADP4(KOFF, QOFF) ADP2(KOFF, QOFF); ADPH(R14, Y2, QOFF); ADPH(R15, Y3, QOFF)

// ASCALE is SCALE on 8 keys (scales in Y12).
#define ASCALE(A, S, TOFF) \
	VCVTDQ2PS    A, A; \
	VBROADCASTSS TOFF(BX), Y13; \
	VMULPS       Y13, Y12, Y13; \
	VMULPS       Y13, A, A; \
	VADDPS       A, S, S

// AHALF is SPASS on one half of a tile: keys 0..7 (SI at the tile, scales
// at 512) or 8..15 (SI at the tile + 32, scales at 496 from it), its
// scores stored at OFF(DI); SI ends at the next tile + the half's offset.
// The integer sums start at zero.
#define AHALF(L, SOFF, OFF, QROWS, QNEXT, ZERO, DP, SCALEH, STORE) \
	SPASS(L, SOFF, Y12, QROWS, QNEXT, ZERO(VPXOR, Y4, Y5, Y6, Y7), ZERO(VPXOR, Y0, Y1, Y2, Y3), DP, SCALEH(ASCALE, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7), STORE(OFF, Y4, Y5, Y6, Y7))

// ATILE is the two halves of a tile: BX holds the tile's bytes (544*nb)
// to step SI back for the second half. Y11 holds int16 ones.
#define ATILE(QROWS, QNEXT, ZERO, DP, SCALEH, STORE) \
	AHALF(alo, 512, 0, QROWS, QNEXT, ZERO, DP, SCALEH, STORE); \
	IMUL3Q $544, R11, BX; \
	SUBQ   BX, SI; \
	ADDQ   $32, SI; \
	AHALF(ahi, 496, 32, QROWS, QNEXT, ZERO, DP, SCALEH, STORE); \
	SUBQ   $32, SI

#define ACONST VPCMPEQW Y11, Y11, Y11; VPSRLW $15, Y11, Y11
#define SCORES_AVX2(QROWS, QNEXT, ZERO, DP, SCALEH, STORE) SCORES(ACONST, ATILE(QROWS, QNEXT, ZERO, DP, SCALEH, STORE))

// func kq8Scores4AVX2(out *float32, ldo int, k *byte, ntiles int, q *byte, qstride, nb int, tab *[64]uint32)
TEXT ·kq8Scores4AVX2(SB), NOSPLIT, $0-64
	SCORES_AVX2(QROWS4, QNEXT4, ZERO4, ADP4, SCALE4, STORE4)

// func kq8Scores2AVX2(out *float32, ldo int, k *byte, ntiles int, q *byte, qstride, nb int, tab *[64]uint32)
TEXT ·kq8Scores2AVX2(SB), NOSPLIT, $0-64
	SCORES_AVX2(QROWS2, QNEXT2, ZERO2, ADP2, SCALE2, STORE2)

// func kq8Scores1AVX2(out *float32, ldo int, k *byte, ntiles int, q *byte, qstride, nb int, tab *[64]uint32)
TEXT ·kq8Scores1AVX2(SB), NOSPLIT, $0-64
	SCORES_AVX2(QROWS1, QNEXT1, ZERO1, ADP1, SCALE1, STORE1)

// ---- PV ----
//
// Registers: AX out, DX ldo in bytes, R8 (R11, R12, R13) the heads' p
// rows, R9 ldp in bytes, SI the value rows, R10 ldv, CX keys left (see
// PV_ARGS at the top: vet checks the arguments of a macro defined after a
// TEXT against that TEXT).

// LOADACC and STOREACC(s, R, A0..A3) move one head's accumulators A0..A3,
// s bytes each, from or to R.
#define LOADACC(s, R, A0, A1, A2, A3) \
	VMOVUPS (R), A0; \
	VMOVUPS s(R), A1; \
	VMOVUPS (2*s)(R), A2; \
	VMOVUPS (3*s)(R), A3

#define STOREACC(s, R, A0, A1, A2, A3) \
	VMOVUPS A0, (R); \
	VMOVUPS A1, s(R); \
	VMOVUPS A2, (2*s)(R); \
	VMOVUPS A3, (3*s)(R)

#define ZLOAD(R, A0, A1, A2, A3) LOADACC(64, R, A0, A1, A2, A3)
#define ZSTORE(R, A0, A1, A2, A3) STOREACC(64, R, A0, A1, A2, A3)
#define YLOAD(R, A0, A1, A2, A3) LOADACC(32, R, A0, A1, A2, A3)
#define YSTORE(R, A0, A1, A2, A3) STOREACC(32, R, A0, A1, A2, A3)

// ROWS4/2/1(OP, A..) apply OP (a load or store above) to the heads' rows
// of out (BX walks them) and their accumulators, four per head.
#define ROWS1(OP, A0, A1, A2, A3) \
	MOVQ AX, BX; \
	OP(BX, A0, A1, A2, A3)

#define ROWS2(OP, A0, A1, A2, A3, A4, A5, A6, A7) \
	ROWS1(OP, A0, A1, A2, A3); \
	ADDQ DX, BX; \
	OP(BX, A4, A5, A6, A7)

#define ROWS4(OP, A0, A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13, A14, A15) \
	ROWS2(OP, A0, A1, A2, A3, A4, A5, A6, A7); \
	ADDQ DX, BX; \
	OP(BX, A8, A9, A10, A11); \
	ADDQ DX, BX; \
	OP(BX, A12, A13, A14, A15)

// FMAS4/2/1(F, A..) run F (ZFMA or YFMA) for the heads' p rows and
// accumulators, then step the rows to the next key.
#define FMAS1(F, A0, A1, A2, A3) \
	F((R8), A0, A1, A2, A3); \
	ADDQ $4, R8

#define FMAS2(F, A0, A1, A2, A3, A4, A5, A6, A7) \
	F((R8), A0, A1, A2, A3); \
	F((R11), A4, A5, A6, A7); \
	ADDQ $4, R8; \
	ADDQ $4, R11

#define FMAS4(F, A0, A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13, A14, A15) \
	F((R8), A0, A1, A2, A3); \
	F((R11), A4, A5, A6, A7); \
	F((R12), A8, A9, A10, A11); \
	F((R13), A12, A13, A14, A15); \
	ADDQ $4, R8; \
	ADDQ $4, R11; \
	ADDQ $4, R12; \
	ADDQ $4, R13

// WIDEN(o0, o1, o2, o3, V0..V3, SCALES, S0, S1) loads the int8 values at
// oN(SI) into VN as floats times the scales (loaded by SCALES) S0 (V0, V1)
// and S1 (V2, V3): exact.
#define WIDEN(o0, o1, o2, o3, V0, V1, V2, V3, SCALES, S0, S1) \
	VPMOVSXBD o0(SI), V0; \
	VPMOVSXBD o1(SI), V1; \
	VPMOVSXBD o2(SI), V2; \
	VPMOVSXBD o3(SI), V3; \
	SCALES; \
	VCVTDQ2PS V0, V0; \
	VCVTDQ2PS V1, V1; \
	VCVTDQ2PS V2, V2; \
	VCVTDQ2PS V3, V3; \
	VMULPS    S0, V0, V0; \
	VMULPS    S0, V1, V1; \
	VMULPS    S1, V2, V2; \
	VMULPS    S1, V3, V3

// ZFMA(P, A0..A3) adds p (broadcast from P) times the dequantized values
// Z16..Z19 to A0..A3; YFMA is it for Y8..Y11.
#define ZFMA(P, A0, A1, A2, A3) \
	VFMADD231PS.BCST P, Z16, A0; \
	VFMADD231PS.BCST P, Z17, A1; \
	VFMADD231PS.BCST P, Z18, A2; \
	VFMADD231PS.BCST P, Z19, A3

#define YFMA(P, A0, A1, A2, A3) \
	VBROADCASTSS P, Y13; \
	VFMADD231PS  Y13, Y8, A0; \
	VFMADD231PS  Y13, Y9, A1; \
	VFMADD231PS  Y13, Y10, A2; \
	VFMADD231PS  Y13, Y11, A3

// PV is the body of a PV kernel: per key, its values widened to floats
// times their scales (WIDENV), then one FMA per head and vector of columns
// (FMAS); ROWS loads (LOAD) and stores (STORE) the accumulators.
#define PV(ROWS, LOAD, STORE, WIDENV, FMAS) \
	PV_ARGS; \
	ROWS(LOAD); \
pv: \
	WIDENV; \
	FMAS; \
	ADDQ R10, SI; \
	DECQ CX; \
	JNZ  pv; \
	ROWS(STORE); \
	VZEROUPPER; \
	RET

// AVX-512: a key's two blocks are 64 columns in Z16..Z19, 16 per
// accumulator, four accumulators per head (ZROWSn, ZFMAn).
#define ZSCALES VPBROADCASTW (SI), Y20; VPBROADCASTW 34(SI), Y21; VCVTPH2PS Y20, Z20; VCVTPH2PS Y21, Z21
#define ZWIDEN WIDEN(2, 18, 36, 52, Z16, Z17, Z18, Z19, ZSCALES, Z20, Z21)
#define ZROWS1(OP) ROWS1(OP, Z0, Z1, Z2, Z3)
#define ZROWS2(OP) ROWS2(OP, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
#define ZROWS4(OP) ROWS4(OP, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
#define ZFMA1 FMAS1(ZFMA, Z0, Z1, Z2, Z3)
#define ZFMA2 FMAS2(ZFMA, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
#define ZFMA4 FMAS4(ZFMA, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)

// func kq8PV4AVX512(out *float32, ldo int, p *float32, ldp int, v *byte, ldv, nk int)
TEXT ·kq8PV4AVX512(SB), NOSPLIT, $0-56
	PV(ZROWS4, ZLOAD, ZSTORE, ZWIDEN, ZFMA4)

// func kq8PV2AVX512(out *float32, ldo int, p *float32, ldp int, v *byte, ldv, nk int)
TEXT ·kq8PV2AVX512(SB), NOSPLIT, $0-56
	PV(ZROWS2, ZLOAD, ZSTORE, ZWIDEN, ZFMA2)

// func kq8PV1AVX512(out *float32, ldo int, p *float32, ldp int, v *byte, ldv, nk int)
TEXT ·kq8PV1AVX512(SB), NOSPLIT, $0-56
	PV(ZROWS1, ZLOAD, ZSTORE, ZWIDEN, ZFMA1)

// AVX2: a key's block is 32 columns in Y8..Y11, 8 per accumulator.
#define YSCALES VPBROADCASTW (SI), X12; VCVTPH2PS X12, Y12
#define YWIDEN WIDEN(2, 10, 18, 26, Y8, Y9, Y10, Y11, YSCALES, Y12, Y12)
#define YROWS1(OP) ROWS1(OP, Y0, Y1, Y2, Y3)
#define YROWS2(OP) ROWS2(OP, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)
#define YFMA1 FMAS1(YFMA, Y0, Y1, Y2, Y3)
#define YFMA2 FMAS2(YFMA, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)

// func kq8PV2AVX2(out *float32, ldo int, p *float32, ldp int, v *byte, ldv, nk int)
TEXT ·kq8PV2AVX2(SB), NOSPLIT, $0-56
	PV(YROWS2, YLOAD, YSTORE, YWIDEN, YFMA2)

// func kq8PV1AVX2(out *float32, ldo int, p *float32, ldp int, v *byte, ldv, nk int)
TEXT ·kq8PV1AVX2(SB), NOSPLIT, $0-56
	PV(YROWS1, YLOAD, YSTORE, YWIDEN, YFMA1)
