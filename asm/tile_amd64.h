// Macros shared by the int8 tile GEMM kernels (tile_q8q4_amd64.s,
// tile_q4k_amd64.s, tile_q6k_amd64.s) and their AVX-512 repackers
// (tile_q4k_amd64.s, tile_q5k_amd64.s, tile_q6k_amd64.s). Every kernel keeps its
// own order of float operations; these only name the common sequences.

// Accumulators: the 8 float sums F0..F7 of a kernel are rows AX, AX+DX,
// ..., AX+7*DX of out (DX = ldo*4).

// TILE_ACCMASK sets K1, for TILE_LOAD8, to all ones if R8 (the acc flag,
// 0 or 1) is 1, else to zero.
#define TILE_ACCMASK \
	NEGL  R8; \
	KMOVW R8, K1

// TILE_ROWS4 and TILE_ROWS8 run FIRST on F0 and NEXT on F1, ..., the rows
// of out. TILE_LOAD4/8 load F0.. from out under K1, zeroing them when K1
// is zero (no memory is read then), so that it needs no branch;
// TILE_STORE4/8 store them (advancing AX). TILE_LOAD2/TILE_LOAD4P and
// TILE_STORE2/TILE_STORE4P do the same for 2 and 4 rows in pairs (R9 the
// second pair).
#define TILE_ROWS4(FIRST, NEXT, F0, F1, F2, F3) \
	FIRST(F0); \
	NEXT(F1); \
	NEXT(F2); \
	NEXT(F3)

#define TILE_ROWS8(FIRST, NEXT, F0, F1, F2, F3, F4, F5, F6, F7) \
	TILE_ROWS4(FIRST, NEXT, F0, F1, F2, F3); \
	NEXT(F4); \
	NEXT(F5); \
	NEXT(F6); \
	NEXT(F7)

#define TILE_LD0(F) MOVQ AX, R9; VMOVUPS.Z (R9), K1, F
#define TILE_LDN(F) ADDQ DX, R9; VMOVUPS.Z (R9), K1, F
#define TILE_ST0(F) VMOVUPS F, (AX)
#define TILE_STN(F) ADDQ DX, AX; VMOVUPS F, (AX)
#define TILE_LOAD8(F0, F1, F2, F3, F4, F5, F6, F7) TILE_ROWS8(TILE_LD0, TILE_LDN, F0, F1, F2, F3, F4, F5, F6, F7)
#define TILE_STORE8(F0, F1, F2, F3, F4, F5, F6, F7) TILE_ROWS8(TILE_ST0, TILE_STN, F0, F1, F2, F3, F4, F5, F6, F7)
#define TILE_LOAD4(F0, F1, F2, F3) TILE_ROWS4(TILE_LD0, TILE_LDN, F0, F1, F2, F3)
#define TILE_STORE4(F0, F1, F2, F3) TILE_ROWS4(TILE_ST0, TILE_STN, F0, F1, F2, F3)

#define TILE_LOAD2(F0, F1) VMOVUPS.Z (AX), K1, F0; VMOVUPS.Z (AX)(DX*1), K1, F1
#define TILE_LOAD4P(F0, F1, F2, F3) TILE_LOAD2(F0, F1); LEAQ (AX)(DX*2), R9; VMOVUPS.Z (R9), K1, F2; VMOVUPS.Z (R9)(DX*1), K1, F3
#define TILE_STORE2(F0, F1) VMOVUPS F0, (AX); VMOVUPS F1, (AX)(DX*1)
#define TILE_STORE4P(F0, F1, F2, F3) TILE_STORE2(F0, F1); LEAQ (AX)(DX*2), R9; VMOVUPS F2, (R9); VMOVUPS F3, (R9)(DX*1)

// The K-quant tile kernels come for 8, 4 and 2 activations (N); per N
// TILE_VNNIn, TILE_BSUMn, TILE_EACHn and TILE_ISUMn are the steps below
// for the first N activations, in the same order.

