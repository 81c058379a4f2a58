//go:build !noasm

#include "textflag.h"

// K-quant kernels for arm64 (see kquant_arm64.go); layouts as in
// kquant_amd64.h. Each super-block is reduced to its exact int32 sums
// (SDOT, or SMULL/SADALP without the dot-product extension), then the
// float steps are the reference's, in its order, in scalar registers.
//
// Registers: R0 out, R1 row, R2 stride, R3 rows left, R4 x, R5 nb; per row
// R6 w block, R7 x block, R8 blocks left, F28 the running sum.

// Instructions the Go assembler has no mnemonic for (d, n, m register
// numbers):
//
//	sdot   Vd.4S, Vn.16B, Vm.16B  0x4E809400 | m<<16 | n<<5 | d
//	smull  Vd.8H, Vn.8B,  Vm.8B   0x0E20C000 | m<<16 | n<<5 | d
//	smull2 Vd.8H, Vn.16B, Vm.16B  0x4E20C000 | m<<16 | n<<5 | d
//	sadalp Vd.4S, Vn.8H           0x4E606800 | n<<5 | d
//	mul    Vd.4S, Vn.4S, Vm.4S    0x4EA09C00 | m<<16 | n<<5 | d
//	mla    Vd.4S, Vn.4S, Vm.4S    0x4EA09400 | m<<16 | n<<5 | d
//	smull  Vd.4S, Vn.4H, Vm.4H    0x0E60C000 | m<<16 | n<<5 | d
//	smlal2 Vd.4S, Vn.8H, Vm.8H    0x4E608000 | m<<16 | n<<5 | d
//	sxtl   Vd.8H, Vn.8B           0x0F08A400 | n<<5 | d
//	sxtl   Vd.4S, Vn.4H           0x0F10A400 | n<<5 | d
//	sxtl2  Vd.4S, Vn.8H           0x4F10A400 | n<<5 | d
#define KSDOT(d, n, m) WORD $(0x4E809400 | ((m)<<16) | ((n)<<5) | (d))
#define KSMULL(d, n, m) WORD $(0x0E20C000 | ((m)<<16) | ((n)<<5) | (d))
#define KSMULL2(d, n, m) WORD $(0x4E20C000 | ((m)<<16) | ((n)<<5) | (d))
#define KSADALP(d, n) WORD $(0x4E606800 | ((n)<<5) | (d))
#define KMUL4S(d, n, m) WORD $(0x4EA09C00 | ((m)<<16) | ((n)<<5) | (d))
#define KMLA4S(d, n, m) WORD $(0x4EA09400 | ((m)<<16) | ((n)<<5) | (d))
#define KSMULL4H(d, n, m) WORD $(0x0E60C000 | ((m)<<16) | ((n)<<5) | (d))
#define KSMLAL2H(d, n, m) WORD $(0x4E608000 | ((m)<<16) | ((n)<<5) | (d))
#define KSXTL8B(d, n) WORD $(0x0F08A400 | ((n)<<5) | (d))
#define KSXTL4H(d, n) WORD $(0x0F10A400 | ((n)<<5) | (d))
#define KSXTL2H(d, n) WORD $(0x4F10A400 | ((n)<<5) | (d))

// KDOTN adds the 16 int8 products of Vn and Vm to the 4 int32 lanes of Vd
// without SDOT: exact int16 products, added pairwise into int32.
#define KDOTN(d, n, m, t1, t2) \
	KSMULL(t1, n, m); \
	KSMULL2(t2, n, m); \
	KSADALP(d, t1); \
	KSADALP(d, t2)

#define DOT4S(d, n, m) KSDOT(d, n, m)
#define DOT4N(d, n, m) KDOTN(d, n, m, 6, 7)
#define DOT6S(d, n, m) KSDOT(d, n, m)
#define DOT6N(d, n, m) KDOTN(d, n, m, 26, 27)

#define KARGS \
	MOVD out+0(FP), R0; \
	MOVD w+8(FP), R1; \
	MOVD stride+16(FP), R2; \
	MOVD rows+24(FP), R3; \
	MOVD x+32(FP), R4; \
	MOVD nb+40(FP), R5

