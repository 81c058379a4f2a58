//go:build !noasm

#include "textflag.h"
#include "macros_amd64.h"
#include "kquant_amd64.h"

// The K-quant GEMV kernels (one activation, 1 or 4 weight rows per step),
// each a kgemvFunc (kquant_simd.go); layouts, registers and the shared
// pieces are in kquant_amd64.h.

// KARGS loads the arguments (kgemvFunc); it precedes every TEXT so that
// vet checks it against none.
#define KARGS \
	MOVQ out+0(FP), AX; MOVQ w+8(FP), SI; MOVQ stride+16(FP), DX; \
	MOVQ rows+24(FP), R13; MOVQ x+32(FP), DI; MOVQ nb+40(FP), R14

// ---------------------------------------------------------------- 1 row
// KROWS is the body of the 1-row kernels: CONST loads the constants, BLOCK
// adds a block of WB bytes into X0. Weights are prefetched 8 rows ahead
// (the rows are contiguous, so this is one sequential stream); the
// hardware prefetcher alone reaches only a fraction of the read bandwidth
// here. Every gemv prefetch goes to L2 (PREFETCHT2): into L1, this far
// ahead, it evicted lines before their use on a 32 KB L1 (Zen 4).
#define KROWS(CONST, BLOCK, WB) \
	KARGS; \
	CONST; \
row: \
	MOVQ    SI, R8; \
	MOVQ    DI, BX; \
	MOVQ    R14, CX; \
	VMOVSS  (AX), X0; \
block: \
	PREFETCHT2 (R8)(DX*8); \
	PREFETCHT2 64(R8)(DX*8); \
	PREFETCHT2 128(R8)(DX*8); \
	PREFETCHT2 192(R8)(DX*8); \
	BLOCK; \
	ADDQ    $WB, R8; \
	ADDQ    $292, BX; \
	DECQ    CX; \
	JNZ     block; \
	VMOVSS  X0, (AX); \
	ADDQ    $4, AX; \
	ADDQ    DX, SI; \
	DECQ    R13; \
	JNZ     row; \
	VZEROUPPER; \
	RET

// Q4K_SCALES unpacks the 6-bit scales of the block at R8 into the bytes
// of R9 (sc 0..7) and the mins into R10 (m 0..7), with SWAR on the three
// 32-bit words A, B, C of the packed bytes (see KSC).
#define Q4K_SCALES \
	MOVL 4(R8), R9; \
	MOVL 12(R8), R11; \
	MOVL R9, R12; \
	SHRL $2, R12; \
	ANDL $0x30303030, R12; \
	ANDL $0x3f3f3f3f, R9; \
	MOVL R11, R10; \
	ANDL $0x0f0f0f0f, R10; \
	ORL  R10, R12; \
	SHLQ $32, R12; \
	ORQ  R12, R9; \
	MOVL 8(R8), R10; \
	MOVL R10, R12; \
	SHRL $2, R12; \
	ANDL $0x30303030, R12; \
	ANDL $0x3f3f3f3f, R10; \
	SHRL $4, R11; \
	ANDL $0x0f0f0f0f, R11; \
	ORL  R11, R12; \
	SHLQ $32, R12; \
	ORQ  R12, R10

// KBLOCK is one Q4_K/Q5_K super-block: scales and mins, SCV puts the
// scales where SUB finds them, the 4 nibble groups (GROUPS) add the
// sub-blocks into Y3 (and Y10), then Y2 = 8 int32 lanes whose sum is msum
// = sum_j m_j * (bsums[2j] + bsums[2j+1]) (the mins widened to words, each
// twice) and the reference's float steps: X0 += isum*(d*dx); X0 -=
// msum*(dmin*dx).
#define KBLOCK(SCV, GROUPS, SUB, ACC2) \
	Q4K_SCALES; \
	VMOVQ        R9, X1; \
	SCV; \
	VMOVQ        R10, X2; \
	VPUNPCKLBW   X2, X2, X2; \
	VPMOVZXBW    X2, Y2; \
	VPMADDWD     260(BX), Y2, Y2; \
	VPXOR        Y3, Y3, Y3; \
	ACC2; \
	GROUPS(SUB); \
	VPHADDD      Y2, Y3, Y3; \
	VEXTRACTI128 $1, Y3, X4; \
	VPADDD       X4, X3, X3; \
	VPHADDD      X3, X3, X3; \
	VCVTDQ2PS    X3, X3; \
	VPBROADCASTD (R8), X4; \
	VCVTPH2PS    X4, X4; \
	VBROADCASTSS (BX), X5; \
	VMULPS       X5, X4, X4; \
	VMULPS       X4, X3, X3; \
	VADDSS       X3, X0, X0; \
	VMOVSHDUP    X3, X3; \
	VSUBSS       X3, X0, X0

