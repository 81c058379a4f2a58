//go:build !noasm

#include "textflag.h"
#include "macros_amd64.h"
#include "tile_amd64.h"

// Tiled int8 GEMM, 16 weight rows x 8, 4 or 2 activation rows per call
// (fewer so that a batch of 2-7 rows does not pay for 8), AVX-512 VNNI,
// and its weight unpackers. See tileKernelRef in tile_q8q4.go for the
// layouts and what it computes; the narrow kernels do the 8-wide one's
// operations in the same order per activation, so every result equals
// its.
//
// Z0..Z7   float sums of activation j (16 rows each)
// Z8..Z15  int32 sums of the current block, activation j (the narrow
//          kernels spread an activation's k-groups over 2 or 4 of them)
// Z16..Z23 the block's weights: k-group g (4 values) of the 16 rows
// Z24      the block's 16 weight scales
//
// The macros that read arguments come before the first TEXT (vet checks a
// FP reference against the TEXT above it).

// REPACK0 is repackQ8TileAsm and repackQ4TileAsm (func(dst *byte, w
// *byte, rowBytes, rows, nb int, tab *[65536]float32): repackQ8Tile and
// repackQ4Tile for rows > 0 rows (the padding of a short group is left to
// the caller): the scale of each block by table, its values (BODY, from
// R11, WB bytes per block) stored as 4-byte groups in its row's lane.
// CONST loads BODY's constants.
#define REPACK0(CONST, BODY, WB) \
	MOVQ dst+0(FP), DI; MOVQ w+8(FP), SI; MOVQ rowBytes+16(FP), DX; \
	MOVQ rows+24(FP), R8; MOVQ nb+32(FP), R9; MOVQ tab+40(FP), R10; \
	CONST; \
row: \
	MOVQ SI, R11; \
	MOVQ DI, R12; \
	MOVQ R9, CX; \
blk: \
	MOVWLZX (R11), AX; \
	MOVL    (R10)(AX*4), AX; \
	MOVL    AX, 512(R12); \
	BODY; \
	ADDQ    $WB, R11; \
	ADDQ    $576, R12; \
	DECQ    CX; \
	JNZ     blk; \
	ADDQ    DX, SI; \
	ADDQ    $4, DI; \
	DECQ    R8; \
	JNZ     row; \
	RET

// Q8TILE is a tile kernel (tileFunc): TILE_ARGS(LOAD); per block BODY,
// which adds the block's products times its scales to the float sums;
// then bad, and STORE. Z16 = the sum of F*0 (ZR = 0) over the float sums F
// (BADS): NaN in a lane iff a result there is infinite or NaN.
#define Q8TILE(LOAD, BODY, ZR, BADS, STORE) \
	TILE_ARGS(LOAD); \
block: \
	BODY; \
	ADDQ   $576, BX; \
	ADDQ   $320, SI; \
	DECQ   CX; \
	JNZ    block; \
	VPXORD ZR, ZR, ZR; \
	BADS; \
	VCMPPS $3, Z16, Z16, K1; \
	KMOVW  K1, R9; \
	TESTL  R9, R9; \
	SETNE  bad+48(FP); \
	STORE; \
	VZEROUPPER; \
	RET

// R16 is repackQ8Tile16 or repackQ4Tile16: per block it prefetches the
// 16*WB bytes at the cursor pf, which moves on by as many (the group's
// bytes, later in memory), and BODY unpacks the values (R16_LOAD, from
// the row cursors R8..R11 at rows 0..3, R12 = 4 rows, R13 = 12 rows). CONST
// loads BODY's constants; Z31 holds the row offsets.
#define R16(CONST, BODY, WB) \
	MOVQ      dst+0(FP), DI; \
	MOVQ      w+8(FP), R8; \
	MOVQ      rowBytes+16(FP), DX; \
	MOVQ      nb+24(FP), CX; \
	MOVQ      idx+32(FP), AX; \
	MOVQ      pf+40(FP), BX; \
	VMOVDQU32 (AX), Z31; \
	LEAQ      (R8)(DX*1), R9; \
	LEAQ      (R8)(DX*2), R10; \
	LEAQ      (R9)(DX*2), R11; \
	MOVQ      DX, R12; \
	SHLQ      $2, R12; \
	LEAQ      (R12)(R12*2), R13; \
	CONST; \
