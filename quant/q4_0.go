package quant

import "encoding/binary"

// Q4_0 block: d half, qs[16]; byte j holds element j in its low nibble and
// element j+16 in its high nibble; x = (q-8) d.

// QuantizeQ4_0 quantizes src into Q4_0 blocks like ggml's reference: max is
// the value of largest magnitude (sign kept, first wins on ties), d = max/-8,
// q = min(15, trunc(x/d + 8.5)) with x/d computed as x times the f32
// reciprocal of the unrounded d.
// Preconditions: len(src)%32 == 0 and len(dst) == len(src)/32*18.
func QuantizeQ4_0(dst []byte, src []float32) {
	for b := 0; b+QK <= len(src); b += QK {
		x := src[b : b+QK]
		blk := dst[b/QK*BlockBytesQ4_0:][:BlockBytesQ4_0]
		_, max := absMax(x)
		d := max / -8
		var id float32
		if d != 0 {
			id = 1 / d
		}
		binary.LittleEndian.PutUint16(blk, F32ToF16(d))
		for j := 0; j < QK/2; j++ {
			lo := truncClamp(float32(x[j]*id)+8.5, 15)
			hi := truncClamp(float32(x[j+QK/2]*id)+8.5, 15)
			blk[2+j] = byte(lo) | byte(hi)<<4
		}
	}
}

// DequantizeQ4_0 expands Q4_0 blocks. Preconditions: len(src)%18 == 0 and
// len(dst) == len(src)/18*32.
func DequantizeQ4_0(dst []float32, src []byte) {
	for b := 0; b+BlockBytesQ4_0 <= len(src); b += BlockBytesQ4_0 {
		blk := src[b : b+BlockBytesQ4_0]
		y := dst[b/BlockBytesQ4_0*QK:][:QK]
		d := f16At(blk, 0)
		for j := 0; j < QK/2; j++ {
			q := blk[2+j]
			y[j] = float32(int32(q&15)-8) * d
			y[j+QK/2] = float32(int32(q>>4)-8) * d
		}
	}
}

// DotQ4_0 is the reference dot product of Q4_0 weights w (len(w)/18 blocks)
// with Q8_0 activations x, accumulated like DotQ8_0.
func DotQ4_0(w, x []byte) float32 {
	var sum float32
	nb := min(len(w)/BlockBytesQ4_0, len(x)/BlockBytesQ8_0)
	for i := range nb {
		wb := w[i*BlockBytesQ4_0:][:BlockBytesQ4_0]
		xb := x[i*BlockBytesQ8_0:][:BlockBytesQ8_0]
		var isum int32
		for j := 0; j < QK/2; j++ {
			q := wb[2+j]
			isum += (int32(q&15) - 8) * int32(int8(xb[2+j]))
			isum += (int32(q>>4) - 8) * int32(int8(xb[2+j+QK/2]))
		}
		sum = accum(sum, isum, f16At(wb, 0)*f16At(xb, 0))
	}
	return sum
}

// absMax returns max|x| and the signed value that has it (the first one on
// ties, as ggml's strict comparison picks).
func absMax(x []float32) (amax, max float32) {
	for _, v := range x {
		if a := abs32(v); a > amax {
			amax, max = a, v
		}
	}
	return amax, max
}

// truncClamp converts v to an int by truncation toward zero, as C's
// (int8_t) cast does, then clamps to [0, hi]. The lower clamp and the NaN
// check only matter for NaN/Inf input, where C is undefined.
func truncClamp(v float32, hi int32) int32 {
	if !(v >= 0) {
		return 0
	}
	if v >= float32(hi) {
		return hi
	}
	return int32(v)
}
