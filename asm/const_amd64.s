//go:build !noasm

#include "textflag.h"
#include "macros_amd64.h"

// Constants that more than one amd64 kernel file loads, defined once here
// (a <> symbol is private to its file). Each is sized for its widest load;
// VPBROADCASTQ/VPBROADCASTD and VBROADCASTSS read its first 8 or 4 bytes.

// Byte masks and bits: 0x0f (nibbles), 0x10, 0x30 and 0x3f (K-quant 5th
// and 6th bits, 6-bit scales).
DATA16(·bytes0f, 0, 0x0f0f0f0f0f0f0f0f)
GLOBL ·bytes0f(SB), RODATA|NOPTR, $16

DATA32(·bytes10, 0, 0x1010101010101010)
GLOBL ·bytes10(SB), RODATA|NOPTR, $32

DATA32(·bytes30, 0, 0x3030303030303030)
GLOBL ·bytes30(SB), RODATA|NOPTR, $32

DATA16(·bytes3f, 0, 0x3f3f3f3f3f3f3f3f)
GLOBL ·bytes3f(SB), RODATA|NOPTR, $16

// int8 and int16 ones, for VPMADDUBSW/VPMADDWD lane sums.
CONST8(·ones8, 0x0101010101010101)

CONST8(·ones16, 0x0001000100010001)

// f32 |x| mask and 1.0.
CONST4(·absf32, 0x7fffffff)

CONST4(·onef32, 0x3f800000)

// VPERMD indexes that undo the lane interleave of VPACKSSDW+VPACKSSWB.
DATA ·packperm+0(SB)/8, $0x0000000400000000
DATA ·packperm+8(SB)/8, $0x0000000500000001
DATA ·packperm+16(SB)/8, $0x0000000600000002
DATA ·packperm+24(SB)/8, $0x0000000700000003
GLOBL ·packperm(SB), RODATA|NOPTR, $32