// TILE_VNNIn(X, s, g, W) adds k-group g of the activations, s bytes
// apart from X on (each broadcast from memory, signed), times the weights
// W (unsigned) to Z8, Z9, ...
#define TILE_VNNI2(X, s, g, W) \
	VPDPBUSD.BCST (4*g)(X), W, Z8; \
	VPDPBUSD.BCST (s+4*g)(X), W, Z9

#define TILE_VNNI4(X, s, g, W) \
	TILE_VNNI2(X, s, g, W); \
	VPDPBUSD.BCST (2*s+4*g)(X), W, Z10; \
	VPDPBUSD.BCST (3*s+4*g)(X), W, Z11

#define TILE_VNNI8(X, s, g, W) \
	TILE_VNNI4(X, s, g, W); \
	VPDPBUSD.BCST (4*s+4*g)(X), W, Z12; \
	VPDPBUSD.BCST (5*s+4*g)(X), W, Z13; \
	VPDPBUSD.BCST (6*s+4*g)(X), W, Z14; \
	VPDPBUSD.BCST (7*s+4*g)(X), W, Z15

// TILE_BSUMn(p, P, D0..D7) adds the int16 pair P times the block sums 2p
// and 2p+1 of the activations (at 2048 of a K-quant activation
// super-block in SI, 32 bytes apart) to D0, D1, ...; all take eight
// accumulators so that a kernel names them once for every N.
#define TILE_BSUM2(p, P, D0, D1, D2, D3, D4, D5, D6, D7) \
	VPDPWSSD.BCST (2048+4*p)(SI), P, D0; \
	VPDPWSSD.BCST (2080+4*p)(SI), P, D1

#define TILE_BSUM4(p, P, D0, D1, D2, D3, D4, D5, D6, D7) \
	TILE_BSUM2(p, P, D0, D1, D2, D3, D4, D5, D6, D7); \
	VPDPWSSD.BCST (2112+4*p)(SI), P, D2; \
	VPDPWSSD.BCST (2144+4*p)(SI), P, D3

#define TILE_BSUM8(p, P, D0, D1, D2, D3, D4, D5, D6, D7) \
	TILE_BSUM4(p, P, D0, D1, D2, D3, D4, D5, D6, D7); \
	VPDPWSSD.BCST (2176+4*p)(SI), P, D4; \
	VPDPWSSD.BCST (2208+4*p)(SI), P, D5; \
	VPDPWSSD.BCST (2240+4*p)(SI), P, D6; \
	VPDPWSSD.BCST (2272+4*p)(SI), P, D7

// TILE_ISUMn(S) adds the sub-block sums Z8, Z9, ... times the scales S to
// the isums Z0, Z1, ... (int32, exact for the kernels' ranges).
#define TILE_ISUM2(S) ISUMP(S, Z8, Z9, Z0, Z1)
#define TILE_ISUM4(S) TILE_ISUM2(S); ISUMP(S, Z10, Z11, Z2, Z3)
#define TILE_ISUM8(S) \
	MUL4(S, Z8, Z9, Z10, Z11); \
	MUL4(S, Z12, Z13, Z14, Z15); \
	ADD4(Z8, Z9, Z10, Z11, Z0, Z1, Z2, Z3); \
	ADD4(Z12, Z13, Z14, Z15, Z4, Z5, Z6, Z7)

// ISUMP adds A and B times S to IA and IB. MUL4 multiplies A..D with S;
// ADD4 adds A..D to E..H (int32 lanes).
#define ISUMP(S, A, B, IA, IB) VPMULLD S, A, A; VPMULLD S, B, B; VPADDD A, IA, IA; VPADDD B, IB, IB
#define MUL4(S, A, B, C, D) VPMULLD S, A, A; VPMULLD S, B, B; VPMULLD S, C, C; VPMULLD S, D, D
#define ADD4(A, B, C, D, E, F, G, H) VPADDD A, E, E; VPADDD B, F, F; VPADDD C, G, G; VPADDD D, H, H

// The K-quant repackers unpack values by transposing: 64 bytes (16
// dwords) of each of the 16 rows of a group are loaded into Z0..Z15 and
// transposed (VPUNPCK*DQ within 128-bit lanes, then the lanes with
// VSHUFI32X4) so that a register holds one dword of every row. Row i
// starts idx[i] bytes after SI (AX = idx); Z16..Z23 are temporaries.

