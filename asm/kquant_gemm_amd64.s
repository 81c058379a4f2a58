//go:build !noasm

#include "textflag.h"
#include "macros_amd64.h"
#include "kquant_amd64.h"

// The K-quant GEMM kernels (one weight row against 4 or 8 activations per
// step); layouts and the shared constants are in kquant_amd64.h.

// G4ARGS loads the arguments of the GEMM kernels (kgemm4Func); like
// KARGS (kquant_gemv_amd64.s) it is defined before any TEXT so that vet
// checks it against none.
#define G4ARGS \
	MOVQ out+0(FP), AX; \
	MOVQ w+16(FP), SI; \
	MOVQ stride+24(FP), DX; \
	MOVQ rows+32(FP), R13; \
	MOVQ x+40(FP), DI; \
	MOVQ xstride+48(FP), R12; \
	MOVQ nb+56(FP), R14

// G4ROW_START loads the running sums out[a*ldo] of the 4 activations into
// the even lanes of SUMS and sets up the cursors.
#define G4ROW_START(SUMS, XS) \
	MOVQ      ldo+8(FP), R9; \
	SHLQ      $2, R9; \
	LEAQ      (AX)(R9*2), R10; \
	VMOVD     (AX), XS; \
	VPINSRD   $1, (AX)(R9*1), XS, XS; \
	VPINSRD   $2, (R10), XS, XS; \
	VPINSRD   $3, (R10)(R9*1), XS, XS; \
	VPMOVZXDQ XS, SUMS; \
	MOVQ      SI, R8; \
	MOVQ      DI, BX; \
	LEAQ      (DI)(R12*1), R9; \
	LEAQ      (DI)(R12*2), R10; \
	LEAQ      (R9)(R12*2), R11; \
	MOVQ      R14, CX

// G4ROW_END stores the 4 sums (even lanes of SUMS) to out[a*ldo] and moves
// to the next row.
#define G4ROW_END(SUMS, XS) \
	VEXTRACTF128 $1, SUMS, X13; \
	VSHUFPS      $0x88, X13, XS, XS; \
	MOVQ         ldo+8(FP), R9; \
	SHLQ         $2, R9; \
	LEAQ         (AX)(R9*2), R10; \
	VMOVSS       XS, (AX); \
	VEXTRACTPS   $1, XS, (AX)(R9*1); \
	VEXTRACTPS   $2, XS, (R10); \
	VEXTRACTPS   $3, XS, (R10)(R9*1); \
	ADDQ         $4, AX; \
	ADDQ         DX, SI; \
	DECQ         R13

// ---------------------------------------------------------------- AVX-512 GEMM, 1 row x 4 activations
// gemm4Q4KVNNI unpacks each weight block once (scales, scale vectors and
// nibbles stay in registers) and multiplies it with 4 activation rows;
// the 4 dot products of a row share the reductions and float steps like
// the rows of gemv4Q4KVNNI.
//
// Registers: AX out (row r: out+4r; activation a at +a*ldo*4), SI row, DX
// stride, R13 rows left, DI x, R12 x stride, R14 nb; per row R8 w cursor,
// BX, R9, R10, R11 the 4 activation cursors, CX blocks left. Z8..Z11
// nibbles, Z26..Z29 scale vectors, Y30 min words, Z0..Z3 isum lanes and
// Y4..Y7 msum lanes of the 4 activations, Y12..Y14 temporaries, Y15 sums.
// WQ4K unpacks the weight block at R8.
#define WQ4K \
	VMOVDQU         4(R8), X12; \
	VPSRLD          $2, X12, X13; \
	VPANDD          X24, X13, X13; \
	VPSHUFD         $0xaa, X12, X14; \
	VPSRLVD         X25, X14, X14; \
	VPANDD          X16, X14, X14; \
	VPORD           X14, X13, X13; \
	VPANDD          X23, X12, X12; \
	VPUNPCKLDQ      X13, X12, X12; \
	VPMOVZXBW       X12, Y12; \
	VPERMW          Y12, Y22, Y30; \
	VPERMW          Z12, Z18, Z26; \
	VPERMW          Z12, Z19, Z27; \
	VPERMW          Z12, Z20, Z28; \
	VPERMW          Z12, Z21, Z29; \
	VBROADCASTI64X4 16(R8), Z8; \
	VPSRLVW         Z17, Z8, Z8; \
	VPANDD          Z16, Z8, Z8; \
	VBROADCASTI64X4 48(R8), Z9; \
	VPSRLVW         Z17, Z9, Z9; \
	VPANDD          Z16, Z9, Z9; \
	VBROADCASTI64X4 80(R8), Z10; \
	VPSRLVW         Z17, Z10, Z10; \
	VPANDD          Z16, Z10, Z10; \
	VBROADCASTI64X4 112(R8), Z11; \
	VPSRLVW         Z17, Z11, Z11; \
	VPANDD          Z16, Z11, Z11

// XQ4K adds the unpacked block times the activation block at XP.
#define XQ4K(XP, ACC, MS) \
	VPMADDUBSW 4(XP), Z8, Z12; \
	VPMADDWD   Z26, Z12, ACC; \
	VPMADDUBSW 68(XP), Z9, Z13; \
	VPDPWSSD   Z27, Z13, ACC; \
	VPMADDUBSW 132(XP), Z10, Z12; \
	VPDPWSSD   Z28, Z12, ACC; \
	VPMADDUBSW 196(XP), Z11, Z13; \
	VPDPWSSD   Z29, Z13, ACC; \
	VPMADDWD   260(XP), Y30, MS

#define FOLD_ACT(ZA, YA, MS) \
	VEXTRACTI64X4 $1, ZA, Y12; \
	VPADDD        Y12, YA, YA; \
	VPHADDD       MS, YA, YA

// XQ6K adds the unpacked block (Z8..Z11, scale vectors Z26..Z29, scale
// words Y12) times the activation block at XP: isum lanes in ACC, 32 *
// sc . bsums in CR.
#define XQ6K(XP, ACC, CR) \
	VPMADDWD   260(XP), Y12, CR; \
	VPSLLD     $5, CR, CR; \
	VPMADDUBSW 4(XP), Z8, Z13; \
	VPMADDWD   Z26, Z13, ACC; \
	VPMADDUBSW 68(XP), Z9, Z14; \
	VPDPWSSD   Z27, Z14, ACC; \
	VPMADDUBSW 132(XP), Z10, Z13; \
	VPDPWSSD   Z28, Z13, ACC; \
	VPMADDUBSW 196(XP), Z11, Z14; \
	VPDPWSSD   Z29, Z14, ACC

// func gemm4Q6KVNNI(out *float32, ldo int, w *byte, stride, rows int, x
// *byte, xstride, nb int)
TEXT ·gemm4Q6KVNNI(SB), NOSPLIT, $0-64
	MOVQ out+0(FP), AX
	MOVQ w+16(FP), SI
	MOVQ stride+24(FP), DX
	MOVQ rows+32(FP), R13
	MOVQ x+40(FP), DI
	MOVQ xstride+48(FP), R12
	MOVQ nb+56(FP), R14
	Q6CONST512
