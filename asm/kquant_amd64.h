// The layouts, constants and building blocks of the K-quant kernels
// (kquant_amd64.go) that kquant_gemv_amd64.s and kquant_gemm_amd64.s
// share. Each includes it, so each object holds its own copy of the <>
// constants.
//
// Layouts (QUANTS.md): Q4_K is d, dmin f16 at 0, 12 packed 6-bit scales
// and mins at 4, 128 bytes of nibbles at 16 (group k = bytes 32k..32k+31:
// sub-block 2k in the low nibbles, 2k+1 in the high ones); Q5_K is Q4_K
// with qh[32] at 16 and the nibbles at 48 (value l of sub-block j gets +16
// if bit j of qh[l] is set); Q6_K is ql[128] at 0, qh[64] at 128, int8
// scales[16] at 192, d f16 at 208; Q8_K is d f32 at 0, 256 int8 at 4, 16
// int16 block sums at 260.
//
// Registers of every kernel: AX out, SI row, DX stride, R13 rows left, DI
// x, R14 nb; R8 the weight block, BX the activation block, CX blocks left.
// Each super-block is reduced to its exact int32 sums, then the float
// steps are those of the reference, in its order.

// Byte pairs (j, zero) repeated: VPSHUFB of the 8 scale bytes (in every
// qword) gives 16 int16 words of scale j, for sub-block j = 0..7.
RAMP8(DATA32, kq4sh<>, 0, 32, 0x8000800080008000, 0x0001000100010001)
GLOBL kq4sh<>(SB), RODATA|NOPTR, $256

// For Q6_K quarter t (32 values, scales 2t and 2t+1 of the half): VPSHUFB
// of the half's 8 scale words (in both lanes) gives word 2t in the low lane
// and word 2t+1 in the high lane.
RAMP8(DATA16, kq6sh<>, 0, 16, 0x0100010001000100, 0x0202020202020202)
GLOBL kq6sh<>(SB), RODATA|NOPTR, $128

// AVX-512 Q4_K/Q5_K: VPSRLVW counts (0 | 4), VPERMW word indexes of the
// scales and mins, dword shifts (0, 4); 0x3f bytes are ·bytes3f
// (const_amd64.s).
TAB2X32(kqsrlv<>, 0, 0x0004000400040004)

// Word indexes: for group k, 16 words of scale 2k then 16 of 2k+1.
RAMP8(DATA32, kqperm<>, 0, 32, 0, 0x0001000100010001)
// Min word indexes (words 8..15 = m0..m7, each twice).
RAMP4(DATA8, kqperm<>, 256, 8, 0x0009000900080008, 0x0002000200020002)
GLOBL kqperm<>(SB), RODATA|NOPTR, $288

DATA kqsrlvd<>+0(SB)/8, $0x0000000400000000
DATA kqsrlvd<>+8(SB)/8, $0
GLOBL kqsrlvd<>(SB), RODATA|NOPTR, $16

// Word shift counts (low half | high half) moving the fifth bits of
// sub-blocks 2k | 2k+1 to bit 4: left 4|3, left 2|1, right 0|1, right 2|3.
RAMP4(DATA32, kq5sh<>, 0, 32, 0x0004000400040004, -0x0001000100010001)
RAMP4(DATA32, kq5sh<>, 128, 32, 0, 0x0001000100010001)
GLOBL kq5sh<>(SB), RODATA|NOPTR, $256

// GF(2) affine matrices for VGF2P8AFFINEQB on a zmm: the low half keeps
// bits 0-3 of each byte, the high half moves bits 4-7 down.
TAB2X32(kqgf<>, 0x0102040800000000, 0x1020408000000000)

// AVX-512 Q6_K: on zmm, ql[64h:64h+64] holds quarters 0 and 1 of half h in
// its low nibbles and quarters 2 and 3 in its high nibbles, in x's order;
// the 2 high bits come from qh[32h:32h+32] broadcast to both halves and
// shifted per half (VPSLLVW by 4|2, VPSRLVW by 0|2), masked with 0x30 and
// merged by VPTERNLOGD ((A & 0x0f) | B, imm 0xec). Every 128-bit lane then
// holds the 16 values of one scale, so VPERMW of the 16 scale words gives
// the VPDPWSSD multiplier. The -32 offset is applied through the block
// sums as on AVX2.
TAB2X32(kq6sl<>, 0x0004000400040004, 0x0002000200020002)
TAB2X32(kq6sr<>, 0, 0x0002000200020002)

