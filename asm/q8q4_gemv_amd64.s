//go:build !noasm

#include "textflag.h"
#include "macros_amd64.h"

// Layout: a Q8_0 block is 34 bytes (f16 d, 32 int8), a Q4_0 block 18 bytes
// (f16 d, 16 bytes of nibbles: low = element j, high = element j+16).
//
// Every kernel keeps, per row, 8 int32 lanes holding the exact signed dot
// product of 4 element pairs each, converts them to float, and adds
// lanes*(dw*dx) into 8 float accumulators with one FMA per block. Block
// scales are converted exactly, with F16C (VCVTPH2PS, also for subnormals,
// inf and NaN) in the 1-row kernels and through a 64K-entry table in the
// multi-row ones. A weight block p is a memory operand ((R8), (SI), ...).

TAB2X16(q4shift<>, 0, 4)

// GF(2) affine matrices for VGF2P8AFFINEQB, one per qword lane: low lane
// keeps bits 0-3 of each byte, high lane moves bits 4-7 down (byte 7-i of
// a matrix selects the input bits of output bit i).
TAB2X16(gfnib<>, 0x0102040800000000, 0x1020408000000000)

CONST8(bias8<>, 0x8080808080808080)

// DOTQ is a 1-row kernel (func(w, x *byte, n int) float32): CONST loads
// the constants, XQ an activation block at DI, ROW adds a weight block of
// WB bytes; two accumulators, reduced into X0. ARGS_GEMV / ARGS_GEMM load
// the multi-row kernels' arguments (gemvPFunc, gemmTFunc; GEMM: R12 = the
// activation stride) into the registers of the multi-row section below.
// The macros that read FP precede every TEXT, so that vet checks them
// against none.
#define DOTQ(CONST, XQ, ROW, WB) \
	MOVQ   w+0(FP), SI; MOVQ x+8(FP), DI; MOVQ n+16(FP), CX; \
	CONST; \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	CMPQ   CX, $2; \
	JB     tail; \
loop2: \
	XQ; \
	ROW((SI), Y0); \
	ADDQ   $WB, SI; \
	ADDQ   $34, DI; \
	XQ; \
	ROW((SI), Y1); \
	ADDQ   $WB, SI; \
	ADDQ   $34, DI; \
	SUBQ   $2, CX; \
	CMPQ   CX, $2; \
	JAE    loop2; \
tail: \
	TESTQ  CX, CX; \
	JZ     done; \
	XQ; \
	ROW((SI), Y0); \
done: \
	VADDPS Y1, Y0, Y0; \
	HSUM8(Y0, X0, X1); \
	VZEROUPPER; \
	MOVSS  X0, ret+24(FP); \
	RET

#define ARGS_GEMV \
	MOVQ out+0(FP), AX; MOVQ w+8(FP), BX; MOVQ stride+16(FP), DX; MOVQ rows+24(FP), R13; \
	MOVQ xp+32(FP), DI; MOVQ nb+40(FP), R14; MOVQ tab+48(FP), R15

#define ARGS_GEMM \
	MOVQ out+0(FP), AX; MOVQ w+8(FP), BX; MOVQ stride+16(FP), DX; MOVQ rows+24(FP), R13; \
	MOVQ xp+32(FP), DI; MOVQ xstride+40(FP), R12; MOVQ nb+48(FP), R14; MOVQ tab+56(FP), R15

// The weight unpacks leave the (unsigned) values of block p in Y7: Q8_0
// bytes xored with 0x80 (Y15 = bias8), Q4_0 nibbles by a shift and a mask
// (Y13 = q4shift, Y14 = 0x0f bytes: [16 bytes | same 16 bytes >> 4] & 0x0f
// are the 32 nibbles in element order) or by one GF(2) affine transform
// (Y12 = gfnib).
#define UNPACK8(p) VPXOR 2 p, Y15, Y7
#define UNPACK4S(p) VBROADCASTI128 2 p, Y7; VPSRLVQ Y13, Y7, Y7; VPAND Y14, Y7, Y7
#define UNPACK4G(p) VBROADCASTI128 2 p, Y7; VGF2P8AFFINEQB $0, Y12, Y7, Y7