g6row:
	MOVQ      ldo+8(FP), R9
	SHLQ      $2, R9
	LEAQ      (AX)(R9*2), R10
	VMOVD     (AX), X15
	VPINSRD   $1, (AX)(R9*1), X15, X15
	VPINSRD   $2, (R10), X15, X15
	VPINSRD   $3, (R10)(R9*1), X15, X15
	MOVQ      SI, R8
	MOVQ      DI, BX
	LEAQ      (DI)(R12*1), R9
	LEAQ      (DI)(R12*2), R10
	LEAQ      (R9)(R12*2), R11
	MOVQ      R14, CX
g6block:
	PREFETCHT0   (R8)(DX*4)
	PREFETCHT0   64(R8)(DX*4)
	PREFETCHT0   128(R8)(DX*4)
	PREFETCHT0   192(R8)(DX*4)
	VPMOVSXBW    192(R8), Y12
	Q6K_UNPACK(R8, 0, Z8, Z9)
	Q6K_UNPACK(R8, 1, Z10, Z11)
	VPERMW       Z12, Z20, Z26
	VPERMW       Z12, Z21, Z27
	VPERMW       Z12, Z22, Z28
	VPERMW       Z12, Z23, Z29
	XQ6K(BX, Z0, Y4)
	XQ6K(R9, Z1, Y5)
	XQ6K(R10, Z2, Y6)
	XQ6K(R11, Z3, Y7)
	Q6K_FOLD4
	VPBROADCASTW 208(R8), X13
	VCVTPH2PS    X13, X13
	VMOVD        (BX), X14
	VPINSRD      $1, (R9), X14, X14
	VPINSRD      $2, (R10), X14, X14
	VPINSRD      $3, (R11), X14, X14
	VMULPS       X14, X13, X13
	VMULPS       X13, X0, X0
	VADDPS       X0, X15, X15
	ADDQ         $210, R8
	ADDQ         $292, BX
	ADDQ         $292, R9
	ADDQ         $292, R10
	ADDQ         $292, R11
	DECQ         CX
	JNZ          g6block
	MOVQ       ldo+8(FP), R9
	SHLQ       $2, R9
	LEAQ       (AX)(R9*2), R10
	VMOVSS     X15, (AX)
	VEXTRACTPS $1, X15, (AX)(R9*1)
	VEXTRACTPS $2, X15, (R10)
	VEXTRACTPS $3, X15, (R10)(R9*1)
	ADDQ       $4, AX
	ADDQ       DX, SI
	DECQ       R13
	JNZ        g6row
	VZEROUPPER
	RET

// Q5K_NIB sets N to sub-blocks 2k | 2k+1 of the Q5_K block at P: nibbles
// as for Q4_K, merged by VPTERNLOGD (A | (B & C), imm 0xf8) with the qh
// (broadcast in QH) shifted by SHIFT (VPSLLVW or VPSRLVW) with the counts
// of k. T is a temporary, Z31 = 0x10 bytes.
#define Q5K_NIB(P, k, N, QH, SHIFT, T) \
	VBROADCASTI64X4 (48+32*k)(P), N; \
	VPSRLVW         Z17, N, N; \
	VPANDD          Z16, N, N; \
	SHIFT           kq5sh<>+(64*k)(SB), QH, T; \
	VPTERNLOGD      $0xf8, Z31, T, N

#define Q4KCONST \
	VPBROADCASTQ ·bytes0f(SB), Z16; \
	VMOVDQU64    kqsrlv<>(SB), Z17; \
	VMOVDQU64    kqperm<>+0(SB), Z18; \
	VMOVDQU64    kqperm<>+64(SB), Z19; \
	VMOVDQU64    kqperm<>+128(SB), Z20; \
	VMOVDQU64    kqperm<>+192(SB), Z21; \
	VMOVDQU64    kqperm<>+256(SB), Y22; \
	VPBROADCASTD ·bytes3f(SB), X23; \
	VPBROADCASTQ ·bytes30(SB), X24; \
	VMOVDQU64    kqsrlvd<>(SB), X25

#define Q4KCONST512 \
	Q4KCONST; \
	VPBROADCASTQ ·bytes10(SB), Z31

// WQ5K is WQ4K for the Q5_K block at R8.
#define WQ5K \
	VMOVDQU         4(R8), X12; \
	VPSRLD          $2, X12, X13; \
	VPANDD          X24, X13, X13; \
	VPSHUFD         $0xaa, X12, X14; \
	VPSRLVD         X25, X14, X14; \
	VPANDD          X16, X14, X14; \
	VPORD           X14, X13, X13; \
	VPANDD          X23, X12, X12; \
	VPUNPCKLDQ      X13, X12, X12; \
	VPMOVZXBW       X12, Y12; \
	VPERMW          Y12, Y22, Y30; \
	VPERMW          Z12, Z18, Z26; \
	VPERMW          Z12, Z19, Z27; \
	VPERMW          Z12, Z20, Z28; \
	VPERMW          Z12, Z21, Z29; \
	VBROADCASTI64X4 16(R8), Z13; \
	Q5K_NIB(R8, 0, Z8, Z13, VPSLLVW, Z14); \
	Q5K_NIB(R8, 1, Z9, Z13, VPSLLVW, Z14); \
	Q5K_NIB(R8, 2, Z10, Z13, VPSRLVW, Z14); \
	Q5K_NIB(R8, 3, Z11, Z13, VPSRLVW, Z14)

// G4_DS sets Y12 to the weight block's (d, dmin) times each of the 4
// activation blocks' d, for KFLOAT4; G4_FLOAT is the whole float step.
#define G4_DS \
	VPBROADCASTD (R8), X12; \
	VCVTPH2PS    X12, Y12; \
	VMOVD        (BX), X14; \
	VPINSRD      $1, (R9), X14, X14; \
	VPINSRD      $2, (R10), X14, X14; \
	VPINSRD      $3, (R11), X14, X14; \
	VPMOVZXDQ    X14, Y14; \
	VMOVSLDUP    Y14, Y14; \
	VMULPS       Y14, Y12, Y12

#define G4_FLOAT(SUMS) KFLOAT4(G4_DS, SUMS)

// GEMM4K is the body of the 4-activation GEMMs on zmm (gemm4Q4KVNNI,
// gemm4Q5KVNNI, gemm4Q4KPERM, gemm4Q5KPERM): CONST loads the constants, W
// unpacks the weight block at R8 (WB bytes) and X multiplies it with one
// activation; the 4 running sums are kept in the even lanes of Y15.
#define GEMM4K(CONST, W, X, WB) \
	G4ARGS; \
	CONST; \
gprow: \
	G4ROW_START(Y15, X15); \
gpblock: \
	PREFETCHT0   (R8)(DX*4); \
	PREFETCHT0   64(R8)(DX*4); \
	PREFETCHT0   128(R8)(DX*4); \
	W; \
	X(BX, Z0, Y4); \
	X(R9, Z1, Y5); \
	X(R10, Z2, Y6); \
	X(R11, Z3, Y7); \
	FOLD_ACT(Z0, Y0, Y4); \
	FOLD_ACT(Z1, Y1, Y5); \
	FOLD_ACT(Z2, Y2, Y6); \
	FOLD_ACT(Z3, Y3, Y7); \
	G4_FLOAT(Y15); \
	ADDQ         WB, R8; \
	ADDQ         $292, BX; \
	ADDQ         $292, R9; \
	ADDQ         $292, R10; \
	ADDQ         $292, R11; \
	DECQ         CX; \
	JNZ          gpblock; \
	G4ROW_END(Y15, X15); \
	JNZ gprow; \
	VZEROUPPER; \
	RET

