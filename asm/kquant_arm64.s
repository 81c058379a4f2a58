//go:build !noasm

#include "textflag.h"
#include "macros_arm64.h"

// K-quant kernels for arm64 (see kquant_arm64.go); layouts as in
// kquant_amd64.h. Each super-block is reduced to its exact int32 sums
// (SDOT, or SMULL/SADALP without the dot-product extension), then the
// float steps are the reference's, in its order. The GEMV kernels are
// kgemvFunc, the GEMM kernels kgemm4Func (kquant_simd.go).
//
// Registers: R0 out, R1 row, R2 stride, R3 rows left, R4 x, R5 nb; per row
// R6 w block, R7 x block, R8 blocks left, F28 the running sum.

#define DOT4S(d, n, m) SDOT(d, n, m)
#define DOT4N(d, n, m) DOTN(d, n, m, 6, 7)
#define DOT6S(d, n, m) SDOT(d, n, m)
#define DOT6N(d, n, m) DOTN(d, n, m, 26, 27)

// KARGS and G4ARGS load the arguments of the GEMV and GEMM kernels; they
// precede every TEXT, so that vet checks them against none.
#define KARGS \
	MOVD out+0(FP), R0; MOVD w+8(FP), R1; MOVD stride+16(FP), R2; \
	MOVD rows+24(FP), R3; MOVD x+32(FP), R4; MOVD nb+40(FP), R5

#define G4ARGS \
	MOVD out+0(FP), R0; MOVD ldo+8(FP), R23; LSL $2, R23; MOVD w+16(FP), R1; MOVD stride+24(FP), R2; \
	MOVD rows+32(FP), R3; MOVD x+40(FP), R4; MOVD xstride+48(FP), R19; MOVD nb+56(FP), R5

// KROWS is the body of the GEMV kernels: CONST loads the constants, BLOCK
// adds a block of WB bytes into F28.
#define KROWS(CONST, BLOCK, WB) \
	KARGS; \
	CONST; \
row: \
	MOVD  R1, R6; \
	MOVD  R4, R7; \
	MOVD  R5, R8; \
	FMOVS (R0), F28; \
block: \
	BLOCK; \
	ADD   $WB, R6; \
	ADD   $292, R7; \
	SUB   $1, R8; \
	CBNZ  R8, block; \
	FMOVS F28, (R0); \
	ADD   $4, R0; \
	ADD   R2, R1; \
	SUB   $1, R3; \
	CBNZ  R3, row; \
	RET

// F16S loads the f16 at off(R6) into F, as f32 (exact).
#define F16S(off, F) \
	MOVHU  off(R6), R13; \
	FMOVS  R13, F; \
	FCVTHS F, F

// ---------------------------------------------------------------- Q4_K, Q5_K
// KSC_HALF makes 4 scales (or mins) from the packed words A and C into the
// low word of LO and 4 more into its high word (SWAR as on amd64, see
// KSC): LO = A&63, HI = C'&15 | (A>>6)<<4, where CPRE sets C' (T a
// temporary).
#define KSC_HALF(A, C, LO, HI, T, CPRE) \
	ANDW $0x3f3f3f3f, A, LO; \
	LSRW $2, A, HI; \
	ANDW $0x30303030, HI, HI; \
	CPRE; \
	ANDW $0x0f0f0f0f, C, T; \
	ORRW T, HI, HI; \
	ORR  HI<<32, LO, LO

#define C4R17 LSRW $4, R13, R17

// KSC_UNPACK unpacks the scales and mins of the Q4_K/Q5_K block at R6
// into V20 = [sc0..7, m0..7] bytes, V21 sc words, V22 m words, V23 sc0..3
// and V24 sc4..7 as int32.
#define KSC_UNPACK \
	MOVWU  4(R6), R11; \
	MOVWU  8(R6), R12; \
	MOVWU  12(R6), R13; \
	KSC_HALF(R11, R13, R14, R15, R16, NONE); \
	KSC_HALF(R12, R17, R15, R16, R17, C4R17); \
	VMOV   R14, V20.D[0]; \
	VMOV   R15, V20.D[1]; \
	VUXTL  V20.B8, V21.H8; \
	VUXTL2 V20.B16, V22.H8; \
	VUXTL  V21.H4, V23.S4; \
	VUXTL2 V21.H8, V24.S4