// F16SCALE and TSCALE add the int32 lanes V times dw*dx (dx in Y6) to
// ACC, dw the f16 at p converted by F16C or looked up in the table (R15).
#define F16SCALE(p, V, ACC) \
	VCVTDQ2PS    V, V; \
	VPBROADCASTW p, X9; \
	VCVTPH2PS    X9, Y9; \
	VMULPS       Y6, Y9, Y9; \
	VFMADD231PS  Y9, V, ACC

#define TSCALE(p, V, ACC) \
	VCVTDQ2PS    V, V; \
	MOVWLZX      p, SI; \
	VBROADCASTSS (R15)(SI*4), Y9; \
	VMULPS       Y6, Y9, Y9; \
	VFMADD231PS  Y9, V, ACC

// Q8_0 x Q8_0 on AVX2: both sides are sign-extended to int16 and multiplied
// with VPMADDWD, exact for every int8 pair (the sign trick with VPSIGNB and
// VPMADDUBSW is not: it overflows for -128). Q8MUL leaves the lanes of
// block p (x widened in Y4/Y5) in B (A the other half's products).
#define Q8MUL(p, A, B) \
	VPMOVSXBW 2 p, Y7; \
	VPMOVSXBW 18 p, Y8; \
	VPMADDWD  Y4, Y7, Y7; \
	VPMADDWD  Y5, Y8, Y8; \
	VPADDD    A, B, B

// Q4_0 x Q8_0 on AVX2: nibbles q in 0..15 are unsigned, so VPMADDUBSW(q, x)
// cannot saturate (2*15*128 < 32767); the -8 offset is applied per lane as
// -8*sum(x), computed once per activation block. Q4MUL sets D to the lanes
// of the nibbles Y7 times x (Y4) plus the corrections (Y5), ONES being
// int16 ones.
#define Q4MUL(ONES, D) \
	VPMADDUBSW Y4, Y7, Y7; \
	VPMADDWD   ONES, Y7, Y7; \
	VPADDD     Y5, Y7, D

// ---------------------------------------------------------------- multi-row
// The multi-row kernels (GEMV and GEMM) walk groups of 4 or 8 rows against
// activations prepared by prepX (72 bytes per block: values, lane
// corrections, f32 scale), so per block and row only the weight side is
// processed. With VNNI: Q8_0 one XOR (w+128), Q4_0 a GF2P8AFFINEQB (or a
// shift and an AND), then VPDPBUSD, a convert and two float ops. VPDPBUSD
// runs on EVEX ymm: a block is 256 bits and Zen 4 splits zmm ops into two
// 256-bit halves anyway. AVX2 rows use VPMADDWD/VPMADDUBSW instead.
//
// Registers: AX out, BX group base, DX stride, R8..R11 rows, R12 prefetch
// cursor, R13 rows left, R14 nb, R15 f16 table, DI x cursor, CX blocks
// left. The prefetch cursor runs sequentially through the rows 8 (Q8_0) or
// 16 (Q4_0) ahead, a few cache lines per block step, into L2 (PREFETCHT2):
// that far ahead, prefetches into L1 evicted lines before their use on
// CPUs with a 32 KB L1 (Zen 4), halving the rate from DRAM there.
// Y4 x values, Y5 lane corrections, Y6 dx, Y0..Y3 row accumulators.

// GEMVP is every multi-row kernel: ARGS and CONST load the arguments and
// the constants; per group of N rows (ROWS4 points R8..R11 at the first 4)
// PFD starts the prefetch cursor and ZERO clears the accumulators; per
// block PF prefetches, HDR loads the activation block and ROWS adds the
// rows' blocks of WB bytes; STORE writes the group's sums.
#define GEMVP(ARGS, CONST, N, WB, PFD, ZERO, PF, HDR, ROWS, STORE) \
	ARGS; \
	CONST; \
group: \
	PFD; \
	ROWS4; \
	ZERO; \
block: \
	PF; \
	HDR; \
	ROWS; \
	ADDQ $WB, R8; \
	ADDQ $WB, R9; \
	ADDQ $WB, R10; \
	ADDQ $WB, R11; \
	ADDQ $72, DI; \
	DECQ CX; \
	JNZ  block; \
	STORE; \
	LEAQ   (BX)(DX*N), BX; \
	IMUL3Q $72, R14, SI; \
	SUBQ   SI, DI; \
	SUBQ   $N, R13; \
	JNZ    group; \
	VZEROUPPER; \
	RET