// func gemm4Q4KVNNI(out *float32, ldo int, w *byte, stride, rows int, x
// *byte, xstride, nb int)
TEXT ·gemm4Q4KVNNI(SB), NOSPLIT, $0-64
	GEMM4K(Q4KCONST, WQ4K, XQ4K, $144)

// func gemm4Q5KVNNI(out *float32, ldo int, w *byte, stride, rows int, x
// *byte, xstride, nb int)
TEXT ·gemm4Q5KVNNI(SB), NOSPLIT, $0-64
	GEMM4K(Q4KCONST512, WQ5K, XQ4K, $176)

// ---------------------------------------------------------------- AVX2 GEMM, 1 row x 4 activations
// The AVX2 GEMM kernels unpack each weight block once per nibble group
// (or Q6_K quarter) and multiply it with 4 activation rows; the 4 dot
// products share the reductions and float steps as in gemm4Q4KVNNI. The
// scales are unpacked with xmm ops (the general registers hold the 4
// activation cursors).
//
// Registers: AX out, SI row, DX stride, R13 rows left, DI x, R12 x stride,
// R14 nb; per row R8 w cursor, BX, R9, R10, R11 the activation cursors, CX
// blocks left. Y0..Y3 the activations' int32 lanes, Y4..Y7 unpacked values
// and their scale words, Y8 temporary, Y9 scale bytes in every qword, Y10
// min words, Y11 running sums (even lanes), Y12..Y14 temporaries, Y15 0x0f
// bytes.

// G4_MINFLOAT finishes a Q4_K/Q5_K block for the 4 activations: pairs the
// isum lanes (Y0..Y3) with the msum lanes, reduces, and does the float
// steps into Y11 as in gemm4Q4KVNNI.
#define G4_MINFLOAT \
	VPMADDWD     260(BX), Y10, Y8; \
	VPHADDD      Y8, Y0, Y0; \
	VPMADDWD     260(R9), Y10, Y8; \
	VPHADDD      Y8, Y1, Y1; \
	VPMADDWD     260(R10), Y10, Y8; \
	VPHADDD      Y8, Y2, Y2; \
	VPMADDWD     260(R11), Y10, Y8; \
	VPHADDD      Y8, Y3, Y3; \
	G4_FLOAT(Y11)

// G4_SCALES unpacks the scales of the block at R8: Y9 = sc bytes in every
// qword, Y10 = the min words, each twice.
#define G4_SCALES \
	VMOVDQU      4(R8), X12; \
	VPSRLD       $2, X12, X13; \
	VPAND        ·bytes30(SB), X13, X13; \
	VPSHUFD      $0xaa, X12, X14; \
	VPSRLVD      kqsrlvd<>(SB), X14, X14; \
	VPAND        X15, X14, X14; \
	VPOR         X14, X13, X13; \
	VPAND        ·bytes3f(SB), X12, X12; \
	VPUNPCKLDQ   X13, X12, X12; \
	VPBROADCASTQ X12, Y9; \
	VPUNPCKHQDQ  X12, X12, X10; \
	VPUNPCKLBW   X10, X10, X10; \
	VPMOVZXBW    X10, Y10

// G4_ACT adds values V (scale words S) times x at xo(XP) into ACC; FIRST
// is VPMADDWD-into-ACC for the first sub-block (sets ACC), else VPADDD.
#define G4_ADD(V, S, xo, XP, ACC) \
	VPMADDUBSW xo(XP), V, Y8; \
	VPMADDWD   S, Y8, Y8; \
	VPADDD     Y8, ACC, ACC

#define G4_SET(V, S, xo, XP, ACC) \
	VPMADDUBSW xo(XP), V, Y8; \
	VPMADDWD   S, Y8, ACC

// G4_GROUP unpacks nibble group k (base QB: 16 for Q4_K, 48 for Q5_K;
// MERGE adds Q5_K's fifth bits) and adds sub-blocks 2k, 2k+1 for the 4
// activations (OP0: G4_SET or G4_ADD for the first).
#define G4_GROUP(k, QB, MERGE, OP0) \
	VMOVDQU (QB+32*k)(R8), Y4; \
	VPSRLW  $4, Y4, Y5; \
	VPAND   Y15, Y4, Y4; \
	VPAND   Y15, Y5, Y5; \
	MERGE; \
	VPSHUFB kq4sh<>+(64*k)(SB), Y9, Y6; \
	VPSHUFB kq4sh<>+(64*k+32)(SB), Y9, Y7; \
	OP0(Y4, Y6, (4+64*k), BX, Y0); \
	G4_ADD(Y5, Y7, (36+64*k), BX, Y0); \
	OP0(Y4, Y6, (4+64*k), R9, Y1); \
	G4_ADD(Y5, Y7, (36+64*k), R9, Y1); \
	OP0(Y4, Y6, (4+64*k), R10, Y2); \
	G4_ADD(Y5, Y7, (36+64*k), R10, Y2); \
	OP0(Y4, Y6, (4+64*k), R11, Y3); \
	G4_ADD(Y5, Y7, (36+64*k), R11, Y3)

// Q5G_Mk merges the fifth bits of sub-blocks 2k, 2k+1 (qh at 16(R8)) into
// Y4, Y5: QGj moves bit j to bit 4 with a word shift, then mask 0x10.
#define QG0 VPSLLW $4, Y13, Y12
#define QG1 VPSLLW $3, Y13, Y12
#define QG2 VPSLLW $2, Y13, Y12
#define QG3 VPSLLW $1, Y13, Y12
#define QG4 VMOVDQU Y13, Y12
#define QG5 VPSRLW $1, Y13, Y12
#define QG6 VPSRLW $2, Y13, Y12
#define QG7 VPSRLW $3, Y13, Y12

#define Q5G_BIT(SH, V) \
	SH; \
	VPAND ·bytes10(SB), Y12, Y12; \
	VPOR  Y12, V, V

#define Q5G_MERGE(QA, QB) \
	VMOVDQU 16(R8), Y13; \
	Q5G_BIT(QA, Y4); \
	Q5G_BIT(QB, Y5)

#define Q5G_M0 Q5G_MERGE(QG0, QG1)
#define Q5G_M1 Q5G_MERGE(QG2, QG3)
#define Q5G_M2 Q5G_MERGE(QG4, QG5)
#define Q5G_M3 Q5G_MERGE(QG6, QG7)

// G4K_BODY is the body of gemm4Q4KAVX2/gemm4Q5KAVX2.
#define G4K_BODY(QB, M0, M1, M2, M3, WB) \
	G4ARGS; \
	VPBROADCASTQ ·bytes0f(SB), Y15; \
row: \
	G4ROW_START(Y11, X11); \
