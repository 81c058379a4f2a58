//go:build !noasm

#include "textflag.h"
#include "macros_amd64.h"
#include "kquant_amd64.h"

// The K-quant GEMV kernels (one activation, 1 or 4 weight rows per step);
// layouts, registers and the shared constants are in kquant_amd64.h.

#define KARGS \
	MOVQ out+0(FP), AX; \
	MOVQ w+8(FP), SI; \
	MOVQ stride+16(FP), DX; \
	MOVQ rows+24(FP), R13; \
	MOVQ x+32(FP), DI; \
	MOVQ nb+40(FP), R14

// Q4K_SCALES unpacks the 6-bit scales of the block at R8 into the bytes
// of R9 (sc 0..7) and the mins into R10 (m 0..7), with SWAR on the three
// 32-bit words A, B, C of the packed bytes:
// sc[0:4] = A&63, m[0:4] = B&63, sc[4:8] = C&15 | (A>>6)<<4,
// m[4:8] = C>>4 | (B>>6)<<4 (per byte).
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

// Q4K_MINS sets Y2 = 8 int32 lanes whose sum is msum = sum_j m_j *
// (bsums[2j] + bsums[2j+1]): the mins are widened to words, each twice, and
// multiplied with the 16 block sums.
#define Q4K_MINS \
	VMOVQ      R10, X2; \
	VPUNPCKLBW X2, X2, X2; \
	VPMOVZXBW  X2, Y2; \
	VPMADDWD   260(BX), Y2, Y2

// Q4K_FINISH reduces Y3 (isum lanes) and Y2 (msum lanes) and does the
// reference's float steps: X0 += isum*(d*dx); X0 -= msum*(dmin*dx).
#define Q4K_FINISH \
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

// KROWS runs BLOCK over every block of every row (see the register list).
// Weights are prefetched 8 rows ahead (the rows are contiguous, so this
// is one sequential stream); the hardware prefetcher alone reaches only a
// fraction of the read bandwidth here.
#define KROWS(BLOCK, WB) \
row: \
	MOVQ    SI, R8; \
	MOVQ    DI, BX; \
	MOVQ    R14, CX; \
	VMOVSS  (AX), X0; \
block: \
	PREFETCHT0 (R8)(DX*8); \
	PREFETCHT0 64(R8)(DX*8); \
	PREFETCHT0 128(R8)(DX*8); \
	PREFETCHT0 192(R8)(DX*8); \
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

// Q4K_SUB_AVX2 adds sub-block j (nibbles in N, values at xo(BX)) times
// its scale into Y3. Y1 holds the scale bytes in every qword.
#define Q4K_SUB_AVX2(N, xo, j, ACC) \
	VPMADDUBSW xo(BX), N, N; \
	VPSHUFB    kq4sh<>+(32*j)(SB), Y1, Y6; \
	VPMADDWD   Y6, N, N; \
	VPADDD     N, Y3, Y3

// KGROUP unpacks nibble group k (base QB: 16 for Q4_K, 48 for Q5_K) into
// Y4 (low, sub-block 2k) and Y5 (high, 2k+1), lets MERGE add Q5_K's fifth
// bits and adds both with SUB. Y15 = 0x0f bytes.
#define KGROUP(SUB, k, QB, MERGE) \
	VMOVDQU (QB+32*k)(R8), Y4; \
	VPSRLW  $4, Y4, Y5; \
	VPAND   Y15, Y4, Y4; \
	VPAND   Y15, Y5, Y5; \
	MERGE; \
	SUB(Y4, (4+64*k), (2*k), Y3); \
	SUB(Y5, (36+64*k), (2*k+1), Y10)

#define Q4K_GROUP(SUB, k) KGROUP(SUB, k, 16, NOP)

// KBLOCK_AVX2 is one Q4_K/Q5_K super-block on AVX2: scales and mins, then
// the 4 nibble groups (GROUPS).
#define KBLOCK_AVX2(GROUPS) \
	Q4K_SCALES; \
	VMOVQ        R9, X1; \
	VPBROADCASTQ X1, Y1; \
	Q4K_MINS; \
	VPXOR        Y3, Y3, Y3; \
	GROUPS; \
	Q4K_FINISH

#define Q4K_GROUPS(SUB) \
	Q4K_GROUP(SUB, 0); \
	Q4K_GROUP(SUB, 1); \
	Q4K_GROUP(SUB, 2); \
	Q4K_GROUP(SUB, 3)