// ROWS4 points R8..R11 at the group's 4 rows and CX at its block count;
// rows 4..7 of a group of 8 are rows 0..3 plus 4*stride.
#define ROWS4 \
	MOVQ BX, R8; \
	LEAQ (BX)(DX*1), R9; \
	LEAQ (BX)(DX*2), R10; \
	LEAQ (R9)(DX*2), R11; \
	MOVQ R14, CX

// PF8ROWS/PF16ROWS start the prefetch cursor R12 8 or 16 rows ahead: about
// 17 KiB for 2048-wide Q8_0 and Q4_0 rows, the distance that measured best
// for both from DRAM here. PF2/PF3 prefetch 2 or 3 lines, PFX, and move
// the cursor on by STEP bytes.
#define PF8ROWS LEAQ (BX)(DX*8), R12
#define PF16ROWS LEAQ (BX)(DX*8), R12; LEAQ (R12)(DX*8), R12
#define PF2(PFX, STEP) PREFETCHT2 (R12); PREFETCHT2 64(R12); PFX; ADDQ $(STEP), R12
#define PF3(PFX, STEP) PREFETCHT2 (R12); PREFETCHT2 64(R12); PREFETCHT2 128(R12); PFX; ADDQ $(STEP), R12

// ZERO4 / ZERO8 clear the accumulators of rows 0..3 / 0..7 (Y16..Y19: rows
// 4..7, or the second activation).
#define ZERO4 VXORPS Y0, Y0, Y0; VXORPS Y1, Y1, Y1; VXORPS Y2, Y2, Y2; VXORPS Y3, Y3, Y3
#define ZERO8 ZERO4; VPXORD Y16, Y16, Y16; VPXORD Y17, Y17, Y17; VPXORD Y18, Y18, Y18; VPXORD Y19, Y19, Y19

// STORE4 reduces the 8-float accumulators Y0..Y3 of rows 0..3 and stores the
// four sums at (AX); STORE4N then moves AX on, STORE8 does it for Y0..Y3
// and Y16..Y19.
#define STORE4 \
	VHADDPS      Y1, Y0, Y0; \
	VHADDPS      Y3, Y2, Y2; \
	VHADDPS      Y2, Y0, Y0; \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS       X1, X0, X0; \
	VMOVUPS      X0, (AX)

#define STORE4N STORE4; ADDQ $16, AX

#define STORE8 \
	STORE4; \
	VMOVAPS Y16, Y0; \
	VMOVAPS Y17, Y1; \
	VMOVAPS Y18, Y2; \
	VMOVAPS Y19, Y3; \
	ADDQ    $16, AX; \
	STORE4N

// EACH4 / EACH8 run ROW over the group's 4 or 8 rows.
#define EACH4(ROW) \
	ROW((R8), Y0); \
	ROW((R9), Y1); \
	ROW((R10), Y2); \
	ROW((R11), Y3)

#define EACH8(ROW) \
	EACH4(ROW); \
	ROW((R8)(DX*4), Y16); \
	ROW((R9)(DX*4), Y17); \
	ROW((R10)(DX*4), Y18); \
	ROW((R11)(DX*4), Y19)

// The constants: Y13 q4shift, Y10 int16 ones, Y12 gfnib, Y14 0x0f bytes,
// Y15 bias8.
#define CONST_P \
	VMOVDQU      q4shift<>(SB), Y13; \
	VPBROADCASTQ ·ones16(SB), Y10; \
	VMOVDQU      gfnib<>(SB), Y12; \
	VPBROADCASTQ ·bytes0f(SB), Y14; \
	VPBROADCASTQ bias8<>(SB), Y15

#define CONST_P8 \
	VMOVDQU      q4shift<>(SB), Y13; \
	VMOVDQU      gfnib<>(SB), Y12; \
	CONST_0F80

#define CONST_0F80 VPBROADCASTQ ·bytes0f(SB), Y14; VPBROADCASTQ bias8<>(SB), Y15
#define CONST_PAIR VPBROADCASTQ ·ones16(SB), Y10; VPBROADCASTQ ·bytes0f(SB), Y14
#define CONST_42 VMOVDQU gfnib<>(SB), Y12; VPBROADCASTQ bias8<>(SB), Y15
#define PF128 PREFETCHT2 128(R12)