// G4ARGS loads the arguments of the GEMM kernels (kgemm4Func); like
// KARGS it is defined before any TEXT so that vet checks it against
// none.
#define G4ARGS \
	MOVD out+0(FP), R0; \
	MOVD ldo+8(FP), R23; \
	LSL  $2, R23; \
	MOVD w+16(FP), R1; \
	MOVD stride+24(FP), R2; \
	MOVD rows+32(FP), R3; \
	MOVD x+40(FP), R4; \
	MOVD xstride+48(FP), R19; \
	MOVD nb+56(FP), R5

#define KROWS(BLOCK, WB) \
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

// ---------------------------------------------------------------- Q4_K

// Q4K_GROUP adds nibble group k (at R9, advanced) times x (at R10,
// advanced) into V(a) (low nibbles) and V(b) (high). V29 = 0x0f bytes.
// (QA, QB are for Q5K_GROUP.)
#define Q4K_GROUP(DOT, a, b, QA, QB) \
	VLD1.P 32(R9), [V0.B16, V1.B16]; \
	VLD1.P 64(R10), [V16.B16, V17.B16, V18.B16, V19.B16]; \
	VAND   V29.B16, V0.B16, V2.B16; \
	VAND   V29.B16, V1.B16, V3.B16; \
	VUSHR  $4, V0.B16, V4.B16; \
	VUSHR  $4, V1.B16, V5.B16; \
	DOT(a, 2, 16); \
	DOT(a, 3, 17); \
	DOT(b, 4, 18); \
	DOT(b, 5, 19)

// KMIN_BLOCK (Q4K_BLOCK, Q5K_BLOCK): scales and mins unpacked in GPRs (SWAR on the words A, B, C
// of the packed bytes, as on amd64) into V20 = [sc0..7, m0..7]; sub-block
// sums s_j in V8..V15 are pairwise added to [s0..s3], [s4..s7] and
// multiplied with the scales; msum = m . (pairwise sums of the bsums).
// KSC_UNPACK unpacks the scales and mins of the Q4_K/Q5_K block at R6 into
// V20 = [sc0..7, m0..7] bytes, V21 sc words, V22 m words, V23 sc0..3 and
// V24 sc4..7 as int32.
#define KSC_UNPACK \
	MOVWU  4(R6), R11; \
	MOVWU  8(R6), R12; \
	MOVWU  12(R6), R13; \
	ANDW   $0x3f3f3f3f, R11, R14; \
	LSRW   $2, R11, R15; \
	ANDW   $0x30303030, R15, R15; \
	ANDW   $0x0f0f0f0f, R13, R16; \
	ORRW   R16, R15, R15; \
	ORR    R15<<32, R14, R14; \
	ANDW   $0x3f3f3f3f, R12, R15; \
	LSRW   $2, R12, R16; \
	ANDW   $0x30303030, R16, R16; \
	LSRW   $4, R13, R17; \
	ANDW   $0x0f0f0f0f, R17, R17; \
	ORRW   R17, R16, R16; \
	ORR    R16<<32, R15, R15; \
	VMOV   R14, V20.D[0]; \
	VMOV   R15, V20.D[1]; \
	VUXTL  V20.B8, V21.H8; \
	VUXTL2 V20.B16, V22.H8; \
	VUXTL  V21.H4, V23.S4; \
	VUXTL2 V21.H8, V24.S4

