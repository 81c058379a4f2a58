//go:build !noasm

#include "textflag.h"
#include "macros_arm64.h"

// DOT_SDOT/DOT_NEON add to the 4 int32 lanes of Vd the products of the 16
// int8 pairs of Vn and Vm (see DOTN).
#define DOT_SDOT(d, n, m) SDOT(d, n, m)
#define DOT_NEON(d, n, m) DOTN(d, n, m, 8, 9)

// Layout: a Q8_0 block is 34 bytes (f16 d, 32 int8), a Q4_0 block 18 bytes
// (f16 d, 16 bytes: low nibble element j, high nibble element j+16).
// Pointers are kept 2 bytes into a block (at the values) and the scale is
// read at -2.
//
// Each block is reduced to its int32 sum (VADDV), then converted and scaled
// in scalar float exactly as the reference: s += float32(isum) * (dw*dx).
// The f16 scales are converted with FCVT (exact, subnormals included).

// XQ8 loads the activation block at R4: values in V16/V17, dx in F30.
#define XQ8 \
	MOVHU  -2(R4), R9; \
	VLD1.P 32(R4), [V16.B16, V17.B16]; \
	FMOVS  R9, F30; \
	FCVTHS F30, F30; \
	ADD    $2, R4

// FINISH adds V4's int32 sum times (d at OFF(Rp), as f16) * dx to FS.
#define FINISH(Rp, FS, OFF) \
	MOVHU   OFF(Rp), R7; \
	VADDV   V4.S4, V4; \
	FMOVS   F4, R8; \
	SCVTFWS R8, F5; \
	FMOVS   R7, F6; \
	FCVTHS  F6, F6; \
	FMULS   F30, F6, F6; \
	FMULS   F6, F5, F5; \
	FADDS   F5, FS, FS

// Q8ROW adds row block at Rp to FS and advances Rp (the scale is read
// after the post-incremented load, at -34).
#define Q8ROW(DOT, Rp, FS) \
	VLD1.P 32(Rp), [V0.B16, V1.B16]; \
	VEOR   V4.B16, V4.B16, V4.B16; \
	DOT(4, 0, 16); \
	DOT(4, 1, 17); \
	FINISH(Rp, FS, -34); \
	ADD    $2, Rp

#define STORE4 \
	FMOVS F20, 0(R6); \
	FMOVS F21, 4(R6); \
	FMOVS F22, 8(R6); \
	FMOVS F23, 12(R6)

// DOT1 is the body of the 1-row kernels (func(w, x *byte, n int) float32)
// and GEMV4 of the 4-row ones (func(out *[4]float32, w *byte, stride int,
// x *byte, n int)): CONST loads the format's constants, ROW(DOT, Rp, FS)
// adds one block of the row at Rp to FS with the DOT macro of the path.
#define DOT1(CONST, ROW, DOT) \
	MOVD  w+0(FP), R0; \
	MOVD  x+8(FP), R4; \
	MOVD  n+16(FP), R5; \
	CONST; \
	ADD   $2, R0; \
	ADD   $2, R4; \
	FMOVS ZR, F20; \
	CBZ   R5, done; \
loop: \
	XQ8; \
	ROW(DOT, R0, F20); \
	SUB  $1, R5; \
	CBNZ R5, loop; \
done: \
	FMOVS F20, ret+24(FP); \
	RET

#define GEMV4(CONST, ROW, DOT) \
	MOVD  out+0(FP), R6; \
	MOVD  w+8(FP), R0; \
	MOVD  stride+16(FP), R7; \
	MOVD  x+24(FP), R4; \
	MOVD  n+32(FP), R5; \
	CONST; \
	ADD   $2, R0; \
	ADD   R7, R0, R1; \
	ADD   R7, R1, R2; \
	ADD   R7, R2, R3; \
	ADD   $2, R4; \
	FMOVS ZR, F20; \
	FMOVS ZR, F21; \
	FMOVS ZR, F22; \
	FMOVS ZR, F23; \
	CBZ   R5, done; \
loop: \
	XQ8; \
	ROW(DOT, R0, F20); \
	ROW(DOT, R1, F21); \
	ROW(DOT, R2, F22); \
	ROW(DOT, R3, F23); \
	SUB  $1, R5; \
	CBNZ R5, loop; \
done: \
	STORE4; \
	RET

TEXT ·dotQ8SDOT(SB), NOSPLIT, $0-28
	DOT1(NONE, Q8ROW, DOT_SDOT)

TEXT ·gemv4Q8SDOT(SB), NOSPLIT, $0-40
	GEMV4(NONE, Q8ROW, DOT_SDOT)

TEXT ·dotQ8NEON(SB), NOSPLIT, $0-28
	DOT1(NONE, Q8ROW, DOT_NEON)

TEXT ·gemv4Q8NEON(SB), NOSPLIT, $0-40
	GEMV4(NONE, Q8ROW, DOT_NEON)

// Q4ROW adds Q4_0 row block at Rp to FS and advances Rp. V28 = 0x0f bytes,
// V29 = 8 bytes.
#define Q4ROW(DOT, Rp, FS) \
	VLD1.P 16(Rp), [V0.B16]; \
	VAND   V28.B16, V0.B16, V1.B16; \
	VUSHR  $4, V0.B16, V2.B16; \
	VSUB   V29.B16, V1.B16, V1.B16; \
	VSUB   V29.B16, V2.B16, V2.B16; \
	VEOR   V4.B16, V4.B16, V4.B16; \
	DOT(4, 1, 16); \
	DOT(4, 2, 17); \
	FINISH(Rp, FS, -18); \
	ADD    $2, Rp

#define Q4CONST \
	VMOVI $15, V28.B16; \
	VMOVI $8, V29.B16

TEXT ·dotQ4SDOT(SB), NOSPLIT, $0-28
	DOT1(Q4CONST, Q4ROW, DOT_SDOT)

TEXT ·gemv4Q4SDOT(SB), NOSPLIT, $0-40
	GEMV4(Q4CONST, Q4ROW, DOT_SDOT)

TEXT ·dotQ4NEON(SB), NOSPLIT, $0-28
	DOT1(Q4CONST, Q4ROW, DOT_NEON)

TEXT ·gemv4Q4NEON(SB), NOSPLIT, $0-40
	GEMV4(Q4CONST, Q4ROW, DOT_NEON)