// KNIB unpacks nibble group k (32 bytes at R9, advanced) into V2, V3 (low
// nibbles: sub-block 2k) and V4, V5 (high: 2k+1); XLD loads the GEMV's
// activation values, MERGE(QA, QB) adds Q5_K's fifth bits. V29 = 0x0f
// bytes.
#define KNIB(XLD, MERGE, QA, QB) \
	VLD1.P 32(R9), [V0.B16, V1.B16]; \
	XLD; \
	VAND   V29.B16, V0.B16, V2.B16; \
	VAND   V29.B16, V1.B16, V3.B16; \
	VUSHR  $4, V0.B16, V4.B16; \
	VUSHR  $4, V1.B16, V5.B16; \
	MERGE(QA, QB)

// Q5_K: the fifth bit of value l of sub-block j is bit j of qh[l] (qh at
// 16, nibbles at 48). QBj shifts the qh bytes H so that bit j is at bit 4
// of V26 (byte-wise shifts); Q5BIT merges it (V25 = 0x10 bytes) into the
// values V; Q5MERGE does it for the 4 value registers (qh in V30, V31).
#define QB0(H) VSHL $4, H, V26.B16
#define QB1(H) VSHL $3, H, V26.B16
#define QB2(H) VSHL $2, H, V26.B16
#define QB3(H) VSHL $1, H, V26.B16
#define QB4(H) VORR H, H, V26.B16
#define QB5(H) VUSHR $1, H, V26.B16
#define QB6(H) VUSHR $2, H, V26.B16
#define QB7(H) VUSHR $3, H, V26.B16

#define Q5BIT(V) \
	VAND V25.B16, V26.B16, V26.B16; \
	VORR V26.B16, V, V

#define Q5MERGE(QA, QB) \
	QA(V30.B16); \
	Q5BIT(V2.B16); \
	QA(V31.B16); \
	Q5BIT(V3.B16); \
	QB(V30.B16); \
	Q5BIT(V4.B16); \
	QB(V31.B16); \
	Q5BIT(V5.B16)

#define NOMERGE(QA, QB)

#define Q5K_PRE \
	ADD   $16, R6, R11; \
	VLD1  (R11), [V30.B16, V31.B16]; \
	VMOVI $16, V25.B16

// KGROUP adds nibble group (a, b: its sub-blocks' sums V(a), V(b)) times
// x (64 bytes at R10, advanced).
#define XLD64 VLD1.P 64(R10), [V16.B16, V17.B16, V18.B16, V19.B16]

#define KGROUP(DOT, MERGE, a, b, QA, QB) \
	KNIB(XLD64, MERGE, QA, QB); \
	DOT(a, 2, 16); \
	DOT(a, 3, 17); \
	DOT(b, 4, 18); \
	DOT(b, 5, 19)

// KMSUM sets V(d) to the msum lanes of the block sums at R10: msum = m .
// (pairwise sums of the bsums), the m words in V22.
#define KMSUM(d) \
	VLD1  (R10), [V25.H8, V26.H8]; \
	VADDP V26.H8, V25.H8, V25.H8; \
	SMULL4H(d, 22, 25); \
	SMLAL2H(d, 22, 25)

// KBLOCK is one Q4_K/Q5_K block of the GEMV (QOFF: the nibbles' offset,
// PRE loads Q5_K's qh): the sub-block sums s_j in V8..V15 are pairwise
// added to [s0..s3], [s4..s7] and multiplied with the scales.
#define KBLOCK(DOT, MERGE, QOFF, PRE) \
	KSC_UNPACK; \
	ZERO4(V8.B16, V9.B16, V10.B16, V11.B16); \
	ZERO4(V12.B16, V13.B16, V14.B16, V15.B16); \
	ADD    $QOFF, R6, R9; \
	ADD    $4, R7, R10; \
	PRE; \
	KGROUP(DOT, MERGE, 8, 9, QB0, QB1); \
	KGROUP(DOT, MERGE, 10, 11, QB2, QB3); \
	KGROUP(DOT, MERGE, 12, 13, QB4, QB5); \
	KGROUP(DOT, MERGE, 14, 15, QB6, QB7); \
	ADDP4(V8.S4, V9.S4, V10.S4, V11.S4); \
	ADDP4(V12.S4, V13.S4, V14.S4, V15.S4); \
	MUL4S(8, 8, 23); \
	MLA4S(8, 12, 24); \
	VADDV  V8.S4, V8; \
	KMSUM(27); \
	VADDV  V27.S4, V27; \
	FMOVS  F8, R11; \
	SCVTFWS R11, F8; \
	FMOVS  F27, R12; \
	SCVTFWS R12, F27; \
	KFSTEP

