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

// QROWS4/2/1 point R12.. at the heads' query rows.
#define QROWS4 \
	MOVQ R8, R12; \
	LEAQ (R8)(R9*1), R13; \
	LEAQ (R13)(R9*1), R14; \
	LEAQ (R14)(R9*1), R15

#define QROWS2 \
	MOVQ R8, R12; \
	LEAQ (R8)(R9*1), R13

#define QROWS1 \
	MOVQ R8, R12

// QNEXT4/2/1 step the query rows to their next block.
#define QNEXT4 \
	ADDQ $34, R12; \
	ADDQ $34, R13; \
	ADDQ $34, R14; \
	ADDQ $34, R15

#define QNEXT2 \
	ADDQ $34, R12; \
	ADDQ $34, R13

#define QNEXT1 \
	ADDQ $34, R12

// ---- AVX-512 VNNI: 16 keys per 512-bit register ----

// ZERO4/2/1 clear the scores.
#define ZERO4 \
	VPXORD Z4, Z4, Z4; \
	VPXORD Z5, Z5, Z5; \
	VPXORD Z6, Z6, Z6; \
	VPXORD Z7, Z7, Z7

#define ZERO2 \
	VPXORD Z4, Z4, Z4; \
	VPXORD Z5, Z5, Z5

#define ZERO1 \
	VPXORD Z4, Z4, Z4

// INIT4/2/1 start each head's integer sums of a block at -128 times the
// sum of its query values: VPDPBUSD adds (k+128)*q.
#define INIT4 \
	VPBROADCASTD 4(BX), Z0; \
	VPBROADCASTD 12(BX), Z1; \
	VPBROADCASTD 20(BX), Z2; \
	VPBROADCASTD 28(BX), Z3

#define INIT2 \
	VPBROADCASTD 4(BX), Z0; \
	VPBROADCASTD 12(BX), Z1

#define INIT1 \
	VPBROADCASTD 4(BX), Z0

// DP4/2/1(KOFF, QOFF) add 4 values of 16 keys (at KOFF(SI), offset to
// unsigned by the XOR with Z31) times the same 4 values of each query (at
// QOFF of its block, broadcast).
#define DP4(KOFF, QOFF) \
	VPXORD        KOFF(SI), Z31, Z8; \
	VPDPBUSD.BCST QOFF(R12), Z8, Z0; \
	VPDPBUSD.BCST QOFF(R13), Z8, Z1; \
	VPDPBUSD.BCST QOFF(R14), Z8, Z2; \
	VPDPBUSD.BCST QOFF(R15), Z8, Z3

#define DP2(KOFF, QOFF) \
	VPXORD        KOFF(SI), Z31, Z8; \
	VPDPBUSD.BCST QOFF(R12), Z8, Z0; \
	VPDPBUSD.BCST QOFF(R13), Z8, Z1

#define DP1(KOFF, QOFF) \
	VPXORD        KOFF(SI), Z31, Z8; \
	VPDPBUSD.BCST QOFF(R12), Z8, Z0

// SCALE(A, S, TOFF) adds the sums A of a block, times the key scales in
// Z9 times the query scale at TOFF(BX), to the scores S: rounded after
// each step, as the reference.
#define SCALE(A, S, TOFF) \
	VCVTDQ2PS        A, A; \
	VMULPS.BCST      TOFF(BX), Z9, Z10; \
	VMULPS           Z10, A, A; \
	VADDPS           A, S, S

#define SCALE4 \
	SCALE(Z0, Z4, 0); \
	SCALE(Z1, Z5, 8); \
	SCALE(Z2, Z6, 16); \
	SCALE(Z3, Z7, 24)

#define SCALE2 \
	SCALE(Z0, Z4, 0); \
	SCALE(Z1, Z5, 8)

#define SCALE1 \
	SCALE(Z0, Z4, 0)

// STORE4/2/1 write the heads' scores of the tile (AX is free here).
#define STORE4 \
	VMOVUPS Z4, (DI); \
	VMOVUPS Z5, (DI)(DX*1); \
	LEAQ    (DI)(DX*2), AX; \
	VMOVUPS Z6, (AX); \
	VMOVUPS Z7, (AX)(DX*1)