// Q4K_SUB_AVX2 adds sub-block j (nibbles in N, values at xo(BX)) times
// its scale into Y3. Y1 holds the scale bytes in every qword.
#define Q4K_SUB_AVX2(N, xo, j, ACC) \
	VPMADDUBSW xo(BX), N, N; \
	VPSHUFB    kq4sh<>+(32*j)(SB), Y1, Y6; \
	VPMADDWD   Y6, N, N; \
	VPADDD     N, Y3, Y3

// Q4K_SUB_VNNI: VPDPBUSD sums 4 products per lane (|sum| <= 7680, so the
// lane is also its low int16 word), VPDPWSSD multiplies that word by the
// scale (the dword (sc_j, 0) at 4j(SP)) into ACC. Two accumulators (Y3,
// Y10) halve the VPDPWSSD latency chain.
#define Q4K_SUB_VNNI(N, xo, j, ACC) \
	VPXORD        Y6, Y6, Y6; \
	VPDPBUSD      xo(BX), N, Y6; \
	VPDPWSSD.BCST (4*j)(SP), Y6, ACC

// The scales for Q4K_SUB_AVX2 (in every qword of Y1) and Q4K_SUB_VNNI (at
// SP); the VNNI block sums into Y3 and Y10.
#define SCV_AVX2 VPBROADCASTQ X1, Y1
#define SCV_VNNI VPMOVZXBD X1, Y1; VMOVDQU Y1, (SP)
#define ACC_VNNI VPXOR Y10, Y10, Y10
#define SUM_VNNI VPADDD Y10, Y3, Y3

// KGROUP adds nibble group k (see NIB_AVX2) with SUB.
#define KGROUP(SUB, k, QB, MERGE) \
	NIB_AVX2(k, QB, MERGE); \
	SUB(Y4, (4+64*k), (2*k), Y3); \
	SUB(Y5, (36+64*k), (2*k+1), Y10)

#define Q4K_GROUPS(SUB) \
	KGROUP(SUB, 0, 16, NONE); \
	KGROUP(SUB, 1, 16, NONE); \
	KGROUP(SUB, 2, 16, NONE); \
	KGROUP(SUB, 3, 16, NONE)

// Q5K_GROUPS loads qh (Y11) and runs the 4 groups with their fifth bits
// (Y14 = 0x10 bytes).
#define Q5K_GROUPS(SUB) \
	VMOVDQU 16(R8), Y11; \
	KGROUP(SUB, 0, 48, Q5BITS(QSH0, QSH1, Y11, Y7, Y14)); \
	KGROUP(SUB, 1, 48, Q5BITS(QSH2, QSH3, Y11, Y7, Y14)); \
	KGROUP(SUB, 2, 48, Q5BITS(QSH4, QSH5, Y11, Y7, Y14)); \
	KGROUP(SUB, 3, 48, Q5BITS(QSH6, QSH7, Y11, Y7, Y14))

#define Q4K_BLOCK_AVX2 KBLOCK(SCV_AVX2, Q4K_GROUPS, Q4K_SUB_AVX2, NONE)
#define Q4K_BLOCK_VNNI KBLOCK(SCV_VNNI, Q4K_SUMS_VNNI, Q4K_SUB_VNNI, ACC_VNNI)
#define Q4K_SUMS_VNNI(SUB) Q4K_GROUPS(SUB); SUM_VNNI
#define Q5K_BLOCK_AVX2 KBLOCK(SCV_AVX2, Q5K_GROUPS, Q4K_SUB_AVX2, NONE)
#define Q5CONST AVX2CONST; VPBROADCASTQ ·bytes10(SB), Y14

// Q6K_SUB_AVX2 adds quarter t of half h (values in Y7) times x times the
// scale words selected from S into Y3; Q6K_SUB_VNNI is it with one
// VPDPWSSD into ACC (Y3 or Y10).
#define Q6K_SUB_AVX2(h, t, S, ACC) \
	VPMADDUBSW (4+128*h+32*t)(BX), Y7, Y7; \
	VPSHUFB    kq6sh<>+(32*t)(SB), S, Y9; \
	VPMADDWD   Y9, Y7, Y7; \
	VPADDD     Y7, Y3, Y3

#define Q6K_SUB_VNNI(h, t, S, ACC) \
	VPMADDUBSW    (4+128*h+32*t)(BX), Y7, Y7; \
	VPSHUFB       kq6sh<>+(32*t)(SB), S, Y9; \
	VPDPWSSD      Y9, Y7, ACC