rblk: \
	BODY; \
	R16_SCALES; \
	R16_NEXT(WB, rblk); \
	VZEROUPPER; \
	RET

// PFLOOP is prefetchL2 (OP PREFETCHT1) or prefetchL1 (PREFETCHT0): it
// asks for the n bytes at p (n > 0) to be brought into that cache, one
// request per 64-byte line; no faults, so p+n may run past mapped memory.
#define PFLOOP(OP) \
	MOVQ p+0(FP), SI; \
	MOVQ n+8(FP), CX; \
	ADDQ SI, CX; \
pfline: \
	OP   (SI); \
	ADDQ $64, SI; \
	CMPQ SI, CX; \
	JB   pfline; \
	RET

// SCALE(j, F, I, T, _) adds float(I) * (dw * dx_j) to F, using T.
#define SCALE(j, F, I, T, _) \
	VCVTDQ2PS     I, I; \
	VMULPS.BCST   (288+4*j)(SI), Z24, T; \
	VFMADD231PS   T, I, F

// XSUM(j, _, I, _, _) starts the int32 sum I of activation j at its
// correction sum; BADZ24/BADZ25(j, F, _, T, _) set T = F*0.
#define XSUM(j, F, I, T, _) VPBROADCASTD (256+4*j)(SI), I
#define BADZ24(j, F, I, T, _) VMULPS Z24, F, T
#define BADZ25(j, F, I, T, _) VMULPS Z25, F, T

// Q8W loads the block's weights and scales; Q8PF prefetches the next
// block of weights and activations.
#define Q8W TILE_LD8(BX, 0); VMOVUPS 512(BX), Z24
#define Q8PF PREFETCHT0 576(BX); PREFETCHT0 640(BX); PREFETCHT0 320(SI); PREFETCHT0 384(SI)

#define Q8BODY8 \
	Q8W; \
	TILE_EACH8(XSUM); \
	Q8PF; \
	TILE_G64(TILE_VNNI8, SI, 32); \
	TILE_EACH8(SCALE)

#define BADS8 \
	TILE_EACH8(BADZ24); \
	VADDPS Z17, Z16, Z16; \
	VADDPS Z19, Z18, Z18; \
	VADDPS Z21, Z20, Z20; \
	VADDPS Z23, Z22, Z22; \
	VADDPS Z18, Z16, Z16; \
	VADDPS Z22, Z20, Z20; \
	VADDPS Z20, Z16, Z16

TEXT ·tile16x8VNNI(SB), NOSPLIT, $0-49
	Q8TILE(TILE_LOAD8(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7), Q8BODY8, Z24, BADS8, TILE_STORE8(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7))

// Q8N_VNNI2 / Q8N_VNNI4(g, W, A0, A1, ...) add k-group g of the first 2 /
// 4 activations (broadcast from SI, 32 bytes apart) times the weights W
// to the int32 sums A0, ... With few activations one sum per activation
// would be a chain of 8 dependent VPDPBUSDs per block: the narrow kernels
// spread the k-groups over 2 or 4 sums per activation and add them up
// after (int32 sums in any order are exact).
#define Q8N_VNNI2(g, W, A0, A1) \
	VPDPBUSD.BCST (4*g)(SI), W, A0; \
	VPDPBUSD.BCST (32+4*g)(SI), W, A1

#define Q8N_VNNI4(g, W, A0, A1, A2, A3) \
	Q8N_VNNI2(g, W, A0, A1); \
	VPDPBUSD.BCST (64+4*g)(SI), W, A2; \
	VPDPBUSD.BCST (96+4*g)(SI), W, A3