#define KMIN_BLOCK(DOT, GROUP, QOFF, PRE) \
	KSC_UNPACK; \
	VEOR   V8.B16, V8.B16, V8.B16; \
	VEOR   V9.B16, V9.B16, V9.B16; \
	VEOR   V10.B16, V10.B16, V10.B16; \
	VEOR   V11.B16, V11.B16, V11.B16; \
	VEOR   V12.B16, V12.B16, V12.B16; \
	VEOR   V13.B16, V13.B16, V13.B16; \
	VEOR   V14.B16, V14.B16, V14.B16; \
	VEOR   V15.B16, V15.B16, V15.B16; \
	ADD    $QOFF, R6, R9; \
	ADD    $4, R7, R10; \
	PRE; \
	GROUP(DOT, 8, 9, QB0, QB1); \
	GROUP(DOT, 10, 11, QB2, QB3); \
	GROUP(DOT, 12, 13, QB4, QB5); \
	GROUP(DOT, 14, 15, QB6, QB7); \
	VADDP  V9.S4, V8.S4, V8.S4; \
	VADDP  V11.S4, V10.S4, V10.S4; \
	VADDP  V10.S4, V8.S4, V8.S4; \
	VADDP  V13.S4, V12.S4, V12.S4; \
	VADDP  V15.S4, V14.S4, V14.S4; \
	VADDP  V14.S4, V12.S4, V12.S4; \
	KMUL4S(8, 8, 23); \
	KMLA4S(8, 12, 24); \
	VADDV  V8.S4, V8; \
	VLD1   (R10), [V25.H8, V26.H8]; \
	VADDP  V26.H8, V25.H8, V25.H8; \
	KSMULL4H(27, 22, 25); \
	KSMLAL2H(27, 22, 25); \
	VADDV  V27.S4, V27; \
	FMOVS  F8, R11; \
	SCVTFWS R11, F8; \
	FMOVS  F27, R12; \
	SCVTFWS R12, F27; \
	MOVHU  0(R6), R13; \
	FMOVS  R13, F0; \
	FCVTHS F0, F0; \
	MOVHU  2(R6), R13; \
	FMOVS  R13, F1; \
	FCVTHS F1, F1; \
	FMOVS  (R7), F2; \
	FMULS  F2, F0, F0; \
	FMULS  F2, F1, F1; \
	FMULS  F0, F8, F8; \
	FMULS  F1, F27, F27; \
	FADDS  F8, F28, F28; \
	FSUBS  F27, F28, F28

#define Q4K_BLOCK(DOT) KMIN_BLOCK(DOT, Q4K_GROUP, 16, NOP)
#define Q4K_BLOCK_SDOT Q4K_BLOCK(DOT4S)
#define Q4K_BLOCK_NEON Q4K_BLOCK(DOT4N)

// Q5_K: the fifth bit of value l of sub-block j is bit j of qh[l] (qh at
// 16, nibbles at 48). QBj shifts the qh bytes H so that bit j is at bit 4
// of V26 (byte-wise shifts).
#define QB0(H) VSHL $4, H, V26.B16
#define QB1(H) VSHL $3, H, V26.B16
#define QB2(H) VSHL $2, H, V26.B16
#define QB3(H) VSHL $1, H, V26.B16
#define QB4(H) VORR H, H, V26.B16
#define QB5(H) VUSHR $1, H, V26.B16
#define QB6(H) VUSHR $2, H, V26.B16
#define QB7(H) VUSHR $3, H, V26.B16

// Q5BIT merges bit 4 of V26 (V25 = 0x10 bytes) into the values V.
#define Q5BIT(V) \
	VAND V25.B16, V26.B16, V26.B16; \
	VORR V26.B16, V, V

// Q5K_GROUP is Q4K_GROUP with the fifth bits (qh in V30, V31).
#define Q5K_GROUP(DOT, a, b, QA, QB) \
	VLD1.P 32(R9), [V0.B16, V1.B16]; \
	VLD1.P 64(R10), [V16.B16, V17.B16, V18.B16, V19.B16]; \
	VAND   V29.B16, V0.B16, V2.B16; \
	VAND   V29.B16, V1.B16, V3.B16; \
	VUSHR  $4, V0.B16, V4.B16; \
	VUSHR  $4, V1.B16, V5.B16; \
	QA(V30.B16); \
	Q5BIT(V2.B16); \
	QA(V31.B16); \
	Q5BIT(V3.B16); \
	QB(V30.B16); \
	Q5BIT(V4.B16); \
	QB(V31.B16); \
	Q5BIT(V5.B16); \
	DOT(a, 2, 16); \
	DOT(a, 3, 17); \
	DOT(b, 4, 18); \
	DOT(b, 5, 19)

