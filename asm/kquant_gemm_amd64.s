//go:build !noasm

#include "textflag.h"
#include "macros_amd64.h"
#include "kquant_amd64.h"

// The K-quant GEMM kernels: one weight row against 4 or 8 activation rows
// per step, each weight block unpacked once for all of them (layouts and
// the shared pieces are in kquant_amd64.h). Every kernel is a kgemm4Func
// (kquant_simd.go) and GEMMK with its constants, its row start and end
// (the running sums in and out) and its block step.
//
// Registers: AX out (row r: out+4r; activation a at +a*ldo*4), SI row, DX
// stride, R13 rows left, DI x, R12 x stride, R14 nb; per row R8 w cursor,
// BX, R9, R10, R11 the cursors of activations 0-3 (4-7 at +4*R12), CX
// blocks left.

// G4ARGS loads the arguments (kgemm4Func) and OUTS points R10 at out +
// 2*ldo (R9 = ldo in bytes). Like KARGS (kquant_gemv_amd64.s) the macros
// that read FP precede every TEXT, so that vet checks them against none.
#define G4ARGS \
	MOVQ out+0(FP), AX; MOVQ w+16(FP), SI; MOVQ stride+24(FP), DX; MOVQ rows+32(FP), R13; \
	MOVQ x+40(FP), DI; MOVQ xstride+48(FP), R12; MOVQ nb+56(FP), R14

#define OUTS \
	MOVQ ldo+8(FP), R9; \
	SHLQ $2, R9; \
	LEAQ (AX)(R9*2), R10

// SUMS4_IN gathers the running sums out[a*ldo] of 4 activations (P, P +
// ldo, R10, R10 + ldo) into X; SUMS4_OUT scatters X back.
#define SUMS4_IN(P, X) INS4((P), (P)(R9*1), (R10), (R10)(R9*1), X)

#define SUMS4_OUT(X, P) \
	VMOVSS     X, (P); \
	VEXTRACTPS $1, X, (P)(R9*1); \
	VEXTRACTPS $2, X, (R10); \
	VEXTRACTPS $3, X, (R10)(R9*1)

// CURSORS starts a row: weight and activation cursors, block count.
#define CURSORS \
	MOVQ SI, R8; \
	MOVQ DI, BX; \
	LEAQ (DI)(R12*1), R9; \
	LEAQ (DI)(R12*2), R10; \
	LEAQ (R9)(R12*2), R11; \
	MOVQ R14, CX

#define NEXTROW \
	ADDQ $4, AX; \
	ADDQ DX, SI; \
	DECQ R13

// G4START/G4END start and end a row of 4 activations whose sums are in X
// (IN/OUT: SUMS_IN/SUMS_OUT where the block step keeps them in even lanes).
#define G4START(X, IN) \
	OUTS; \
	SUMS4_IN(AX, X); \
	IN; \
	CURSORS

#define G4END(X, OUT) \
	OUT; \
	OUTS; \
	SUMS4_OUT(X, AX); \
	NEXTROW

// G8START/G8END are those of 8 activations: their sums pass through X8,
// 0-3 moved to A by MOVE and 4-7 to B; PACK0/PACK1 bring them back.
#define G8START(MOVE, A, B) \
	OUTS; \
	LEAQ (AX)(R9*4), R11; \
	SUMS4_IN(AX, X8); \
	MOVE X8, A; \
	LEAQ (R11)(R9*2), R10; \
	SUMS4_IN(R11, X8); \
	MOVE X8, B; \
	CURSORS

#define G8END(PACK0, PACK1) \
	OUTS; \
	LEAQ (AX)(R9*4), R11; \
	PACK0; \
	SUMS4_OUT(X8, AX); \
	LEAQ (R11)(R9*2), R10; \
	PACK1; \
	SUMS4_OUT(X8, R11); \
	NEXTROW

// GEMMK is every GEMM kernel: CONST loads the constants, START and END
// begin and finish a weight row, BLOCK multiplies its block at R8 (WB
// bytes) with the activations' blocks after PF prefetched the rows 4 on.
#define GEMMK(CONST, START, PF, BLOCK, WB, END) \
	G4ARGS; \
	CONST; \
row: \
	START; \
block: \
	PF; \
	BLOCK; \
	ADDQ $WB, R8; \
	ADDQ $292, BX; \
	ADDQ $292, R9; \
	ADDQ $292, R10; \
	ADDQ $292, R11; \
	DECQ CX; \
	JNZ  block; \
	END; \
	JNZ  row; \
	VZEROUPPER; \
	RET