// KDSTEP(j, I, F) is the reference's float step of a K-quant super-block
// for activation j: F = F + float(I)*(d*dx), each operation rounded (no
// FMA); d is in Z16. Q6_K's whole step; Q4_K/Q5_K subtract the mins after.
#define KDSTEP(j, I, F) \
	VMULPS.BCST (2304+4*j)(SI), Z16, Z18; \
	VCVTDQ2PS   I, I; \
	VMULPS      Z18, I, I; \
	VADDPS      I, F, F

// KROW(i, off, R) loads the 64 bytes at off of row i.
#define KROW(i, off, R) \
	MOVLQSX   (4*i)(AX), R9; \
	VMOVDQU32 off(SI)(R9*1), R

// KT1(A, B) interleaves the dwords of rows A and B within 128-bit lanes:
// A = a0 b0 a1 b1, B = a2 b2 a3 b3 (per lane).
#define KT1(A, B) \
	VPUNPCKLDQ B, A, Z16; \
	VPUNPCKHDQ B, A, B; \
	VMOVDQA64  Z16, A

// KT2(R0, R1, R2, R3) makes, from KT1's pairs (R0, R1) and (R2, R3) of 4
// rows, Rm = dword m of the 4 rows (per 128-bit lane).
#define KT2(R0, R1, R2, R3) \
	VPUNPCKLQDQ R2, R0, Z16; \
	VPUNPCKHQDQ R2, R0, Z17; \
	VPUNPCKLQDQ R3, R1, Z18; \
	VPUNPCKHQDQ R3, R1, R3; \
	VMOVDQA64   Z16, R0; \
	VMOVDQA64   Z17, R1; \
	VMOVDQA64   Z18, R2

// KT3(X0, X1, X2, X3) transposes the 128-bit lanes of X0..X3 (dword m of
// rows 4q..4q+3 in Xq) into Z20..Z23 (Z(20+L) = dword 4L+m of the 16 rows).
#define KT3(X0, X1, X2, X3) \
	VSHUFI32X4 $0x44, X1, X0, Z16; \
	VSHUFI32X4 $0xee, X1, X0, Z17; \
	VSHUFI32X4 $0x44, X3, X2, Z18; \
	VSHUFI32X4 $0xee, X3, X2, Z19; \
	VSHUFI32X4 $0x88, Z18, Z16, Z20; \
	VSHUFI32X4 $0xdd, Z18, Z16, Z21; \
	VSHUFI32X4 $0x88, Z19, Z17, Z22; \
	VSHUFI32X4 $0xdd, Z19, Z17, Z23

// KLOAD(off) loads the 64 bytes at off of the 16 rows into Z0..Z15 and
// transposes them up to KT3, which then takes (Zm, Z4+m, Z8+m, Z12+m).
#define KLOAD(off) \
	KROW(0, off, Z0); \
	KROW(1, off, Z1); \
	KROW(2, off, Z2); \
	KROW(3, off, Z3); \
	KROW(4, off, Z4); \
	KROW(5, off, Z5); \
	KROW(6, off, Z6); \
	KROW(7, off, Z7); \
	KROW(8, off, Z8); \
	KROW(9, off, Z9); \
	KROW(10, off, Z10); \
	KROW(11, off, Z11); \
	KROW(12, off, Z12); \
	KROW(13, off, Z13); \
	KROW(14, off, Z14); \
	KROW(15, off, Z15); \
	KT1(Z0, Z1); \
	KT1(Z2, Z3); \
	KT1(Z4, Z5); \
	KT1(Z6, Z7); \
	KT1(Z8, Z9); \
	KT1(Z10, Z11); \
	KT1(Z12, Z13); \
	KT1(Z14, Z15); \
	KT2(Z0, Z1, Z2, Z3); \
	KT2(Z4, Z5, Z6, Z7); \
	KT2(Z8, Z9, Z10, Z11); \
	KT2(Z12, Z13, Z14, Z15)