block: \
	PREFETCHT0 (R8)(DX*4); \
	PREFETCHT0 64(R8)(DX*4); \
	PREFETCHT0 128(R8)(DX*4); \
	G4_SCALES; \
	G4_GROUP(0, QB, M0, G4_SET); \
	G4_GROUP(1, QB, M1, G4_ADD); \
	G4_GROUP(2, QB, M2, G4_ADD); \
	G4_GROUP(3, QB, M3, G4_ADD); \
	G4_MINFLOAT; \
	ADDQ $WB, R8; \
	ADDQ $292, BX; \
	ADDQ $292, R9; \
	ADDQ $292, R10; \
	ADDQ $292, R11; \
	DECQ CX; \
	JNZ  block; \
	G4ROW_END(Y11, X11); \
	JNZ  row; \
	VZEROUPPER; \
	RET

// func gemm4Q4KAVX2(out *float32, ldo int, w *byte, stride, rows int, x
// *byte, xstride, nb int)
TEXT ·gemm4Q4KAVX2(SB), NOSPLIT, $0-64
	G4K_BODY(16, NOP, NOP, NOP, NOP, 144)

// func gemm4Q5KAVX2(out *float32, ldo int, w *byte, stride, rows int, x
// *byte, xstride, nb int)
TEXT ·gemm4Q5KAVX2(SB), NOSPLIT, $0-64
	G4K_BODY(48, Q5G_M0, Q5G_M1, Q5G_M2, Q5G_M3, 176)

// G6_QUARTER adds quarter t of half h (values made in Y4 by MAKE, scale
// words by VPSHUFB of Y10) for the 4 activations.
#define G6_QUARTER(h, t, OP0) \
	VPSHUFB kq6sh<>+(32*t)(SB), Y10, Y5; \
	OP0(Y4, Y5, (4+128*h+32*t), BX, Y0); \
	OP0(Y4, Y5, (4+128*h+32*t), R9, Y1); \
	OP0(Y4, Y5, (4+128*h+32*t), R10, Y2); \
	OP0(Y4, Y5, (4+128*h+32*t), R11, Y3)

// G6_HALF makes the 4 quarters of half h (as in Q6K_HALF; Y6 = L0, Y7 =
// L1, Y9 = qh, Y14 = 0x30 bytes) and adds them.
#define G6_HALF(h, OP0) \
	VMOVDQU (64*h)(R8), Y6; \
	VMOVDQU (64*h+32)(R8), Y7; \
	VMOVDQU (128+32*h)(R8), Y9; \
	VPAND   Y15, Y6, Y4; \
	VPSLLW  $4, Y9, Y8; \
	VPAND   Y14, Y8, Y8; \
	VPOR    Y8, Y4, Y4; \
	G6_QUARTER(h, 0, OP0); \
	VPAND   Y15, Y7, Y4; \
	VPSLLW  $2, Y9, Y8; \
	VPAND   Y14, Y8, Y8; \
	VPOR    Y8, Y4, Y4; \
	G6_QUARTER(h, 1, G4_ADD); \
	VPSRLW  $4, Y6, Y4; \
	VPAND   Y15, Y4, Y4; \
	VPAND   Y14, Y9, Y8; \
	VPOR    Y8, Y4, Y4; \
	G6_QUARTER(h, 2, G4_ADD); \
	VPSRLW  $4, Y7, Y4; \
	VPAND   Y15, Y4, Y4; \
	VPSRLW  $2, Y9, Y8; \
	VPAND   Y14, Y8, Y8; \
	VPOR    Y8, Y4, Y4; \
	G6_QUARTER(h, 3, G4_ADD)

// G6_CORR subtracts 32 * sc . bsums of the activation at XP from ACC.
#define G6_CORR(XP, ACC) \
	VPMOVSXBW 192(R8), Y12; \
	VPMADDWD  260(XP), Y12, Y12; \
	VPSLLD    $5, Y12, Y12; \
	VPSUBD    Y12, ACC, ACC

// func gemm4Q6KAVX2(out *float32, ldo int, w *byte, stride, rows int, x
// *byte, xstride, nb int)
TEXT ·gemm4Q6KAVX2(SB), NOSPLIT, $0-64
	G4ARGS
	VPBROADCASTQ ·bytes0f(SB), Y15
	VPBROADCASTQ ·bytes30(SB), Y14
g6arow:
	G4ROW_START(Y11, X11)
g6ablock:
	PREFETCHT0   (R8)(DX*4)
	PREFETCHT0   64(R8)(DX*4)
	PREFETCHT0   128(R8)(DX*4)
	PREFETCHT0   192(R8)(DX*4)
	VPMOVSXBW    192(R8), Y12
	VPERMQ       $0x44, Y12, Y10
	G6_HALF(0, G4_SET)
	VPMOVSXBW    192(R8), Y12
	VPERMQ       $0xee, Y12, Y10
	G6_HALF(1, G4_ADD)
	G6_CORR(BX, Y0)
	G6_CORR(R9, Y1)
	G6_CORR(R10, Y2)
	G6_CORR(R11, Y3)
	VPHADDD      Y1, Y0, Y0
	VPHADDD      Y3, Y2, Y2
	VPHADDD      Y2, Y0, Y0
	VEXTRACTI128 $1, Y0, X8
	VPADDD       X8, X0, X0
	VCVTDQ2PS    X0, X0
	VPBROADCASTW 208(R8), X12
	VCVTPH2PS    X12, X12
	VMOVD        (BX), X13
	VPINSRD      $1, (R9), X13, X13
	VPINSRD      $2, (R10), X13, X13
	VPINSRD      $3, (R11), X13, X13
	VMULPS       X13, X12, X12
	VMULPS       X12, X0, X0
	VPMOVZXDQ    X0, Y0
	VADDPS       Y0, Y11, Y11
	ADDQ         $210, R8
	ADDQ         $292, BX
	ADDQ         $292, R9
	ADDQ         $292, R10
	ADDQ         $292, R11
	DECQ         CX
	JNZ          g6ablock
	G4ROW_END(Y11, X11)
	JNZ g6arow
	VZEROUPPER
	RET

// ---------------------------------------------------------------- AVX-512 GEMM on permuted activations
// gemm4Q4KPERM is gemm4Q4KVNNI with one VNNI multiply per 64 values instead
// of two. The activations are permuted (permQ8K) so that each 64-byte
// round r = 0..3 holds values 8r..8r+7 of sub-blocks 0,2,4,6,1,3,5,7; the
// weights of a round are gathered to the same order with one VPERMI2Q
// (qwords r, 4+r, 8+r, 12+r of the nibbles, in both halves) and one
// GF2P8AFFINEQB (low nibbles in the low half, high in the high half).
// Four VPDPBUSD then leave each sub-block in 2 int32 lanes of 16 products
// each (|sum| <= 16*15*128 < 2^15, so a lane is also its low int16 word),
// and one VPMADDWD with (sc, 0) words applies the scales.
//
// Registers as gemm4Q4KVNNI, except: Z8..Z11 the 4 rounds' weights, Z12
// the lane scales, Z13 temporary, Z14 products, Z17 the GF(2) matrices,
// Z18 the lane scale word indexes, Z26..Z29 the rounds' qword indexes.
// Word indexes: dword lane 2p, 2p+1 = (scale word of sub-block j_p, word
// 16, which is zero), j = 0,2,4,6,1,3,5,7.
#define KQPW(off, v) \
	DATA kqpw<>+(off)(SB)/8, $v

