package quant

import (
	"math"

	"github.com/x448/float16"
)

// f16Table maps every half to its exact float32 value; dequantization and the
// reference dots convert two halves per block, and a table is the cheapest
// exact way.
var f16Table = func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for i := range t {
		t[i] = float16.Frombits(uint16(i)).Float32()
	}
	return &t
}()

// F16ToF32 converts an IEEE half (raw bits) to float32 exactly.
func F16ToF32(h uint16) float32 { return f16Table[h] }

// F32ToF16 converts f to an IEEE half with round to nearest even, like
// ggml's conversion (F16C on x86).
func F32ToF16(f float32) uint16 { return float16.Fromfloat32(f).Bits() }

// BF16ToF32 converts a bfloat16 (raw bits) to float32 exactly.
func BF16ToF32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// F32ToBF16 converts f to bfloat16 with round to nearest even; a NaN stays a
// NaN (made quiet, as ggml and PyTorch do) rather than rounding into an
// infinity.
func F32ToBF16(f float32) uint16 {
	u := math.Float32bits(f)
	if u&0x7fffffff > 0x7f800000 {
		return uint16(u>>16) | 0x40
	}
	u += 0x7fff + (u>>16)&1
	return uint16(u >> 16)
}