// Word indexes for zmm c = 0..3 (values 64c..64c+63): 8 words each of
// scales 4c, 4c+1, 4c+2, 4c+3.
RAMP8(DATA16, kq6perm<>, 0, 16, 0, 0x0001000100010001)
RAMP8(DATA16, kq6perm<>, 128, 16, 0x0008000800080008, 0x0001000100010001)
GLOBL kq6perm<>(SB), RODATA|NOPTR, $256

// ---------------------------------------------------------------- building blocks
// KSC unpacks the 12 packed scale bytes in S (from byte 0 of each 128-bit
// lane) to sc0..7 in bytes 0..7 and m0..7 in bytes 8..15, per lane:
// sc[0:4] = A&63, m[0:4] = B&63, sc[4:8] = C&15 | (A>>6)<<4, m[4:8] =
// C>>4 | (B>>6)<<4 for the dwords A, B, C. AND/OR are the VEX or EVEX
// mnemonics, C30/CSRLV/C0F/C3F the 0x30 bytes, kqsrlvd, 0x0f and 0x3f
// bytes (registers or memory), T and U temporaries.
#define KSC(S, T, U, AND, OR, C30, CSRLV, C0F, C3F) \
	VPSRLD     $2, S, T; \
	AND        C30, T, T; \
	VPSHUFD    $0xaa, S, U; \
	VPSRLVD    CSRLV, U, U; \
	AND        C0F, U, U; \
	OR         U, T, T; \
	AND        C3F, S, S; \
	VPUNPCKLDQ T, S, S

// INS4 gathers the dwords A0..A3 into X.
#define INS4(A0, A1, A2, A3, X) \
	VMOVD   A0, X; \
	VPINSRD $1, A1, X, X; \
	VPINSRD $2, A2, X, X; \
	VPINSRD $3, A3, X, X

// FOLD folds the isum lanes ZA to 8 (YA) and combines them with MS by OP:
// VPHADDD pairs them with msum lanes, VPSUBD subtracts a Q6_K correction
// (VPHADDD has no EVEX form: Y0..Y15 only). T is a temporary.
#define FOLD(ZA, YA, MS, T, OP) \
	VEXTRACTI64X4 $1, ZA, T; \
	VPADDD        T, YA, YA; \
	OP            MS, YA, YA

// FOLD4 folds Z0..Z3 with Y4..Y7.
#define FOLD4(T, OP) \
	FOLD(Z0, Y0, Y4, T, OP); \
	FOLD(Z1, Y1, Y5, T, OP); \
	FOLD(Z2, Y2, Y6, T, OP); \
	FOLD(Z3, Y3, Y7, T, OP)

// ISUM4 reduces the 8 int32 lanes of each of A0..A3 to X(A0) = [float
// sums of A0, A1, A2, A3] (XA0 is A0's low half, XT a temporary).
#define ISUM4(A0, A1, A2, A3, XA0, XT) \
	VPHADDD      A1, A0, A0; \
	VPHADDD      A3, A2, A2; \
	VPHADDD      A2, A0, A0; \
	VEXTRACTI128 $1, A0, XT; \
	VPADDD       XT, XA0, XA0; \
	VCVTDQ2PS    XA0, XA0

// KFLOAT4 does the float steps of a Q4_K/Q5_K block for 4 dot products
// (4 rows of a GEMV or 4 activations of a GEMM): their int32 lanes in
// A0..A3 (pairs of isum, msum lanes) are reduced to (isum, msum) pairs in
// T0 (T1 a temporary), DS sets D to the matching (d*dx, dmin*dx) pairs,
// and the even lanes of SUMS get + isum*d*dx - msum*dmin*dx, in the
// reference's order.
#define KFLOAT4(A0, A1, A2, A3, T0, T1, DS, D, SUMS) \
	VPHADDD    A1, A0, A0; \
	VPHADDD    A3, A2, A2; \
	VPERM2I128 $0x20, A2, A0, T0; \
	VPERM2I128 $0x31, A2, A0, T1; \
	VPADDD     T1, T0, T0; \
	VCVTDQ2PS  T0, T0; \
	DS; \
	VMULPS     D, T0, T0; \
	VADDPS     T0, SUMS, SUMS; \
	VMOVSHDUP  T0, T0; \
	VSUBPS     T0, SUMS, SUMS

