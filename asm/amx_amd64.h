// The AMX Q4_K/Q5_K tile kernel (tileK16x16AMX, layouts in
// tile_q4k_amx.go): 16 weight rows x 16 activations per call. The Go
// assembler has no AMX mnemonics, so the instructions are written as their
// VEX bytes: C4, then R X B (inverted) and map 0F38, then W vvvv
// (inverted) L pp, the opcode, ModRM and SIB.
//
// The tiles are configured by amxConfigure for a run of kernel calls on
// one thread, all 16 rows of 64 bytes: tmm4/tmm5 activations (SI + R10*1,
// R10 = 256), tmm6/tmm7 the lo/hi weights (BX + R11*1, R11 = 64),
// tmm0/tmm1 the lo/hi sums of even super-blocks and tmm2/tmm3 those of odd
// ones, so that the tile unit multiplies one super-block while the sums of
// the other are stored and finished with AVX-512. The frame (R13, 64-byte
// aligned) holds two 2 KB slots for the sums and, at 4096, the 16 float
// sums (out's rows are read and written once per call).

#define AMX_LDTILECFG_DI BYTE $0xC4; BYTE $0xE2; BYTE $0x78; BYTE $0x49; BYTE $0x07
#define AMX_TILERELEASE BYTE $0xC4; BYTE $0xE2; BYTE $0x78; BYTE $0x49; BYTE $0xC0
#define AMX_TILEZERO(t) BYTE $0xC4; BYTE $0xE2; BYTE $0x7B; BYTE $0x49; BYTE $(0xC0|(t<<3))

// AMX_LOADA(t, d): TILELOADD tmm t, [SI + R10*1 + d]; AMX_LOADB the same
// from [BX + R11*1 + d]; AMX_STORE(t, d): TILESTORED [R13 + R11*1 + d], t.
#define AMX_LOADA(t, d) BYTE $0xC4; BYTE $0xA2; BYTE $0x7B; BYTE $0x4B; BYTE $(0x84|(t<<3)); BYTE $0x16; LONG $d
#define AMX_LOADB(t, d) BYTE $0xC4; BYTE $0xA2; BYTE $0x7B; BYTE $0x4B; BYTE $(0x84|(t<<3)); BYTE $0x1B; LONG $d
#define AMX_STORE(t, d) BYTE $0xC4; BYTE $0x82; BYTE $0x7A; BYTE $0x4B; BYTE $(0x84|(t<<3)); BYTE $0x1D; LONG $d

// AMX_DP(c, a, b): TDPBSSD tmm c += tmm a (activations) times tmm b.
#define AMX_DP(c, a, b) BYTE $0xC4; BYTE $0xE2; BYTE $((15-b)<<3|3); BYTE $0x5E; BYTE $(0xC0|(c<<3)|a)

// AMX_SB(A, CL, CH, WOFF, XOFF) multiplies the super-block WOFF bytes
// after BX (activations XOFF after SI, into tile A) into CL and CH, 64
// values (AMX_CHUNK c) at a time.
#define AMX_CHUNK(c, A, CL, CH, WOFF, XOFF) \
	AMX_LOADB(6, WOFF+1024*c); \
	AMX_LOADB(7, WOFF+4096+1024*c); \
	AMX_LOADA(A, XOFF+64*c); \
	AMX_DP(CL, A, 6); \
	AMX_DP(CH, A, 7)

#define AMX_SB(A, CL, CH, WOFF, XOFF) \
	AMX_TILEZERO(CL); \
	AMX_TILEZERO(CH); \
	AMX_CHUNK(0, A, CL, CH, WOFF, XOFF); \
	AMX_CHUNK(1, A, CL, CH, WOFF, XOFF); \
	AMX_CHUNK(2, A, CL, CH, WOFF, XOFF); \
	AMX_CHUNK(3, A, CL, CH, WOFF, XOFF)

// AMX_STORE2(CL, CH, f) stores the sums CL and CH to the slot at f.
#define AMX_STORE2(CL, CH, f) \
	AMX_STORE(CL, f); \
	AMX_STORE(CH, f+1024)

