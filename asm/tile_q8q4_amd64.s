//go:build !noasm

#include "textflag.h"
#include "macros_amd64.h"
#include "tile_amd64.h"

// Tiled int8 GEMM, 16 weight rows x 8 activation rows per call, AVX-512
// VNNI. See tileKernelRef in tile_q8q4.go for the layouts and what it computes.
//
// Z0..Z7   float sums of activation j (16 rows each)
// Z8..Z15  int32 sums of the current block, activation j
// Z16..Z23 the block's weights: k-group g (4 values) of the 16 rows
// Z24      the block's 16 weight scales

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

// SCALE(j, F, I, T, _) adds float(I) * (dw * dx_j) to F, using T.
#define SCALE(j, F, I, T, _) \
	VCVTDQ2PS     I, I; \
	VMULPS.BCST   (288+4*j)(SI), Z24, T; \
	VFMADD231PS   T, I, F

TEXT ·tile16x8VNNI(SB), NOSPLIT, $0-49
	TILE_ARGS(TILE_LOAD8(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7))

block:
	TILE_LD8(BX, 0)
	VMOVUPS      512(BX), Z24
	VPBROADCASTD 256(SI), Z8
	VPBROADCASTD 260(SI), Z9
	VPBROADCASTD 264(SI), Z10
	VPBROADCASTD 268(SI), Z11
	VPBROADCASTD 272(SI), Z12
	VPBROADCASTD 276(SI), Z13
	VPBROADCASTD 280(SI), Z14
	VPBROADCASTD 284(SI), Z15
	PREFETCHT0   576(BX)
	PREFETCHT0   640(BX)
	PREFETCHT0   320(SI)
	PREFETCHT0   384(SI)
	TILE_G64(TILE_VNNI8, SI, 32)
	TILE_EACH8(SCALE)
	ADDQ $576, BX
	ADDQ $320, SI
	DECQ CX
	JNZ  block

	// Z16 = sum of acc*0 over the accumulators: NaN in a lane iff a
	// result there is infinite or NaN.
	VPXORD  Z24, Z24, Z24
	VMULPS  Z24, Z0, Z16
	VMULPS  Z24, Z1, Z17
	VMULPS  Z24, Z2, Z18
	VMULPS  Z24, Z3, Z19
	VMULPS  Z24, Z4, Z20
	VMULPS  Z24, Z5, Z21
	VMULPS  Z24, Z6, Z22
	VMULPS  Z24, Z7, Z23
	VADDPS  Z17, Z16, Z16
	VADDPS  Z19, Z18, Z18
	VADDPS  Z21, Z20, Z20
	VADDPS  Z23, Z22, Z22
	VADDPS  Z18, Z16, Z16
	VADDPS  Z22, Z20, Z20
	VADDPS  Z20, Z16, Z16
	VCMPPS  $3, Z16, Z16, K1
	KMOVW   K1, R9
	TESTL   R9, R9
	SETNE   bad+48(FP)

	TILE_STORE8(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	VZEROUPPER
	RET

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

// func prefetchL2(p *byte, n int)
// Asks for the n bytes at p (n > 0) to be brought into L2, one request
// per 64-byte line; no faults, so p+n may run past mapped memory.
TEXT ·prefetchL2(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	ADDQ SI, CX

pfline:
	PREFETCHT1 (SI)
	ADDQ       $64, SI
	CMPQ       SI, CX
	JB         pfline
	RET