#define Q4K_BLOCK_AVX2 KBLOCK_AVX2(Q4K_GROUPS(Q4K_SUB_AVX2))

// func gemvQ4KAVX2(out *float32, w *byte, stride, rows int, x *byte, nb int)
TEXT ·gemvQ4KAVX2(SB), NOSPLIT, $0-48
	KARGS
	VPBROADCASTQ ·bytes0f(SB), Y15
	KROWS(Q4K_BLOCK_AVX2, 144)

// Q4K_SUB_VNNI: VPDPBUSD sums 4 products per lane (|sum| <= 7680, so the
// lane is also its low int16 word), VPDPWSSD multiplies that word by the
// scale (the dword (sc_j, 0) at 4j(SP)) into ACC. Two accumulators (Y3,
// Y10) halve the VPDPWSSD latency chain.
#define Q4K_SUB_VNNI(N, xo, j, ACC) \
	VPXORD        Y6, Y6, Y6; \
	VPDPBUSD      xo(BX), N, Y6; \
	VPDPWSSD.BCST (4*j)(SP), Y6, ACC

#define Q4K_BLOCK_VNNI \
	Q4K_SCALES; \
	VMOVQ        R9, X1; \
	VPMOVZXBD    X1, Y1; \
	VMOVDQU      Y1, (SP); \
	Q4K_MINS; \
	VPXOR        Y3, Y3, Y3; \
	VPXOR        Y10, Y10, Y10; \
	Q4K_GROUPS(Q4K_SUB_VNNI); \
	VPADDD       Y10, Y3, Y3; \
	Q4K_FINISH

// func gemvQ4KVNNI(out *float32, w *byte, stride, rows int, x *byte, nb int)
TEXT ·gemvQ4KVNNI(SB), NOSPLIT, $32-48
	KARGS
	VPBROADCASTQ ·bytes0f(SB), Y15
	KROWS(Q4K_BLOCK_VNNI, 144)

// ---------------------------------------------------------------- Q6_K
// Q6K_SUB_AVX2 adds quarter Q (6-bit values) times x at xo(BX) times the
// scale words selected by control t from S into Y3.
#define Q6K_SUB_AVX2(Q, xo, S, t, ACC) \
	VPMADDUBSW xo(BX), Q, Q; \
	VPSHUFB    kq6sh<>+(32*t)(SB), S, Y9; \
	VPMADDWD   Y9, Q, Q; \
	VPADDD     Q, Y3, Y3

// Q6K_SUB_VNNI is Q6K_SUB_AVX2 with one VPDPWSSD into ACC (Y3 or Y10).
#define Q6K_SUB_VNNI(Q, xo, S, t, ACC) \
	VPMADDUBSW    xo(BX), Q, Q; \
	VPSHUFB       kq6sh<>+(32*t)(SB), S, Y9; \
	VPDPWSSD      Y9, Q, ACC

// Q6K_HALF adds half h (S: its 8 scale words in both lanes) with SUB:
// quarter t's values are
// t=0: ql[l]&15 | (qh[l]&3)<<4, t=1: ql[l+32]&15 | (qh[l]>>2&3)<<4,
// t=2: ql[l]>>4 | (qh[l]>>4&3)<<4, t=3: ql[l+32]>>4 | (qh[l]>>6)<<4.
// Y15 = 0x0f bytes, Y14 = 0x30 bytes; shifts are per word, the masks drop
// the bits that cross bytes.
#define Q6K_HALF(SUB, h, S) \
	VMOVDQU (64*h)(R8), Y4; \
	VMOVDQU (64*h+32)(R8), Y5; \
	VMOVDQU (128+32*h)(R8), Y6; \
	VPAND   Y15, Y4, Y7; \
	VPSLLW  $4, Y6, Y8; \
	VPAND   Y14, Y8, Y8; \
	VPOR    Y8, Y7, Y7; \
	SUB(Y7, (4+128*h), S, 0, Y3); \
	VPAND   Y15, Y5, Y7; \
	VPSLLW  $2, Y6, Y8; \
	VPAND   Y14, Y8, Y8; \
	VPOR    Y8, Y7, Y7; \
	SUB(Y7, (36+128*h), S, 1, Y10); \
	VPSRLW  $4, Y4, Y7; \
	VPAND   Y15, Y7, Y7; \
	VPAND   Y14, Y6, Y8; \
	VPOR    Y8, Y7, Y7; \
	SUB(Y7, (68+128*h), S, 2, Y3); \
	VPSRLW  $4, Y5, Y7; \
	VPAND   Y15, Y7, Y7; \
	VPSRLW  $2, Y6, Y8; \
	VPAND   Y14, Y8, Y8; \
	VPOR    Y8, Y7, Y7; \
	SUB(Y7, (100+128*h), S, 3, Y10)