// KSETUP, from the repackers' arguments (AX idx, CX rows), loads the row
// offsets into Z31, the mask of the rows present into R8 and K5, and 0x0f
// in every byte into Z30.
#define KSETUP \
	VMOVDQU32    (AX), Z31; \
	MOVL         $1, R8; \
	SHLL         CX, R8; \
	DECL         R8; \
	KMOVW        R8, K5; \
	MOVL         $0x0f0f0f0f, R9; \
	VPBROADCASTD R9, Z30

// KCONST(v, Z) broadcasts the dword v into Z.
#define KCONST(v, Z) \
	MOVL         v, R9; \
	VPBROADCASTD R9, Z

// KGATHER(off, R, K) gathers the dwords at off of the rows' super-block
// into R (zero for missing rows).
#define KGATHER(off, R, K) \
	KMOVW      R8, K; \
	VPXORD     R, R, R; \
	VPGATHERDD off(SI)(Z31*1), K, R

// Q4_K/Q5_K scales and mins (12 packed bytes after d and dmin), with
// 63, 15 and 3 in Z29, Z28, Z27.

// KSTORE2(T, off) stores T as int32 pairs of int16 (T < 64) at off.
#define KSTORE2(T, off) \
	VPSLLD    $16, T, Z20; \
	VPORD     Z20, T, T; \
	VMOVDQU32 T, off(DI)

// KLOW(s) stores scale and min of sub-block s < 4: the low 6 bits of
// packed bytes s and s+4 (byte s of Z16 and Z17).
#define KLOW(s) \
	VPSRLD    $(8*s), Z16, Z19; \
	VPANDD    Z29, Z19, Z19; \
	VMOVDQU32 Z19, (4096+64*s)(DI); \
	VPSRLD    $(8*s), Z17, Z19; \
	VPANDD    Z29, Z19, Z19; \
	KSTORE2(Z19, (4608+64*s))

// KHIGH(t) stores scale and min of sub-block 4+t: the low and high nibbles
// of packed byte 8+t (byte t of Z18) with the top 2 bits of bytes t and
// t+4 above them.
#define KHIGH(t) \
	VPSRLD    $(8*t), Z18, Z19; \
	VPANDD    Z28, Z19, Z19; \
	VPSRLD    $(8*t+6), Z16, Z21; \
	VPANDD    Z27, Z21, Z21; \
	VPSLLD    $4, Z21, Z21; \
	VPORD     Z21, Z19, Z19; \
	VMOVDQU32 Z19, (4096+256+64*t)(DI); \
	VPSRLD    $(8*t+4), Z18, Z19; \
	VPANDD    Z28, Z19, Z19; \
	VPSRLD    $(8*t+6), Z17, Z21; \
	VPANDD    Z27, Z21, Z21; \
	VPSLLD    $4, Z21, Z21; \
	VPORD     Z21, Z19, Z19; \
	KSTORE2(Z19, (4608+256+64*t))

// KSCALES stores the scales, mins, d and dmin of a Q4_K/Q5_K super-block
// (d and dmin: the low and high halves of its first dword).
#define KSCALES \
	KGATHER(4, Z16, K1); \
	KGATHER(8, Z17, K2); \
	KGATHER(12, Z18, K3); \
	KGATHER(0, Z22, K4); \
	KLOW(0); \
	KLOW(1); \
	KLOW(2); \
	KLOW(3); \
	KHIGH(0); \
	KHIGH(1); \
	KHIGH(2); \
	KHIGH(3); \
	VPMOVDW   Z22, Y23; \
	VCVTPH2PS Y23, Z23; \
	VMOVUPS   Z23, 5120(DI); \
	VPSRLD    $16, Z22, Z22; \
	VPMOVDW   Z22, Y23; \
	VCVTPH2PS Y23, Z23; \
	VMOVUPS   Z23, 5184(DI)

// TILE_ARGS loads the arguments of the tile kernels (out, ldo in bytes,
// w, x, nb, acc: see tile16x8VNNI) and, when acc is set, the running sums
// (LOAD: TILE_LOAD8 or a narrower one). FP offsets in a header go
// unchecked by vet; the kernels share this one signature.
#define TILE_ARGS(LOAD) \
	MOVQ    out+0(FP), AX; \
	MOVQ    ldo+8(FP), DX; \
	SHLQ    $2, DX; \
	MOVQ    w+16(FP), BX; \
	MOVQ    x+24(FP), SI; \
	MOVQ    nb+32(FP), CX; \
	MOVBQZX acc+40(FP), R8; \
	TILE_ACCMASK; \
	LOAD