#define STORE2 \
	VMOVUPS Z4, (DI); \
	VMOVUPS Z5, (DI)(DX*1)

#define STORE1 \
	VMOVUPS Z4, (DI)

// SCORES_VNNI is the body of a VNNI score kernel for the heads of the
// macros it is given.
#define SCORES_VNNI(QROWS, QNEXT, ZERO, INIT, DP, SCALEH, STORE) \
	KQ8_ARGS; \
	MOVL         $0x80808080, AX; \
	VPBROADCASTD AX, Z31; \
tiles: \
	MOVQ         R10, BX; \
	MOVQ         R11, AX; \
	QROWS; \
	ZERO; \
blocks: \
	INIT; \
	DP(0, 2); \
	DP(64, 6); \
	DP(128, 10); \
	DP(192, 14); \
	DP(256, 18); \
	DP(320, 22); \
	DP(384, 26); \
	DP(448, 30); \
	VCVTPH2PS    512(SI), Z9; \
	SCALEH; \
	ADDQ         $544, SI; \
	QNEXT; \
	ADDQ         $32, BX; \
	DECQ         AX; \
	JNZ          blocks; \
	STORE; \
	ADDQ         $64, DI; \
	DECQ         CX; \
	JNZ          tiles; \
	VZEROUPPER; \
	RET

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

// AZERO4/2/1 clear the scores; AINIT4/2/1 the integer sums.
#define AZERO4 \
	VPXOR Y4, Y4, Y4; \
	VPXOR Y5, Y5, Y5; \
	VPXOR Y6, Y6, Y6; \
	VPXOR Y7, Y7, Y7

#define AZERO2 \
	VPXOR Y4, Y4, Y4; \
	VPXOR Y5, Y5, Y5

#define AZERO1 \
	VPXOR Y4, Y4, Y4

#define AINIT4 \
	VPXOR Y0, Y0, Y0; \
	VPXOR Y1, Y1, Y1; \
	VPXOR Y2, Y2, Y2; \
	VPXOR Y3, Y3, Y3

#define AINIT2 \
	VPXOR Y0, Y0, Y0; \
	VPXOR Y1, Y1, Y1

#define AINIT1 \
	VPXOR Y0, Y0, Y0

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

#define ADP4(KOFF, QOFF) \
	VMOVDQU KOFF(SI), Y8; \
	VPABSB  Y8, Y9; \
	ADPH(R12, Y0, QOFF); \
	ADPH(R13, Y1, QOFF); \
	ADPH(R14, Y2, QOFF); \
	ADPH(R15, Y3, QOFF)

#define ADP2(KOFF, QOFF) \
	VMOVDQU KOFF(SI), Y8; \
	VPABSB  Y8, Y9; \
	ADPH(R12, Y0, QOFF); \
	ADPH(R13, Y1, QOFF)

#define ADP1(KOFF, QOFF) \
	VMOVDQU KOFF(SI), Y8; \
	VPABSB  Y8, Y9; \
	ADPH(R12, Y0, QOFF)

// ASCALE is SCALE on 8 keys (scales in Y12).
#define ASCALE(A, S, TOFF) \
	VCVTDQ2PS    A, A; \
	VBROADCASTSS TOFF(BX), Y13; \
	VMULPS       Y13, Y12, Y13; \
	VMULPS       Y13, A, A; \
	VADDPS       A, S, S

#define ASCALE4 \
	ASCALE(Y0, Y4, 0); \
	ASCALE(Y1, Y5, 8); \
	ASCALE(Y2, Y6, 16); \
	ASCALE(Y3, Y7, 24)

#define ASCALE2 \
	ASCALE(Y0, Y4, 0); \
	ASCALE(Y1, Y5, 8)

#define ASCALE1 \
	ASCALE(Y0, Y4, 0)

