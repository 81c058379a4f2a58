//go:build !noasm

#include "textflag.h"
#include "macros_amd64.h"

// func quantQ8KAVX2(dst *byte, x *float32, nb int)
//
// Per block of 256: amax = max |x| (VMAXPS with the accumulator as second
// operand skips NaNs, as the reference's a > amax does); max = the first
// x with |x| == amax (the reference keeps the first of equal magnitudes);
// iscale = -127/max, d = 1/iscale; q = clamp(nearestInt(iscale*x)) with the
// reference's float magic (x*iscale + 1.5*2^23, low mantissa bits), so NaN
// and inf products give its values; bsums from the packed bytes.

CONST4(kqm127<>, 0xc2fe0000)
CONST4(kqmagic<>, 0x4b400000)
CONST4(kqmant<>, 0x007fffff)
CONST4(kqhalf<>, 0x00400000)
CONST4(kq127<>, 127)
CONST4(kqm128<>, -128)
#define AMAX4(off) \
	VANDPS off(SI), Y15, Y4; \
	VMAXPS Y0, Y4, Y0; \
	VANDPS (off+32)(SI), Y15, Y5; \
	VMAXPS Y1, Y5, Y1; \
	VANDPS (off+64)(SI), Y15, Y6; \
	VMAXPS Y2, Y6, Y2; \
	VANDPS (off+96)(SI), Y15, Y4; \
	VMAXPS Y3, Y4, Y3

#define QV(off, Y) \
	VMULPS  off(SI), Y7, Y; \
	VADDPS  Y14, Y, Y; \
	VPAND   Y13, Y, Y; \
	VPSUBD  Y12, Y, Y; \
	VPMINSD Y11, Y, Y; \
	VPMAXSD Y10, Y, Y

// QCHUNK quantizes x[8c:8c+32] (c = chunk index, off = 128c) into 32
// bytes at 4+32c and leaves in R the 8 dword lanes of VPMADDWD(VPMADDUBSW):
// 4 partial sums of group 2c in the low lane, of 2c+1 in the high lane.
#define QCHUNK(off, qo, R) \
	QV(off, Y0); \
	QV(off+32, Y1); \
	QV(off+64, Y2); \
	QV(off+96, Y3); \
	VPACKSSDW  Y1, Y0, Y0; \
	VPACKSSDW  Y3, Y2, Y2; \
	VPACKSSWB  Y2, Y0, Y0; \
	VPERMD     Y0, Y9, Y0; \
	VMOVDQU    Y0, qo(DI); \
	VPMADDUBSW Y0, Y8, R; \
	VPMADDWD   Y15, R, R

// ZERO128 zeroes the 128 bytes at off(DI) (Y0 = 0).
#define ZERO128(off) \
	VMOVDQU Y0, off(DI); \
	VMOVDQU Y0, (off+32)(DI); \
	VMOVDQU Y0, (off+64)(DI); \
	VMOVDQU Y0, (off+96)(DI)

// QHALF quantizes x[128h:128h+128] (off = 512h, qo = 4+128h) and leaves
// its 8 group sums' partial sums in A (B, C temporaries).
#define QHALF(off, qo, A, B, C) \
	QCHUNK(off, qo, A); \
	QCHUNK((off+128), (qo+32), B); \
	VPHADDD B, A, A; \
	QCHUNK((off+256), (qo+64), B); \
	QCHUNK((off+384), (qo+96), C); \
	VPHADDD C, B, B; \
	VPHADDD B, A, A

TEXT ·quantQ8KAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ nb+16(FP), CX

qblock:
	VBROADCASTSS ·absf32(SB), Y15
	VXORPS       Y0, Y0, Y0
	VXORPS       Y1, Y1, Y1
	VXORPS       Y2, Y2, Y2
	VXORPS       Y3, Y3, Y3
	AMAX4(0)
	AMAX4(128)
	AMAX4(256)
	AMAX4(384)
	AMAX4(512)
	AMAX4(640)
	AMAX4(768)
	AMAX4(896)
	VMAXPS       Y1, Y0, Y0
	VMAXPS       Y3, Y2, Y2
	VMAXPS       Y2, Y0, Y0
	HMAX8(Y0, X0, X1)
	VXORPS       X1, X1, X1
	VUCOMISS     X1, X0
	JEQ          zero
	VBROADCASTSS X0, Y5
	XORQ         R8, R8

find:
	VANDPS    (SI)(R8*4), Y15, Y4
	VCMPPS    $0, Y5, Y4, Y4
	VMOVMSKPS Y4, AX
	TESTL     AX, AX
	JNZ       found
	ADDQ      $8, R8
	JMP       find

found:
	BSFL         AX, AX
	ADDQ         R8, AX
	VMOVSS       (SI)(AX*4), X6
	VMOVSS       kqm127<>(SB), X7
	VDIVSS       X6, X7, X7
	VMOVSS       ·onef32(SB), X6
	VDIVSS       X7, X6, X6
	VMOVSS       X6, (DI)
	VBROADCASTSS X7, Y7
	VBROADCASTSS kqmagic<>(SB), Y14
	VPBROADCASTD kqmant<>(SB), Y13
	VPBROADCASTD kqhalf<>(SB), Y12
	VPBROADCASTD kq127<>(SB), Y11
	VPBROADCASTD kqm128<>(SB), Y10
	VMOVDQU      ·packperm(SB), Y9
	VPBROADCASTD ·ones8(SB), Y8
	VPBROADCASTD ·ones16(SB), Y15
	QHALF(0, 4, Y4, Y5, Y6)
	QHALF(512, 132, Y5, Y6, Y1)
	VPACKSSDW    Y5, Y4, Y4
	VEXTRACTI128 $1, Y4, X5
	VPUNPCKLWD   X5, X4, X6
	VPUNPCKHWD   X5, X4, X4
	VMOVDQU      X6, 260(DI)
	VMOVDQU      X4, 276(DI)
	JMP          next

zero:
	VPXOR   Y0, Y0, Y0
	ZERO128(0)
	ZERO128(128)
	VMOVDQU Y0, 256(DI)
	MOVL    $0, 288(DI)

next:
	ADDQ $1024, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  qblock
	VZEROUPPER
	RET
