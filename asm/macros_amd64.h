// Macros that more than one amd64 assembly file uses.

// DATA16 and DATA32 fill 16 or 32 bytes of sym from byte off with the
// qword v: the constant tables repeat one qword per 128- or 256-bit lane.
#define DATA16(sym, off, v) \
	DATA sym+(off)(SB)/8, $v; \
	DATA sym+(off+8)(SB)/8, $v

#define DATA32(sym, off, v) \
	DATA16(sym, off, v); \
	DATA16(sym, off+16, v)

// HSUM8 reduces the 8 floats of Y into the low lane of X (X is Y's low
// half); T is a scratch X register.
#define HSUM8(Y, X, T) \
	VEXTRACTF128 $1, Y, T; \
	VADDPS       T, X, X; \
	VPERMILPS    $0x4e, X, T; \
	VADDPS       T, X, X; \
	VPERMILPS    $0xb1, X, T; \
	VADDSS       T, X, X

// HMAX8 is HSUM8 for the maximum.
#define HMAX8(Y, X, T) \
	VEXTRACTF128 $1, Y, T; \
	VMAXPS       T, X, X; \
	VPERMILPS    $0x4e, X, T; \
	VMAXPS       T, X, X; \
	VPERMILPS    $0xb1, X, T; \
	VMAXPS       T, X, X