// ASTORE4/2/1(OFF) write the heads' scores of a half tile at OFF(DI).
#define ASTORE4(OFF) \
	VMOVUPS Y4, OFF(DI); \
	VMOVUPS Y5, OFF(DI)(DX*1); \
	LEAQ    (DI)(DX*2), AX; \
	VMOVUPS Y6, OFF(AX); \
	VMOVUPS Y7, OFF(AX)(DX*1)

#define ASTORE2(OFF) \
	VMOVUPS Y4, OFF(DI); \
	VMOVUPS Y5, OFF(DI)(DX*1)

#define ASTORE1(OFF) \
	VMOVUPS Y4, OFF(DI)

// AHALF is one half of a tile: keys 0..7 (SI at the tile, scales at 512)
// or 8..15 (SI at the tile + 32, scales at 496 from it); SI ends at the
// next tile + the half's offset.
#define AHALF(L, SOFF, OFF, QROWS, QNEXT, ZERO, INIT, DP, SCALEH, STORE) \
	MOVQ      R10, BX; \
	MOVQ      R11, AX; \
	QROWS; \
	ZERO; \
L: \
	INIT; \
	DP(0, 2); \
	DP(64, 6); \
	DP(128, 10); \
	DP(192, 14); \
	DP(256, 18); \
	DP(320, 22); \
	DP(384, 26); \
	DP(448, 30); \
	VCVTPH2PS SOFF(SI), Y12; \
	SCALEH; \
	ADDQ      $544, SI; \
	QNEXT; \
	ADDQ      $32, BX; \
	DECQ      AX; \
	JNZ       L; \
	STORE(OFF)

// SCORES_AVX2 is the body of an AVX2 score kernel: BX holds the tile's
// bytes (544*nb) to step SI back for the second half.
#define SCORES_AVX2(QROWS, QNEXT, ZERO, INIT, DP, SCALEH, STORE) \
	KQ8_ARGS; \
	VPCMPEQW Y11, Y11, Y11; \
	VPSRLW   $15, Y11, Y11; \
atiles: \
	AHALF(alo, 512, 0, QROWS, QNEXT, ZERO, INIT, DP, SCALEH, STORE); \
	IMUL3Q   $544, R11, BX; \
	SUBQ     BX, SI; \
	ADDQ     $32, SI; \
	AHALF(ahi, 496, 32, QROWS, QNEXT, ZERO, INIT, DP, SCALEH, STORE); \
	SUBQ     $32, SI; \
	ADDQ     $64, DI; \
	DECQ     CX; \
	JNZ      atiles; \
	VZEROUPPER; \
	RET

// func kq8Scores4AVX2(out *float32, ldo int, k *byte, ntiles int, q *byte, qstride, nb int, tab *[64]uint32)
TEXT ·kq8Scores4AVX2(SB), NOSPLIT, $0-64
	SCORES_AVX2(QROWS4, QNEXT4, AZERO4, AINIT4, ADP4, ASCALE4, ASTORE4)

// func kq8Scores2AVX2(out *float32, ldo int, k *byte, ntiles int, q *byte, qstride, nb int, tab *[64]uint32)
TEXT ·kq8Scores2AVX2(SB), NOSPLIT, $0-64
	SCORES_AVX2(QROWS2, QNEXT2, AZERO2, AINIT2, ADP2, ASCALE2, ASTORE2)

// func kq8Scores1AVX2(out *float32, ldo int, k *byte, ntiles int, q *byte, qstride, nb int, tab *[64]uint32)
TEXT ·kq8Scores1AVX2(SB), NOSPLIT, $0-64
	SCORES_AVX2(QROWS1, QNEXT1, AZERO1, AINIT1, ADP1, ASCALE1, ASTORE1)

// ---- PV ----
//
// Registers: AX out, DX ldo in bytes, R8 (R11, R12, R13) the heads' p
// rows, R9 ldp in bytes, SI the value rows, R10 ldv, CX keys left (see
// PV_ARGS at the top: vet checks the arguments of a macro defined after a
// TEXT against that TEXT).