// KFLOAT4Y is KFLOAT4 for the lanes in Y0..Y3 with D in Y12.
#define KFLOAT4Y(DS, SUMS) KFLOAT4(Y0, Y1, Y2, Y3, Y13, Y14, DS, Y12, SUMS)

// NIB_SRLV sets N to sub-blocks 2k | 2k+1 from the nibble group at off(P)
// (Z17 the shift counts 0 | 4, Z16 0x0f bytes).
#define NIB_SRLV(P, off, N) \
	VBROADCASTI64X4 off(P), N; \
	VPSRLVW         Z17, N, N; \
	VPANDD          Z16, N, N

// Q5MERGE merges the fifth bits of group k (qh broadcast in QH) into N,
// shifted by SHIFT (VPSLLVW or VPSRLVW) with the counts of k; T is a
// temporary, Z31 0x10 bytes.
#define Q5MERGE(k, SHIFT, QH, T, N) \
	SHIFT      kq5sh<>+(64*k)(SB), QH, T; \
	VPTERNLOGD $0xf8, Z31, T, N

// QSHj(S, D) sets D to the qh bytes S shifted so that bit j is at bit 4
// (word shifts: bits crossing bytes land below bit 4 or are masked off).
#define QSH0(S, D) VPSLLW $4, S, D
#define QSH1(S, D) VPSLLW $3, S, D
#define QSH2(S, D) VPSLLW $2, S, D
#define QSH3(S, D) VPSLLW $1, S, D
#define QSH4(S, D) VMOVDQU S, D
#define QSH5(S, D) VPSRLW $1, S, D
#define QSH6(S, D) VPSRLW $2, S, D
#define QSH7(S, D) VPSRLW $3, S, D

// Q5BITS merges the fifth bits of sub-blocks 2k and 2k+1 (QA, QB: their
// QSHj) from the qh bytes QH into Y4 and Y5 (on AVX2); M is 0x10 bytes, T
// a temporary.
#define Q5BITS(QA, QB, QH, T, M) \
	QA(QH, T); \
	VPAND M, T, T; \
	VPOR  T, Y4, Y4; \
	QB(QH, T); \
	VPAND M, T, T; \
	VPOR  T, Y5, Y5

// Q6HALF makes the 4 quarters of half h of the Q6_K block at R8 on AVX2
// (ql[64h:] in L0 and L1, qh[32h:] in H) into V and hands each to
// Q(h, t, S, P_t). Quarter t's values are t=0: ql[l]&15 | (qh[l]&3)<<4,
// t=1: ql[l+32]&15 | (qh[l]>>2&3)<<4, t=2: ql[l]>>4 | (qh[l]>>4&3)<<4,
// t=3: ql[l+32]>>4 | (qh[l]>>6)<<4. Y15 = 0x0f bytes, Y14 = 0x30 bytes,
// Y8 a temporary; shifts are per word, the masks drop the bits that cross
// bytes.
#define Q6HALF(h, L0, L1, H, V, Q, S, P0, P1, P2, P3) \
	VMOVDQU (64*h)(R8), L0; \
	VMOVDQU (64*h+32)(R8), L1; \
	VMOVDQU (128+32*h)(R8), H; \
	VPAND   Y15, L0, V; \
	VPSLLW  $4, H, Y8; \
	VPAND   Y14, Y8, Y8; \
	VPOR    Y8, V, V; \
	Q(h, 0, S, P0); \
	VPAND   Y15, L1, V; \
	VPSLLW  $2, H, Y8; \
	VPAND   Y14, Y8, Y8; \
	VPOR    Y8, V, V; \
	Q(h, 1, S, P1); \
	VPSRLW  $4, L0, V; \
	VPAND   Y15, V, V; \
	VPAND   Y14, H, Y8; \
	VPOR    Y8, V, V; \
	Q(h, 2, S, P2); \
	VPSRLW  $4, L1, V; \
	VPAND   Y15, V, V; \
	VPSRLW  $2, H, Y8; \
	VPAND   Y14, Y8, Y8; \
	VPOR    Y8, V, V; \
	Q(h, 3, S, P3)

