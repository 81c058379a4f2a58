//go:build !noasm

#include "textflag.h"
#include "tile_amd64.h"

// Tiled int8 GEMM, 16 weight rows x 8 activation rows per call, AVX-512
// VNNI. See tileKernelRef in tile_q8q4.go for the layouts and what it computes.
//
// Z0..Z7   float sums of activation j (16 rows each)
// Z8..Z15  int32 sums of the current block, activation j
// Z16..Z23 the block's weights: k-group g (4 values) of the 16 rows
// Z24      the block's 16 weight scales

// SCALE(j, I, T, F) adds float(I) * (dw * dx_j) to F, using T.
#define SCALE(j, I, T, F) \
	VCVTDQ2PS     I, I; \
	VMULPS.BCST   (288+4*j)(SI), Z24, T; \
	VFMADD231PS   T, I, F

// func tile16x8VNNI(out *float32, ldo int, w *byte, x *byte, nb int, acc bool) (bad bool)
TEXT ·tile16x8VNNI(SB), NOSPLIT, $0-49
	TILE_ARGS(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)

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
	TILE_VNNI8(SI, 32, 0, Z16)
	TILE_VNNI8(SI, 32, 1, Z17)
	TILE_VNNI8(SI, 32, 2, Z18)
	TILE_VNNI8(SI, 32, 3, Z19)
	TILE_VNNI8(SI, 32, 4, Z20)
	TILE_VNNI8(SI, 32, 5, Z21)
	TILE_VNNI8(SI, 32, 6, Z22)
	TILE_VNNI8(SI, 32, 7, Z23)
	SCALE(0, Z8, Z16, Z0)
	SCALE(1, Z9, Z17, Z1)
	SCALE(2, Z10, Z18, Z2)
	SCALE(3, Z11, Z19, Z3)
	SCALE(4, Z12, Z20, Z4)
	SCALE(5, Z13, Z21, Z5)
	SCALE(6, Z14, Z22, Z6)
	SCALE(7, Z15, Z23, Z7)
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

// func repackQ8TileAsm(dst *byte, w *byte, rowBytes, rows, nb int, tab *[65536]float32)
// repackQ8Tile for rows > 0 rows (the padding of a short group is left to
// the caller): the scale of each block by table, each 4-byte group xored
// with 0x80808080 and stored in its row's lane.
TEXT ·repackQ8TileAsm(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ w+8(FP), SI
	MOVQ rowBytes+16(FP), DX
	MOVQ rows+24(FP), R8
	MOVQ nb+32(FP), R9
	MOVQ tab+40(FP), R10

q8row:
	MOVQ SI, R11
	MOVQ DI, R12
	MOVQ R9, CX

q8blk:
	MOVWLZX (R11), AX
	MOVL    (R10)(AX*4), AX
	MOVL    AX, 512(R12)
	MOVL    2(R11), AX
	MOVL    6(R11), BX
	XORL    $0x80808080, AX
	XORL    $0x80808080, BX
	MOVL    AX, (R12)
	MOVL    BX, 64(R12)
	MOVL    10(R11), AX
	MOVL    14(R11), BX
	XORL    $0x80808080, AX
	XORL    $0x80808080, BX
	MOVL    AX, 128(R12)
	MOVL    BX, 192(R12)
	MOVL    18(R11), AX
	MOVL    22(R11), BX
	XORL    $0x80808080, AX
	XORL    $0x80808080, BX
	MOVL    AX, 256(R12)
	MOVL    BX, 320(R12)
	MOVL    26(R11), AX
	MOVL    30(R11), BX
	XORL    $0x80808080, AX
	XORL    $0x80808080, BX
	MOVL    AX, 384(R12)
	MOVL    BX, 448(R12)
	ADDQ    $34, R11
	ADDQ    $576, R12
	DECQ    CX
	JNZ     q8blk
	ADDQ    DX, SI
	ADDQ    $4, DI
	DECQ    R8
	JNZ     q8row
	RET

// func repackQ4TileAsm(dst *byte, w *byte, rowBytes, rows, nb int, tab *[65536]float32)
// repackQ4Tile for rows > 0 rows, as repackQ8TileAsm.
TEXT ·repackQ4TileAsm(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ w+8(FP), SI
	MOVQ rowBytes+16(FP), DX
	MOVQ rows+24(FP), R8
	MOVQ nb+32(FP), R9
	MOVQ tab+40(FP), R10
	MOVQ $0x0f0f0f0f0f0f0f0f, R13
	MOVQ $0x7878787878787878, R14

q4row:
	MOVQ SI, R11
	MOVQ DI, R12
	MOVQ R9, CX

q4blk:
	MOVWLZX (R11), AX
	MOVL    (R10)(AX*4), AX
	MOVL    AX, 512(R12)
	MOVQ    2(R11), AX
	MOVQ    10(R11), BX
	MOVQ    AX, R15
	ANDQ    R13, R15
	ADDQ    R14, R15
	MOVL    R15, (R12)
	SHRQ    $32, R15
	MOVL    R15, 64(R12)
	MOVQ    BX, R15
	ANDQ    R13, R15
	ADDQ    R14, R15
	MOVL    R15, 128(R12)
	SHRQ    $32, R15
	MOVL    R15, 192(R12)
	SHRQ    $4, AX
	ANDQ    R13, AX
	ADDQ    R14, AX
	MOVL    AX, 256(R12)
	SHRQ    $32, AX
	MOVL    AX, 320(R12)
	SHRQ    $4, BX
	ANDQ    R13, BX
	ADDQ    R14, BX
	MOVL    BX, 384(R12)
	SHRQ    $32, BX
	MOVL    BX, 448(R12)
	ADDQ    $18, R11
	ADDQ    $576, R12
	DECQ    CX
	JNZ     q4blk
	ADDQ    DX, SI
	ADDQ    $4, DI
	DECQ    R8
	JNZ     q4row
	RET

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