#define PF3 PREFETCHT0 (R8)(DX*4); PREFETCHT0 64(R8)(DX*4); PREFETCHT0 128(R8)(DX*4)
#define PF4 PF3; PREFETCHT0 192(R8)(DX*4)

// The sums of 4 activations in the even lanes of Y15 or Y11, or in X15.
#define START15 G4START(X15, SUMS_IN(Y15, X15))
#define END15 G4END(X15, SUMS_OUT(Y15, X15))
#define START11 G4START(X11, SUMS_IN(Y11, X11))
#define END11 G4END(X11, SUMS_OUT(Y11, X11))

// XD4 gathers the scales of the 4 activation blocks (+IDX) into X; DXPAIRS
// into Y, each twice.
#define XD4(IDX, X) INS4((BX)IDX, (R9)IDX, (R10)IDX, (R11)IDX, X)

#define DXPAIRS(IDX, X, Y) \
	XD4(IDX, X); \
	VPMOVZXDQ X, Y; \
	VMOVSLDUP Y, Y

// ---------------------------------------------------------------- AVX-512, 4 activations
// The zmm kernels unpack the weight block (W, into registers) and
// multiply it with each activation (X(XP, ACC, MS): isum lanes into Z0..Z3,
// msum lanes into Y4..Y7, each 16 lanes of a group of sub-blocks); the 4
// dot products then share the reductions and float steps like the rows of
// gemv4Q4KVNNI. Q4_K/Q5_K registers: Z8..Z11 the values, Z26..Z29 scale
// vectors, Y30 min words, Y12..Y14 temporaries; constants Z16 0x0f bytes,
// Z17 shift counts, Z18..Z21 scale word indexes, Y22 min word indexes,
// X23..X25 the scale unpack's, Z31 0x10 bytes.
#define Q4KCONST \
	KQCONST; \
	VPBROADCASTD ·bytes3f(SB), X23; \
	VPBROADCASTQ ·bytes30(SB), X24; \
	VMOVDQU64    kqsrlvd<>(SB), X25

#define Q5KCONST Q4KCONST; VPBROADCASTQ ·bytes10(SB), Z31

// W4SC unpacks the block's scales: words in Z12 (each 128-bit lane), min
// words in Y30.
#define W4SC \
	VMOVDQU   4(R8), X12; \
	KSC(X12, X13, X14, VPANDD, VPORD, X24, X25, X16, X23); \
	VPMOVZXBW X12, Y12; \
	VPERMW    Y12, Y22, Y30

// W4SV adds the scale vectors Z26..Z29 of the nibble groups.
#define W4SV \
	W4SC; \
	VPERMW Z12, Z18, Z26; \
	VPERMW Z12, Z19, Z27; \
	VPERMW Z12, Z20, Z28; \
	VPERMW Z12, Z21, Z29

#define WQ4K \
	W4SV; \
	NIB_SRLV(R8, 16, Z8); \
	NIB_SRLV(R8, 48, Z9); \
	NIB_SRLV(R8, 80, Z10); \
	NIB_SRLV(R8, 112, Z11)

// Q5NIB makes group k of a Q5_K block (qh broadcast in Z13).
#define Q5NIB(k, SHIFT, N) \
	NIB_SRLV(R8, (48+32*k), N); \
	Q5MERGE(k, SHIFT, Z13, Z14, N)

#define WQ5K \
	W4SV; \
	VBROADCASTI64X4 16(R8), Z13; \
	Q5NIB(0, VPSLLVW, Z8); \
	Q5NIB(1, VPSLLVW, Z9); \
	Q5NIB(2, VPSRLVW, Z10); \
	Q5NIB(3, VPSRLVW, Z11)

// XMUL4 adds the values V0..V3 times the activation block at XP (+IDX)
// times the scale vectors S0..S3 into ACC (T0, T1 temporaries).
#define XMUL4(XP, IDX, ACC, V0, V1, V2, V3, S0, S1, S2, S3, T0, T1) \
	VPMADDUBSW 4(XP)IDX, V0, T0; \
	VPMADDWD   S0, T0, ACC; \
	VPMADDUBSW 68(XP)IDX, V1, T1; \
	VPDPWSSD   S1, T1, ACC; \
	VPMADDUBSW 132(XP)IDX, V2, T0; \
	VPDPWSSD   S2, T0, ACC; \
	VPMADDUBSW 196(XP)IDX, V3, T1; \
	VPDPWSSD   S3, T1, ACC