// Q6K_BLOCK: isum = sum_j sc_j * sum(q*x) - 32 * sum_j sc_j * bsums[j],
// exact in int32; then X0 += isum*(d*dx) as the reference does.
#define Q6K_BLOCK(SUB) \
	VPMOVSXBW    192(R8), Y1; \
	VPMADDWD     260(BX), Y1, Y2; \
	VPSLLD       $5, Y2, Y2; \
	VPXOR        Y3, Y3, Y3; \
	VPSUBD       Y2, Y3, Y3; \
	VPXOR        Y10, Y10, Y10; \
	VPERMQ       $0x44, Y1, Y12; \
	VPERMQ       $0xee, Y1, Y13; \
	Q6K_HALF(SUB, 0, Y12); \
	Q6K_HALF(SUB, 1, Y13); \
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

#define Q6K_BLOCK_AVX2 Q6K_BLOCK(Q6K_SUB_AVX2)
#define Q6K_BLOCK_VNNI Q6K_BLOCK(Q6K_SUB_VNNI)

#define Q6CONST \
	VPBROADCASTQ ·bytes0f(SB), Y15; \
	VPBROADCASTQ ·bytes30(SB), Y14

// func gemvQ6KAVX2(out *float32, w *byte, stride, rows int, x *byte, nb int)
TEXT ·gemvQ6KAVX2(SB), NOSPLIT, $0-48
	KARGS
	Q6CONST
	KROWS(Q6K_BLOCK_AVX2, 210)

// func gemvQ6KVNNI(out *float32, w *byte, stride, rows int, x *byte, nb int)
TEXT ·gemvQ6KVNNI(SB), NOSPLIT, $0-48
	KARGS
	Q6CONST
	KROWS(Q6K_BLOCK_VNNI, 210)

// FOLD_ROW folds row r's isum lanes to 8 and pairs them with its msum
// lanes: T = [a a m m | a a m m] (VPHADDD has no EVEX form: Y0..Y15 only).
#define FOLD_ROW(ZA, YA, MS) \
	VEXTRACTI64X4 $1, ZA, Y8; \
	VPADDD        Y8, YA, YA; \
	VPHADDD       MS, YA, YA

// Q6K_ROW4 sets ACC to the isum lanes of row P's block (with x at BX) and
// CR to 32 * the sc . bsums lanes.
#define Q6K_ROW4(P, ACC, CR) \
	VPMOVSXBW  192(P), Y12; \
	VPMADDWD   260(BX), Y12, CR; \
	VPSLLD     $5, CR, CR; \
	Q6K_UNPACK(P, 0, Z8, Z9); \
	Q6K_UNPACK(P, 1, Z10, Z11); \
	VPMADDUBSW 4(BX), Z8, Z8; \
	VPERMW     Z12, Z20, Z13; \
	VPMADDWD   Z13, Z8, ACC; \
	VPMADDUBSW 68(BX), Z9, Z9; \
	VPERMW     Z12, Z21, Z13; \
	VPDPWSSD   Z13, Z9, ACC; \
	VPMADDUBSW 132(BX), Z10, Z10; \
	VPERMW     Z12, Z22, Z13; \
	VPDPWSSD   Z13, Z10, ACC; \
	VPMADDUBSW 196(BX), Z11, Z11; \
	VPERMW     Z12, Z23, Z13; \
	VPDPWSSD   Z13, Z11, ACC

// func gemv4Q6KVNNI(out *float32, w *byte, stride, rows int, x *byte, nb int)
TEXT ·gemv4Q6KVNNI(SB), NOSPLIT, $0-48
	KARGS
	Q6CONST512
group6:
	MOVQ    SI, R8
	LEAQ    (SI)(DX*1), R9
	LEAQ    (SI)(DX*2), R10
	LEAQ    (R9)(DX*2), R11
	MOVQ    DI, BX
	MOVQ    R14, CX
	VMOVUPS (AX), X15
	LEAQ    (SI)(DX*8), R12
	LEAQ    (R12)(DX*8), R12
	// R12 walks the group 16 rows ahead, 840 bytes per step.