#define Q5K_PRE \
	ADD   $16, R6, R11; \
	VLD1  (R11), [V30.B16, V31.B16]; \
	VMOVI $16, V25.B16

#define Q5K_BLOCK(DOT) KMIN_BLOCK(DOT, Q5K_GROUP, 48, Q5K_PRE)
#define Q5K_BLOCK_SDOT Q5K_BLOCK(DOT4S)
#define Q5K_BLOCK_NEON Q5K_BLOCK(DOT4N)

// func gemvQ5KSDOT(out *float32, w *byte, stride, rows int, x *byte, nb int)
TEXT ·gemvQ5KSDOT(SB), NOSPLIT, $0-48
	KARGS
	VMOVI $15, V29.B16
	KROWS(Q5K_BLOCK_SDOT, 176)

// func gemvQ5KNEON(out *float32, w *byte, stride, rows int, x *byte, nb int)
TEXT ·gemvQ5KNEON(SB), NOSPLIT, $0-48
	KARGS
	VMOVI $15, V29.B16
	KROWS(Q5K_BLOCK_NEON, 176)

// func gemvQ4KSDOT(out *float32, w *byte, stride, rows int, x *byte, nb int)
TEXT ·gemvQ4KSDOT(SB), NOSPLIT, $0-48
	KARGS
	VMOVI $15, V29.B16
	KROWS(Q4K_BLOCK_SDOT, 144)

// func gemvQ4KNEON(out *float32, w *byte, stride, rows int, x *byte, nb int)
TEXT ·gemvQ4KNEON(SB), NOSPLIT, $0-48
	KARGS
	VMOVI $15, V29.B16
	KROWS(Q4K_BLOCK_NEON, 144)

// ---------------------------------------------------------------- Q6_K

// Q6K_LO/Q6K_HI make 16 signed values q-32 in V6 from the low (high)
// nibbles of the ql bytes L and the 2 bits of the qh bytes H that become
// bits 4-5 after shifting H left (right) by n. V29 = 0x0f, V30 = 0x30,
// V31 = 0x20 bytes; V24 is a temporary. Byte-wise shifts never cross
// bytes.
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

#define Q6K_HI0(L, H) \
	VUSHR $4, L, V6.B16; \
	VAND  V30.B16, H, V24.B16; \
	VORR  V24.B16, V6.B16, V6.B16; \
	VSUB  V31.B16, V6.B16, V6.B16

// Q6K_HALF adds half h (ql at R9, qh at R11, x at R10, all advanced) into
// V7: scale group g = 2t+i (quarter t, 16-byte piece i) is summed in
// V(16+g), the 8 sums are pairwise added and multiplied with the
// sign-extended scales at 192+8h.
#define Q6K_HALF(DOT, h) \
	VLD1.P 64(R9), [V0.B16, V1.B16, V2.B16, V3.B16]; \
	VLD1.P 32(R11), [V4.B16, V5.B16]; \
	VLD1.P 64(R10), [V8.B16, V9.B16, V10.B16, V11.B16]; \
	VLD1.P 64(R10), [V12.B16, V13.B16, V14.B16, V15.B16]; \
	VEOR   V16.B16, V16.B16, V16.B16; \
	VEOR   V17.B16, V17.B16, V17.B16; \
	VEOR   V18.B16, V18.B16, V18.B16; \
	VEOR   V19.B16, V19.B16, V19.B16; \
	VEOR   V20.B16, V20.B16, V20.B16; \
	VEOR   V21.B16, V21.B16, V21.B16; \
	VEOR   V22.B16, V22.B16, V22.B16; \
	VEOR   V23.B16, V23.B16, V23.B16; \
	Q6K_LO(V0.B16, V4.B16, 4); \
	DOT(16, 6, 8); \
	Q6K_LO(V1.B16, V5.B16, 4); \
	DOT(17, 6, 9); \
	Q6K_LO(V2.B16, V4.B16, 2); \
	DOT(18, 6, 10); \
	Q6K_LO(V3.B16, V5.B16, 2); \
	DOT(19, 6, 11); \
	Q6K_HI0(V0.B16, V4.B16); \
	DOT(20, 6, 12); \
	Q6K_HI0(V1.B16, V5.B16); \
	DOT(21, 6, 13); \
	Q6K_HI(V2.B16, V4.B16, 2); \
	DOT(22, 6, 14); \
	Q6K_HI(V3.B16, V5.B16, 2); \
	DOT(23, 6, 15); \
	VADDP  V17.S4, V16.S4, V16.S4; \
	VADDP  V19.S4, V18.S4, V18.S4; \
	VADDP  V18.S4, V16.S4, V16.S4; \
	VADDP  V21.S4, V20.S4, V20.S4; \
	VADDP  V23.S4, V22.S4, V22.S4; \
	VADDP  V22.S4, V20.S4, V20.S4; \
	MOVD   (192+8*h)(R6), R12; \
	VMOV   R12, V24.D[0]; \
	KSXTL8B(24, 24); \
	KSXTL4H(25, 24); \
	KMLA4S(7, 16, 25); \
	KSXTL2H(25, 24); \
	KMLA4S(7, 20, 25)

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
	MOVHU   208(R6), R13; \
	FMOVS   R13, F0; \
	FCVTHS  F0, F0; \
	FMOVS   (R7), F1; \
	FMULS   F1, F0, F0; \
	FMULS   F0, F7, F7; \
	FADDS   F7, F28, F28