// DXMUL2 multiplies d and dmin (F0, F1) with the activation's scale.
#define DXMUL2 FMOVS (R7), F2; FMULS F2, F0, F0; FMULS F2, F1, F1

// KFSTEP is the reference's float step of a Q4_K/Q5_K block: F28 +=
// isum*(d*dx) - msum*(dmin*dx) (isum in F8, msum in F27), each operation
// rounded.
#define KFSTEP \
	F16S(0, F0); \
	F16S(2, F1); \
	DXMUL2; \
	FMULS  F0, F8, F8; \
	FMULS  F1, F27, F27; \
	FADDS  F8, F28, F28; \
	FSUBS  F27, F28, F28

#define NIBCONST VMOVI $15, V29.B16

TEXT ·gemvQ5KSDOT(SB), NOSPLIT, $0-48
	KROWS(NIBCONST, KBLOCK(DOT4S, Q5MERGE, 48, Q5K_PRE), 176)

TEXT ·gemvQ5KNEON(SB), NOSPLIT, $0-48
	KROWS(NIBCONST, KBLOCK(DOT4N, Q5MERGE, 48, Q5K_PRE), 176)

TEXT ·gemvQ4KSDOT(SB), NOSPLIT, $0-48
	KROWS(NIBCONST, KBLOCK(DOT4S, NOMERGE, 16, NOP), 144)

TEXT ·gemvQ4KNEON(SB), NOSPLIT, $0-48
	KROWS(NIBCONST, KBLOCK(DOT4N, NOMERGE, 16, NOP), 144)

// ---------------------------------------------------------------- Q6_K
// Q6K_LO/Q6K_HI make 16 signed values q-32 in V6 from the low (high)
// nibbles of the ql bytes L and the 2 bits of the qh bytes H that become
// bits 4-5 after shifting H left (right) by n (Q6K_HI0: n = 0). V29 =
// 0x0f, V30 = 0x30, V31 = 0x20 bytes; V24 is a temporary. Byte-wise shifts
// never cross bytes.
#define Q6K_LO(L, H, n) \
	VAND  V29.B16, L, V6.B16; \
	VSHL  $n, H, V24.B16; \
	VAND  V30.B16, V24.B16, V24.B16; \
	VORR  V24.B16, V6.B16, V6.B16; \
	VSUB  V31.B16, V6.B16, V6.B16

#define Q6K_HI(L, H, n) \
	VUSHR $4, L, V6.B16; \
	VUSHR $n, H, V24.B16; \
	VAND  V30.B16, V24.B16, V24.B16; \
	VORR  V24.B16, V6.B16, V6.B16; \
	VSUB  V31.B16, V6.B16, V6.B16

#define Q6K_HI0(L, H, n) \
	VUSHR $4, L, V6.B16; \
	VAND  V30.B16, H, V24.B16; \
	VORR  V24.B16, V6.B16, V6.B16; \
	VSUB  V31.B16, V6.B16, V6.B16