// Q6K_BLOCK: isum = sum_j sc_j * sum(q*x) - 32 * sum_j sc_j * bsums[j],
// exact in int32; then X0 += isum*(d*dx) as the reference does. The
// halves' scale words are Y12 and Y13 (in both lanes).
#define Q6K_BLOCK(SUB) \
	VPMOVSXBW    192(R8), Y1; \
	Q6CORR(BX, NONE, Y1, Y2); \
	VPXOR        Y3, Y3, Y3; \
	VPSUBD       Y2, Y3, Y3; \
	VPXOR        Y10, Y10, Y10; \
	VPERMQ       $0x44, Y1, Y12; \
	VPERMQ       $0xee, Y1, Y13; \
	Q6HALF(0, Y4, Y5, Y6, Y7, SUB, Y12, Y3, Y10, Y3, Y10); \
	Q6HALF(1, Y4, Y5, Y6, Y7, SUB, Y13, Y3, Y10, Y3, Y10); \
	VPADDD       Y10, Y3, Y3; \
	VEXTRACTI128 $1, Y3, X4; \
	VPADDD       X4, X3, X3; \
	VPSHUFD      $0x4e, X3, X4; \
	VPADDD       X4, X3, X3; \
	VPSHUFD      $0xb1, X3, X4; \
	VPADDD       X4, X3, X3; \
	VCVTDQ2PS    X3, X3; \
	VPBROADCASTW 208(R8), X4; \
	VCVTPH2PS    X4, X4; \
	VMULSS       (BX), X4, X4; \
	VMULSS       X4, X3, X3; \
	VADDSS       X3, X0, X0

TEXT ·gemvQ4KAVX2(SB), NOSPLIT, $0-48
	KROWS(AVX2CONST, Q4K_BLOCK_AVX2, 144)

TEXT ·gemvQ4KVNNI(SB), NOSPLIT, $32-48
	KROWS(AVX2CONST, Q4K_BLOCK_VNNI, 144)

TEXT ·gemvQ5KAVX2(SB), NOSPLIT, $0-48
	KROWS(Q5CONST, Q5K_BLOCK_AVX2, 176)

TEXT ·gemvQ6KAVX2(SB), NOSPLIT, $0-48
	KROWS(Q6CONST, Q6K_BLOCK(Q6K_SUB_AVX2), 210)

TEXT ·gemvQ6KVNNI(SB), NOSPLIT, $0-48
	KROWS(Q6CONST, Q6K_BLOCK(Q6K_SUB_VNNI), 210)

// ---------------------------------------------------------------- AVX-512, 4 rows
// The 4-row kernels. Per Q4_K/Q5_K block the packed scales of the 4 rows
// are unpacked together, one row per 128-bit lane of Z8. Per row and
// nibble group k, the 32 bytes are broadcast to both halves of a zmm and
// unpacked to sub-blocks 2k | 2k+1 in x's order either by VPSRLVW (0 | 4)
// and a mask, or by one GF2P8AFFINEQB (low half: bits 0-3, high half:
// bits 4-7 moved down); VPMADDUBSW sums value pairs and VPDPWSSD adds them
// times the sub-block scales (VPERMW of the row's scale words). The
// reductions and float steps of the 4 rows share vector registers.
//
// Registers: AX out, SI group base, DX stride, R13 rows left, DI x, R14 nb;
// R8..R11 rows, BX x cursor, CX blocks left, R12 prefetch cursor. Z0..Z3
// row isum lanes, Y4..Y7 row msum lanes, Z8 the rows' scales, Z9 one row's
// scale words, Z10..Z13 temporaries, Y12..Y14 float temporaries, Y15 the 4
// running sums (even lanes). Constants: KQCONST's, Z23 0x3f bytes, Z24
// 0x30 bytes, Z25 dword shifts (0, 4) per lane, Z26 the GF(2) matrices,
// Z31 0x10 bytes. Q6_K: see gemv4Q6KVNNI.

// GEMV4K is the body of the 4-row kernels: CONST loads the constants, IN
// and OUT convert the 4 running sums in X15 (see SUMS_IN), BLOCK adds the
// rows' blocks of WB bytes, PF prefetches 4*WB bytes at R12 (16 rows
// ahead, one sequential stream).
#define GEMV4K(CONST, IN, PF, BLOCK, WB, OUT) \
	KARGS; \
	CONST; \
