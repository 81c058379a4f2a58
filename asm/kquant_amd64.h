// The constants and macros that both kquant_gemv_amd64.s and
// kquant_gemm_amd64.s use. Each includes it, so each object holds its own
// copy of the <> constants.
//
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

// ---------------------------------------------------------------- AVX-512 constants
// Constants shared by the AVX-512 Q4_K/Q5_K kernels (GEMV and GEMM, see
// there): VPSRLVW counts (0 | 4), VPERMW word indexes of the scales and
// mins, dword shifts (0, 4); 0x3f bytes are ·bytes3f (const_amd64.s).
DATA kqsrlv<>+0(SB)/8, $0
DATA kqsrlv<>+8(SB)/8, $0
DATA kqsrlv<>+16(SB)/8, $0
DATA kqsrlv<>+24(SB)/8, $0
DATA kqsrlv<>+32(SB)/8, $0x0004000400040004
DATA kqsrlv<>+40(SB)/8, $0x0004000400040004
DATA kqsrlv<>+48(SB)/8, $0x0004000400040004
DATA kqsrlv<>+56(SB)/8, $0x0004000400040004
GLOBL kqsrlv<>(SB), RODATA|NOPTR, $64

// Word indexes: for group k, 16 words of scale 2k then 16 of 2k+1.
#define KQW(k, off, v) \
	DATA kqperm<>+(64*k+off)(SB)/8, $v

KQW(0, 0, 0x0000000000000000)
KQW(0, 8, 0x0000000000000000)
KQW(0, 16, 0x0000000000000000)
KQW(0, 24, 0x0000000000000000)
KQW(0, 32, 0x0001000100010001)
KQW(0, 40, 0x0001000100010001)
KQW(0, 48, 0x0001000100010001)
KQW(0, 56, 0x0001000100010001)
KQW(1, 0, 0x0002000200020002)
KQW(1, 8, 0x0002000200020002)
KQW(1, 16, 0x0002000200020002)
KQW(1, 24, 0x0002000200020002)
KQW(1, 32, 0x0003000300030003)
KQW(1, 40, 0x0003000300030003)
KQW(1, 48, 0x0003000300030003)
KQW(1, 56, 0x0003000300030003)
KQW(2, 0, 0x0004000400040004)
KQW(2, 8, 0x0004000400040004)
KQW(2, 16, 0x0004000400040004)
KQW(2, 24, 0x0004000400040004)
KQW(2, 32, 0x0005000500050005)
KQW(2, 40, 0x0005000500050005)
KQW(2, 48, 0x0005000500050005)
KQW(2, 56, 0x0005000500050005)
KQW(3, 0, 0x0006000600060006)
KQW(3, 8, 0x0006000600060006)
KQW(3, 16, 0x0006000600060006)
KQW(3, 24, 0x0006000600060006)
KQW(3, 32, 0x0007000700070007)
KQW(3, 40, 0x0007000700070007)
KQW(3, 48, 0x0007000700070007)
KQW(3, 56, 0x0007000700070007)
// Min word indexes (words 8..15 = m0..m7, each twice).
KQW(4, 0, 0x0009000900080008)
KQW(4, 8, 0x000b000b000a000a)
KQW(4, 16, 0x000d000d000c000c)
KQW(4, 24, 0x000f000f000e000e)
GLOBL kqperm<>(SB), RODATA|NOPTR, $288

DATA kqsrlvd<>+0(SB)/8, $0x0000000400000000
DATA kqsrlvd<>+8(SB)/8, $0
GLOBL kqsrlvd<>(SB), RODATA|NOPTR, $16

// ---------------------------------------------------------------- AVX-512 Q6_K
// On zmm, ql[64h:64h+64] holds quarters 0 and 1 of half h in its low
// nibbles and quarters 2 and 3 in its high nibbles, in x's order; the 2
// high bits come from qh[32h:32h+32] broadcast to both halves and shifted
// per half (VPSLLVW by 4|2, VPSRLVW by 0|2), masked with 0x30 and merged
// by VPTERNLOGD ((A & 0x0f) | B, imm 0xec). Every 128-bit lane then holds
// the 16 values of one scale, so VPERMW of the 16 scale words gives the
// VPDPWSSD multiplier. The -32 offset is applied through the block sums
// as on AVX2.
DATA kq6sl<>+0(SB)/8, $0x0004000400040004
DATA kq6sl<>+8(SB)/8, $0x0004000400040004
DATA kq6sl<>+16(SB)/8, $0x0004000400040004
DATA kq6sl<>+24(SB)/8, $0x0004000400040004
DATA kq6sl<>+32(SB)/8, $0x0002000200020002
DATA kq6sl<>+40(SB)/8, $0x0002000200020002
DATA kq6sl<>+48(SB)/8, $0x0002000200020002
DATA kq6sl<>+56(SB)/8, $0x0002000200020002
GLOBL kq6sl<>(SB), RODATA|NOPTR, $64