block6:
	PREFETCHT0 (R12)
	PREFETCHT0 64(R12)
	PREFETCHT0 128(R12)
	PREFETCHT0 192(R12)
	PREFETCHT0 256(R12)
	PREFETCHT0 320(R12)
	PREFETCHT0 384(R12)
	PREFETCHT0 448(R12)
	PREFETCHT0 512(R12)
	PREFETCHT0 576(R12)
	PREFETCHT0 640(R12)
	PREFETCHT0 704(R12)
	PREFETCHT0 768(R12)
	ADDQ       $840, R12
	Q6K_ROW4(R8, Z0, Y4)
	Q6K_ROW4(R9, Z1, Y5)
	Q6K_ROW4(R10, Z2, Y6)
	Q6K_ROW4(R11, Z3, Y7)
	Q6K_FOLD4
	VPXOR        X13, X13, X13
	VPINSRW      $0, 208(R8), X13, X13
	VPINSRW      $1, 208(R9), X13, X13
	VPINSRW      $2, 208(R10), X13, X13
	VPINSRW      $3, 208(R11), X13, X13
	VCVTPH2PS    X13, X13
	VBROADCASTSS (BX), X14
	VMULPS       X14, X13, X13
	VMULPS       X13, X0, X0
	VADDPS       X0, X15, X15
	ADDQ         $210, R8
	ADDQ         $210, R9
	ADDQ         $210, R10
	ADDQ         $210, R11
	ADDQ         $292, BX
	DECQ         CX
	JNZ          block6
	VMOVUPS X15, (AX)
	ADDQ    $16, AX
	LEAQ    (SI)(DX*4), SI
	SUBQ    $4, R13
	JNZ     group6
	VZEROUPPER
	RET

// QHj sets Y7 = qh (Y11) shifted so that bit j is at bit 4.
#define QH0 VPSLLW $4, Y11, Y7
#define QH1 VPSLLW $3, Y11, Y7
#define QH2 VPSLLW $2, Y11, Y7
#define QH3 VPSLLW $1, Y11, Y7
#define QH4 VMOVDQU Y11, Y7
#define QH5 VPSRLW $1, Y11, Y7
#define QH6 VPSRLW $2, Y11, Y7
#define QH7 VPSRLW $3, Y11, Y7

// Q5K_GROUP is Q4K_GROUP with the fifth bits (QA, QB: the QHj of the two
// sub-blocks; Y14 = 0x10 bytes).
#define Q5MERGE_AVX2(QA, QB) \
	QA; \
	VPAND Y14, Y7, Y7; \
	VPOR  Y7, Y4, Y4; \
	QB; \
	VPAND Y14, Y7, Y7; \
	VPOR  Y7, Y5, Y5

#define Q5K_GROUP(SUB, k, QA, QB) KGROUP(SUB, k, 48, Q5MERGE_AVX2(QA, QB))

// Q5K_GROUPS loads qh (Y11) and runs the 4 groups with their fifth bits.
#define Q5K_GROUPS(SUB) \
	VMOVDQU 16(R8), Y11; \
	Q5K_GROUP(SUB, 0, QH0, QH1); \
	Q5K_GROUP(SUB, 1, QH2, QH3); \
	Q5K_GROUP(SUB, 2, QH4, QH5); \
	Q5K_GROUP(SUB, 3, QH6, QH7)

#define Q5K_BLOCK_AVX2 KBLOCK_AVX2(Q5K_GROUPS(Q4K_SUB_AVX2))

// func gemvQ5KAVX2(out *float32, w *byte, stride, rows int, x *byte, nb int)
TEXT ·gemvQ5KAVX2(SB), NOSPLIT, $0-48
	KARGS
	VPBROADCASTQ ·bytes0f(SB), Y15
	VPBROADCASTQ ·bytes10(SB), Y14
	KROWS(Q5K_BLOCK_AVX2, 176)

// ---------------------------------------------------------------- AVX-512 GEMV, 4 rows
// The 4-row Q4_K/Q5_K GEMV kernels. Per block the packed scales of the 4
// rows are unpacked together, one row per 128-bit lane of Z8. Per row and
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
// running sums (even lanes). Constants: Z16 0x0f bytes, Z17 shift counts
// (0 | 4), Z18..Z21 scale word indexes, Y22 min word indexes, Z23 0x3f
// bytes, Z24 0x30 bytes, Z25 dword shifts (0, 4) per lane, Z26 the GF(2)
// matrices, Z31 0x10 bytes.