#define XQ4K(XP, ACC, MS) \
	XMUL4(XP, NONE, ACC, Z8, Z9, Z10, Z11, Z26, Z27, Z28, Z29, Z12, Z13); \
	VPMADDWD 260(XP), Y30, MS

// ACTS4 runs X for the 4 activations.
#define ACTS4(X) \
	X(BX, Z0, Y4); \
	X(R9, Z1, Y5); \
	X(R10, Z2, Y6); \
	X(R11, Z3, Y7)

// G4_DS sets Y12 to the weight block's (d, dmin) times each of the 4
// activation blocks' d, for KFLOAT4.
#define G4_DS \
	VPBROADCASTD (R8), X12; \
	VCVTPH2PS    X12, Y12; \
	DXPAIRS(NONE, X14, Y14); \
	VMULPS       Y14, Y12, Y12

// ZBLK4 is the block step of the Q4_K/Q5_K zmm kernels (sums in Y15).
#define ZBLK4(W, X) \
	W; \
	ACTS4(X); \
	FOLD4(Y12, VPHADDD); \
	KFLOAT4Y(G4_DS, Y15)

// XQ6K adds the unpacked Q6_K block (Z8..Z11, scale vectors Z26..Z29,
// scale words Y12) times the activation block at XP: isum lanes in ACC,
// 32 * sc . bsums in CR.
#define XQ6K(XP, ACC, CR) \
	Q6CORR(XP, NONE, Y12, CR); \
	XMUL4(XP, NONE, ACC, Z8, Z9, Z10, Z11, Z26, Z27, Z28, Z29, Z13, Z14)

// Q6DX sets D to the block's d times the 4 activations' (T a temporary)
// and multiplies X0 with it.
#define Q6DX(D, T) \
	VPBROADCASTW 208(R8), D; \
	VCVTPH2PS    D, D; \
	XD4(NONE, T); \
	VMULPS       T, D, D; \
	VMULPS       D, X0, X0

// Q6BLK4 is gemm4Q6KVNNI's block step (sums in X15).
#define Q6BLK4 \
	VPMOVSXBW 192(R8), Y12; \
	Q6UNPACK4(R8); \
	VPERMW    Z12, Z20, Z26; \
	VPERMW    Z12, Z21, Z27; \
	VPERMW    Z12, Z22, Z28; \
	VPERMW    Z12, Z23, Z29; \
	ACTS4(XQ6K); \
	Q6FOLD4; \
	Q6DX(X13, X14); \
	VADDPS    X0, X15, X15

TEXT ·gemm4Q4KVNNI(SB), NOSPLIT, $0-64
	GEMMK(Q4KCONST, START15, PF3, ZBLK4(WQ4K, XQ4K), 144, END15)

TEXT ·gemm4Q5KVNNI(SB), NOSPLIT, $0-64
	GEMMK(Q5KCONST, START15, PF3, ZBLK4(WQ5K, XQ4K), 176, END15)

TEXT ·gemm4Q6KVNNI(SB), NOSPLIT, $0-64
	GEMMK(Q6CONST512, G4START(X15, NONE), PF4, Q6BLK4, 210, G4END(X15, NONE))

// ---------------------------------------------------------------- AVX-512 on permuted activations
// gemm4Q4KPERM is gemm4Q4KVNNI with one VNNI multiply per 64 values instead
// of two. The activations are permuted (permQ8K) so that each 64-byte
// round r = 0..3 holds values 8r..8r+7 of sub-blocks 0,2,4,6,1,3,5,7; the
// weights of a round are gathered to the same order with one VPERMI2Q
// (qwords r, 4+r, 8+r, 12+r of the nibbles, in both halves) and one
// GF2P8AFFINEQB (low nibbles in the low half, high in the high half).
// Four VPDPBUSD then leave each sub-block in 2 int32 lanes of 16 products
// each (|sum| <= 16*15*128 < 2^15, so a lane is also its low int16 word),
// and one VPMADDWD with (sc, 0) words applies the scales.
//
// gemm4Q5KPERM is gemm4Q4KPERM for Q5_K. The fifth bits of round r are
// qh's qword r (bytes 8r..8r+7) in every qword lane, rotated (VPROLVQ) so
// that bit j of each byte lands on bit 4 for the lane's sub-block j (bits
// crossing bytes land below bit 4 or wrap into bits masked off), and
// merged with 0x10. Values up to 31 allow only 8 products per int16 lane,
// so rounds 0-1 and 2-3 are scaled separately.
//
// 4 activations: registers as gemm4Q4KVNNI, except Z8..Z11 the 4 rounds'
// weights, Z12 the lane scales, Z13 temporary, Z14 products, Z17 the GF(2)
// matrices, Z18 the lane scale word indexes, Z19 the rotations, Z26..Z29
// the rounds' qword indexes.
//
// gemm8Q4KPERM/gemm8Q5KPERM do the same for 8 activation rows: the weight
// block's unpacking is shared by twice as many dot products. Constants
// other than the two VPERMW indexes are memory operands (the 32 zmm
// registers hold the 8 activations' lanes): Z0..Z7 isum lanes and Y8..Y15
// msum lanes of activations 0-7, Z16..Z19 the rounds' weights, Z20 lane
// scales, Y21 min words, Z22/Y23 the VPERMW indexes, Z24/Z25 temporaries,
// Y26/Y27 running sums of activations 0-3/4-7 (even lanes), Z28..Z30
// temporaries.