group: \
	MOVQ      SI, R8; \
	LEAQ      (SI)(DX*1), R9; \
	LEAQ      (SI)(DX*2), R10; \
	LEAQ      (R9)(DX*2), R11; \
	MOVQ      DI, BX; \
	MOVQ      R14, CX; \
	VMOVUPS   (AX), X15; \
	IN; \
	LEAQ      (SI)(DX*8), R12; \
	LEAQ      (R12)(DX*8), R12; \
block: \
	PF; \
	ADDQ         $(4*WB), R12; \
	BLOCK; \
	ADDQ         $WB, R8; \
	ADDQ         $WB, R9; \
	ADDQ         $WB, R10; \
	ADDQ         $WB, R11; \
	ADDQ         $292, BX; \
	DECQ         CX; \
	JNZ          block; \
	OUT; \
	VMOVUPS      X15, (AX); \
	ADDQ         $16, AX; \
	LEAQ         (SI)(DX*4), SI; \
	SUBQ         $4, R13; \
	JNZ          group; \
	VZEROUPPER; \
	RET

#define PF576 \
	PREFETCHT2 (R12); \
	PREFETCHT2 64(R12); \
	PREFETCHT2 128(R12); \
	PREFETCHT2 192(R12); \
	PREFETCHT2 256(R12); \
	PREFETCHT2 320(R12); \
	PREFETCHT2 384(R12); \
	PREFETCHT2 448(R12); \
	PREFETCHT2 512(R12)

#define PF704 PF576; PREFETCHT2 576(R12); PREFETCHT2 640(R12)
#define PF832 PF704; PREFETCHT2 704(R12); PREFETCHT2 768(R12)

#define K4CONST \
	KQCONST; \
	VPBROADCASTD    ·bytes3f(SB), Z23; \
	VPBROADCASTQ    ·bytes30(SB), Z24; \
	VBROADCASTI32X4 kqsrlvd<>(SB), Z25; \
	VMOVDQU64       kqgf<>(SB), Z26; \
	VPBROADCASTQ    ·bytes10(SB), Z31

// SCALES4 unpacks the scales and mins of the blocks at R8..R11 into lane r
// of Z8 as [sc0..7, m0..7].
#define SCALES4 \
	VMOVDQU      4(R8), X8; \
	VINSERTI32X4 $1, 4(R9), Z8, Z8; \
	VINSERTI32X4 $2, 4(R10), Z8, Z8; \
	VINSERTI32X4 $3, 4(R11), Z8, Z8; \
	KSC(Z8, Z9, Z10, VPANDD, VPORD, Z24, Z25, Z16, Z23)

// NIB_GFNI is NIB_SRLV by one GF(2) affine transform.
#define NIB_GFNI(P, off, N) \
	VBROADCASTI64X4 off(P), N; \
	VGF2P8AFFINEQB  $0, Z26, N, N

// KROW_HEAD widens row r's scales to words (Z9) and sets MS to its msum
// lanes.
#define KROW_HEAD(r, MS) \
	VEXTRACTI32X4 $r, Z8, X9; \
	VPMOVZXBW     X9, Y9; \
	VPERMW        Y9, Y22, Y11; \
	VPMADDWD      260(BX), Y11, MS

// KSUB adds the values N (2 sub-blocks, or a Q6_K quarter pair) times x at
// xo(BX) times their scales (VPERMW of the words W by IDX, into T) into ACC
// with ACCOP (VPMADDWD sets, VPDPWSSD adds).
#define KSUB(N, xo, W, IDX, T, ACCOP, ACC) \
	VPMADDUBSW xo(BX), N, N; \
	VPERMW     W, IDX, T; \
	ACCOP      T, N, ACC

// KG adds nibble group k (at QB+32k of the row's block at P, unpacked by
// NIB into Z10; MERGE adds Q5_K's fifth bits) with KSUB.
#define KG(P, NIB, QB, k, MERGE, IDX, OP, ACC) \
	NIB(P, (QB+32*k), Z10); \
	MERGE; \
	KSUB(Z10, (4+64*k), Z9, IDX, Z11, OP, ACC)

#define Q4K_ROWG(P, r, ACC, MS, NIB) \
	KROW_HEAD(r, MS); \
	KG(P, NIB, 16, 0, NONE, Z18, VPMADDWD, ACC); \
	KG(P, NIB, 16, 1, NONE, Z19, VPDPWSSD, ACC); \
	KG(P, NIB, 16, 2, NONE, Z20, VPDPWSSD, ACC); \
	KG(P, NIB, 16, 3, NONE, Z21, VPDPWSSD, ACC)