// AMX_ISUM(f, j, I, M): I = the isum of activation j, lo + hi<<7, from
// the sums in slot f.
#define AMX_ISUM(f, j, I, M) \
	VMOVDQU32 (f+64*j)(R13), I; \
	VMOVDQU32 (f+1024+64*j)(R13), M; \
	VPSLLD    $7, M, M; \
	VPADDD    M, I, I

// AMX_BSUM(h, p, P) adds the int16 pair P (mins of sub-block p) times the
// block sums 2p and 2p+1 of activations 8h..8h+7 to Z8..Z15.
#define AMX_BSUM(h, p, P) \
	VPDPWSSD.BCST (4096+256*h+4*p)(SI), P, Z8; \
	VPDPWSSD.BCST (4096+256*h+32+4*p)(SI), P, Z9; \
	VPDPWSSD.BCST (4096+256*h+64+4*p)(SI), P, Z10; \
	VPDPWSSD.BCST (4096+256*h+96+4*p)(SI), P, Z11; \
	VPDPWSSD.BCST (4096+256*h+128+4*p)(SI), P, Z12; \
	VPDPWSSD.BCST (4096+256*h+160+4*p)(SI), P, Z13; \
	VPDPWSSD.BCST (4096+256*h+192+4*p)(SI), P, Z14; \
	VPDPWSSD.BCST (4096+256*h+224+4*p)(SI), P, Z15

// AMX_FLT(j, I, M) is the reference's float step for activation j on its
// float sum F in the frame: F = (F + float(I)*(d*dx)) - float(M)*(dmin*dx),
// each operation rounded (no FMA); d in Z16, dmin in Z17.
#define AMX_FLT(j, I, M) \
	VMOVUPS     (4096+64*j)(R13), Z24; \
	VMULPS.BCST (4608+4*j)(SI), Z16, Z18; \
	VCVTDQ2PS   I, I; \
	VMULPS      Z18, I, I; \
	VADDPS      I, Z24, Z24; \
	VMULPS.BCST (4608+4*j)(SI), Z17, Z19; \
	VCVTDQ2PS   M, M; \
	VMULPS      Z19, M, M; \
	VSUBPS      M, Z24, Z24; \
	VMOVUPS     Z24, (4096+64*j)(R13)

// AMX_HALF(f, h) finishes activations 8h..8h+7 of the super-block at BX
// and SI from slot f: isums Z0..Z7, msums Z8..Z15, mins then d/dmin in
// Z16..Z23.
#define AMX_HALF(f, h) \
	AMX_ISUM(f, (8*h), Z0, Z8); \
	AMX_ISUM(f, (8*h+1), Z1, Z9); \
	AMX_ISUM(f, (8*h+2), Z2, Z10); \
	AMX_ISUM(f, (8*h+3), Z3, Z11); \
	AMX_ISUM(f, (8*h+4), Z4, Z12); \
	AMX_ISUM(f, (8*h+5), Z5, Z13); \
	AMX_ISUM(f, (8*h+6), Z6, Z14); \
	AMX_ISUM(f, (8*h+7), Z7, Z15); \
	VPXORD Z8, Z8, Z8; \
	VPXORD Z9, Z9, Z9; \
	VPXORD Z10, Z10, Z10; \
	VPXORD Z11, Z11, Z11; \
	VPXORD Z12, Z12, Z12; \
	VPXORD Z13, Z13, Z13; \
	VPXORD Z14, Z14, Z14; \
	VPXORD Z15, Z15, Z15; \
	TILE_LD8(BX, 8192); \
	AMX_BSUM(h, 0, Z16); \
	AMX_BSUM(h, 1, Z17); \
	AMX_BSUM(h, 2, Z18); \
	AMX_BSUM(h, 3, Z19); \
	AMX_BSUM(h, 4, Z20); \
	AMX_BSUM(h, 5, Z21); \
	AMX_BSUM(h, 6, Z22); \
	AMX_BSUM(h, 7, Z23); \
	VMOVUPS 8704(BX), Z16; \
	VMOVUPS 8768(BX), Z17; \
	AMX_FLT((8*h), Z0, Z8); \
	AMX_FLT((8*h+1), Z1, Z9); \
	AMX_FLT((8*h+2), Z2, Z10); \
	AMX_FLT((8*h+3), Z3, Z11); \
	AMX_FLT((8*h+4), Z4, Z12); \
	AMX_FLT((8*h+5), Z5, Z13); \
	AMX_FLT((8*h+6), Z6, Z14); \
	AMX_FLT((8*h+7), Z7, Z15)

