//go:build !noasm

#include "textflag.h"

// K-quant kernels (see kquant_amd64.go). Layouts (QUANTS.md): Q4_K is
// d, dmin f16 at 0, 12 packed 6-bit scales and mins at 4, 128 bytes of
// nibbles at 16 (group k = bytes 32k..32k+31: sub-block 2k in the low
// nibbles, 2k+1 in the high ones); Q6_K is ql[128] at 0, qh[64] at 128,
// int8 scales[16] at 192, d f16 at 208; Q8_K is d f32 at 0, 256 int8 at 4,
// 16 int16 block sums at 260.
//
// Registers: AX out, SI row, DX stride, R13 rows left, DI x, R14 nb;
// per row R8 w cursor, BX x cursor, CX blocks left, X0 the running sum.
// Each super-block is reduced to its exact int32 sums, then the float
// steps are those of the reference, in its order.

// Byte pairs (j, zero) repeated: VPSHUFB of the 8 scale bytes (in every
// qword) gives 16 int16 words of scale j, for sub-block j = 0..7.
DATA kq4sh<>+0(SB)/8, $0x8000800080008000
DATA kq4sh<>+8(SB)/8, $0x8000800080008000
DATA kq4sh<>+16(SB)/8, $0x8000800080008000
DATA kq4sh<>+24(SB)/8, $0x8000800080008000
DATA kq4sh<>+32(SB)/8, $0x8001800180018001
DATA kq4sh<>+40(SB)/8, $0x8001800180018001
DATA kq4sh<>+48(SB)/8, $0x8001800180018001
DATA kq4sh<>+56(SB)/8, $0x8001800180018001
DATA kq4sh<>+64(SB)/8, $0x8002800280028002
DATA kq4sh<>+72(SB)/8, $0x8002800280028002
DATA kq4sh<>+80(SB)/8, $0x8002800280028002
DATA kq4sh<>+88(SB)/8, $0x8002800280028002
DATA kq4sh<>+96(SB)/8, $0x8003800380038003
DATA kq4sh<>+104(SB)/8, $0x8003800380038003
DATA kq4sh<>+112(SB)/8, $0x8003800380038003
DATA kq4sh<>+120(SB)/8, $0x8003800380038003
DATA kq4sh<>+128(SB)/8, $0x8004800480048004
DATA kq4sh<>+136(SB)/8, $0x8004800480048004
DATA kq4sh<>+144(SB)/8, $0x8004800480048004
DATA kq4sh<>+152(SB)/8, $0x8004800480048004
DATA kq4sh<>+160(SB)/8, $0x8005800580058005
DATA kq4sh<>+168(SB)/8, $0x8005800580058005
DATA kq4sh<>+176(SB)/8, $0x8005800580058005
DATA kq4sh<>+184(SB)/8, $0x8005800580058005
DATA kq4sh<>+192(SB)/8, $0x8006800680068006
DATA kq4sh<>+200(SB)/8, $0x8006800680068006
DATA kq4sh<>+208(SB)/8, $0x8006800680068006
DATA kq4sh<>+216(SB)/8, $0x8006800680068006
DATA kq4sh<>+224(SB)/8, $0x8007800780078007
DATA kq4sh<>+232(SB)/8, $0x8007800780078007
DATA kq4sh<>+240(SB)/8, $0x8007800780078007
DATA kq4sh<>+248(SB)/8, $0x8007800780078007
GLOBL kq4sh<>(SB), RODATA|NOPTR, $256

// For Q6_K quarter t (32 values, scales 2t and 2t+1 of the half): VPSHUFB
// of the half's 8 scale words (in both lanes) gives word 2t in the low lane
// and word 2t+1 in the high lane.
DATA kq6sh<>+0(SB)/8, $0x0100010001000100
DATA kq6sh<>+8(SB)/8, $0x0100010001000100
DATA kq6sh<>+16(SB)/8, $0x0302030203020302
DATA kq6sh<>+24(SB)/8, $0x0302030203020302
DATA kq6sh<>+32(SB)/8, $0x0504050405040504
DATA kq6sh<>+40(SB)/8, $0x0504050405040504
DATA kq6sh<>+48(SB)/8, $0x0706070607060706
DATA kq6sh<>+56(SB)/8, $0x0706070607060706
DATA kq6sh<>+64(SB)/8, $0x0908090809080908
DATA kq6sh<>+72(SB)/8, $0x0908090809080908
DATA kq6sh<>+80(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA kq6sh<>+88(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA kq6sh<>+96(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA kq6sh<>+104(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA kq6sh<>+112(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA kq6sh<>+120(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL kq6sh<>(SB), RODATA|NOPTR, $128

DATA kqnib<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL kqnib<>(SB), RODATA|NOPTR, $8

DATA kqhi2<>+0(SB)/8, $0x3030303030303030
GLOBL kqhi2<>(SB), RODATA|NOPTR, $8

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
#define KROWS(BLOCK, WB) \
row: \
	MOVQ    SI, R8; \
	MOVQ    DI, BX; \
	MOVQ    R14, CX; \
	VMOVSS  (AX), X0; \
block: \
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

// Q4K_GROUP unpacks nibble group k into Y4 (low, sub-block 2k) and Y5
// (high, 2k+1) and adds both with SUB. Y15 = 0x0f bytes.
#define Q4K_GROUP(SUB, k) \
	VMOVDQU (16+32*k)(R8), Y4; \
	VPSRLW  $4, Y4, Y5; \
	VPAND   Y15, Y4, Y4; \
	VPAND   Y15, Y5, Y5; \
	SUB(Y4, (4+64*k), (2*k), Y3); \
	SUB(Y5, (36+64*k), (2*k+1), Y10)

#define Q4K_BLOCK_AVX2 \
	Q4K_SCALES; \
	VMOVQ        R9, X1; \
	VPBROADCASTQ X1, Y1; \
	Q4K_MINS; \
	VPXOR        Y3, Y3, Y3; \
	Q4K_GROUP(Q4K_SUB_AVX2, 0); \
	Q4K_GROUP(Q4K_SUB_AVX2, 1); \
	Q4K_GROUP(Q4K_SUB_AVX2, 2); \
	Q4K_GROUP(Q4K_SUB_AVX2, 3); \
	Q4K_FINISH

// func gemvQ4KAVX2(out *float32, w *byte, stride, rows int, x *byte, nb int)
TEXT ·gemvQ4KAVX2(SB), NOSPLIT, $0-48
	KARGS
	VPBROADCASTQ kqnib<>(SB), Y15
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
	Q4K_GROUP(Q4K_SUB_VNNI, 0); \
	Q4K_GROUP(Q4K_SUB_VNNI, 1); \
	Q4K_GROUP(Q4K_SUB_VNNI, 2); \
	Q4K_GROUP(Q4K_SUB_VNNI, 3); \
	VPADDD       Y10, Y3, Y3; \
	Q4K_FINISH

// func gemvQ4KVNNI(out *float32, w *byte, stride, rows int, x *byte, nb int)
TEXT ·gemvQ4KVNNI(SB), NOSPLIT, $32-48
	KARGS
	VPBROADCASTQ kqnib<>(SB), Y15
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
	VPBROADCASTQ kqnib<>(SB), Y15; \
	VPBROADCASTQ kqhi2<>(SB), Y14

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