// ZROW(OP, R, A0, A1, A2, A3) loads (VMOVUPS from memory) or stores one
// head's 64 accumulators.
#define ZLOAD(R, A0, A1, A2, A3) \
	VMOVUPS (R), A0; \
	VMOVUPS 64(R), A1; \
	VMOVUPS 128(R), A2; \
	VMOVUPS 192(R), A3

#define ZSTORE(R, A0, A1, A2, A3) \
	VMOVUPS A0, (R); \
	VMOVUPS A1, 64(R); \
	VMOVUPS A2, 128(R); \
	VMOVUPS A3, 192(R)

// ZROWS4/2/1(OP) apply ZLOAD or ZSTORE to the heads' rows (BX walks
// them).
#define ZROWS4(OP) \
	MOVQ AX, BX; \
	OP(BX, Z0, Z1, Z2, Z3); \
	ADDQ DX, BX; \
	OP(BX, Z4, Z5, Z6, Z7); \
	ADDQ DX, BX; \
	OP(BX, Z8, Z9, Z10, Z11); \
	ADDQ DX, BX; \
	OP(BX, Z12, Z13, Z14, Z15)

#define ZROWS2(OP) \
	MOVQ AX, BX; \
	OP(BX, Z0, Z1, Z2, Z3); \
	ADDQ DX, BX; \
	OP(BX, Z4, Z5, Z6, Z7)

#define ZROWS1(OP) \
	MOVQ AX, BX; \
	OP(BX, Z0, Z1, Z2, Z3)

// ZFMA(P, A0..A3) adds p (broadcast from P) times the dequantized values
// Z16..Z19 to A0..A3.
#define ZFMA(P, A0, A1, A2, A3) \
	VFMADD231PS.BCST P, Z16, A0; \
	VFMADD231PS.BCST P, Z17, A1; \
	VFMADD231PS.BCST P, Z18, A2; \
	VFMADD231PS.BCST P, Z19, A3

#define ZFMA4 \
	ZFMA((R8), Z0, Z1, Z2, Z3); \
	ZFMA((R11), Z4, Z5, Z6, Z7); \
	ZFMA((R12), Z8, Z9, Z10, Z11); \
	ZFMA((R13), Z12, Z13, Z14, Z15); \
	ADDQ $4, R8; \
	ADDQ $4, R11; \
	ADDQ $4, R12; \
	ADDQ $4, R13

#define ZFMA2 \
	ZFMA((R8), Z0, Z1, Z2, Z3); \
	ZFMA((R11), Z4, Z5, Z6, Z7); \
	ADDQ $4, R8; \
	ADDQ $4, R11

#define ZFMA1 \
	ZFMA((R8), Z0, Z1, Z2, Z3); \
	ADDQ $4, R8

// PV_AVX512: per key, its two blocks widened to 64 floats and multiplied
// by their scales (exactly), then one FMA per head and 16 columns.
#define PV_AVX512(ROWS, FMAS) \
	PV_ARGS; \
	ROWS(ZLOAD); \
zpv: \
	VPMOVSXBD    2(SI), Z16; \
	VPMOVSXBD    18(SI), Z17; \
	VPMOVSXBD    36(SI), Z18; \
	VPMOVSXBD    52(SI), Z19; \
	VPBROADCASTW (SI), Y20; \
	VPBROADCASTW 34(SI), Y21; \
	VCVTPH2PS    Y20, Z20; \
	VCVTPH2PS    Y21, Z21; \
	VCVTDQ2PS    Z16, Z16; \
	VCVTDQ2PS    Z17, Z17; \
	VCVTDQ2PS    Z18, Z18; \
	VCVTDQ2PS    Z19, Z19; \
	VMULPS       Z20, Z16, Z16; \
	VMULPS       Z20, Z17, Z17; \
	VMULPS       Z21, Z18, Z18; \
	VMULPS       Z21, Z19, Z19; \
	FMAS; \
	ADDQ         R10, SI; \
	DECQ         CX; \
	JNZ          zpv; \
	ROWS(ZSTORE); \
	VZEROUPPER; \
	RET