#define AMX_FLOAT(f) AMX_HALF(f, 0); AMX_HALF(f, 1)

#define AMX_NEXT \
	ADDQ $8832, BX; \
	ADDQ $4672, SI

// AMX_ACCIN sets the 16 float sums in the frame from the rows of out at AX
// (DX apart), or to zero unless acc (R8); AMX_ACCOUT stores them back. R9
// walks out, R12 the frame, CX counts; CX = nb after AMX_ACCIN.
#define AMX_ACCIN \
	VPXORD  Z0, Z0, Z0; \
	MOVQ    AX, R9; \
	LEAQ    4096(R13), R12; \
	MOVQ    $16, CX; \
	TESTQ   R8, R8; \
	JZ      amxzero; \
amxin: \
	VMOVUPS (R9), Z0; \
	VMOVUPS Z0, (R12); \
	ADDQ    DX, R9; \
	ADDQ    $64, R12; \
	DECQ    CX; \
	JNZ     amxin; \
	JMP     amxready; \
amxzero: \
	VMOVUPS Z0, (R12); \
	ADDQ    $64, R12; \
	DECQ    CX; \
	JNZ     amxzero; \
amxready: \
	MOVQ    nb+32(FP), CX

#define AMX_ACCOUT \
	MOVQ    AX, R9; \
	LEAQ    4096(R13), R12; \
	MOVQ    $16, CX; \
amxout: \
	VMOVUPS (R12), Z0; \
	VMOVUPS Z0, (R9); \
	ADDQ    DX, R9; \
	ADDQ    $64, R12; \
	DECQ    CX; \
	JNZ     amxout

// AMX_KERNEL is tileK16x16AMX: super-block s in tmm0/tmm1 (s even) or
// tmm2/tmm3 (odd); each loop step stores the sums of s, starts s+1 and
// finishes s in AVX-512 while the tile unit works.
#define AMX_KERNEL \
	MOVQ    out+0(FP), AX; \
	MOVQ    ldo+8(FP), DX; \
	SHLQ    $2, DX; \
	MOVQ    w+16(FP), BX; \
	MOVQ    x+24(FP), SI; \
	MOVBQZX acc+40(FP), R8; \
	MOVQ    SP, R13; \
	ADDQ    $63, R13; \
	ANDQ    $~63, R13; \
	AMX_ACCIN; \
	MOVQ    $256, R10; \
	MOVQ    $64, R11; \
	AMX_SB(4, 0, 1, 0, 0); \
	DECQ    CX; \
	JZ      amxlast0; \
amxloop: \
	AMX_STORE2(0, 1, 0); \
	AMX_SB(5, 2, 3, 8832, 4672); \
	AMX_FLOAT(0); \
	AMX_NEXT; \
	DECQ    CX; \
	JZ      amxlast1; \
	AMX_STORE2(2, 3, 2048); \
	AMX_SB(4, 0, 1, 8832, 4672); \
	AMX_FLOAT(2048); \
	AMX_NEXT; \
	DECQ    CX; \
	JNZ     amxloop; \
amxlast0: \
	AMX_STORE2(0, 1, 0); \
	AMX_FLOAT(0); \
	JMP     amxdone; \
amxlast1: \
	AMX_STORE2(2, 3, 2048); \
	AMX_FLOAT(2048); \
amxdone: \
	AMX_ACCOUT; \
	VZEROUPPER; \
	RET