// TILE_LD8 loads the 8 zmm at off(P), off+64(P), ... into Z16..Z23.
#define TILE_LD8(P, off) \
	VMOVDQU32 (off)(P), Z16; \
	VMOVDQU32 (off+64)(P), Z17; \
	VMOVDQU32 (off+128)(P), Z18; \
	VMOVDQU32 (off+192)(P), Z19; \
	VMOVDQU32 (off+256)(P), Z20; \
	VMOVDQU32 (off+320)(P), Z21; \
	VMOVDQU32 (off+384)(P), Z22; \
	VMOVDQU32 (off+448)(P), Z23

// TILE_BSUMS(B, A0..A7) runs B (a TILE_BSUMn) for the int16 pairs 0..7
// in Z16..Z23 (as TILE_LD8 loads them), into A0, A1, ...
#define TILE_BSUMS(B, A0, A1, A2, A3, A4, A5, A6, A7) \
	B(0, Z16, A0, A1, A2, A3, A4, A5, A6, A7); \
	B(1, Z17, A0, A1, A2, A3, A4, A5, A6, A7); \
	B(2, Z18, A0, A1, A2, A3, A4, A5, A6, A7); \
	B(3, Z19, A0, A1, A2, A3, A4, A5, A6, A7); \
	B(4, Z20, A0, A1, A2, A3, A4, A5, A6, A7); \
	B(5, Z21, A0, A1, A2, A3, A4, A5, A6, A7); \
	B(6, Z22, A0, A1, A2, A3, A4, A5, A6, A7); \
	B(7, Z23, A0, A1, A2, A3, A4, A5, A6, A7)

// TILE_G32(V, X, s) and TILE_G64(V, X, s) run V (a TILE_VNNIn) for the
// k-groups 0..3 or 0..7 of weights in Z16..Z23.
#define TILE_G32(V, X, s) \
	V(X, s, 0, Z16); \
	V(X, s, 1, Z17); \
	V(X, s, 2, Z18); \
	V(X, s, 3, Z19)

#define TILE_G64(V, X, s) \
	TILE_G32(V, X, s); \
	V(X, s, 4, Z20); \
	V(X, s, 5, Z21); \
	V(X, s, 6, Z22); \
	V(X, s, 7, Z23)

// TILE_EACHn(STEP) runs STEP(j, Zj, Z8+j, Z16+j, Z24+j) for the
// activations j. ZEROI and ZEROS are steps that zero the isum and the sub-block
// sum of activation j.
#define TILE_EACH2(STEP) \
	STEP(0, Z0, Z8, Z16, Z24); \
	STEP(1, Z1, Z9, Z17, Z25)

#define TILE_EACH4(STEP) \
	TILE_EACH2(STEP); \
	STEP(2, Z2, Z10, Z18, Z26); \
	STEP(3, Z3, Z11, Z19, Z27)

#define TILE_EACH8(STEP) \
	TILE_EACH4(STEP); \
	STEP(4, Z4, Z12, Z20, Z28); \
	STEP(5, Z5, Z13, Z21, Z29); \
	STEP(6, Z6, Z14, Z22, Z30); \
	STEP(7, Z7, Z15, Z23, Z31)

#define ZEROI(j, I, M, T, F) VPXORD I, I, I
#define ZEROS(j, I, M, T, F) VPXORD M, M, M