#define Q6K_BLOCK_SDOT Q6K_BLOCK(DOT6S)
#define Q6K_BLOCK_NEON Q6K_BLOCK(DOT6N)

#define Q6CONST \
	VMOVI $15, V29.B16; \
	VMOVI $48, V30.B16; \
	VMOVI $32, V31.B16

// func gemvQ6KSDOT(out *float32, w *byte, stride, rows int, x *byte, nb int)
TEXT ·gemvQ6KSDOT(SB), NOSPLIT, $0-48
	KARGS
	Q6CONST
	KROWS(Q6K_BLOCK_SDOT, 210)

// func gemvQ6KNEON(out *float32, w *byte, stride, rows int, x *byte, nb int)
TEXT ·gemvQ6KNEON(SB), NOSPLIT, $0-48
	KARGS
	Q6CONST
	KROWS(Q6K_BLOCK_NEON, 210)

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
//
//	mla   Vd.4S, Vn.4S, Vm.S[i]  0x6F800000 | L<<21 | M<<20 | Rm<<16 | H<<11 | n<<5 | d
//	                             (i = H:L, m = M:Rm)
//	scvtf Vd.4S, Vn.4S           0x4E21D800 | n<<5 | d
//	fmul  Vd.4S, Vn.4S, Vm.4S    0x6E20DC00 | m<<16 | n<<5 | d
//	fadd  Vd.4S, Vn.4S, Vm.4S    0x4E20D400 | m<<16 | n<<5 | d
//	fsub  Vd.4S, Vn.4S, Vm.4S    0x4EA0D400 | m<<16 | n<<5 | d
#define KMLAE(d, n, m, i) WORD $(0x6F800000 | (((i)&1)<<21) | (((m)>>4)<<20) | (((m)&15)<<16) | (((i)>>1)<<11) | ((n)<<5) | (d))
#define KSCVTF(d, n) WORD $(0x4E21D800 | ((n)<<5) | (d))
#define KFMUL(d, n, m) WORD $(0x6E20DC00 | ((m)<<16) | ((n)<<5) | (d))
#define KFADD(d, n, m) WORD $(0x4E20D400 | ((m)<<16) | ((n)<<5) | (d))
#define KFSUB(d, n, m) WORD $(0x4EA0D400 | ((m)<<16) | ((n)<<5) | (d))