// Word indexes: dword lane 2p, 2p+1 = (scale word of sub-block j_p, word
// 16, which is zero), j = 0,2,4,6,1,3,5,7.
RAMP4(DATA8, kqpw<>, 0, 8, 0x0010000000100000, 0x0000000200000002)
RAMP4(DATA8, kqpw<>, 32, 8, 0x0010000100100001, 0x0000000200000002)
GLOBL kqpw<>(SB), RODATA|NOPTR, $64

// Qword indexes of round r: r, 4+r, 8+r, 12+r, twice (8.. = second table).
#define KQPQ(r, a, b) \
	DATA kqpq<>+(64*r)(SB)/8, $a; \
	DATA kqpq<>+(64*r+8)(SB)/8, $(a+4); \
	DATA kqpq<>+(64*r+16)(SB)/8, $b; \
	DATA kqpq<>+(64*r+24)(SB)/8, $(b+4); \
	DATA kqpq<>+(64*r+32)(SB)/8, $a; \
	DATA kqpq<>+(64*r+40)(SB)/8, $(a+4); \
	DATA kqpq<>+(64*r+48)(SB)/8, $b; \
	DATA kqpq<>+(64*r+56)(SB)/8, $(b+4)

KQPQ(0, 0, 8)
KQPQ(1, 1, 9)
KQPQ(2, 2, 10)
KQPQ(3, 3, 11)
GLOBL kqpq<>(SB), RODATA|NOPTR, $256

DATA kq5rot<>+0(SB)/8, $4
DATA kq5rot<>+8(SB)/8, $2
DATA kq5rot<>+16(SB)/8, $0
DATA kq5rot<>+24(SB)/8, $62
DATA kq5rot<>+32(SB)/8, $3
DATA kq5rot<>+40(SB)/8, $1
DATA kq5rot<>+48(SB)/8, $63
DATA kq5rot<>+56(SB)/8, $61
GLOBL kq5rot<>(SB), RODATA|NOPTR, $64

// KPCONST loads the constants of the 4-activation kernels; ROT and TEN
// load Q5_K's extra ones.
#define KPCONST(ROT, TEN) \
	VPBROADCASTQ ·bytes0f(SB), Z16; \
	VMOVDQU64    kqgf<>(SB), Z17; \
	VMOVDQU64    kqpw<>(SB), Z18; \
	ROT; \
	VMOVDQU64    kqperm<>+256(SB), Y22; \
	VPBROADCASTD ·bytes3f(SB), X23; \
	VPBROADCASTQ ·bytes30(SB), X24; \
	VMOVDQU64    kqsrlvd<>(SB), X25; \
	LD4X64(kqpq<>, Z26, Z27, Z28, Z29); \
	TEN

#define KQ5ROT VMOVDQU64 kq5rot<>(SB), Z19
#define KQ10 VPBROADCASTQ ·bytes10(SB), Z31
#define KPCONST4 KPCONST(NONE, NONE)
#define KPCONST5 KPCONST(KQ5ROT, KQ10)
#define G8CONST VMOVDQU64 kqpw<>(SB), Z22; VMOVDQU64 kqperm<>+256(SB), Y23

// PROUND gathers round r of the nibbles (LO at QB(R8), HI at QB+64) into W
// with the qword indexes IDX (moved by MOV) and the GF(2) matrices GF.
#define PROUND(MOV, IDX, W, HI, LO, GF) \
	MOV            IDX, W; \
	VPERMI2Q       HI(R8), LO, W; \
	VGF2P8AFFINEQB $0, GF, W, W

