// Macros that more than one amd64 assembly file uses.

// DATA16 and DATA32 fill 16 or 32 bytes of sym from byte off with the
// qword v: the constant tables repeat one qword per 128- or 256-bit lane.
#define DATA16(sym, off, v) \
	DATA sym+(off)(SB)/8, $v; \
	DATA sym+(off+8)(SB)/8, $v

#define DATA32(sym, off, v) \
	DATA16(sym, off, v); \
	DATA16(sym, off+16, v)

// CONST4 and CONST8 define sym as the dword or qword v.
#define CONST4(sym, v) DATA sym+0(SB)/4, $v; GLOBL sym(SB), RODATA|NOPTR, $4
#define CONST8(sym, v) DATA sym+0(SB)/8, $v; GLOBL sym(SB), RODATA|NOPTR, $8

// TAB2X16 and TAB2X32 define sym as two 16- or 32-byte halves repeating
// the qwords lo and hi: per-lane constants of a ymm or zmm.
#define TAB2X16(sym, lo, hi) \
	DATA16(sym, 0, lo); \
	DATA16(sym, 16, hi); \
	GLOBL sym(SB), RODATA|NOPTR, $32

#define TAB2X32(sym, lo, hi) \
	DATA32(sym, 0, lo); \
	DATA32(sym, 32, hi); \
	GLOBL sym(SB), RODATA|NOPTR, $64

// DATA8 is one qword. RAMP4 and RAMP8 fill 4 or 8 entries of n bytes
// (D: DATA8, DATA16 or DATA32) from byte off with the qwords v, v+inc,
// v+2*inc, ...: the index and shift tables count up or down per entry.
#define DATA8(sym, off, v) DATA sym+(off)(SB)/8, $v

#define RAMP4(D, sym, off, n, v, inc) \
	D(sym, off, v); \
	D(sym, (off+n), (v+(inc))); \
	D(sym, (off+2*n), (v+2*(inc))); \
	D(sym, (off+3*n), (v+3*(inc)))

#define RAMP8(D, sym, off, n, v, inc) \
	RAMP4(D, sym, off, n, v, inc); \
	RAMP4(D, sym, (off+4*n), n, (v+4*(inc)), inc)

// HSUM8 reduces the 8 floats of Y into the low lane of X (X is Y's low
// half); T is a scratch X register. HMAX8 is it for the maximum: HRED8
// with the reduction's ops (LAST for the last step).
#define HRED8(OP, LAST, Y, X, T) \
	VEXTRACTF128 $1, Y, T; \
	OP           T, X, X; \
	VPERMILPS    $0x4e, X, T; \
	OP           T, X, X; \
	VPERMILPS    $0xb1, X, T; \
	LAST         T, X, X

#define HSUM8(Y, X, T) HRED8(VADDPS, VADDSS, Y, X, T)
#define HMAX8(Y, X, T) HRED8(VMAXPS, VMAXPS, Y, X, T)

// NIBSPLIT splits the bytes of LO into their low (LO) and high (HI)
// nibbles; M holds 0x0f bytes.
#define NIBSPLIT(LO, HI, M) \
	VPSRLW $4, LO, HI; \
	VPAND  M, LO, LO; \
	VPAND  M, HI, HI

// NONE is an empty macro argument.
#define NONE
