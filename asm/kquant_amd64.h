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
DATA32(kq4sh<>, 0, 0x8000800080008000)
DATA32(kq4sh<>, 32, 0x8001800180018001)
DATA32(kq4sh<>, 64, 0x8002800280028002)
DATA32(kq4sh<>, 96, 0x8003800380038003)
DATA32(kq4sh<>, 128, 0x8004800480048004)
DATA32(kq4sh<>, 160, 0x8005800580058005)
DATA32(kq4sh<>, 192, 0x8006800680068006)
DATA32(kq4sh<>, 224, 0x8007800780078007)
GLOBL kq4sh<>(SB), RODATA|NOPTR, $256

// For Q6_K quarter t (32 values, scales 2t and 2t+1 of the half): VPSHUFB
// of the half's 8 scale words (in both lanes) gives word 2t in the low lane
// and word 2t+1 in the high lane.
DATA16(kq6sh<>, 0, 0x0100010001000100)
DATA16(kq6sh<>, 16, 0x0302030203020302)
DATA16(kq6sh<>, 32, 0x0504050405040504)
DATA16(kq6sh<>, 48, 0x0706070607060706)
DATA16(kq6sh<>, 64, 0x0908090809080908)
DATA16(kq6sh<>, 80, 0x0b0a0b0a0b0a0b0a)
DATA16(kq6sh<>, 96, 0x0d0c0d0c0d0c0d0c)
DATA16(kq6sh<>, 112, 0x0f0e0f0e0f0e0f0e)
GLOBL kq6sh<>(SB), RODATA|NOPTR, $128

// ---------------------------------------------------------------- AVX-512 constants
// Constants shared by the AVX-512 Q4_K/Q5_K kernels (GEMV and GEMM, see
// there): VPSRLVW counts (0 | 4), VPERMW word indexes of the scales and
// mins, dword shifts (0, 4); 0x3f bytes are ·bytes3f (const_amd64.s).
DATA32(kqsrlv<>, 0, 0)
DATA32(kqsrlv<>, 32, 0x0004000400040004)
GLOBL kqsrlv<>(SB), RODATA|NOPTR, $64

// Word indexes: for group k, 16 words of scale 2k then 16 of 2k+1.
DATA32(kqperm<>, 0, 0x0000000000000000)
DATA32(kqperm<>, 32, 0x0001000100010001)
DATA32(kqperm<>, 64, 0x0002000200020002)
DATA32(kqperm<>, 96, 0x0003000300030003)
DATA32(kqperm<>, 128, 0x0004000400040004)
DATA32(kqperm<>, 160, 0x0005000500050005)
DATA32(kqperm<>, 192, 0x0006000600060006)
DATA32(kqperm<>, 224, 0x0007000700070007)
// Min word indexes (words 8..15 = m0..m7, each twice).
DATA kqperm<>+256(SB)/8, $0x0009000900080008
DATA kqperm<>+264(SB)/8, $0x000b000b000a000a
DATA kqperm<>+272(SB)/8, $0x000d000d000c000c
DATA kqperm<>+280(SB)/8, $0x000f000f000e000e
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
DATA32(kq6sl<>, 0, 0x0004000400040004)
DATA32(kq6sl<>, 32, 0x0002000200020002)
GLOBL kq6sl<>(SB), RODATA|NOPTR, $64

DATA32(kq6sr<>, 0, 0)
DATA32(kq6sr<>, 32, 0x0002000200020002)
GLOBL kq6sr<>(SB), RODATA|NOPTR, $64

// Word indexes for zmm c = 0..3 (values 64c..64c+63): 8 words each of
// scales 4c, 4c+1, 4c+2, 4c+3.
DATA16(kq6perm<>, 0, 0x0000000000000000)
DATA16(kq6perm<>, 16, 0x0001000100010001)
DATA16(kq6perm<>, 32, 0x0002000200020002)
DATA16(kq6perm<>, 48, 0x0003000300030003)
DATA16(kq6perm<>, 64, 0x0004000400040004)
DATA16(kq6perm<>, 80, 0x0005000500050005)
DATA16(kq6perm<>, 96, 0x0006000600060006)
DATA16(kq6perm<>, 112, 0x0007000700070007)
DATA16(kq6perm<>, 128, 0x0008000800080008)
DATA16(kq6perm<>, 144, 0x0009000900090009)
DATA16(kq6perm<>, 160, 0x000a000a000a000a)
DATA16(kq6perm<>, 176, 0x000b000b000b000b)
DATA16(kq6perm<>, 192, 0x000c000c000c000c)
DATA16(kq6perm<>, 208, 0x000d000d000d000d)
DATA16(kq6perm<>, 224, 0x000e000e000e000e)
DATA16(kq6perm<>, 240, 0x000f000f000f000f)
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
DATA32(kq5sh<>, 0, 0x0004000400040004)
DATA32(kq5sh<>, 32, 0x0003000300030003)
DATA32(kq5sh<>, 64, 0x0002000200020002)
DATA32(kq5sh<>, 96, 0x0001000100010001)
DATA32(kq5sh<>, 128, 0)
DATA32(kq5sh<>, 160, 0x0001000100010001)
DATA32(kq5sh<>, 192, 0x0002000200020002)
DATA32(kq5sh<>, 224, 0x0003000300030003)
GLOBL kq5sh<>(SB), RODATA|NOPTR, $256

// GF(2) affine matrices for VGF2P8AFFINEQB on a zmm: the low half keeps
// bits 0-3 of each byte, the high half moves bits 4-7 down.
DATA32(kqgf<>, 0, 0x0102040800000000)
DATA32(kqgf<>, 32, 0x1020408000000000)
GLOBL kqgf<>(SB), RODATA|NOPTR, $64

// KFLOAT4 does the float steps of a Q4_K/Q5_K block for 4 dot products
// (4 rows of the GEMV or 4 activations of the GEMM): their int32 lanes in
// Y0..Y3 are reduced to (isum, msum) pairs, DS sets Y12 to the matching
// (d*dx, dmin*dx) pairs, and the even lanes of SUMS get
// + isum*d*dx - msum*dmin*dx, in the reference's order.
#define KFLOAT4(DS, SUMS) \
	VPHADDD      Y1, Y0, Y0; \
	VPHADDD      Y3, Y2, Y2; \
	VPERM2I128   $0x20, Y2, Y0, Y13; \
	VPERM2I128   $0x31, Y2, Y0, Y14; \
	VPADDD       Y14, Y13, Y13; \
	VCVTDQ2PS    Y13, Y13; \
	DS; \
	VMULPS       Y12, Y13, Y13; \
	VADDPS       Y13, SUMS, SUMS; \
	VMOVSHDUP    Y13, Y13; \
	VSUBPS       Y13, SUMS, SUMS