// P5BITS merges the fifth bits of round r into W (T a temporary, ROT the
// rotations, TEN 0x10 bytes); NOBITS is Q4_K's nothing.
#define P5BITS(r, W, T, ROT, TEN) \
	VPBROADCASTQ (16+8*r)(R8), T; \
	VPROLVQ      ROT, T, T; \
	VPTERNLOGD   $0xf8, TEN, T, W

#define BITS4(r, W) P5BITS(r, W, Z14, Z19, Z31)
#define BITS8(r, W) P5BITS(r, W, Z29, kq5rot<>(SB), Z30)
#define NOBITS(r, W)

// WP4 unpacks the weight block at R8 for 4 activations (nibbles at QB,
// BITS: the fifth bits): lane scales Z12, min words Y30, rounds Z8..Z11.
#define WP4(QB, BITS) \
	W4SC; \
	VPERMW    Z12, Z18, Z12; \
	VMOVDQU64 QB(R8), Z13; \
	PROUND(VMOVDQA64, Z26, Z8, (QB+64), Z13, Z17); \
	BITS(0, Z8); \
	PROUND(VMOVDQA64, Z27, Z9, (QB+64), Z13, Z17); \
	BITS(1, Z9); \
	PROUND(VMOVDQA64, Z28, Z10, (QB+64), Z13, Z17); \
	BITS(2, Z10); \
	PROUND(VMOVDQA64, Z29, Z11, (QB+64), Z13, Z17); \
	BITS(3, Z11)

// WP8 is WP4 for 8 activations: lane scales Z20, min words Y21, rounds
// Z16..Z19; PRE loads a Q5_K constant.
#define WP8(QB, BITS, PRE) \
	VMOVDQU32 4(R8), X28; \
	KSC(X28, X29, X30, VPANDD, VPORD, ·bytes30(SB), kqsrlvd<>(SB), ·bytes0f(SB), ·bytes3f(SB)); \
	VPMOVZXBW X28, Y28; \
	VPERMW    Y28, Y23, Y21; \
	VPERMW    Z28, Z22, Z20; \
	PRE; \
	VMOVDQU64 QB(R8), Z24; \
	PROUND(VMOVDQU64, kqpq<>+0(SB), Z16, (QB+64), Z24, kqgf<>(SB)); \
	BITS(0, Z16); \
	PROUND(VMOVDQU64, kqpq<>+64(SB), Z17, (QB+64), Z24, kqgf<>(SB)); \
	BITS(1, Z17); \
	PROUND(VMOVDQU64, kqpq<>+128(SB), Z18, (QB+64), Z24, kqgf<>(SB)); \
	BITS(2, Z18); \
	PROUND(VMOVDQU64, kqpq<>+192(SB), Z19, (QB+64), Z24, kqgf<>(SB)); \
	BITS(3, Z19)

#define TEN8 VPBROADCASTQ ·bytes10(SB), Z30

// XP4/XP5 add the block's rounds W0..W3 times the permuted activation
// block at XP (+IDX) into ACC (P the products, SC the lane scales) and its
// msum lanes (min words MW) into MS; XP5 scales rounds 0-1 and 2-3
// separately.
#define XP4(XP, IDX, ACC, MS, W0, W1, W2, W3, P, SC, MW) \
	VPXORD   P, P, P; \
	VPDPBUSD 4(XP)IDX, W0, P; \
	VPDPBUSD 68(XP)IDX, W1, P; \
	VPDPBUSD 132(XP)IDX, W2, P; \
	VPDPBUSD 196(XP)IDX, W3, P; \
	VPMADDWD SC, P, ACC; \
	VPMADDWD 260(XP)IDX, MW, MS

#define XP5(XP, IDX, ACC, MS, W0, W1, W2, W3, P, SC, MW) \
	VPXORD   P, P, P; \
	VPDPBUSD 4(XP)IDX, W0, P; \
	VPDPBUSD 68(XP)IDX, W1, P; \
	VPMADDWD SC, P, ACC; \
	VPXORD   P, P, P; \
	VPDPBUSD 132(XP)IDX, W2, P; \
	VPDPBUSD 196(XP)IDX, W3, P; \
	VPDPWSSD SC, P, ACC; \
	VPMADDWD 260(XP)IDX, MW, MS

#define XQ4KP(XP, ACC, MS) XP4(XP, NONE, ACC, MS, Z8, Z9, Z10, Z11, Z14, Z12, Y30)
#define XQ5KP(XP, ACC, MS) XP5(XP, NONE, ACC, MS, Z8, Z9, Z10, Z11, Z14, Z12, Y30)

TEXT ·gemm4Q4KPERM(SB), NOSPLIT, $0-64
	GEMMK(KPCONST4, START15, PF3, ZBLK4(WP4(16, NOBITS), XQ4KP), 144, END15)

