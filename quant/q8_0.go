package quant

import (
	"encoding/binary"
	"math"
)

// Q8_0 block: d half, qs[32] int8; x = q d.

// QuantizeQ8_0 quantizes src into Q8_0 blocks like ggml's reference:
// d = max|x|/127 (stored as half), q = round-half-away-from-zero(x/d), where
// x/d is computed as x times the f32 reciprocal of the unrounded d.
// Preconditions: len(src)%32 == 0 and len(dst) == len(src)/32*34.
func QuantizeQ8_0(dst []byte, src []float32) {
	for b := 0; b+QK <= len(src); b += QK {
		x := src[b : b+QK]
		blk := dst[b/QK*BlockBytesQ8_0:][:BlockBytesQ8_0]
		var amax float32
		for _, v := range x {
			if a := abs32(v); a > amax {
				amax = a
			}
		}
		d := amax / 127
		var id float32
		if d != 0 {
			id = 1 / d
		}
		binary.LittleEndian.PutUint16(blk, F32ToF16(d))
		for j, v := range x {
			blk[2+j] = byte(int8(roundAway(float32(v * id))))
		}
	}
}

// DequantizeQ8_0 expands Q8_0 blocks. Preconditions: len(src)%34 == 0 and
// len(dst) == len(src)/34*32.
func DequantizeQ8_0(dst []float32, src []byte) {
	for b := 0; b+BlockBytesQ8_0 <= len(src); b += BlockBytesQ8_0 {
		blk := src[b : b+BlockBytesQ8_0]
		y := dst[b/BlockBytesQ8_0*QK:][:QK]
		d := F16ToF32(binary.LittleEndian.Uint16(blk))
		for j := range y {
			y[j] = float32(int8(blk[2+j])) * d
		}
	}
}

// DotQ8_0 is the reference dot product of Q8_0 weights w with Q8_0
// activations x (same number of blocks, len(w)/34): per block an exact int32
// sum of q products, then sum += float32(isum) * (dw*dx), each operation
// rounded to float32, in block order.
func DotQ8_0(w, x []byte) float32 {
	var sum float32
	for b := 0; b+BlockBytesQ8_0 <= len(w) && b+BlockBytesQ8_0 <= len(x); b += BlockBytesQ8_0 {
		wb := w[b : b+BlockBytesQ8_0]
		xb := x[b : b+BlockBytesQ8_0]
		var isum int32
		for j := 2; j < BlockBytesQ8_0; j++ {
			isum += int32(int8(wb[j])) * int32(int8(xb[j]))
		}
		sum = accum(sum, isum, f16At(wb, 0)*f16At(xb, 0))
	}
	return sum
}

// accum returns sum + float32(isum)*d with the product rounded before the
// add, so that no GOARCH fuses it into an FMA.
func accum(sum float32, isum int32, d float32) float32 {
	p := float32(float32(isum) * d)
	return sum + p
}

func f16At(b []byte, off int) float32 {
	return F16ToF32(binary.LittleEndian.Uint16(b[off:]))
}

func abs32(v float32) float32 {
	return math.Float32frombits(math.Float32bits(v) &^ (1 << 31))
}

// roundAway is C's roundf: halfway cases away from zero. It works in
// float64, where |v| + 0.5 is exact for any float32 below 2^29, so there is
// no double-rounding trap near 0.5. Values outside the int32 range (only from
// NaN/Inf input) map to 0 so callers never see an implementation-defined
// conversion.
func roundAway(v float32) int32 {
	a := math.Abs(float64(v))
	if !(a < math.MaxInt32) {
		return 0
	}
	r := int32(a + 0.5)
	if v < 0 {
		r = -r
	}
	return r
}