KQPW(0, 0x0010000000100000)
KQPW(8, 0x0010000200100002)
KQPW(16, 0x0010000400100004)
KQPW(24, 0x0010000600100006)
KQPW(32, 0x0010000100100001)
KQPW(40, 0x0010000300100003)
KQPW(48, 0x0010000500100005)
KQPW(56, 0x0010000700100007)
GLOBL kqpw<>(SB), RODATA|NOPTR, $64

// Qword indexes of round r: r, 4+r, 8+r, 12+r, twice (8.. = second table).
#define KQPQ(r, a, b) \
	DATA kqpq<>+(64*r)(SB)/8, $a; \
	DATA kqpq<>+(64*r+8)(SB)/8, $(a+4); \
	DATA kqpq<>+(64*r+16)(SB)/8, $b; \
	DATA kqpq<>+(64*r+24)(SB)/8, $(b+4); \
	DATA kqpq<>+(64*r+32)(SB)/8, $a; \
	DATA kqpq<>+(64*r+40)(SB)/8, $(a+4); \
	DATA kqpq<>+(64*r+48)(SB)/8, $b; \
	DATA kqpq<>+(64*r+56)(SB)/8, $(b+4)

KQPQ(0, 0, 8)
KQPQ(1, 1, 9)
KQPQ(2, 2, 10)
KQPQ(3, 3, 11)
GLOBL kqpq<>(SB), RODATA|NOPTR, $256

// WQ4KP unpacks the weight block at R8: lane scales Z12, min words Y30,
// rounds Z8..Z11.
#define WQ4KP \
	VMOVDQU         4(R8), X12; \
	VPSRLD          $2, X12, X13; \
	VPANDD          X24, X13, X13; \
	VPSHUFD         $0xaa, X12, X14; \
	VPSRLVD         X25, X14, X14; \
	VPANDD          X16, X14, X14; \
	VPORD           X14, X13, X13; \
	VPANDD          X23, X12, X12; \
	VPUNPCKLDQ      X13, X12, X12; \
	VPMOVZXBW       X12, Y12; \
	VPERMW          Y12, Y22, Y30; \
	VPERMW          Z12, Z18, Z12; \
	VMOVDQU64       16(R8), Z13; \
	VMOVDQA64       Z26, Z8; \
	VPERMI2Q        80(R8), Z13, Z8; \
	VGF2P8AFFINEQB  $0, Z17, Z8, Z8; \
	VMOVDQA64       Z27, Z9; \
	VPERMI2Q        80(R8), Z13, Z9; \
	VGF2P8AFFINEQB  $0, Z17, Z9, Z9; \
	VMOVDQA64       Z28, Z10; \
	VPERMI2Q        80(R8), Z13, Z10; \
	VGF2P8AFFINEQB  $0, Z17, Z10, Z10; \
	VMOVDQA64       Z29, Z11; \
	VPERMI2Q        80(R8), Z13, Z11; \
	VGF2P8AFFINEQB  $0, Z17, Z11, Z11

// XQ4KP adds the block times the permuted activation block at XP.
#define XQ4KP(XP, ACC, MS) \
	VPXORD   Z14, Z14, Z14; \
	VPDPBUSD 4(XP), Z8, Z14; \
	VPDPBUSD 68(XP), Z9, Z14; \
	VPDPBUSD 132(XP), Z10, Z14; \
	VPDPBUSD 196(XP), Z11, Z14; \
	VPMADDWD Z12, Z14, ACC; \
	VPMADDWD 260(XP), Y30, MS

// gemm4Q5KPERM is gemm4Q4KPERM for Q5_K. The fifth bits of round r are
// qh's qword r (bytes 8r..8r+7) in every qword lane, rotated (VPROLVQ) so
// that bit j of each byte lands on bit 4 for the lane's sub-block j (bits
// crossing bytes land below bit 4 or wrap into bits masked off), and
// merged with 0x10. Values up to 31 allow only 8 products per int16 lane,
// so rounds 0-1 and 2-3 are scaled separately.
DATA kq5rot<>+0(SB)/8, $4
DATA kq5rot<>+8(SB)/8, $2
DATA kq5rot<>+16(SB)/8, $0
DATA kq5rot<>+24(SB)/8, $62
DATA kq5rot<>+32(SB)/8, $3
DATA kq5rot<>+40(SB)/8, $1
DATA kq5rot<>+48(SB)/8, $63
DATA kq5rot<>+56(SB)/8, $61
GLOBL kq5rot<>(SB), RODATA|NOPTR, $64

#define Q5PBITS(r, W) \
	VPBROADCASTQ (16+8*r)(R8), Z14; \
	VPROLVQ      Z19, Z14, Z14; \
	VPTERNLOGD   $0xf8, Z31, Z14, W

#define WQ5KP \
	VMOVDQU         4(R8), X12; \
	VPSRLD          $2, X12, X13; \
	VPANDD          X24, X13, X13; \
	VPSHUFD         $0xaa, X12, X14; \
	VPSRLVD         X25, X14, X14; \
	VPANDD          X16, X14, X14; \
	VPORD           X14, X13, X13; \
	VPANDD          X23, X12, X12; \
	VPUNPCKLDQ      X13, X12, X12; \
	VPMOVZXBW       X12, Y12; \
	VPERMW          Y12, Y22, Y30; \
	VPERMW          Z12, Z18, Z12; \
	VMOVDQU64       48(R8), Z13; \
	VMOVDQA64       Z26, Z8; \
	VPERMI2Q        112(R8), Z13, Z8; \
	VGF2P8AFFINEQB  $0, Z17, Z8, Z8; \
	Q5PBITS(0, Z8); \
	VMOVDQA64       Z27, Z9; \
	VPERMI2Q        112(R8), Z13, Z9; \
	VGF2P8AFFINEQB  $0, Z17, Z9, Z9; \
	Q5PBITS(1, Z9); \
	VMOVDQA64       Z28, Z10; \
	VPERMI2Q        112(R8), Z13, Z10; \
	VGF2P8AFFINEQB  $0, Z17, Z10, Z10; \
	Q5PBITS(2, Z10); \
	VMOVDQA64       Z29, Z11; \
	VPERMI2Q        112(R8), Z13, Z11; \
	VGF2P8AFFINEQB  $0, Z17, Z11, Z11; \
	Q5PBITS(3, Z11)

#define XQ5KP(XP, ACC, MS) \
	VPXORD   Z14, Z14, Z14; \
	VPDPBUSD 4(XP), Z8, Z14; \
	VPDPBUSD 68(XP), Z9, Z14; \
	VPMADDWD Z12, Z14, ACC; \
	VPXORD   Z14, Z14, Z14; \
	VPDPBUSD 132(XP), Z10, Z14; \
	VPDPBUSD 196(XP), Z11, Z14; \
	VPDPWSSD Z12, Z14, ACC; \
	VPMADDWD 260(XP), Y30, MS

// NONE is an empty macro argument.
#define NONE

#define KQ5ROT VMOVDQU64    kq5rot<>(SB), Z19
#define KQ10 VPBROADCASTQ ·bytes10(SB), Z31