TEXT ·gemm4Q5KPERM(SB), NOSPLIT, $0-64
	GEMMK(KPCONST5, START15, PF3, ZBLK4(WP4(48, BITS4), XQ5KP), 176, END15)

// ---------------------------------------------------------------- AVX-512, 8 activations
// ACTS8 runs X for the 8 activations, FOLD8 folds their lanes.
#define ACTS8(X) \
	X(BX, NONE, Z0, Y8); \
	X(R9, NONE, Z1, Y9); \
	X(R10, NONE, Z2, Y10); \
	X(R11, NONE, Z3, Y11); \
	X(BX, (R12*4), Z4, Y12); \
	X(R9, (R12*4), Z5, Y13); \
	X(R10, (R12*4), Z6, Y14); \
	X(R11, (R12*4), Z7, Y15)

#define FOLD8(T, OP) \
	FOLD(Z0, Y0, Y8, T, OP); \
	FOLD(Z1, Y1, Y9, T, OP); \
	FOLD(Z2, Y2, Y10, T, OP); \
	FOLD(Z3, Y3, Y11, T, OP); \
	FOLD(Z4, Y4, Y12, T, OP); \
	FOLD(Z5, Y5, Y13, T, OP); \
	FOLD(Z6, Y6, Y14, T, OP); \
	FOLD(Z7, Y7, Y15, T, OP)

#define XQ8(XP, IDX, ACC, MS) XP4(XP, IDX, ACC, MS, Z16, Z17, Z18, Z19, Z25, Z20, Y21)
#define XQ8_5(XP, IDX, ACC, MS) XP5(XP, IDX, ACC, MS, Z16, Z17, Z18, Z19, Z25, Z20, Y21)

// QUAD8 does the float steps of the 4 activations (+IDX) whose lanes are
// in A0..A3 into SUMS (T0, T1, XT/YT temporaries, Y10 the block's [d,
// dmin] x4).
#define Q8DS(IDX, XT, YT) DXPAIRS(IDX, XT, YT); VMULPS YT, Y10, YT
#define QUAD8(A0, A1, A2, A3, T0, T1, XT, YT, IDX, SUMS) \
	KFLOAT4(A0, A1, A2, A3, T0, T1, Q8DS(IDX, XT, YT), YT, SUMS)

// P8BLK is the block step of gemm8Q4KPERM/gemm8Q5KPERM.
#define P8BLK(W, X) \
	W; \
	ACTS8(X); \
	FOLD8(Y28, VPHADDD); \
	VPBROADCASTD (R8), X10; \
	VCVTPH2PS    X10, Y10; \
	QUAD8(Y0, Y1, Y2, Y3, Y8, Y9, X11, Y11, NONE, Y26); \
	QUAD8(Y4, Y5, Y6, Y7, Y12, Y13, X14, Y14, (R12*4), Y27)

// The PERM kernels keep the sums in the even lanes of Y26/Y27.
#define EVEN26 VEXTRACTF32X4 $1, Y26, X9; VSHUFPS $0x88, X9, X26, X8
#define EVEN27 VEXTRACTF32X4 $1, Y27, X9; VSHUFPS $0x88, X9, X27, X8

TEXT ·gemm8Q4KPERM(SB), NOSPLIT, $0-64
	GEMMK(G8CONST, G8START(VPMOVZXDQ, Y26, Y27), PF3, P8BLK(WP8(16, NOBITS, NONE), XQ8), 144, G8END(EVEN26, EVEN27))

TEXT ·gemm8Q5KPERM(SB), NOSPLIT, $0-64
	GEMMK(G8CONST, G8START(VPMOVZXDQ, Y26, Y27), PF3, P8BLK(WP8(48, BITS8, TEN8), XQ8_5), 176, G8END(EVEN26, EVEN27))

// gemm8Q6KVNNI is gemm4Q6KVNNI for 8 activation rows per weight block.
// Registers: Z0..Z7 isum lanes and Y8..Y15 the 32 * sc . bsums lanes of
// activations 0-7, Z16..Z19 the block's values (quarters 0|1, 2|3 of each
// half), Z20..Z23 scale vectors, Y24 scale words, Z25/Z30/Z31
// temporaries, Z26 0x0f bytes, Z27 0x30 bytes, X28/X29 running sums of
// activations 0-3/4-7. VPERMW indexes are loaded into the destination
// and used with VPERMI2W; shift counts are memory operands.
#define Q6CONST8 VPBROADCASTQ ·bytes0f(SB), Z26; VPBROADCASTQ ·bytes30(SB), Z27