// G4ROW_START loads the 4 running sums into V28 and sets the cursors.
#define G4ROW_START \
	ADD   R23, R0, R24; \
	ADD   R23, R24, R25; \
	ADD   R23, R25, R9; \
	FMOVS (R0), F28; \
	VLD1  (R24), V28.S[1]; \
	VLD1  (R25), V28.S[2]; \
	VLD1  (R9), V28.S[3]; \
	MOVD  R1, R6; \
	MOVD  R4, R7; \
	ADD   R19, R7, R20; \
	ADD   R19, R20, R21; \
	ADD   R19, R21, R22; \
	MOVD  R5, R8

#define G4ROW_END \
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
	SUB   $1, R3

#define G4NEXT(WB) \
	ADD $WB, R6; \
	ADD $292, R7; \
	ADD $292, R20; \
	ADD $292, R21; \
	ADD $292, R22; \
	SUB $1, R8

// G4SUB adds sub-block values V(a), V(b) (16 bytes each) times x at
// off(XP) times scale element i of V(sv) into V(acc).
#define G4SUB(DOT, XP, off, acc, a, b, sv, i) \
	ADD  $off, XP, R10; \
	VLD1 (R10), [V16.B16, V17.B16]; \
	VEOR V12.B16, V12.B16, V12.B16; \
	DOT(12, a, 16); \
	DOT(12, b, 17); \
	KMLAE(acc, 12, sv, i)

// G4KGROUP unpacks nibble group k (at R9, advanced; QA/QB merge Q5_K's
// fifth bits, see Q5K_GROUP) and adds sub-blocks 2k, 2k+1 for the 4
// activations. sv/i0/i1: the scales' vector and elements.
#define G4KGROUP(DOT, k, QA, QB, MERGE, sv, i0, i1) \
	VLD1.P 32(R9), [V0.B16, V1.B16]; \
	VAND   V29.B16, V0.B16, V2.B16; \
	VAND   V29.B16, V1.B16, V3.B16; \
	VUSHR  $4, V0.B16, V4.B16; \
	VUSHR  $4, V1.B16, V5.B16; \
	MERGE(QA, QB); \
	G4SUB(DOT, R7, (4+64*k), 8, 2, 3, sv, i0); \
	G4SUB(DOT, R7, (36+64*k), 8, 4, 5, sv, i1); \
	G4SUB(DOT, R20, (4+64*k), 9, 2, 3, sv, i0); \
	G4SUB(DOT, R20, (36+64*k), 9, 4, 5, sv, i1); \
	G4SUB(DOT, R21, (4+64*k), 10, 2, 3, sv, i0); \
	G4SUB(DOT, R21, (36+64*k), 10, 4, 5, sv, i1); \
	G4SUB(DOT, R22, (4+64*k), 11, 2, 3, sv, i0); \
	G4SUB(DOT, R22, (36+64*k), 11, 4, 5, sv, i1)

#define G4NOMERGE(QA, QB) NOP

#define G4Q5MERGE(QA, QB) \
	QA(V30.B16); \
	Q5BIT(V2.B16); \
	QA(V31.B16); \
	Q5BIT(V3.B16); \
	QB(V30.B16); \
	Q5BIT(V4.B16); \
	QB(V31.B16); \
	Q5BIT(V5.B16)

// G4MSUM sets V(d) to the msum lanes of the activation block at XP.
#define G4MSUM(XP, d) \
	ADD      $260, XP, R10; \
	VLD1     (R10), [V25.H8, V26.H8]; \
	VADDP    V26.H8, V25.H8, V25.H8; \
	KSMULL4H(d, 22, 25); \
	KSMLAL2H(d, 22, 25)