#define K4CONST \
	VPBROADCASTQ   ·bytes0f(SB), Z16; \
	VMOVDQU64      kqsrlv<>(SB), Z17; \
	VMOVDQU64      kqperm<>+0(SB), Z18; \
	VMOVDQU64      kqperm<>+64(SB), Z19; \
	VMOVDQU64      kqperm<>+128(SB), Z20; \
	VMOVDQU64      kqperm<>+192(SB), Z21; \
	VMOVDQU64      kqperm<>+256(SB), Y22; \
	VPBROADCASTD   ·bytes3f(SB), Z23; \
	VPBROADCASTQ   ·bytes30(SB), Z24; \
	VBROADCASTI32X4 kqsrlvd<>(SB), Z25; \
	VMOVDQU64      kqgf<>(SB), Z26; \
	VPBROADCASTQ   ·bytes10(SB), Z31

// SCALES4 unpacks the scales and mins of the blocks at R8..R11 into lane r
// of Z8 as [sc0..7, m0..7] (see Q4K_SCALES for the bit layout).
#define SCALES4 \
	VMOVDQU      4(R8), X8; \
	VINSERTI32X4 $1, 4(R9), Z8, Z8; \
	VINSERTI32X4 $2, 4(R10), Z8, Z8; \
	VINSERTI32X4 $3, 4(R11), Z8, Z8; \
	VPSRLD       $2, Z8, Z9; \
	VPANDD       Z24, Z9, Z9; \
	VPSHUFD      $0xaa, Z8, Z10; \
	VPSRLVD      Z25, Z10, Z10; \
	VPANDD       Z16, Z10, Z10; \
	VPORD        Z10, Z9, Z9; \
	VPANDD       Z23, Z8, Z8; \
	VPUNPCKLDQ   Z9, Z8, Z8

// NIB_SRLV/NIB_GFNI set N to sub-blocks 2k | 2k+1 from the nibble group
// at off(P).
#define NIB_SRLV(P, off, N) \
	VBROADCASTI64X4 off(P), N; \
	VPSRLVW         Z17, N, N; \
	VPANDD          Z16, N, N

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

// KSUB adds the values N (2 sub-blocks) times x at xo(BX) times their
// scales (index IDX) into ACC with ACCOP (VPMADDWD sets, VPDPWSSD adds).
#define KSUB(N, xo, IDX, ACCOP, ACC) \
	VPMADDUBSW xo(BX), N, N; \
	VPERMW     Z9, IDX, Z11; \
	ACCOP      Z11, N, ACC

#define Q4K_ROWG(P, r, ACC, MS, NIB) \
	KROW_HEAD(r, MS); \
	NIB(P, 16, Z10); \
	KSUB(Z10, 4, Z18, VPMADDWD, ACC); \
	NIB(P, 48, Z10); \
	KSUB(Z10, 68, Z19, VPDPWSSD, ACC); \
	NIB(P, 80, Z10); \
	KSUB(Z10, 132, Z20, VPDPWSSD, ACC); \
	NIB(P, 112, Z10); \
	KSUB(Z10, 196, Z21, VPDPWSSD, ACC)

// Q5MERGE merges the fifth bits of group k (qh broadcast in Z12) into Z10.
#define Q5MERGE(k, SHIFT) \
	SHIFT      kq5sh<>+(64*k)(SB), Z12, Z13; \
	VPTERNLOGD $0xf8, Z31, Z13, Z10

#define Q5K_ROWG(P, r, ACC, MS, NIB) \
	KROW_HEAD(r, MS); \
	VBROADCASTI64X4 16(P), Z12; \
	NIB(P, 48, Z10); \
	Q5MERGE(0, VPSLLVW); \
	KSUB(Z10, 4, Z18, VPMADDWD, ACC); \
	NIB(P, 80, Z10); \
	Q5MERGE(1, VPSLLVW); \
	KSUB(Z10, 68, Z19, VPDPWSSD, ACC); \
	NIB(P, 112, Z10); \
	Q5MERGE(2, VPSRLVW); \
	KSUB(Z10, 132, Z20, VPDPWSSD, ACC); \
	NIB(P, 144, Z10); \
	Q5MERGE(3, VPSRLVW); \
	KSUB(Z10, 196, Z21, VPDPWSSD, ACC)