// Q6EACH loads half h's ql (R9) and qh (R11, both advanced), lets PRE
// run, and hands each scale group g = 2t+i (quarter t, 16-byte piece i)
// to G(DOT, MAKE, L, H, n, h, g, sv, i): MAKE(L, H, n) makes its values
// in V6; its scale is element i of V(sa) (g < 4) or V(sb).
#define Q6EACH(G, DOT, h, sa, sb, PRE) \
	VLD1.P 64(R9), [V0.B16, V1.B16, V2.B16, V3.B16]; \
	VLD1.P 32(R11), [V4.B16, V5.B16]; \
	PRE; \
	G(DOT, Q6K_LO, V0.B16, V4.B16, 4, h, 0, sa, 0); \
	G(DOT, Q6K_LO, V1.B16, V5.B16, 4, h, 1, sa, 1); \
	G(DOT, Q6K_LO, V2.B16, V4.B16, 2, h, 2, sa, 2); \
	G(DOT, Q6K_LO, V3.B16, V5.B16, 2, h, 3, sa, 3); \
	G(DOT, Q6K_HI0, V0.B16, V4.B16, 0, h, 4, sb, 0); \
	G(DOT, Q6K_HI0, V1.B16, V5.B16, 0, h, 5, sb, 1); \
	G(DOT, Q6K_HI, V2.B16, V4.B16, 2, h, 6, sb, 2); \
	G(DOT, Q6K_HI, V3.B16, V5.B16, 2, h, 7, sb, 3)

// The GEMV sums group g in V(16+g) (x in V8..V15, 128 bytes at R10).
#define V6G(DOT, MAKE, L, H, n, h, g, sv, i) \
	MAKE(L, H, n); \
	DOT((16+g), 6, (8+g))

#define V6PRE \
	VLD1.P 64(R10), [V8.B16, V9.B16, V10.B16, V11.B16]; \
	VLD1.P 64(R10), [V12.B16, V13.B16, V14.B16, V15.B16]; \
	ZERO4(V16.B16, V17.B16, V18.B16, V19.B16); \
	ZERO4(V20.B16, V21.B16, V22.B16, V23.B16)

// Q6K_HALF adds half h into V7: the 8 group sums are pairwise added and
// multiplied with the sign-extended scales at 192+8h.
#define Q6K_HALF(DOT, h) \
	Q6EACH(V6G, DOT, h, 0, 0, V6PRE); \
	ADDP4(V16.S4, V17.S4, V18.S4, V19.S4); \
	ADDP4(V20.S4, V21.S4, V22.S4, V23.S4); \
	MOVD   (192+8*h)(R6), R12; \
	VMOV   R12, V24.D[0]; \
	SXTL8B(24, 24); \
	SXTL4H(25, 24); \
	MLA4S(7, 16, 25); \
	SXTL2H(25, 24); \
	MLA4S(7, 20, 25)

#define Q6K_BLOCK(DOT) \
	MOVD    R6, R9; \
	ADD     $128, R6, R11; \
	ADD     $4, R7, R10; \
	VEOR    V7.B16, V7.B16, V7.B16; \
	Q6K_HALF(DOT, 0); \
	Q6K_HALF(DOT, 1); \
	VADDV   V7.S4, V7; \
	FMOVS   F7, R12; \
	SCVTFWS R12, F7; \
	F16S(208, F0); \
	FMOVS   (R7), F1; \
	FMULS   F1, F0, F0; \
	FMULS   F0, F7, F7; \
	FADDS   F7, F28, F28

#define Q6CONST \
	VMOVI $15, V29.B16; \
	VMOVI $48, V30.B16; \
	VMOVI $32, V31.B16

TEXT ·gemvQ6KSDOT(SB), NOSPLIT, $0-48
	KROWS(Q6CONST, Q6K_BLOCK(DOT6S), 210)

TEXT ·gemvQ6KNEON(SB), NOSPLIT, $0-48
	KROWS(Q6CONST, Q6K_BLOCK(DOT6N), 210)

// ---------------------------------------------------------------- GEMM, 1 row x 4 activations
// The GEMM kernels unpack each weight block once and multiply it with 4
// activation rows. A sub-block's (or scale group's) sum goes into a zeroed
// V12 and is added times its scale to the activation's lanes with MLA by
// element; the 4 activations' sums are pairwise added into one vector and
// the float steps run on the 4 lanes at once (each lane exactly the
// reference's scalar steps).
//
// Registers: R0 out, R23 ldo*4, R1 row, R2 stride, R3 rows left, R4 x,
// R19 x stride, R5 nb; per row R6 w block, R7, R20, R21, R22 the
// activation blocks, R8 blocks left, R24/R25 out of activations 1/2, V28
// the 4 running sums.