// G4KBLOCK: one Q4_K/Q5_K block for the 4 activations.
#define G4KBLOCK(DOT, QOFF, PRE, MERGE) \
	KSC_UNPACK; \
	VEOR   V8.B16, V8.B16, V8.B16; \
	VEOR   V9.B16, V9.B16, V9.B16; \
	VEOR   V10.B16, V10.B16, V10.B16; \
	VEOR   V11.B16, V11.B16, V11.B16; \
	ADD    $QOFF, R6, R9; \
	PRE; \
	G4KGROUP(DOT, 0, QB0, QB1, MERGE, 23, 0, 1); \
	G4KGROUP(DOT, 1, QB2, QB3, MERGE, 23, 2, 3); \
	G4KGROUP(DOT, 2, QB4, QB5, MERGE, 24, 0, 1); \
	G4KGROUP(DOT, 3, QB6, QB7, MERGE, 24, 2, 3); \
	VADDP  V9.S4, V8.S4, V8.S4; \
	VADDP  V11.S4, V10.S4, V10.S4; \
	VADDP  V10.S4, V8.S4, V8.S4; \
	G4MSUM(R7, 12); \
	G4MSUM(R20, 13); \
	G4MSUM(R21, 14); \
	G4MSUM(R22, 15); \
	VADDP  V13.S4, V12.S4, V12.S4; \
	VADDP  V15.S4, V14.S4, V14.S4; \
	VADDP  V14.S4, V12.S4, V12.S4; \
	KSCVTF(8, 8); \
	KSCVTF(12, 12); \
	MOVHU  0(R6), R13; \
	FMOVS  R13, F0; \
	FCVTHS F0, F0; \
	VDUP   V0.S[0], V0.S4; \
	MOVHU  2(R6), R13; \
	FMOVS  R13, F1; \
	FCVTHS F1, F1; \
	VDUP   V1.S[0], V1.S4; \
	FMOVS  (R7), F2; \
	VLD1   (R20), V2.S[1]; \
	VLD1   (R21), V2.S[2]; \
	VLD1   (R22), V2.S[3]; \
	KFMUL(0, 0, 2); \
	KFMUL(1, 1, 2); \
	KFMUL(8, 8, 0); \
	KFMUL(12, 12, 1); \
	KFADD(28, 28, 8); \
	KFSUB(28, 28, 12)

#define G4KBODY(DOT, QOFF, PRE, MERGE, WB) \
	G4ARGS; \
	VMOVI $15, V29.B16; \
row: \
	G4ROW_START; \
block: \
	G4KBLOCK(DOT, QOFF, PRE, MERGE); \
	G4NEXT(WB); \
	CBNZ R8, block; \
	G4ROW_END; \
	CBNZ R3, row; \
	RET

// func gemm4Q4KSDOT(out *float32, ldo int, w *byte, stride, rows int, x *byte, xstride, nb int)
TEXT ·gemm4Q4KSDOT(SB), NOSPLIT, $0-64
	G4KBODY(DOT4S, 16, NOP, G4NOMERGE, 144)

// func gemm4Q4KNEON(out *float32, ldo int, w *byte, stride, rows int, x *byte, xstride, nb int)
TEXT ·gemm4Q4KNEON(SB), NOSPLIT, $0-64
	G4KBODY(DOT4N, 16, NOP, G4NOMERGE, 144)

// func gemm4Q5KSDOT(out *float32, ldo int, w *byte, stride, rows int, x *byte, xstride, nb int)
TEXT ·gemm4Q5KSDOT(SB), NOSPLIT, $0-64
	G4KBODY(DOT4S, 48, Q5K_PRE, G4Q5MERGE, 176)

// func gemm4Q5KNEON(out *float32, ldo int, w *byte, stride, rows int, x *byte, xstride, nb int)
TEXT ·gemm4Q5KNEON(SB), NOSPLIT, $0-64
	G4KBODY(DOT4N, 48, Q5K_PRE, G4Q5MERGE, 176)

// Q6_K GEMM: the 16 scales are sign-extended to int32 in V20..V23; each
// group of 16 values (made in V6 by Q6K_LO/Q6K_HI, q-32) is multiplied
// with the 4 activations' 16 bytes and added times its scale (MLA by
// element).
#define KSXTL2B(d, n) WORD $(0x4F08A400 | ((n)<<5) | (d))

#define Q6K_HI0N(L, H, n) Q6K_HI0(L, H)

#define G6X(DOT, XP, off, acc, sv, i) \
	ADD  $off, XP, R10; \
	VLD1 (R10), [V16.B16]; \
	VEOR V12.B16, V12.B16, V12.B16; \
	DOT(12, 6, 16); \
	KMLAE(acc, 12, sv, i)