// GEMV_P is GEMVP for row macros ROW(p, ACC) on groups of 4 rows; GEMV_P8
// on groups of 8 (AVX-512 only: rows 4..7 accumulate in Y16..Y19): per
// block and row it issues fewer loads (the activation block and the
// prefetches serve 8 rows), which bound the 4-row loop.
#define GEMV_P(HDR, ROW, WB, PFX, PFD) GEMVP(ARGS_GEMV, CONST_P, 4, WB, PFD, ZERO4, PF2(PFX, 4*WB), HDR, EACH4(ROW), STORE4N)
#define GEMV_P8(HDR, ROW, WB, PFX, PFD) GEMVP(ARGS_GEMV, CONST_P8, 8, WB, PFD, ZERO8, PF3(PFX, 8*WB), HDR, EACH8(ROW), STORE8)

// VNNIROW adds the row block at p, unpacked by UNPACK, into ACC.
#define VNNIROW(UNPACK, p, ACC) \
	UNPACK(p); \
	VMOVDQA  Y5, Y8; \
	VPDPBUSD Y4, Y7, Y8; \
	TSCALE(p, Y8, ACC)

#define Q8ROW_VNNI(p, ACC) VNNIROW(UNPACK8, p, ACC)
#define Q4ROW_VNNI(p, ACC) VNNIROW(UNPACK4S, p, ACC)
#define Q4ROW_GFNI(p, ACC) VNNIROW(UNPACK4G, p, ACC)

// Q8ROW_P2 is the AVX2 Q8_0 row (no VNNI): the int8 weights are widened
// to int16 and multiplied with the activations widened by HDR_W16 (exact
// for every pair). Q4ROW_P2 is the AVX2 Q4_0 row (Y10 int16 ones).
#define Q8ROW_P2(p, ACC) Q8MUL(p, Y7, Y8); TSCALE(p, Y8, ACC)
#define Q4ROW_P2(p, ACC) UNPACK4S(p); Q4MUL(Y10, Y8); TSCALE(p, Y8, ACC)

// HDR_P loads a prepared activation block: values Y4, corrections Y5, dx Y6.
#define HDR_P \
	VMOVDQU      (DI), Y4; \
	VMOVDQU      32(DI), Y5; \
	VBROADCASTSS 64(DI), Y6

// HDR_W16 loads a prepared block for Q8ROW_P2: values widened to int16 in
// Y4 (0-15) and Y5 (16-31), dx in Y6.
#define HDR_W16 \
	VPMOVSXBW    (DI), Y4; \
	VPMOVSXBW    16(DI), Y5; \
	VBROADCASTSS 64(DI), Y6

TEXT ·gemvQ8VNNI(SB), NOSPLIT, $0-56
	GEMV_P(HDR_P, Q8ROW_VNNI, 34, PF128, PF8ROWS)

TEXT ·gemvQ4VNNI(SB), NOSPLIT, $0-56
	GEMV_P(HDR_P, Q4ROW_VNNI, 18, NONE, PF16ROWS)

TEXT ·gemvQ4GFNI(SB), NOSPLIT, $0-56
	GEMV_P(HDR_P, Q4ROW_GFNI, 18, NONE, PF16ROWS)

TEXT ·gemvQ8AVX2P(SB), NOSPLIT, $0-56
	GEMV_P(HDR_W16, Q8ROW_P2, 34, PF128, PF8ROWS)

TEXT ·gemvQ4GFNI8(SB), NOSPLIT, $0-56
	GEMV_P8(HDR_P, Q4ROW_GFNI, 18, NONE, PF16ROWS)