DATA kq6sr<>+0(SB)/8, $0
DATA kq6sr<>+8(SB)/8, $0
DATA kq6sr<>+16(SB)/8, $0
DATA kq6sr<>+24(SB)/8, $0
DATA kq6sr<>+32(SB)/8, $0x0002000200020002
DATA kq6sr<>+40(SB)/8, $0x0002000200020002
DATA kq6sr<>+48(SB)/8, $0x0002000200020002
DATA kq6sr<>+56(SB)/8, $0x0002000200020002
GLOBL kq6sr<>(SB), RODATA|NOPTR, $64

// Word indexes for zmm c = 0..3 (values 64c..64c+63): 8 words each of
// scales 4c, 4c+1, 4c+2, 4c+3.
#define KQ6W(c, off, v) \
	DATA kq6perm<>+(64*c+off)(SB)/8, $v

KQ6W(0, 0, 0x0000000000000000)
KQ6W(0, 8, 0x0000000000000000)
KQ6W(0, 16, 0x0001000100010001)
KQ6W(0, 24, 0x0001000100010001)
KQ6W(0, 32, 0x0002000200020002)
KQ6W(0, 40, 0x0002000200020002)
KQ6W(0, 48, 0x0003000300030003)
KQ6W(0, 56, 0x0003000300030003)
KQ6W(1, 0, 0x0004000400040004)
KQ6W(1, 8, 0x0004000400040004)
KQ6W(1, 16, 0x0005000500050005)
KQ6W(1, 24, 0x0005000500050005)
KQ6W(1, 32, 0x0006000600060006)
KQ6W(1, 40, 0x0006000600060006)
KQ6W(1, 48, 0x0007000700070007)
KQ6W(1, 56, 0x0007000700070007)
KQ6W(2, 0, 0x0008000800080008)
KQ6W(2, 8, 0x0008000800080008)
KQ6W(2, 16, 0x0009000900090009)
KQ6W(2, 24, 0x0009000900090009)
KQ6W(2, 32, 0x000a000a000a000a)
KQ6W(2, 40, 0x000a000a000a000a)
KQ6W(2, 48, 0x000b000b000b000b)
KQ6W(2, 56, 0x000b000b000b000b)
KQ6W(3, 0, 0x000c000c000c000c)
KQ6W(3, 8, 0x000c000c000c000c)
KQ6W(3, 16, 0x000d000d000d000d)
KQ6W(3, 24, 0x000d000d000d000d)
KQ6W(3, 32, 0x000e000e000e000e)
KQ6W(3, 40, 0x000e000e000e000e)
KQ6W(3, 48, 0x000f000f000f000f)
KQ6W(3, 56, 0x000f000f000f000f)
GLOBL kq6perm<>(SB), RODATA|NOPTR, $256

// Constants: Z16 0x0f bytes, Z17 0x30 bytes, Z18/Z19 shift counts,
// Z20..Z23 scale word indexes.
#define Q6CONST512 \
	VPBROADCASTQ ·bytes0f(SB), Z16; \
	VPBROADCASTQ ·bytes30(SB), Z17; \
	VMOVDQU64    kq6sl<>(SB), Z18; \
	VMOVDQU64    kq6sr<>(SB), Z19; \
	VMOVDQU64    kq6perm<>+0(SB), Z20; \
	VMOVDQU64    kq6perm<>+64(SB), Z21; \
	VMOVDQU64    kq6perm<>+128(SB), Z22; \
	VMOVDQU64    kq6perm<>+192(SB), Z23

// Q6K_UNPACK makes the 6-bit values of half h of the block at P: quarters
// 0|1 in LO, 2|3 in HI (Z24, Z25 temporaries).
#define Q6K_UNPACK(P, h, LO, HI) \
	VBROADCASTI64X4 (128+32*h)(P), Z24; \
	VMOVDQU64       (64*h)(P), LO; \
	VPSRLW          $4, LO, HI; \
	VPSLLVW         Z18, Z24, Z25; \
	VPANDD          Z17, Z25, Z25; \
	VPTERNLOGD      $0xec, Z16, Z25, LO; \
	VPSRLVW         Z19, Z24, Z25; \
	VPANDD          Z17, Z25, Z25; \
	VPTERNLOGD      $0xec, Z16, Z25, HI