// Q5K_ROWG is Q4K_ROWG with the fifth bits (qh broadcast in Z12).
#define Q5K_ROWG(P, r, ACC, MS, NIB) \
	KROW_HEAD(r, MS); \
	VBROADCASTI64X4 16(P), Z12; \
	KG(P, NIB, 48, 0, Q5MERGE(0, VPSLLVW, Z12, Z13, Z10), Z18, VPMADDWD, ACC); \
	KG(P, NIB, 48, 1, Q5MERGE(1, VPSLLVW, Z12, Z13, Z10), Z19, VPDPWSSD, ACC); \
	KG(P, NIB, 48, 2, Q5MERGE(2, VPSRLVW, Z12, Z13, Z10), Z20, VPDPWSSD, ACC); \
	KG(P, NIB, 48, 3, Q5MERGE(3, VPSRLVW, Z12, Z13, Z10), Z21, VPDPWSSD, ACC)

// V4_DS sets Y12 to the (d, dmin) pairs of the 4 rows' blocks times the
// activation block's d, for KFLOAT4.
#define V4_DS \
	INS4((R8), (R9), (R10), (R11), X12); \
	VCVTPH2PS    X12, Y12; \
	VBROADCASTSS (BX), Y14; \
	VMULPS       Y14, Y12, Y12

// K4BLK is the block step of the Q4_K/Q5_K kernels: ROW(P, r, ACC, MS,
// NIB) adds a row's block.
#define K4BLK(ROW, NIB) \
	SCALES4; \
	ROW(R8, 0, Z0, Y4, NIB); \
	ROW(R9, 1, Z1, Y5, NIB); \
	ROW(R10, 2, Z2, Y6, NIB); \
	ROW(R11, 3, Z3, Y7, NIB); \
	FOLD4(Y8, VPHADDD); \
	KFLOAT4Y(V4_DS, Y15)

#define K4IN SUMS_IN(Y15, X15)
#define K4OUT SUMS_OUT(Y15, X15)

TEXT ·gemv4Q4KVNNI(SB), NOSPLIT, $0-48
	GEMV4K(K4CONST, K4IN, PF576, K4BLK(Q4K_ROWG, NIB_SRLV), 144, K4OUT)

TEXT ·gemv4Q4KGFNI(SB), NOSPLIT, $0-48
	GEMV4K(K4CONST, K4IN, PF576, K4BLK(Q4K_ROWG, NIB_GFNI), 144, K4OUT)

TEXT ·gemv4Q5KVNNI(SB), NOSPLIT, $0-48
	GEMV4K(K4CONST, K4IN, PF704, K4BLK(Q5K_ROWG, NIB_SRLV), 176, K4OUT)

TEXT ·gemv4Q5KGFNI(SB), NOSPLIT, $0-48
	GEMV4K(K4CONST, K4IN, PF704, K4BLK(Q5K_ROWG, NIB_GFNI), 176, K4OUT)

// Q6K_ROW4 sets ACC to the isum lanes of row P's Q6_K block (with x at BX)
// and CR to 32 * the sc . bsums lanes: Q6CONST512's registers, Y12 the
// scale words, Z8..Z11 the values, Z13 temporary; the sums stay in X15.
#define Q6K_ROW4(P, ACC, CR) \
	VPMOVSXBW  192(P), Y12; \
	Q6CORR(BX, NONE, Y12, CR); \
	Q6UNPACK4(P); \
	KSUB(Z8, 4, Z12, Z20, Z13, VPMADDWD, ACC); \
	KSUB(Z9, 68, Z12, Z21, Z13, VPDPWSSD, ACC); \
	KSUB(Z10, 132, Z12, Z22, Z13, VPDPWSSD, ACC); \
	KSUB(Z11, 196, Z12, Z23, Z13, VPDPWSSD, ACC)

#define Q6BLK4 \
	Q6K_ROW4(R8, Z0, Y4); \
	Q6K_ROW4(R9, Z1, Y5); \
	Q6K_ROW4(R10, Z2, Y6); \
	Q6K_ROW4(R11, Z3, Y7); \
	Q6FOLD4; \
	VPXOR        X13, X13, X13; \
	VPINSRW      $0, 208(R8), X13, X13; \
	VPINSRW      $1, 208(R9), X13, X13; \
	VPINSRW      $2, 208(R10), X13, X13; \
	VPINSRW      $3, 208(R11), X13, X13; \
	VCVTPH2PS    X13, X13; \
	VBROADCASTSS (BX), X14; \
	VMULPS       X14, X13, X13; \
	VMULPS       X13, X0, X0; \
	VADDPS       X0, X15, X15

TEXT ·gemv4Q6KVNNI(SB), NOSPLIT, $0-48
	GEMV4K(Q6CONST512, NONE, PF832, Q6BLK4, 210, NONE)