// Q4PAIR_P2 adds the Q4_0 blocks of two rows at pA and pB to ACC, whose low
// 128 bits belong to row A and high 128 bits to row B: one register holds
// both rows' 16 bytes, so the nibble unpack and the multiplies are shared
// (7.25 instead of 9 vector ops per block and row). Y4/Y5 hold x[0:16] and
// x[16:32] in both halves, Y11 the corrections of the 4 lanes (each lane
// covers elements 4i..4i+3 and 16+4i..16+4i+3), Y10 int16 ones, Y14 0x0f.
#define Q4PAIR_P2(pA, pB, ACC) \
	VMOVDQU      2 pA, X7; \
	VINSERTI128  $1, 2 pB, Y7, Y7; \
	NIBSPLIT(Y7, Y8, Y14); \
	VPMADDUBSW   Y4, Y7, Y7; \
	VPMADDUBSW   Y5, Y8, Y8; \
	VPADDW       Y8, Y7, Y7; \
	VPMADDWD     Y10, Y7, Y7; \
	VPADDD       Y11, Y7, Y7; \
	VCVTDQ2PS    Y7, Y7; \
	PAIRSCALE(pA, pB); \
	VMULPS       Y6, Y9, Y9; \
	VFMADD231PS  Y9, Y7, ACC

// PAIRSCALE looks up the scales of the blocks at pA and pB into the low and
// high half of Y9.
#define PAIRSCALE(pA, pB) \
	MOVWLZX      pA, SI; \
	VBROADCASTSS (R15)(SI*4), X9; \
	MOVWLZX      pB, SI; \
	VBROADCASTSS (R15)(SI*4), X8; \
	VINSERTF128  $1, X8, Y9, Y9

// HDR_PAIR loads a prepared block for Q4PAIR_P2 (see there).
#define HDR_PAIR \
	VBROADCASTI128 (DI), Y4; \
	VBROADCASTI128 16(DI), Y5; \
	VMOVDQU        32(DI), X11; \
	VPADDD         48(DI), X11, X11; \
	VINSERTI128    $1, X11, Y11, Y11; \
	VBROADCASTSS   64(DI), Y6

// PAIRSUM stores the 4 row sums of the row-pair accumulators A (rows 0, 1)
// and B (rows 2, 3) at DST (XA, XB: their low halves).
#define PAIRSUM(A, B, XA, XB, DST) \
	VHADDPS      B, A, A; \
	VHADDPS      A, A, A; \
	VEXTRACTF128 $1, A, XB; \
	VUNPCKLPS    XB, XA, XA; \
	VMOVUPS      XA, DST

#define PAIRS4 \
	Q4PAIR_P2((R8), (R9), Y0); \
	Q4PAIR_P2((R10), (R11), Y1)

#define PAIRS8 \
	PAIRS4; \
	Q4PAIR_P2((R8)(DX*4), (R9)(DX*4), Y2); \
	Q4PAIR_P2((R10)(DX*4), (R11)(DX*4), Y3)

#define ZERO2 VXORPS Y0, Y0, Y0; VXORPS Y1, Y1, Y1
#define STORE_PAIRS4 PAIRSUM(Y0, Y1, X0, X1, (AX)); ADDQ $16, AX
#define STORE_PAIRS8 PAIRSUM(Y0, Y1, X0, X1, (AX)); PAIRSUM(Y2, Y3, X2, X3, 16(AX)); ADDQ $32, AX

// gemvQ4AVX2P and gemvQ4AVX2P8 run Q4PAIR_P2 on groups of 4 or 8 rows:
// row pairs 0-1, 2-3 (4-5, 6-7) in Y0, Y1 (Y2, Y3).
TEXT ·gemvQ4AVX2P(SB), NOSPLIT, $0-56
	GEMVP(ARGS_GEMV, CONST_PAIR, 4, 18, PF16ROWS, ZERO2, PF2(NONE, 72), HDR_PAIR, PAIRS4, STORE_PAIRS4)

TEXT ·gemvQ4AVX2P8(SB), NOSPLIT, $0-56
	GEMVP(ARGS_GEMV, CONST_PAIR, 8, 18, PF16ROWS, ZERO4, PF3(NONE, 144), HDR_PAIR, PAIRS8, STORE_PAIRS8)

// GEMM tiles: 4 weight rows x 2 activation rows per block step. The weight
// block is loaded, unpacked and its scale looked up once for both
// activations, which halves the loads per product of the GEMV loop (its
// bound). Rows accumulate in Y0..Y3 (activation 0) and Y16..Y19
// (activation 1); the second prepared activation is at DI+R12 (Y20 values,
// Y21 corrections, Y22 dx). Results go to out as 8 floats per group: rows
// 0..3 with activation 0, then with activation 1.