#define PF576 \
	PREFETCHT0 (R12); \
	PREFETCHT0 64(R12); \
	PREFETCHT0 128(R12); \
	PREFETCHT0 192(R12); \
	PREFETCHT0 256(R12); \
	PREFETCHT0 320(R12); \
	PREFETCHT0 384(R12); \
	PREFETCHT0 448(R12); \
	PREFETCHT0 512(R12)

#define PF704 \
	PF576; \
	PREFETCHT0 576(R12); \
	PREFETCHT0 640(R12)

// V4_DS sets Y12 to the (d, dmin) pairs of the 4 rows' blocks times the
// activation block's d, for KFLOAT4.
#define V4_DS \
	VMOVD        (R8), X12; \
	VPINSRD      $1, (R9), X12, X12; \
	VPINSRD      $2, (R10), X12, X12; \
	VPINSRD      $3, (R11), X12, X12; \
	VCVTPH2PS    X12, Y12; \
	VBROADCASTSS (BX), Y14; \
	VMULPS       Y14, Y12, Y12

// GEMV4K is the body of the 4-row kernels: ROW(P, r, ACC, MS, NIB) adds a
// row's block, WB is the block size, PF prefetches 4*WB bytes at R12 (16
// rows ahead, one sequential stream).
#define GEMV4K(ROW, NIB, WB, PF) \
	KARGS; \
	K4CONST; \
group: \
	MOVQ      SI, R8; \
	LEAQ      (SI)(DX*1), R9; \
	LEAQ      (SI)(DX*2), R10; \
	LEAQ      (R9)(DX*2), R11; \
	MOVQ      DI, BX; \
	MOVQ      R14, CX; \
	VMOVUPS   (AX), X15; \
	VPMOVZXDQ X15, Y15; \
	LEAQ      (SI)(DX*8), R12; \
	LEAQ      (R12)(DX*8), R12; \
block: \
	PF; \
	ADDQ         $(4*WB), R12; \
	SCALES4; \
	ROW(R8, 0, Z0, Y4, NIB); \
	ROW(R9, 1, Z1, Y5, NIB); \
	ROW(R10, 2, Z2, Y6, NIB); \
	ROW(R11, 3, Z3, Y7, NIB); \
	FOLD_ROW(Z0, Y0, Y4); \
	FOLD_ROW(Z1, Y1, Y5); \
	FOLD_ROW(Z2, Y2, Y6); \
	FOLD_ROW(Z3, Y3, Y7); \
	KFLOAT4(V4_DS, Y15); \
	ADDQ         $WB, R8; \
	ADDQ         $WB, R9; \
	ADDQ         $WB, R10; \
	ADDQ         $WB, R11; \
	ADDQ         $292, BX; \
	DECQ         CX; \
	JNZ          block; \
	VEXTRACTF128 $1, Y15, X13; \
	VSHUFPS      $0x88, X13, X15, X15; \
	VMOVUPS      X15, (AX); \
	ADDQ         $16, AX; \
	LEAQ         (SI)(DX*4), SI; \
	SUBQ         $4, R13; \
	JNZ          group; \
	VZEROUPPER; \
	RET

// func gemv4Q4KVNNI(out *float32, w *byte, stride, rows int, x *byte, nb int)
TEXT ·gemv4Q4KVNNI(SB), NOSPLIT, $0-48
	GEMV4K(Q4K_ROWG, NIB_SRLV, 144, PF576)

// func gemv4Q4KGFNI(out *float32, w *byte, stride, rows int, x *byte, nb int)
TEXT ·gemv4Q4KGFNI(SB), NOSPLIT, $0-48
	GEMV4K(Q4K_ROWG, NIB_GFNI, 144, PF576)

// func gemv4Q5KVNNI(out *float32, w *byte, stride, rows int, x *byte, nb int)
TEXT ·gemv4Q5KVNNI(SB), NOSPLIT, $0-48
	GEMV4K(Q5K_ROWG, NIB_SRLV, 176, PF704)

// func gemv4Q5KGFNI(out *float32, w *byte, stride, rows int, x *byte, nb int)
TEXT ·gemv4Q5KGFNI(SB), NOSPLIT, $0-48
	GEMV4K(Q5K_ROWG, NIB_GFNI, 176, PF704)