// Q8N_G4(g, W0, W1) adds k-groups g and g+4 (weights W0, W1) of the first
// 4 activations to the sums Z8..Z11 and Z12..Z15; Q8N_G2(g, W0..W3)
// k-groups g, g+2, g+4, g+6 of the first 2 to Z8/Z9, Z10/Z11, Z12/Z13,
// Z14/Z15. ZERO2Z and ZERO4Z clear 2 or 4 registers.
#define Q8N_G4(g, W0, W1) Q8N_VNNI4(g, W0, Z8, Z9, Z10, Z11); Q8N_VNNI4((g+4), W1, Z12, Z13, Z14, Z15)
#define Q8N_G2(g, W0, W1, W2, W3) \
	Q8N_VNNI2(g, W0, Z8, Z9); \
	Q8N_VNNI2((g+2), W1, Z10, Z11); \
	Q8N_VNNI2((g+4), W2, Z12, Z13); \
	Q8N_VNNI2((g+6), W3, Z14, Z15)

#define ZERO2Z(R0, R1) VPXORD R0, R0, R0; VPXORD R1, R1, R1
#define ZERO4Z(R0, R1, R2, R3) ZERO2Z(R0, R1); ZERO2Z(R2, R3)

#define Q8BODY4 \
	Q8W; \
	Q8PF; \
	TILE_EACH4(XSUM); \
	ZERO4Z(Z12, Z13, Z14, Z15); \
	Q8N_G4(0, Z16, Z20); \
	Q8N_G4(1, Z17, Z21); \
	Q8N_G4(2, Z18, Z22); \
	Q8N_G4(3, Z19, Z23); \
	VPADDD Z12, Z8, Z8; \
	VPADDD Z13, Z9, Z9; \
	VPADDD Z14, Z10, Z10; \
	VPADDD Z15, Z11, Z11; \
	TILE_EACH4(SCALE)

#define BADS4 \
	TILE_EACH4(BADZ25); \
	VADDPS Z17, Z16, Z16; \
	VADDPS Z19, Z18, Z18; \
	VADDPS Z18, Z16, Z16

TEXT ·tile16x4VNNI(SB), NOSPLIT, $0-49
	Q8TILE(TILE_LOAD4(Z0, Z1, Z2, Z3), Q8BODY4, Z25, BADS4, TILE_STORE4(Z0, Z1, Z2, Z3))

#define Q8BODY2 \
	Q8W; \
	Q8PF; \
	TILE_EACH2(XSUM); \
	ZERO2Z(Z10, Z11); \
	ZERO4Z(Z12, Z13, Z14, Z15); \
	Q8N_G2(0, Z16, Z18, Z20, Z22); \
	Q8N_G2(1, Z17, Z19, Z21, Z23); \
	VPADDD Z10, Z8, Z8; \
	VPADDD Z11, Z9, Z9; \
	VPADDD Z14, Z12, Z12; \
	VPADDD Z15, Z13, Z13; \
	VPADDD Z12, Z8, Z8; \
	VPADDD Z13, Z9, Z9; \
	TILE_EACH2(SCALE)

#define BADS2 TILE_EACH2(BADZ25); VADDPS Z17, Z16, Z16

TEXT ·tile16x2VNNI(SB), NOSPLIT, $0-49
	Q8TILE(TILE_LOAD2(Z0, Z1), Q8BODY2, Z25, BADS2, TILE_STORE2(Z0, Z1))

// Q8XOR(i) stores the groups 2i and 2i+1 of a Q8_0 block xored with
// 0x80808080 (unsigned for VPDPBUSD).
#define Q8XOR(i) \
	MOVL 2+8*i(R11), AX; \
	MOVL 6+8*i(R11), BX; \
	XORL $0x80808080, AX; \
	XORL $0x80808080, BX; \
	MOVL AX, 128*i(R12); \
	MOVL BX, 128*i+64(R12)

