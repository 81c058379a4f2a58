// Macros that more than one arm64 assembly file uses.

// The NEON instructions the Go assembler has no mnemonic for, emitted as
// instruction words (register numbers d, n, m; element i):
//
//	sdot   Vd.4S, Vn.16B, Vm.16B  0x4E809400 | m<<16 | n<<5 | d  (dot-product extension)
//	smull  Vd.8H, Vn.8B,  Vm.8B   0x0E20C000 | m<<16 | n<<5 | d
//	smull2 Vd.8H, Vn.16B, Vm.16B  0x4E20C000 | m<<16 | n<<5 | d
//	sadalp Vd.4S, Vn.8H           0x4E606800 | n<<5 | d
//	mul    Vd.4S, Vn.4S, Vm.4S    0x4EA09C00 | m<<16 | n<<5 | d
//	mla    Vd.4S, Vn.4S, Vm.4S    0x4EA09400 | m<<16 | n<<5 | d
//	mla    Vd.4S, Vn.4S, Vm.S[i]  0x6F800000 | L<<21 | M<<20 | Rm<<16 | H<<11 | n<<5 | d
//	                              (i = H:L, m = M:Rm)
//	smull  Vd.4S, Vn.4H, Vm.4H    0x0E60C000 | m<<16 | n<<5 | d
//	smlal2 Vd.4S, Vn.8H, Vm.8H    0x4E608000 | m<<16 | n<<5 | d
//	sxtl   Vd.8H, Vn.8B           0x0F08A400 | n<<5 | d
//	sxtl2  Vd.8H, Vn.16B          0x4F08A400 | n<<5 | d
//	sxtl   Vd.4S, Vn.4H           0x0F10A400 | n<<5 | d
//	sxtl2  Vd.4S, Vn.8H           0x4F10A400 | n<<5 | d
//	scvtf  Vd.4S, Vn.4S           0x4E21D800 | n<<5 | d
//	fcvtl  Vd.4S, Vn.4H           0x0E217800 | n<<5 | d
//	fcvtl2 Vd.4S, Vn.8H           0x4E217800 | n<<5 | d
//	fmul   Vd.4S, Vn.4S, Vm.4S    0x6E20DC00 | m<<16 | n<<5 | d
//	fadd   Vd.4S, Vn.4S, Vm.4S    0x4E20D400 | m<<16 | n<<5 | d
//	fsub   Vd.4S, Vn.4S, Vm.4S    0x4EA0D400 | m<<16 | n<<5 | d
#define SDOT(d, n, m) WORD $(0x4E809400 | ((m)<<16) | ((n)<<5) | (d))
#define SMULL(d, n, m) WORD $(0x0E20C000 | ((m)<<16) | ((n)<<5) | (d))
#define SMULL2(d, n, m) WORD $(0x4E20C000 | ((m)<<16) | ((n)<<5) | (d))
#define SADALP(d, n) WORD $(0x4E606800 | ((n)<<5) | (d))
#define MUL4S(d, n, m) WORD $(0x4EA09C00 | ((m)<<16) | ((n)<<5) | (d))
#define MLA4S(d, n, m) WORD $(0x4EA09400 | ((m)<<16) | ((n)<<5) | (d))
#define MLAE(d, n, m, i) WORD $(0x6F800000 | (((i)&1)<<21) | (((m)>>4)<<20) | (((m)&15)<<16) | (((i)>>1)<<11) | ((n)<<5) | (d))
#define SMULL4H(d, n, m) WORD $(0x0E60C000 | ((m)<<16) | ((n)<<5) | (d))
#define SMLAL2H(d, n, m) WORD $(0x4E608000 | ((m)<<16) | ((n)<<5) | (d))
#define SXTL8B(d, n) WORD $(0x0F08A400 | ((n)<<5) | (d))
#define SXTL2B(d, n) WORD $(0x4F08A400 | ((n)<<5) | (d))
#define SXTL4H(d, n) WORD $(0x0F10A400 | ((n)<<5) | (d))
#define SXTL2H(d, n) WORD $(0x4F10A400 | ((n)<<5) | (d))
#define SCVTF4S(d, n) WORD $(0x4E21D800 | ((n)<<5) | (d))
#define FCVTL(d, n) WORD $(0x0E217800 | ((n)<<5) | (d))
#define FCVTL2(d, n) WORD $(0x4E217800 | ((n)<<5) | (d))
#define FMUL4S(d, n, m) WORD $(0x6E20DC00 | ((m)<<16) | ((n)<<5) | (d))
#define FADD4S(d, n, m) WORD $(0x4E20D400 | ((m)<<16) | ((n)<<5) | (d))
#define FSUB4S(d, n, m) WORD $(0x4EA0D400 | ((m)<<16) | ((n)<<5) | (d))

// DOTN adds the 16 int8 products of Vn and Vm to the 4 int32 lanes of Vd
// without SDOT: exact int16 products (|p| <= 2^14) in Vt1 and Vt2, added
// pairwise into int32 (SMLAL would add two products in int16 first and
// overflow for -128*-128 twice).
#define DOTN(d, n, m, t1, t2) \
	SMULL(t1, n, m); \
	SMULL2(t2, n, m); \
	SADALP(d, t1); \
	SADALP(d, t2)

// ZERO4 clears four vector registers (arrangement B16).
#define ZERO4(A, B, C, D) \
	VEOR A, A, A; \
	VEOR B, B, B; \
	VEOR C, C, C; \
	VEOR D, D, D

// ADDP4 leaves in lane j of A the sum of the 4 int32 lanes of the j-th of
// A, B, C, D (arrangement S4), by pairwise adds (C is clobbered).
#define ADDP4(A, B, C, D) \
	VADDP B, A, A; \
	VADDP D, C, C; \
	VADDP C, A, A

// NONE is an empty macro argument.
#define NONE