// func kq8PV4AVX512(out *float32, ldo int, p *float32, ldp int, v *byte, ldv, nk int)
TEXT ·kq8PV4AVX512(SB), NOSPLIT, $0-56
	PV_AVX512(ZROWS4, ZFMA4)

// func kq8PV2AVX512(out *float32, ldo int, p *float32, ldp int, v *byte, ldv, nk int)
TEXT ·kq8PV2AVX512(SB), NOSPLIT, $0-56
	PV_AVX512(ZROWS2, ZFMA2)

// func kq8PV1AVX512(out *float32, ldo int, p *float32, ldp int, v *byte, ldv, nk int)
TEXT ·kq8PV1AVX512(SB), NOSPLIT, $0-56
	PV_AVX512(ZROWS1, ZFMA1)

// YLOAD and YSTORE move one head's 32 accumulators (AVX2).
#define YLOAD(R, A0, A1, A2, A3) \
	VMOVUPS (R), A0; \
	VMOVUPS 32(R), A1; \
	VMOVUPS 64(R), A2; \
	VMOVUPS 96(R), A3

#define YSTORE(R, A0, A1, A2, A3) \
	VMOVUPS A0, (R); \
	VMOVUPS A1, 32(R); \
	VMOVUPS A2, 64(R); \
	VMOVUPS A3, 96(R)

#define YROWS2(OP) \
	MOVQ AX, BX; \
	OP(BX, Y0, Y1, Y2, Y3); \
	ADDQ DX, BX; \
	OP(BX, Y4, Y5, Y6, Y7)

#define YROWS1(OP) \
	MOVQ AX, BX; \
	OP(BX, Y0, Y1, Y2, Y3)

// YFMA(P, A0..A3) adds p (broadcast from P) times Y8..Y11 to A0..A3.
#define YFMA(P, A0, A1, A2, A3) \
	VBROADCASTSS P, Y13; \
	VFMADD231PS  Y13, Y8, A0; \
	VFMADD231PS  Y13, Y9, A1; \
	VFMADD231PS  Y13, Y10, A2; \
	VFMADD231PS  Y13, Y11, A3

#define YFMA2 \
	YFMA((R8), Y0, Y1, Y2, Y3); \
	YFMA((R11), Y4, Y5, Y6, Y7); \
	ADDQ $4, R8; \
	ADDQ $4, R11

#define YFMA1 \
	YFMA((R8), Y0, Y1, Y2, Y3); \
	ADDQ $4, R8

// PV_AVX2: per key, its block widened to 32 floats times its scale, then
// one FMA per head and 8 columns.
#define PV_AVX2(ROWS, FMAS) \
	PV_ARGS; \
	ROWS(YLOAD); \
ypv: \
	VPMOVSXBD    2(SI), Y8; \
	VPMOVSXBD    10(SI), Y9; \
	VPMOVSXBD    18(SI), Y10; \
	VPMOVSXBD    26(SI), Y11; \
	VPBROADCASTW (SI), X12; \
	VCVTPH2PS    X12, Y12; \
	VCVTDQ2PS    Y8, Y8; \
	VCVTDQ2PS    Y9, Y9; \
	VCVTDQ2PS    Y10, Y10; \
	VCVTDQ2PS    Y11, Y11; \
	VMULPS       Y12, Y8, Y8; \
	VMULPS       Y12, Y9, Y9; \
	VMULPS       Y12, Y10, Y10; \
	VMULPS       Y12, Y11, Y11; \
	FMAS; \
	ADDQ         R10, SI; \
	DECQ         CX; \
	JNZ          ypv; \
	ROWS(YSTORE); \
	VZEROUPPER; \
	RET

// func kq8PV2AVX2(out *float32, ldo int, p *float32, ldp int, v *byte, ldv, nk int)
TEXT ·kq8PV2AVX2(SB), NOSPLIT, $0-56
	PV_AVX2(YROWS2, YFMA2)

// func kq8PV1AVX2(out *float32, ldo int, p *float32, ldp int, v *byte, ldv, nk int)
TEXT ·kq8PV1AVX2(SB), NOSPLIT, $0-56
	PV_AVX2(YROWS1, YFMA1)