// KPCONST loads the constants of the kernels on permuted activations;
// ROT and TEN load Q5_K's extra ones.
#define KPCONST(ROT, TEN) \
	VPBROADCASTQ ·bytes0f(SB), Z16; \
	VMOVDQU64    kqgf<>(SB), Z17; \
	VMOVDQU64    kqpw<>(SB), Z18; \
	ROT; \
	VMOVDQU64    kqperm<>+256(SB), Y22; \
	VPBROADCASTD ·bytes3f(SB), X23; \
	VPBROADCASTQ ·bytes30(SB), X24; \
	VMOVDQU64    kqsrlvd<>(SB), X25; \
	VMOVDQU64    kqpq<>+0(SB), Z26; \
	VMOVDQU64    kqpq<>+64(SB), Z27; \
	VMOVDQU64    kqpq<>+128(SB), Z28; \
	VMOVDQU64    kqpq<>+192(SB), Z29; \
	TEN

#define KPCONST4 KPCONST(NONE, NONE)
#define KPCONST5 KPCONST(KQ5ROT, KQ10)

// func gemm4Q4KPERM(out *float32, ldo int, w *byte, stride, rows int, x
// *byte, xstride, nb int)
TEXT ·gemm4Q4KPERM(SB), NOSPLIT, $0-64
	GEMM4K(KPCONST4, WQ4KP, XQ4KP, $144)

// func gemm4Q5KPERM(out *float32, ldo int, w *byte, stride, rows int, x
// *byte, xstride, nb int)
TEXT ·gemm4Q5KPERM(SB), NOSPLIT, $0-64
	GEMM4K(KPCONST5, WQ5KP, XQ5KP, $176)

// ---------------------------------------------------------------- AVX-512 GEMM, 1 row x 8 activations
// gemm8Q4KPERM is gemm4Q4KPERM for 8 activation rows: the weight block's
// unpacking is shared by twice as many dot products. Constants other than
// the two VPERMW indexes are memory operands (the 32 zmm registers hold
// the 8 activations' lanes).
//
// Registers: AX out, SI row, DX stride, R13 rows left, DI x, R12 x stride,
// R14 nb; per row R8 w cursor, BX, R9, R10, R11 activations 0-3 (4-7 at
// +4*R12), CX blocks left. Z0..Z7 isum lanes and Y8..Y15 msum lanes of
// activations 0-7, Z16..Z19 the rounds' weights, Z20 lane scales, Y21 min
// words, Z22/Y23 the VPERMW indexes, Z24/Z25 temporaries, Y26/Y27 running
// sums of activations 0-3/4-7 (even lanes), Z28..Z30 temporaries.

#define WQ8ROUND(r, W) \
	VMOVDQU64      kqpq<>+(64*r)(SB), W; \
	VPERMI2Q       80(R8), Z24, W; \
	VGF2P8AFFINEQB $0, kqgf<>(SB), W, W

#define WQ8 \
	VMOVDQU32  4(R8), X28; \
	VPSRLD     $2, X28, X29; \
	VPANDD     ·bytes30(SB), X29, X29; \
	VPSHUFD    $0xaa, X28, X30; \
	VPSRLVD    kqsrlvd<>(SB), X30, X30; \
	VPANDD     ·bytes0f(SB), X30, X30; \
	VPORD      X30, X29, X29; \
	VPANDD     ·bytes3f(SB), X28, X28; \
	VPUNPCKLDQ X29, X28, X28; \
	VPMOVZXBW  X28, Y28; \
	VPERMW     Y28, Y23, Y21; \
	VPERMW     Z28, Z22, Z20; \
	VMOVDQU64  16(R8), Z24; \
	WQ8ROUND(0, Z16); \
	WQ8ROUND(1, Z17); \
	WQ8ROUND(2, Z18); \
	WQ8ROUND(3, Z19)

// XQ8A/XQ8B add the block times activation XP (XQ8B: XP + 4*R12).
#define XQ8A(XP, ACC, MS) \
	VPXORD   Z25, Z25, Z25; \
	VPDPBUSD 4(XP), Z16, Z25; \
	VPDPBUSD 68(XP), Z17, Z25; \
	VPDPBUSD 132(XP), Z18, Z25; \
	VPDPBUSD 196(XP), Z19, Z25; \
	VPMADDWD Z20, Z25, ACC; \
	VPMADDWD 260(XP), Y21, MS

#define XQ8B(XP, ACC, MS) \
	VPXORD   Z25, Z25, Z25; \
	VPDPBUSD 4(XP)(R12*4), Z16, Z25; \
	VPDPBUSD 68(XP)(R12*4), Z17, Z25; \
	VPDPBUSD 132(XP)(R12*4), Z18, Z25; \
	VPDPBUSD 196(XP)(R12*4), Z19, Z25; \
	VPMADDWD Z20, Z25, ACC; \
	VPMADDWD 260(XP)(R12*4), Y21, MS

#define FOLD8(ZA, YA, MS) \
	VEXTRACTI64X4 $1, ZA, Y28; \
	VPADDD        Y28, YA, YA; \
	VPHADDD       MS, YA, YA

// QUAD8 does the float steps of 4 activations whose folded lanes are in
// A0..A3 into SUMS; DX0..DX3 address their scales, D holds [d, dmin] x4.
#define QUAD8(A0, A1, A2, A3, T0, T1, XT, YT, DX0, DX1, DX2, DX3, SUMS) \
	VPHADDD    A1, A0, A0; \
	VPHADDD    A3, A2, A2; \
	VPERM2I128 $0x20, A2, A0, T0; \
	VPERM2I128 $0x31, A2, A0, T1; \
	VPADDD     T1, T0, T0; \
	VCVTDQ2PS  T0, T0; \
	VMOVD      DX0, XT; \
	VPINSRD    $1, DX1, XT, XT; \
	VPINSRD    $2, DX2, XT, XT; \
	VPINSRD    $3, DX3, XT, XT; \
	VPMOVZXDQ  XT, YT; \
	VMOVSLDUP  YT, YT; \
	VMULPS     YT, Y10, YT; \
	VMULPS     YT, T0, T0; \
	VADDPS     T0, SUMS, SUMS; \
	VMOVSHDUP  T0, T0; \
	VSUBPS     T0, SUMS, SUMS

// G8PTRS points AX, R10 (AX + 2*ldo) and R11 (AX + 4*ldo) at the 8
// activations' running sums out[a*ldo], R9 = ldo in bytes.
#define G8PTRS \
	MOVQ ldo+8(FP), R9; \
	SHLQ $2, R9; \
	LEAQ (AX)(R9*2), R10; \
	LEAQ (AX)(R9*4), R11

// G8IN4 gathers the 4 sums at P, P+ldo, R10, R10+ldo into X8; G8OUT4
// scatters X8 back.
#define G8IN4(P) \
	VMOVD   (P), X8; \
	VPINSRD $1, (P)(R9*1), X8, X8; \
	VPINSRD $2, (R10), X8, X8; \
	VPINSRD $3, (R10)(R9*1), X8, X8

#define G8OUT4(P) \
	VMOVSS     X8, (P); \
	VEXTRACTPS $1, X8, (P)(R9*1); \
	VEXTRACTPS $2, X8, (R10); \
	VEXTRACTPS $3, X8, (R10)(R9*1)