// ROW42 adds row block p times both activations to ACC0 and ACC1.
#define ROW42(UNPACK, p, ACC0, ACC1) \
	UNPACK(p); \
	VMOVDQA     Y5, Y8; \
	VPDPBUSD    Y4, Y7, Y8; \
	VMOVDQA64   Y21, Y11; \
	VPDPBUSD    Y20, Y7, Y11; \
	VCVTDQ2PS   Y8, Y8; \
	VCVTDQ2PS   Y11, Y11; \
	MOVWLZX     p, SI; \
	VBROADCASTSS (R15)(SI*4), Y9; \
	VMULPS      Y6, Y9, Y10; \
	VMULPS      Y22, Y9, Y9; \
	VFMADD231PS Y10, Y8, ACC0; \
	VFMADD231PS Y9, Y11, ACC1

#define ROWS42(UNPACK) \
	ROW42(UNPACK, (R8), Y0, Y16); \
	ROW42(UNPACK, (R9), Y1, Y17); \
	ROW42(UNPACK, (R10), Y2, Y18); \
	ROW42(UNPACK, (R11), Y3, Y19)

#define HDR42 \
	HDR_P; \
	VMOVDQU64    (DI)(R12*1), Y20; \
	VMOVDQU64    32(DI)(R12*1), Y21; \
	VBROADCASTSS 64(DI)(R12*1), Y22

TEXT ·gemm42Q8VNNI(SB), NOSPLIT, $0-64
	GEMVP(ARGS_GEMM, CONST_42, 4, 34, NONE, ZERO8, NONE, HDR42, ROWS42(UNPACK8), STORE8)

TEXT ·gemm42Q4GFNI(SB), NOSPLIT, $0-64
	GEMVP(ARGS_GEMM, CONST_42, 4, 18, NONE, ZERO8, NONE, HDR42, ROWS42(UNPACK4G), STORE8)

// ---------------------------------------------------------------- 1 row, AVX2
#define Q8ROW_AVX2(p, ACC) Q8MUL(p, Y8, Y7); F16SCALE(p, Y7, ACC)

// XQ8_AVX2 loads activation block at DI: values widened in Y4/Y5, dx in Y6.
#define XQ8_AVX2 \
	VPMOVSXBW    2(DI), Y4; \
	VPMOVSXBW    18(DI), Y5; \
	VPBROADCASTW (DI), X6; \
	VCVTPH2PS    X6, Y6

TEXT ·dotQ8AVX2(SB), NOSPLIT, $0-28
	DOTQ(NONE, XQ8_AVX2, Q8ROW_AVX2, 34)

// Q4ROW_AVX2 adds row block p (x in Y4, -8*sum(x) lanes in Y5, dx in Y6)
// into ACC. Y13 = q4shift, Y14 = 0x0f bytes, Y15 = int16 ones.
#define Q4ROW_AVX2(p, ACC) UNPACK4S(p); Q4MUL(Y15, Y7); F16SCALE(p, Y7, ACC)

// XQ4_AVX2 loads activation block at DI: values in Y4, per-lane
// -8*sum(4 values) in Y5, dx in Y6. Y12 = byte ones.
#define XQ4_AVX2 \
	VMOVDQU      2(DI), Y4; \
	VPMADDUBSW   Y4, Y12, Y5; \
	VPMADDWD     Y15, Y5, Y5; \
	VPSLLD       $3, Y5, Y5; \
	VPXOR        Y8, Y8, Y8; \
	VPSUBD       Y5, Y8, Y5; \
	VPBROADCASTW (DI), X6; \
	VCVTPH2PS    X6, Y6

#define Q4CONST_AVX2 \
	VMOVDQU      q4shift<>(SB), Y13; \
	VPBROADCASTQ ·bytes0f(SB), Y14; \
	VPBROADCASTQ ·ones16(SB), Y15; \
	VPBROADCASTQ ·ones8(SB), Y12

TEXT ·dotQ4AVX2(SB), NOSPLIT, $0-28
	DOTQ(Q4CONST_AVX2, XQ4_AVX2, Q4ROW_AVX2, 18)