#define Q8BODY Q8XOR(0); Q8XOR(1); Q8XOR(2); Q8XOR(3)

TEXT ·repackQ8TileAsm(SB), NOSPLIT, $0-48
	REPACK0(NONE, Q8BODY, 34)

// Q4NIB(R, off) stores the masked nibbles of the qword R plus 0x78 (the
// unsigned value q-8+128) as the groups at off and off+64.
#define Q4NIB(R, off) \
	ANDQ R13, R; \
	ADDQ R14, R; \
	MOVL R, off(R12); \
	SHRQ $32, R; \
	MOVL R, (off+64)(R12)

#define Q4BODY \
	MOVQ 2(R11), AX; \
	MOVQ 10(R11), BX; \
	MOVQ AX, R15; \
	Q4NIB(R15, 0); \
	MOVQ BX, R15; \
	Q4NIB(R15, 128); \
	SHRQ $4, AX; \
	Q4NIB(AX, 256); \
	SHRQ $4, BX; \
	Q4NIB(BX, 384)

#define Q4MASKS MOVQ $0x0f0f0f0f0f0f0f0f, R13; MOVQ $0x7878787878787878, R14

TEXT ·repackQ4TileAsm(SB), NOSPLIT, $0-48
	REPACK0(Q4MASKS, Q4BODY, 18)

// R16_ROWS loads the 16 bytes at off of the group's block in rows m, 4+m,
// 8+m and 12+m into the 128-bit lanes 0..3 of Z. Row 4q+m is at
// P + q*R12 (R12 = 4 rows, R13 = 12 rows), P being row m's block.
#define R16_ROWS(P, off, Z, X) \
	VMOVDQU      off(P), X; \
	VINSERTI32X4 $1, off(P)(R12*1), Z, Z; \
	VINSERTI32X4 $2, off(P)(R12*2), Z, Z; \
	VINSERTI32X4 $3, off(P)(R13*1), Z, Z

// R16_TRANSPOSE turns Z0..Z3 (R16_ROWS of rows m = 0..3) into Z0..Z3 =
// dwords 0..3 of the 16 bytes of every row, row i in dword lane i: a 4x4
// dword transpose within each 128-bit lane (lane q of Zm holds row 4q+m).
#define R16_TRANSPOSE \
	VPUNPCKLDQ  Z1, Z0, Z4; \
	VPUNPCKHDQ  Z1, Z0, Z5; \
	VPUNPCKLDQ  Z3, Z2, Z6; \
	VPUNPCKHDQ  Z3, Z2, Z7; \
	VPUNPCKLQDQ Z6, Z4, Z0; \
	VPUNPCKHQDQ Z6, Z4, Z1; \
	VPUNPCKLQDQ Z7, Z5, Z2; \
	VPUNPCKHQDQ Z7, Z5, Z3

// R16_LOAD loads and transposes the 16 bytes at off of the block of
// all 16 rows (R8..R11: rows 0..3) into Z0..Z3.
#define R16_LOAD(off) \
	R16_ROWS(R8, off, Z0, X0); \
	R16_ROWS(R9, off, Z1, X1); \
	R16_ROWS(R10, off, Z2, X2); \
	R16_ROWS(R11, off, Z3, X3); \
	R16_TRANSPOSE

// R16_SCALES stores the 16 rows' block scales (f16 at the block start,
// gathered through the row offsets in Z31) as float32 at 512(DI).
#define R16_SCALES \
	KXNORW      K1, K1, K1; \
	VPXORD      Z8, Z8, Z8; \
	VPGATHERDD  (R8)(Z31*1), K1, Z8; \
	VPMOVDW     Z8, Y8; \
	VCVTPH2PS   Y8, Z8; \
	VMOVUPS     Z8, 512(DI)