// LD4S loads the f32 at A0..A3 into the lanes of V (F: its lane 0).
#define LD4S(A0, A1, A2, A3, F, V) \
	FMOVS (A0), F; \
	VLD1  (A1), V.S[1]; \
	VLD1  (A2), V.S[2]; \
	VLD1  (A3), V.S[3]

// GEMMK is every GEMM kernel: CONST loads the constants, BLOCK adds the
// weight block at R6 (WB bytes) for the 4 activations into V28.
#define GEMMK(CONST, BLOCK, WB) \
	G4ARGS; \
	CONST; \
row: \
	ADD   R23, R0, R24; \
	ADD   R23, R24, R25; \
	ADD   R23, R25, R9; \
	LD4S(R0, R24, R25, R9, F28, V28); \
	MOVD  R1, R6; \
	MOVD  R4, R7; \
	ADD   R19, R7, R20; \
	ADD   R19, R20, R21; \
	ADD   R19, R21, R22; \
	MOVD  R5, R8; \
block: \
	BLOCK; \
	ADD   $WB, R6; \
	ADD   $292, R7; \
	ADD   $292, R20; \
	ADD   $292, R21; \
	ADD   $292, R22; \
	SUB   $1, R8; \
	CBNZ  R8, block; \
	ADD   R23, R25, R9; \
	FMOVS F28, (R0); \
	VMOV  V28.S[1], R10; \
	MOVW  R10, (R24); \
	VMOV  V28.S[2], R10; \
	MOVW  R10, (R25); \
	VMOV  V28.S[3], R10; \
	MOVW  R10, (R9); \
	ADD   $4, R0; \
	ADD   R2, R1; \
	SUB   $1, R3; \
	CBNZ  R3, row; \
	RET

// G4SUB adds sub-block values V(a), V(b) (16 bytes each) times x at
// off(XP) times scale element i of V(sv) into V(acc).
#define G4SUB(DOT, XP, off, acc, a, b, sv, i) \
	ADD  $off, XP, R10; \
	VLD1 (R10), [V16.B16, V17.B16]; \
	VEOR V12.B16, V12.B16, V12.B16; \
	DOT(12, a, 16); \
	DOT(12, b, 17); \
	MLAE(acc, 12, sv, i)

// G4KGROUP unpacks nibble group k (see KNIB) and adds sub-blocks 2k, 2k+1
// for the 4 activations; sv/i0/i1: the scales' vector and elements.
#define G4KGROUP(DOT, k, QA, QB, MERGE, sv, i0, i1) \
	KNIB(NONE, MERGE, QA, QB); \
	G4SUB(DOT, R7, (4+64*k), 8, 2, 3, sv, i0); \
	G4SUB(DOT, R7, (36+64*k), 8, 4, 5, sv, i1); \
	G4SUB(DOT, R20, (4+64*k), 9, 2, 3, sv, i0); \
	G4SUB(DOT, R20, (36+64*k), 9, 4, 5, sv, i1); \
	G4SUB(DOT, R21, (4+64*k), 10, 2, 3, sv, i0); \
	G4SUB(DOT, R21, (36+64*k), 10, 4, 5, sv, i1); \
	G4SUB(DOT, R22, (4+64*k), 11, 2, 3, sv, i0); \
	G4SUB(DOT, R22, (36+64*k), 11, 4, 5, sv, i1)

// G4MSUM sets V(d) to the msum lanes of the activation block at XP.
#define G4MSUM(XP, d) \
	ADD $260, XP, R10; \
	KMSUM(d)

// G4D loads the 4 activations' scales into V2.
#define G4D LD4S(R7, R20, R21, R22, F2, V2)