#define Q6SV8(c, SV) \
	VMOVDQU64 kq6perm<>+(64*c)(SB), SV; \
	VPERMI2W  Z24, Z24, SV

#define WQ6_8 \
	VPMOVSXBW 192(R8), Y24; \
	Q6UNPACK(R8, 0, Z16, Z17, Z30, Z31, kq6sl<>(SB), kq6sr<>(SB), Z27, Z26); \
	Q6UNPACK(R8, 1, Z18, Z19, Z30, Z31, kq6sl<>(SB), kq6sr<>(SB), Z27, Z26); \
	Q6SV8(0, Z20); \
	Q6SV8(1, Z21); \
	Q6SV8(2, Z22); \
	Q6SV8(3, Z23)

#define XQ6_8(XP, IDX, ACC, CR) \
	Q6CORR(XP, IDX, Y24, CR); \
	XMUL4(XP, IDX, ACC, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z25, Z25)

// QUAD6 reduces 4 activations' (+IDX) lanes A0..A3 to their isums and
// adds isum * (d*dx) to SUMS (d in X10).
#define QUAD6(A0, A1, A2, A3, XA0, XT, IDX, SUMS) \
	ISUM4(A0, A1, A2, A3, XA0, XT); \
	XD4(IDX, XT); \
	VMULPS XT, X10, XT; \
	VMULPS XT, XA0, XA0; \
	VADDPS XA0, SUMS, SUMS

#define Q6BLK8 \
	WQ6_8; \
	ACTS8(XQ6_8); \
	FOLD8(Y25, VPSUBD); \
	VPBROADCASTW 208(R8), X10; \
	VCVTPH2PS    X10, X10; \
	QUAD6(Y0, Y1, Y2, Y3, X0, X11, NONE, X28); \
	QUAD6(Y4, Y5, Y6, Y7, X4, X12, (R12*4), X29)

#define MOVE28 VMOVAPS X28, X8
#define MOVE29 VMOVAPS X29, X8

TEXT ·gemm8Q6KVNNI(SB), NOSPLIT, $0-64
	GEMMK(Q6CONST8, G8START(VMOVAPS, X28, X29), PF4, Q6BLK8, 210, G8END(MOVE28, MOVE29))

// ---------------------------------------------------------------- AVX2, 4 activations
// The AVX2 kernels unpack each weight block once per nibble group (or
// Q6_K quarter) and multiply it with the 4 activations; the 4 dot
// products share the reductions and float steps as in gemm4Q4KVNNI. The
// scales are unpacked with xmm ops (the general registers hold the 4
// activation cursors).
//
// Registers: Y0..Y3 the activations' int32 lanes, Y4..Y7 unpacked values
// and their scale words, Y8 temporary, Y9 scale bytes in every qword, Y10
// min words (Q6_K: scale words), Y11 running sums (even lanes), Y12..Y14
// temporaries (Q6_K: Y14 0x30 bytes), Y15 0x0f bytes.

// G4_SCALES unpacks the scales of the block at R8: Y9 = sc bytes in every
// qword, Y10 = the min words, each twice.
#define G4_SCALES \
	VMOVDQU      4(R8), X12; \
	KSC(X12, X13, X14, VPAND, VPOR, ·bytes30(SB), kqsrlvd<>(SB), X15, ·bytes3f(SB)); \
	VPBROADCASTQ X12, Y9; \
	VPUNPCKHQDQ  X12, X12, X10; \
	VPUNPCKLBW   X10, X10, X10; \
	VPMOVZXBW    X10, Y10

// G4_ADD adds values V (scale words S) times x at xo(XP) into ACC; G4_SET
// sets ACC (for the first sub-block).
#define G4_ADD(V, S, xo, XP, ACC) \
	VPMADDUBSW xo(XP), V, Y8; \
	VPMADDWD   S, Y8, Y8; \
	VPADDD     Y8, ACC, ACC

#define G4_SET(V, S, xo, XP, ACC) \
	VPMADDUBSW xo(XP), V, Y8; \
	VPMADDWD   S, Y8, ACC