// TILEK is a K-quant tile kernel (tileKFunc) on the first N activations
// of the tile (LOAD, STORE, EACH, ISUM, VNNI and BSUM: N's steps): Zj isum
// of activation j per super-block, Z8+j int32 sums of the current
// sub-block, Z16..Z23 its values (k-group g of the 16 rows) and then
// temporaries, Z24+j float sums of activation j. BX walks the weights'
// super-blocks (WB bytes), SI the activations'; R10 the sub-block's values
// (VB bytes), R11 its activations (XB bytes), R13 its scales. Per
// sub-block (NSUB) SUB(VNNI) adds the products to the sums, which are
// added times the scales (loaded into SC) to the isums: exact in int32 for
// the kernels' ranges. END(EACH, BSUM) then does the super-block's float
// steps. TILEK8, TILEK4 and TILEK2 pass N's steps.
#define TILEK(LOAD, STORE, EACH, ISUM, VNNI, BSUM, NSUB, SUB, SC, VB, XB, END, WB) \
	TILE_ARGS(LOAD); \
block: \
	EACH(ZEROI); \
	MOVQ BX, R10; \
	MOVQ SI, R11; \
	LEAQ 4096(BX), R13; \
	MOVQ $NSUB, R12; \
sub: \
	EACH(ZEROS); \
	SUB(VNNI); \
	VMOVDQU32 (R13), SC; \
	ISUM(SC); \
	ADDQ $VB, R10; \
	ADDQ $XB, R11; \
	ADDQ $64, R13; \
	DECQ R12; \
	JNZ  sub; \
	END(EACH, BSUM); \
	ADDQ $WB, BX; \
	ADDQ $2336, SI; \
	DECQ CX; \
	JNZ  block; \
	STORE; \
	VZEROUPPER; \
	RET

#define TILEK8(NSUB, SUB, SC, VB, XB, END, WB) TILEK(TILE_LOAD8(Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31), TILE_STORE8(Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31), TILE_EACH8, TILE_ISUM8, TILE_VNNI8, TILE_BSUM8, NSUB, SUB, SC, VB, XB, END, WB)
#define TILEK4(NSUB, SUB, SC, VB, XB, END, WB) TILEK(TILE_LOAD4P(Z24, Z25, Z26, Z27), TILE_STORE4P(Z24, Z25, Z26, Z27), TILE_EACH4, TILE_ISUM4, TILE_VNNI4, TILE_BSUM4, NSUB, SUB, SC, VB, XB, END, WB)
#define TILEK2(NSUB, SUB, SC, VB, XB, END, WB) TILEK(TILE_LOAD2(Z24, Z25), TILE_STORE2(Z24, Z25), TILE_EACH2, TILE_ISUM2, TILE_VNNI2, TILE_BSUM2, NSUB, SUB, SC, VB, XB, END, WB)

// REPACK is a K-quant repacker (func(dst *byte, w *byte, idx *[16]int32,
// rows, nb int)): row i of the group starts idx[i] bytes after w (idx of
// a missing row is any valid row's); lanes of the rows >= rows (1..16) are
// zero, scales included (those by masked gathers). CONST loads the
// format's constants, BODY repacks a super-block of WB bytes per row into
// DB bytes of dst. Z0..Z15 hold the rows' dwords, Z16..Z24 temporaries,
// Z26..Z31 constants and row offsets; K5 the rows present, K1..K4 gather
// masks. The arguments are read here, as for TILE_ARGS.
#define REPACK(CONST, BODY, WB, DB) \
	MOVQ dst+0(FP), DI; MOVQ w+8(FP), SI; MOVQ idx+16(FP), AX; MOVQ rows+24(FP), CX; MOVQ nb+32(FP), DX; \
	KSETUP; \
	CONST; \
kblk: \
	BODY; \
	ADDQ $WB, SI; \
	ADDQ $DB, DI; \
	DECQ DX; \
	JNZ  kblk; \
	VZEROUPPER; \
	RET

// KEACH4(Q, A) runs Q(Zm, Z4+m, Z8+m, Z12+m, m, A) for m = 0..3: the four
// KT3 inputs of a loaded block (see KLOAD); KPASS loads the block at off
// first.
#define KEACH4(Q, A) \
	Q(Z0, Z4, Z8, Z12, 0, A); \
	Q(Z1, Z5, Z9, Z13, 1, A); \
	Q(Z2, Z6, Z10, Z14, 2, A); \
	Q(Z3, Z7, Z11, Z15, 3, A)

#define KPASS(off, Q, A) KLOAD(off); KEACH4(Q, A)