// G8SUMS_IN loads the 8 running sums, activations 0-3 moved from X8 into
// A by MOVE, 4-7 into B; G8SUMS_OUT stores them, PACK0 and PACK1 leaving
// those of activations 0-3 and 4-7 in X8.
#define G8SUMS_IN(MOVE, A, B) \
	G8PTRS; \
	G8IN4(AX); \
	MOVE X8, A; \
	LEAQ (R11)(R9*2), R10; \
	G8IN4(R11); \
	MOVE X8, B

#define G8SUMS_OUT(PACK0, PACK1) \
	G8PTRS; \
	PACK0; \
	G8OUT4(AX); \
	LEAQ (R11)(R9*2), R10; \
	PACK1; \
	G8OUT4(R11)

// The PERM kernels keep the sums in the even lanes of Y26/Y27.
#define G8EVEN26 VEXTRACTF32X4 $1, Y26, X9; VSHUFPS $0x88, X9, X26, X8
#define G8EVEN27 VEXTRACTF32X4 $1, Y27, X9; VSHUFPS $0x88, X9, X27, X8
#define G8LOAD G8SUMS_IN(VPMOVZXDQ, Y26, Y27)
#define G8STORE G8SUMS_OUT(G8EVEN26, G8EVEN27)

// gemm8Q5KPERM is gemm8Q4KPERM for Q5_K (fifth bits as in gemm4Q5KPERM,
// rounds 0-1 and 2-3 scaled separately).
#define WQ8ROUND5(r, W) \
	VMOVDQU64      kqpq<>+(64*r)(SB), W; \
	VPERMI2Q       112(R8), Z24, W; \
	VGF2P8AFFINEQB $0, kqgf<>(SB), W, W; \
	VPBROADCASTQ   (16+8*r)(R8), Z29; \
	VPROLVQ        kq5rot<>(SB), Z29, Z29; \
	VPTERNLOGD     $0xf8, Z30, Z29, W

#define WQ8_5 \
	VMOVDQU32  4(R8), X28; \
	VPSRLD     $2, X28, X29; \
	VPANDD     ·bytes30(SB), X29, X29; \
	VPSHUFD    $0xaa, X28, X30; \
	VPSRLVD    kqsrlvd<>(SB), X30, X30; \
	VPANDD     ·bytes0f(SB), X30, X30; \
	VPORD      X30, X29, X29; \
	VPANDD     ·bytes3f(SB), X28, X28; \
	VPUNPCKLDQ X29, X28, X28; \
	VPMOVZXBW  X28, Y28; \
	VPERMW     Y28, Y23, Y21; \
	VPERMW     Z28, Z22, Z20; \
	VPBROADCASTQ ·bytes10(SB), Z30; \
	VMOVDQU64  48(R8), Z24; \
	WQ8ROUND5(0, Z16); \
	WQ8ROUND5(1, Z17); \
	WQ8ROUND5(2, Z18); \
	WQ8ROUND5(3, Z19)

#define XQ8A5(XP, ACC, MS) \
	VPXORD   Z25, Z25, Z25; \
	VPDPBUSD 4(XP), Z16, Z25; \
	VPDPBUSD 68(XP), Z17, Z25; \
	VPMADDWD Z20, Z25, ACC; \
	VPXORD   Z25, Z25, Z25; \
	VPDPBUSD 132(XP), Z18, Z25; \
	VPDPBUSD 196(XP), Z19, Z25; \
	VPDPWSSD Z20, Z25, ACC; \
	VPMADDWD 260(XP), Y21, MS

#define XQ8B5(XP, ACC, MS) \
	VPXORD   Z25, Z25, Z25; \
	VPDPBUSD 4(XP)(R12*4), Z16, Z25; \
	VPDPBUSD 68(XP)(R12*4), Z17, Z25; \
	VPMADDWD Z20, Z25, ACC; \
	VPXORD   Z25, Z25, Z25; \
	VPDPBUSD 132(XP)(R12*4), Z18, Z25; \
	VPDPBUSD 196(XP)(R12*4), Z19, Z25; \
	VPDPWSSD Z20, Z25, ACC; \
	VPMADDWD 260(XP)(R12*4), Y21, MS

// GEMM8KPERM is the body of gemm8Q4KPERM and gemm8Q5KPERM: W unpacks the
// weight block (WB bytes), XA and XB multiply it with activations 0-3 and
// 4-7.
#define GEMM8KPERM(W, XA, XB, WB) \
	G4ARGS; \
	VMOVDQU64 kqpw<>(SB), Z22; \
	VMOVDQU64 kqperm<>+256(SB), Y23; \
g8row: \
	G8LOAD; \
	MOVQ SI, R8; \
	MOVQ DI, BX; \
	LEAQ (DI)(R12*1), R9; \
	LEAQ (DI)(R12*2), R10; \
	LEAQ (R9)(R12*2), R11; \
	MOVQ R14, CX; \
g8block: \
	PREFETCHT0   (R8)(DX*4); \
	PREFETCHT0   64(R8)(DX*4); \
	PREFETCHT0   128(R8)(DX*4); \
	W; \
	XA(BX, Z0, Y8); \
	XA(R9, Z1, Y9); \
	XA(R10, Z2, Y10); \
	XA(R11, Z3, Y11); \
	XB(BX, Z4, Y12); \
	XB(R9, Z5, Y13); \
	XB(R10, Z6, Y14); \
	XB(R11, Z7, Y15); \
	FOLD8(Z0, Y0, Y8); \
	FOLD8(Z1, Y1, Y9); \
	FOLD8(Z2, Y2, Y10); \
	FOLD8(Z3, Y3, Y11); \
	FOLD8(Z4, Y4, Y12); \
	FOLD8(Z5, Y5, Y13); \
	FOLD8(Z6, Y6, Y14); \
	FOLD8(Z7, Y7, Y15); \
	VPBROADCASTD (R8), X10; \
	VCVTPH2PS    X10, Y10; \
	QUAD8(Y0, Y1, Y2, Y3, Y8, Y9, X11, Y11, (BX), (R9), (R10), (R11), Y26); \
	QUAD8(Y4, Y5, Y6, Y7, Y12, Y13, X14, Y14, (BX)(R12*4), (R9)(R12*4), (R10)(R12*4), (R11)(R12*4), Y27); \
	ADDQ         WB, R8; \
	ADDQ         $292, BX; \
	ADDQ         $292, R9; \
	ADDQ         $292, R10; \
	ADDQ         $292, R11; \
	DECQ         CX; \
	JNZ          g8block; \
	G8STORE; \
	ADDQ $4, AX; \
	ADDQ DX, SI; \
	DECQ R13; \
	JNZ  g8row; \
	VZEROUPPER; \
	RET

// func gemm8Q4KPERM(out *float32, ldo int, w *byte, stride, rows int, x
// *byte, xstride, nb int)
TEXT ·gemm8Q4KPERM(SB), NOSPLIT, $0-64
	GEMM8KPERM(WQ8, XQ8A, XQ8B, $144)

// func gemm8Q5KPERM(out *float32, ldo int, w *byte, stride, rows int, x
// *byte, xstride, nb int)
TEXT ·gemm8Q5KPERM(SB), NOSPLIT, $0-64
	GEMM8KPERM(WQ8_5, XQ8A5, XQ8B5, $176)