// G4KBLOCK: one Q4_K/Q5_K block for the 4 activations.
#define G4KBLOCK(DOT, QOFF, PRE, MERGE) \
	KSC_UNPACK; \
	ZERO4(V8.B16, V9.B16, V10.B16, V11.B16); \
	ADD    $QOFF, R6, R9; \
	PRE; \
	G4KGROUP(DOT, 0, QB0, QB1, MERGE, 23, 0, 1); \
	G4KGROUP(DOT, 1, QB2, QB3, MERGE, 23, 2, 3); \
	G4KGROUP(DOT, 2, QB4, QB5, MERGE, 24, 0, 1); \
	G4KGROUP(DOT, 3, QB6, QB7, MERGE, 24, 2, 3); \
	ADDP4(V8.S4, V9.S4, V10.S4, V11.S4); \
	G4MSUM(R7, 12); \
	G4MSUM(R20, 13); \
	G4MSUM(R21, 14); \
	G4MSUM(R22, 15); \
	ADDP4(V12.S4, V13.S4, V14.S4, V15.S4); \
	SCVTF4S(8, 8); \
	SCVTF4S(12, 12); \
	F16S(0, F0); \
	VDUP   V0.S[0], V0.S4; \
	F16S(2, F1); \
	VDUP   V1.S[0], V1.S4; \
	G4D; \
	FMUL4S(0, 0, 2); \
	FMUL4S(1, 1, 2); \
	FMUL4S(8, 8, 0); \
	FMUL4S(12, 12, 1); \
	FADD4S(28, 28, 8); \
	FSUB4S(28, 28, 12)

TEXT ·gemm4Q4KSDOT(SB), NOSPLIT, $0-64
	GEMMK(NIBCONST, G4KBLOCK(DOT4S, 16, NOP, NOMERGE), 144)

TEXT ·gemm4Q4KNEON(SB), NOSPLIT, $0-64
	GEMMK(NIBCONST, G4KBLOCK(DOT4N, 16, NOP, NOMERGE), 144)

TEXT ·gemm4Q5KSDOT(SB), NOSPLIT, $0-64
	GEMMK(NIBCONST, G4KBLOCK(DOT4S, 48, Q5K_PRE, Q5MERGE), 176)

TEXT ·gemm4Q5KNEON(SB), NOSPLIT, $0-64
	GEMMK(NIBCONST, G4KBLOCK(DOT4N, 48, Q5K_PRE, Q5MERGE), 176)

// Q6_K GEMM: the 16 scales are sign-extended to int32 in V20..V23; each
// group of 16 values (made in V6 by Q6K_LO/Q6K_HI, q-32) is multiplied
// with the 4 activations' 16 bytes and added times its scale (MLA by
// element).
#define G6X(DOT, XP, off, acc, sv, i) \
	ADD  $off, XP, R10; \
	VLD1 (R10), [V16.B16]; \
	VEOR V12.B16, V12.B16, V12.B16; \
	DOT(12, 6, 16); \
	MLAE(acc, 12, sv, i)

#define G6G(DOT, MAKE, L, H, n, h, g, sv, i) \
	MAKE(L, H, n); \
	G6X(DOT, R7, (4+128*h+16*g), 8, sv, i); \
	G6X(DOT, R20, (4+128*h+16*g), 9, sv, i); \
	G6X(DOT, R21, (4+128*h+16*g), 10, sv, i); \
	G6X(DOT, R22, (4+128*h+16*g), 11, sv, i)

#define G6KBLOCK(DOT) \
	ADD     $192, R6, R10; \
	VLD1    (R10), [V20.B16]; \
	SXTL2B(14, 20); \
	SXTL8B(13, 20); \
	SXTL4H(20, 13); \
	SXTL2H(21, 13); \
	SXTL4H(22, 14); \
	SXTL2H(23, 14); \
	ZERO4(V8.B16, V9.B16, V10.B16, V11.B16); \
	MOVD    R6, R9; \
	ADD     $128, R6, R11; \
	Q6EACH(G6G, DOT, 0, 20, 21, NONE); \
	Q6EACH(G6G, DOT, 1, 22, 23, NONE); \
	ADDP4(V8.S4, V9.S4, V10.S4, V11.S4); \
	SCVTF4S(8, 8); \
	F16S(208, F0); \
	VDUP    V0.S[0], V0.S4; \
	G4D; \
	FMUL4S(0, 0, 2); \
	FMUL4S(8, 8, 0); \
	FADD4S(28, 28, 8)

TEXT ·gemm4Q6KSDOT(SB), NOSPLIT, $0-64
	GEMMK(Q6CONST, G6KBLOCK(DOT6S), 210)

TEXT ·gemm4Q6KNEON(SB), NOSPLIT, $0-64
	GEMMK(Q6CONST, G6KBLOCK(DOT6N), 210)