// R16_NEXT moves the four row cursors by a weight block of WB bytes, the
// prefetch cursor by 16 of them and the group by a 576-byte block, and
// loops to L.
#define R16_NEXT(WB, L) \
	ADDQ $(16*WB), BX; \
	ADDQ $WB, R8; \
	ADDQ $WB, R9; \
	ADDQ $WB, R10; \
	ADDQ $WB, R11; \
	ADDQ $576, DI; \
	DECQ CX; \
	JNZ  L

// R16_Q8OUT(Z, g) stores the int8 values Z (k-group g of the 16 rows) as
// unsigned bytes w+128 (Z29 = 0x80 bytes).
#define R16_Q8OUT(Z, g) \
	VPXORD    Z29, Z, Z; \
	VMOVDQU32 Z, (64*g)(DI)

// R16_Q4OUT(Z, g) stores the low nibbles of Z as k-group g and the high
// ones as k-group g+4, as unsigned bytes q-8+128 = q+0x78 (Z30 = 0x0f,
// Z29 = 0x78 bytes).
#define R16_Q4OUT(Z, g) \
	VPSRLD    $4, Z, Z4; \
	VPANDD    Z30, Z, Z; \
	VPANDD    Z30, Z4, Z4; \
	VPADDB    Z29, Z, Z; \
	VPADDB    Z29, Z4, Z4; \
	VMOVDQU32 Z, (64*g)(DI); \
	VMOVDQU32 Z4, (64*g+256)(DI)

// R16_PF(off) prefetches the line at off of the prefetch cursor BX.
#define R16_PF(off) PREFETCHT0 off(BX)

// R16_OUT4(OUT, g) stores Z0..Z3 with OUT as k-groups g..g+3.
#define R16_OUT4(OUT, g) \
	OUT(Z0, g); \
	OUT(Z1, (g+1)); \
	OUT(Z2, (g+2)); \
	OUT(Z3, (g+3))

// R16_PF5 and R16_PF9 prefetch the 5 or 9 lines of 16 Q4_0 or Q8_0 blocks.
#define R16_PF5 R16_PF(0); R16_PF(64); R16_PF(128); R16_PF(192); R16_PF(256)
#define R16_PF9 R16_PF5; R16_PF(320); R16_PF(384); R16_PF(448); R16_PF(512)

// R16Q8 and R16Q4 are the block bodies of repackQ8Tile16 and
// repackQ4Tile16, R16Q8C and R16Q4C their constants.
#define R16Q8 R16_PF9; R16_LOAD(2); R16_OUT4(R16_Q8OUT, 0); R16_LOAD(18); R16_OUT4(R16_Q8OUT, 4)
#define R16Q4 R16_PF5; R16_LOAD(2); R16_OUT4(R16_Q4OUT, 0)
#define R16Q8C MOVL $0x80808080, AX; VPBROADCASTD AX, Z29
#define R16Q4C MOVL $0x0f0f0f0f, AX; VPBROADCASTD AX, Z30; MOVL $0x78787878, AX; VPBROADCASTD AX, Z29

// func repackQ8Tile16(dst *byte, w *byte, rowBytes int, nb int, idx *[16]int32, pf uintptr)
TEXT ·repackQ8Tile16(SB), NOSPLIT, $0-48
	R16(R16Q8C, R16Q8, 34)

// func repackQ4Tile16(dst *byte, w *byte, rowBytes int, nb int, idx *[16]int32, pf uintptr)
TEXT ·repackQ4Tile16(SB), NOSPLIT, $0-48
	R16(R16Q4C, R16Q4, 18)

// func prefetchL2(p *byte, n int)
TEXT ·prefetchL2(SB), NOSPLIT, $0-16
	PFLOOP(PREFETCHT1)

// func prefetchL1(p *byte, n int)
TEXT ·prefetchL1(SB), NOSPLIT, $0-16
	PFLOOP(PREFETCHT0)