// gemm8Q6KVNNI is gemm4Q6KVNNI for 8 activation rows per weight block.
// Registers: Z0..Z7 isum lanes and Y8..Y15 the 32 * sc . bsums lanes of
// activations 0-7, Z16..Z19 the block's values (quarters 0|1, 2|3 of each
// half), Z20..Z23 scale vectors, Y24 scale words, Z25/Z30/Z31
// temporaries, Z26 0x0f bytes, Z27 0x30 bytes, X28/X29 running sums of
// activations 0-3/4-7. VPERMW indexes are loaded into the destination
// and used with VPERMI2W; shift counts are memory operands.
#define Q6K_UNPACK8(P, h, LO, HI) \
	VBROADCASTI64X4 (128+32*h)(P), Z30; \
	VMOVDQU64       (64*h)(P), LO; \
	VPSRLW          $4, LO, HI; \
	VPSLLVW         kq6sl<>(SB), Z30, Z31; \
	VPANDD          Z27, Z31, Z31; \
	VPTERNLOGD      $0xec, Z26, Z31, LO; \
	VPSRLVW         kq6sr<>(SB), Z30, Z31; \
	VPANDD          Z27, Z31, Z31; \
	VPTERNLOGD      $0xec, Z26, Z31, HI

#define Q6SV8(c, SV) \
	VMOVDQU64 kq6perm<>+(64*c)(SB), SV; \
	VPERMI2W  Z24, Z24, SV

#define WQ6_8 \
	VPMOVSXBW 192(R8), Y24; \
	Q6K_UNPACK8(R8, 0, Z16, Z17); \
	Q6K_UNPACK8(R8, 1, Z18, Z19); \
	Q6SV8(0, Z20); \
	Q6SV8(1, Z21); \
	Q6SV8(2, Z22); \
	Q6SV8(3, Z23)

#define XQ6_8(XP, ACC, CR) \
	VPMADDWD   260(XP), Y24, CR; \
	VPSLLD     $5, CR, CR; \
	VPMADDUBSW 4(XP), Z16, Z25; \
	VPMADDWD   Z20, Z25, ACC; \
	VPMADDUBSW 68(XP), Z17, Z25; \
	VPDPWSSD   Z21, Z25, ACC; \
	VPMADDUBSW 132(XP), Z18, Z25; \
	VPDPWSSD   Z22, Z25, ACC; \
	VPMADDUBSW 196(XP), Z19, Z25; \
	VPDPWSSD   Z23, Z25, ACC

#define XQ6_8B(XP, ACC, CR) \
	VPMADDWD   260(XP)(R12*4), Y24, CR; \
	VPSLLD     $5, CR, CR; \
	VPMADDUBSW 4(XP)(R12*4), Z16, Z25; \
	VPMADDWD   Z20, Z25, ACC; \
	VPMADDUBSW 68(XP)(R12*4), Z17, Z25; \
	VPDPWSSD   Z21, Z25, ACC; \
	VPMADDUBSW 132(XP)(R12*4), Z18, Z25; \
	VPDPWSSD   Z22, Z25, ACC; \
	VPMADDUBSW 196(XP)(R12*4), Z19, Z25; \
	VPDPWSSD   Z23, Z25, ACC

#define FOLD6(ZA, YA, CR) \
	VEXTRACTI64X4 $1, ZA, Y25; \
	VPADDD        Y25, YA, YA; \
	VPSUBD        CR, YA, YA

// QUAD6 reduces 4 activations' lanes A0..A3 to their isums and adds
// isum * (d*dx) to SUMS (d in X10).
#define QUAD6(A0, A1, A2, A3, XA0, XT, DX0, DX1, DX2, DX3, SUMS) \
	VPHADDD      A1, A0, A0; \
	VPHADDD      A3, A2, A2; \
	VPHADDD      A2, A0, A0; \
	VEXTRACTI128 $1, A0, XT; \
	VPADDD       XT, XA0, XA0; \
	VCVTDQ2PS    XA0, XA0; \
	VMOVD        DX0, XT; \
	VPINSRD      $1, DX1, XT, XT; \
	VPINSRD      $2, DX2, XT, XT; \
	VPINSRD      $3, DX3, XT, XT; \
	VMULPS       XT, X10, XT; \
	VMULPS       XT, XA0, XA0; \
	VADDPS       XA0, SUMS, SUMS

// gemm8Q6KVNNI keeps them in X28/X29.
#define G8LOAD6 G8SUMS_IN(VMOVAPS, X28, X29)
#define G8X28 VMOVAPS X28, X8
#define G8X29 VMOVAPS X29, X8
#define G8STORE6 G8SUMS_OUT(G8X28, G8X29)

// func gemm8Q6KVNNI(out *float32, ldo int, w *byte, stride, rows int, x
// *byte, xstride, nb int)
TEXT ·gemm8Q6KVNNI(SB), NOSPLIT, $0-64
	G4ARGS
	VPBROADCASTQ ·bytes0f(SB), Z26
	VPBROADCASTQ ·bytes30(SB), Z27
g86row:
	G8LOAD6
	MOVQ SI, R8
	MOVQ DI, BX
	LEAQ (DI)(R12*1), R9
	LEAQ (DI)(R12*2), R10
	LEAQ (R9)(R12*2), R11
	MOVQ R14, CX
g86block:
	PREFETCHT0   (R8)(DX*4)
	PREFETCHT0   64(R8)(DX*4)
	PREFETCHT0   128(R8)(DX*4)
	PREFETCHT0   192(R8)(DX*4)
	WQ6_8
	XQ6_8(BX, Z0, Y8)
	XQ6_8(R9, Z1, Y9)
	XQ6_8(R10, Z2, Y10)
	XQ6_8(R11, Z3, Y11)
	XQ6_8B(BX, Z4, Y12)
	XQ6_8B(R9, Z5, Y13)
	XQ6_8B(R10, Z6, Y14)
	XQ6_8B(R11, Z7, Y15)
	FOLD6(Z0, Y0, Y8)
	FOLD6(Z1, Y1, Y9)
	FOLD6(Z2, Y2, Y10)
	FOLD6(Z3, Y3, Y11)
	FOLD6(Z4, Y4, Y12)
	FOLD6(Z5, Y5, Y13)
	FOLD6(Z6, Y6, Y14)
	FOLD6(Z7, Y7, Y15)
	VPBROADCASTW 208(R8), X10
	VCVTPH2PS    X10, X10
	QUAD6(Y0, Y1, Y2, Y3, X0, X11, (BX), (R9), (R10), (R11), X28)
	QUAD6(Y4, Y5, Y6, Y7, X4, X12, (BX)(R12*4), (R9)(R12*4), (R10)(R12*4), (R11)(R12*4), X29)
	ADDQ         $210, R8
	ADDQ         $292, BX
	ADDQ         $292, R9
	ADDQ         $292, R10
	ADDQ         $292, R11
	DECQ         CX
	JNZ          g86block
	G8STORE6
	ADDQ $4, AX
	ADDQ DX, SI
	DECQ R13
	JNZ  g86row
	VZEROUPPER
	RET
