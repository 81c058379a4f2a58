//go:build !noasm

#include "textflag.h"
#include "macros_amd64.h"

CONST4(signmask<>, 0x80000000)

CONST4(half<>, 0x3f000000)

CONST4(c127<>, 0x42fe0000)

CONST4(two31<>, 0x4f000000)

// ROUND rounds the 8 floats of Y half away from zero, like C's roundf and
// the reference: r = floor(|t|) + (|t| - floor(|t|) >= 0.5), both steps
// exact (adding 0.5 first would round 0.49999997 up), with t's sign; lanes
// that are NaN or not below 2^31 (the reference's out-of-range case)
// become 0. Then converts to int32. Y12 abs mask, Y13 0.5, Y14 1.0, Y15
// 2^31, Y11 sign mask.
#define ROUND(Y) \
	VANDPS    Y12, Y, Y6; \
	VROUNDPS  $1, Y6, Y7; \
	VSUBPS    Y7, Y6, Y8; \
	VCMPPS    $0x1d, Y13, Y8, Y8; \
	VANDPS    Y14, Y8, Y8; \
	VADDPS    Y8, Y7, Y7; \
	VCMPPS    $0x11, Y15, Y6, Y6; \
	VANDPS    Y6, Y7, Y7; \
	VANDPS    Y11, Y, Y; \
	VORPS     Y7, Y, Y; \
	VCVTTPS2DQ Y, Y

// func quantQ8AVX2(dst *byte, x *float32, nb int)
TEXT ·quantQ8AVX2(SB), NOSPLIT, $0-24
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         nb+16(FP), CX
	VBROADCASTSS ·absf32(SB), Y12
	VBROADCASTSS half<>(SB), Y13
	VBROADCASTSS ·onef32(SB), Y14
	VBROADCASTSS two31<>(SB), Y15
	VBROADCASTSS signmask<>(SB), Y11
	VMOVDQU      ·packperm(SB), Y10
	VMOVSS       c127<>(SB), X9
	VMOVSS       ·onef32(SB), X5

block:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3

	// amax = max |x|, skipping NaN like the reference's a > amax: MAXPS
	// returns its second source when the first (the data) is NaN.
	VXORPS Y4, Y4, Y4
	VANDPS Y12, Y0, Y6
	VMAXPS Y4, Y6, Y4
	VANDPS Y12, Y1, Y6
	VMAXPS Y4, Y6, Y4
	VANDPS Y12, Y2, Y6
	VMAXPS Y4, Y6, Y4
	VANDPS Y12, Y3, Y6
	VMAXPS Y4, Y6, Y4
	VEXTRACTF128 $1, Y4, X6
	VMAXPS X6, X4, X4
	VPERMILPS $0x4e, X4, X6
	VMAXPS X6, X4, X4
	VPERMILPS $0xb1, X4, X6
	VMAXSS X6, X4, X4

	// d = amax/127, id = d != 0 ? 1/d : 0, d stored as f16 (RNE).
	VDIVSS    X9, X4, X4
	VCVTPS2PH $0, X4, X6
	VMOVD     X6, AX
	MOVW      AX, (DI)
	VXORPS    X6, X6, X6
	VUCOMISS  X6, X4
	JEQ       zero
	VDIVSS    X4, X5, X6

zero:
	VBROADCASTSS X6, Y6
	VMULPS       Y6, Y0, Y0
	VMULPS       Y6, Y1, Y1
	VMULPS       Y6, Y2, Y2
	VMULPS       Y6, Y3, Y3
	ROUND(Y0)
	ROUND(Y1)
	ROUND(Y2)
	ROUND(Y3)
	VPACKSSDW Y1, Y0, Y0
	VPACKSSDW Y3, Y2, Y2
	VPACKSSWB Y2, Y0, Y0
	VPERMD    Y0, Y10, Y0
	VMOVDQU   Y0, 2(DI)

	ADDQ $128, SI
	ADDQ $34, DI
	DECQ CX
	JNZ  block
	VZEROUPPER
	RET

// func prepAVX2(dst *byte, x *byte, nb int, shift uint64)
TEXT ·prepAVX2(SB), NOSPLIT, $0-32
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         nb+16(FP), CX
	VMOVQ        shift+24(FP), X3
	VPBROADCASTQ ·ones8(SB), Y1
	VPBROADCASTQ ·ones16(SB), Y2
	VPXOR        Y4, Y4, Y4

block:
	VMOVDQU      2(SI), Y0
	VMOVDQU      Y0, (DI)
	VPMADDUBSW   Y0, Y1, Y5
	VPMADDWD     Y2, Y5, Y5
	VPSLLD       X3, Y5, Y5
	VPSUBD       Y5, Y4, Y5
	VMOVDQU      Y5, 32(DI)
	VPBROADCASTW (SI), X6
	VCVTPH2PS    X6, X6
	VMOVSS       X6, 64(DI)
	ADDQ         $34, SI
	ADDQ         $72, DI
	DECQ         CX
	JNZ          block
	VZEROUPPER
	RET