// Q6K_FOLD4 reduces Z0..Z3 minus Y4..Y7 to X0 = [isum of 0, 1, 2, 3].
#define Q6K_FOLD4 \
	VEXTRACTI64X4 $1, Z0, Y8; \
	VPADDD        Y8, Y0, Y0; \
	VPSUBD        Y4, Y0, Y0; \
	VEXTRACTI64X4 $1, Z1, Y8; \
	VPADDD        Y8, Y1, Y1; \
	VPSUBD        Y5, Y1, Y1; \
	VEXTRACTI64X4 $1, Z2, Y8; \
	VPADDD        Y8, Y2, Y2; \
	VPSUBD        Y6, Y2, Y2; \
	VEXTRACTI64X4 $1, Z3, Y8; \
	VPADDD        Y8, Y3, Y3; \
	VPSUBD        Y7, Y3, Y3; \
	VPHADDD       Y1, Y0, Y0; \
	VPHADDD       Y3, Y2, Y2; \
	VPHADDD       Y2, Y0, Y0; \
	VEXTRACTI128  $1, Y0, X8; \
	VPADDD        X8, X0, X0; \
	VCVTDQ2PS     X0, X0

// ---------------------------------------------------------------- Q5_K
// Q5_K is Q4_K with qh[32] at 16 and the nibbles at 48: value l of
// sub-block j gets +16 if bit j of qh[l] is set. The bit is moved to bit 4
// of each byte with a word shift (bits crossing bytes land below bit 4 or
// are masked) and merged into the nibbles; values 0..31 keep VPMADDUBSW
// pairs below 2^15.

// Word shift counts (low half | high half) moving the fifth bits of
// sub-blocks 2k | 2k+1 to bit 4: left 4|3, left 2|1, right 0|1, right 2|3.
#define KQ5S(k, off, v) \
	DATA kq5sh<>+(64*k+off)(SB)/8, $v

KQ5S(0, 0, 0x0004000400040004)
KQ5S(0, 8, 0x0004000400040004)
KQ5S(0, 16, 0x0004000400040004)
KQ5S(0, 24, 0x0004000400040004)
KQ5S(0, 32, 0x0003000300030003)
KQ5S(0, 40, 0x0003000300030003)
KQ5S(0, 48, 0x0003000300030003)
KQ5S(0, 56, 0x0003000300030003)
KQ5S(1, 0, 0x0002000200020002)
KQ5S(1, 8, 0x0002000200020002)
KQ5S(1, 16, 0x0002000200020002)
KQ5S(1, 24, 0x0002000200020002)
KQ5S(1, 32, 0x0001000100010001)
KQ5S(1, 40, 0x0001000100010001)
KQ5S(1, 48, 0x0001000100010001)
KQ5S(1, 56, 0x0001000100010001)
KQ5S(2, 0, 0)
KQ5S(2, 8, 0)
KQ5S(2, 16, 0)
KQ5S(2, 24, 0)
KQ5S(2, 32, 0x0001000100010001)
KQ5S(2, 40, 0x0001000100010001)
KQ5S(2, 48, 0x0001000100010001)
KQ5S(2, 56, 0x0001000100010001)
KQ5S(3, 0, 0x0002000200020002)
KQ5S(3, 8, 0x0002000200020002)
KQ5S(3, 16, 0x0002000200020002)
KQ5S(3, 24, 0x0002000200020002)
KQ5S(3, 32, 0x0003000300030003)
KQ5S(3, 40, 0x0003000300030003)
KQ5S(3, 48, 0x0003000300030003)
KQ5S(3, 56, 0x0003000300030003)
GLOBL kq5sh<>(SB), RODATA|NOPTR, $256

// GF(2) affine matrices for VGF2P8AFFINEQB on a zmm: the low half keeps
// bits 0-3 of each byte, the high half moves bits 4-7 down.
DATA kqgf<>+0(SB)/8, $0x0102040800000000
DATA kqgf<>+8(SB)/8, $0x0102040800000000
DATA kqgf<>+16(SB)/8, $0x0102040800000000
DATA kqgf<>+24(SB)/8, $0x0102040800000000
DATA kqgf<>+32(SB)/8, $0x1020408000000000
DATA kqgf<>+40(SB)/8, $0x1020408000000000
DATA kqgf<>+48(SB)/8, $0x1020408000000000
DATA kqgf<>+56(SB)/8, $0x1020408000000000
GLOBL kqgf<>(SB), RODATA|NOPTR, $64