// G4_GROUP unpacks nibble group k (see NIB_AVX2) and adds sub-blocks 2k,
// 2k+1 for the 4 activations (OP0: G4_SET or G4_ADD for the first).
#define G4_GROUP(k, QB, MERGE, OP0) \
	NIB_AVX2(k, QB, MERGE); \
	VPSHUFB kq4sh<>+(64*k)(SB), Y9, Y6; \
	VPSHUFB kq4sh<>+(64*k+32)(SB), Y9, Y7; \
	OP0(Y4, Y6, (4+64*k), BX, Y0); \
	G4_ADD(Y5, Y7, (36+64*k), BX, Y0); \
	OP0(Y4, Y6, (4+64*k), R9, Y1); \
	G4_ADD(Y5, Y7, (36+64*k), R9, Y1); \
	OP0(Y4, Y6, (4+64*k), R10, Y2); \
	G4_ADD(Y5, Y7, (36+64*k), R10, Y2); \
	OP0(Y4, Y6, (4+64*k), R11, Y3); \
	G4_ADD(Y5, Y7, (36+64*k), R11, Y3)

// G4_MSUM pairs activation XP's isum lanes A with its msum lanes.
#define G4_MSUM(XP, A) \
	VPMADDWD 260(XP), Y10, Y8; \
	VPHADDD  Y8, A, A

// Q5Gk merge the fifth bits of sub-blocks 2k, 2k+1 (qh at 16(R8)).
#define Q5G(QA, QB) \
	VMOVDQU 16(R8), Y13; \
	Q5BITS(QA, QB, Y13, Y12, ·bytes10(SB))

#define Q5G0 Q5G(QSH0, QSH1)
#define Q5G1 Q5G(QSH2, QSH3)
#define Q5G2 Q5G(QSH4, QSH5)
#define Q5G3 Q5G(QSH6, QSH7)

// G4BLK is the block step of gemm4Q4KAVX2/gemm4Q5KAVX2 (M0..M3: the
// groups' merges).
#define G4BLK(QB, M0, M1, M2, M3) \
	G4_SCALES; \
	G4_GROUP(0, QB, M0, G4_SET); \
	G4_GROUP(1, QB, M1, G4_ADD); \
	G4_GROUP(2, QB, M2, G4_ADD); \
	G4_GROUP(3, QB, M3, G4_ADD); \
	G4_MSUM(BX, Y0); \
	G4_MSUM(R9, Y1); \
	G4_MSUM(R10, Y2); \
	G4_MSUM(R11, Y3); \
	KFLOAT4Y(G4_DS, Y11)

TEXT ·gemm4Q4KAVX2(SB), NOSPLIT, $0-64
	GEMMK(AVX2CONST, START11, PF3, G4BLK(16, NONE, NONE, NONE, NONE), 144, END11)

TEXT ·gemm4Q5KAVX2(SB), NOSPLIT, $0-64
	GEMMK(AVX2CONST, START11, PF3, G4BLK(48, Q5G0, Q5G1, Q5G2, Q5G3), 176, END11)

// G6Q adds quarter t of half h (values in Y4, scale words by VPSHUFB of
// S) for the 4 activations.
#define G6Q(h, t, S, OP) \
	VPSHUFB kq6sh<>+(32*t)(SB), S, Y5; \
	OP(Y4, Y5, (4+128*h+32*t), BX, Y0); \
	OP(Y4, Y5, (4+128*h+32*t), R9, Y1); \
	OP(Y4, Y5, (4+128*h+32*t), R10, Y2); \
	OP(Y4, Y5, (4+128*h+32*t), R11, Y3)

// G6_HALF adds half h (scale words of the half in Y10).
#define G6_HALF(h, OP0) \
	VPMOVSXBW 192(R8), Y12; \
	VPERMQ    $(0x44+0xaa*h), Y12, Y10; \
	Q6HALF(h, Y6, Y7, Y9, Y4, G6Q, Y10, OP0, G4_ADD, G4_ADD, G4_ADD)

// G6_CORR subtracts 32 * sc . bsums of the activation at XP from ACC.
#define G6_CORR(XP, ACC) \
	VPMOVSXBW 192(R8), Y12; \
	Q6CORR(XP, NONE, Y12, Y12); \
	VPSUBD    Y12, ACC, ACC

#define G6BLK \
	G6_HALF(0, G4_SET); \
	G6_HALF(1, G4_ADD); \
	G6_CORR(BX, Y0); \
	G6_CORR(R9, Y1); \
	G6_CORR(R10, Y2); \
	G6_CORR(R11, Y3); \
	ISUM4(Y0, Y1, Y2, Y3, X0, X8); \
	Q6DX(X12, X13); \
	VPMOVZXDQ X0, Y0; \
	VADDPS    Y0, Y11, Y11

TEXT ·gemm4Q6KAVX2(SB), NOSPLIT, $0-64
	GEMMK(Q6CONST, START11, PF4, G6BLK, 210, END11)