// LD4X64 loads the 4 zmm of the table at sym into A..D.
#define LD4X64(sym, A, B, C, D) \
	VMOVDQU64 sym+0(SB), A; \
	VMOVDQU64 sym+64(SB), B; \
	VMOVDQU64 sym+128(SB), C; \
	VMOVDQU64 sym+192(SB), D

// Q6CONST512 loads the AVX-512 Q6_K constants: Z16 0x0f bytes, Z17 0x30
// bytes, Z18/Z19 shift counts, Z20..Z23 scale word indexes.
#define Q6CONST512 \
	VPBROADCASTQ ·bytes0f(SB), Z16; \
	VPBROADCASTQ ·bytes30(SB), Z17; \
	VMOVDQU64    kq6sl<>(SB), Z18; \
	VMOVDQU64    kq6sr<>(SB), Z19; \
	LD4X64(kq6perm<>, Z20, Z21, Z22, Z23)

// Q6UNPACK makes the 6-bit values of half h of the block at P on zmm:
// quarters 0|1 in LO, 2|3 in HI. QH and T are temporaries; SL/SR the shift
// counts, M30 and M0F the 0x30 and 0x0f bytes (registers or memory).
#define Q6UNPACK(P, h, LO, HI, QH, T, SL, SR, M30, M0F) \
	VBROADCASTI64X4 (128+32*h)(P), QH; \
	VMOVDQU64       (64*h)(P), LO; \
	VPSRLW          $4, LO, HI; \
	VPSLLVW         SL, QH, T; \
	VPANDD          M30, T, T; \
	VPTERNLOGD      $0xec, M0F, T, LO; \
	VPSRLVW         SR, QH, T; \
	VPANDD          M30, T, T; \
	VPTERNLOGD      $0xec, M0F, T, HI

// Q6UNPACK4 unpacks the block at P into Z8..Z11 with Q6CONST512's
// registers.
#define Q6UNPACK4(P) \
	Q6UNPACK(P, 0, Z8, Z9, Z24, Z25, Z18, Z19, Z17, Z16); \
	Q6UNPACK(P, 1, Z10, Z11, Z24, Z25, Z18, Z19, Z17, Z16)

// Q6FOLD4 reduces Z0..Z3 minus Y4..Y7 to X0 = [float isums of 0, 1, 2, 3].
#define Q6FOLD4 \
	FOLD4(Y8, VPSUBD); \
	ISUM4(Y0, Y1, Y2, Y3, X0, X8)

// KQCONST loads the constants of the AVX-512 Q4_K/Q5_K kernels: Z16 0x0f
// bytes, Z17 the shift counts 0 | 4, Z18..Z21 scale word indexes, Y22 min
// word indexes.
#define KQCONST \
	VPBROADCASTQ ·bytes0f(SB), Z16; \
	VMOVDQU64    kqsrlv<>(SB), Z17; \
	LD4X64(kqperm<>, Z18, Z19, Z20, Z21); \
	VMOVDQU64    kqperm<>+256(SB), Y22

// NIB_AVX2 unpacks nibble group k of the block at R8 (QB: 16 for Q4_K, 48
// for Q5_K) into Y4 (sub-block 2k) and Y5 (2k+1) and lets MERGE add
// Q5_K's fifth bits. Y15 = 0x0f bytes.
#define NIB_AVX2(k, QB, MERGE) \
	VMOVDQU (QB+32*k)(R8), Y4; \
	NIBSPLIT(Y4, Y5, Y15); \
	MERGE

// SUMS_IN spreads the 4 running sums in X to the even lanes of Y;
// SUMS_OUT packs them back (X13 a temporary).
#define SUMS_IN(Y, X) VPMOVZXDQ X, Y
#define SUMS_OUT(Y, X) VEXTRACTF128 $1, Y, X13; VSHUFPS $0x88, X13, X, X

// Q6CORR sets CR to 32 * the Q6_K scale words SW . the block sums of the
// activation at XP (+IDX): the -32 offset, applied through the sums.
#define Q6CORR(XP, IDX, SW, CR) \
	VPMADDWD 260(XP)IDX, SW, CR; \
	VPSLLD   $5, CR, CR

// The AVX2 constants: Y15 0x0f bytes (Q6CONST: and Y14 0x30 bytes).
#define AVX2CONST VPBROADCASTQ ·bytes0f(SB), Y15
#define Q6CONST AVX2CONST; VPBROADCASTQ ·bytes30(SB), Y14