#define G6G(DOT, MAKE, L, H, n, off, sv, i) \
	MAKE(L, H, n); \
	G6X(DOT, R7, off, 8, sv, i); \
	G6X(DOT, R20, off, 9, sv, i); \
	G6X(DOT, R21, off, 10, sv, i); \
	G6X(DOT, R22, off, 11, sv, i)

// G6HALF adds half h (scales in V(sa) for groups 0-3, V(sb) for 4-7).
#define G6HALF(DOT, h, sa, sb) \
	VLD1.P 64(R9), [V0.B16, V1.B16, V2.B16, V3.B16]; \
	VLD1.P 32(R11), [V4.B16, V5.B16]; \
	G6G(DOT, Q6K_LO, V0.B16, V4.B16, 4, (4+128*h), sa, 0); \
	G6G(DOT, Q6K_LO, V1.B16, V5.B16, 4, (20+128*h), sa, 1); \
	G6G(DOT, Q6K_LO, V2.B16, V4.B16, 2, (36+128*h), sa, 2); \
	G6G(DOT, Q6K_LO, V3.B16, V5.B16, 2, (52+128*h), sa, 3); \
	G6G(DOT, Q6K_HI0N, V0.B16, V4.B16, 0, (68+128*h), sb, 0); \
	G6G(DOT, Q6K_HI0N, V1.B16, V5.B16, 0, (84+128*h), sb, 1); \
	G6G(DOT, Q6K_HI, V2.B16, V4.B16, 2, (100+128*h), sb, 2); \
	G6G(DOT, Q6K_HI, V3.B16, V5.B16, 2, (116+128*h), sb, 3)

#define G6KBLOCK(DOT) \
	ADD     $192, R6, R10; \
	VLD1    (R10), [V20.B16]; \
	KSXTL2B(14, 20); \
	KSXTL8B(13, 20); \
	KSXTL4H(20, 13); \
	KSXTL2H(21, 13); \
	KSXTL4H(22, 14); \
	KSXTL2H(23, 14); \
	VEOR    V8.B16, V8.B16, V8.B16; \
	VEOR    V9.B16, V9.B16, V9.B16; \
	VEOR    V10.B16, V10.B16, V10.B16; \
	VEOR    V11.B16, V11.B16, V11.B16; \
	MOVD    R6, R9; \
	ADD     $128, R6, R11; \
	G6HALF(DOT, 0, 20, 21); \
	G6HALF(DOT, 1, 22, 23); \
	VADDP   V9.S4, V8.S4, V8.S4; \
	VADDP   V11.S4, V10.S4, V10.S4; \
	VADDP   V10.S4, V8.S4, V8.S4; \
	KSCVTF(8, 8); \
	MOVHU   208(R6), R13; \
	FMOVS   R13, F0; \
	FCVTHS  F0, F0; \
	VDUP    V0.S[0], V0.S4; \
	FMOVS   (R7), F2; \
	VLD1    (R20), V2.S[1]; \
	VLD1    (R21), V2.S[2]; \
	VLD1    (R22), V2.S[3]; \
	KFMUL(0, 0, 2); \
	KFMUL(8, 8, 0); \
	KFADD(28, 28, 8)

#define G6KBODY(DOT) \
	G4ARGS; \
	Q6CONST; \
row: \
	G4ROW_START; \
block: \
	G6KBLOCK(DOT); \
	G4NEXT(210); \
	CBNZ R8, block; \
	G4ROW_END; \
	CBNZ R3, row; \
	RET

// func gemm4Q6KSDOT(out *float32, ldo int, w *byte, stride, rows int, x *byte, xstride, nb int)
TEXT ·gemm4Q6KSDOT(SB), NOSPLIT, $0-64
	G6KBODY(DOT6S)

// func gemm4Q6KNEON(out *float32, ldo int, w *byte, stride, rows int, x *byte, xstride, nb int)
TEXT ·gemm4Q6KNEON(SB), NOSPLIT, $0-64
	G6KBODY(DOT6N)
