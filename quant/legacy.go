package quant

import (
	"encoding/binary"
	"math"
)

// Layouts (QUANTS.md): Q4_1 d, m half, qs[16]; Q5_0 d half, qh u32, qs[16];
// Q5_1 d, m half, qh u32, qs[16]; Q8_1 d, s half, qs[32]. The nibble order is
// Q4_0's; bit j of qh is the 5th bit of element j.

// minMax returns the smallest and largest value of x, starting from
// +-MaxFloat32 like ggml so that the result is the same for any input
// without NaN.
func minMax(x []float32) (lo, hi float32) {
	lo, hi = math.MaxFloat32, -math.MaxFloat32
	for _, v := range x {
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	return lo, hi
}

// QuantizeQ4_1 quantizes like ggml's reference: d = (max-min)/15, m = min,
// q = min(15, trunc((x-min)/d + 0.5)).
// Preconditions: len(src)%32 == 0 and len(dst) == len(src)/32*20.
func QuantizeQ4_1(dst []byte, src []float32) {
	for b := 0; b+QK <= len(src); b += QK {
		x := src[b : b+QK]
		blk := dst[b/QK*BlockBytesQ4_1:][:BlockBytesQ4_1]
		lo, hi := minMax(x)
		d := (hi - lo) / 15
		var id float32
		if d != 0 {
			id = 1 / d
		}
		binary.LittleEndian.PutUint16(blk, F32ToF16(d))
		binary.LittleEndian.PutUint16(blk[2:], F32ToF16(lo))
		for j := 0; j < QK/2; j++ {
			q0 := truncClamp(float32((x[j]-lo)*id)+0.5, 15)
			q1 := truncClamp(float32((x[j+QK/2]-lo)*id)+0.5, 15)
			blk[4+j] = byte(q0) | byte(q1)<<4
		}
	}
}

// DequantizeQ4_1 expands Q4_1 blocks: x = q d + m.
func DequantizeQ4_1(dst []float32, src []byte) {
	for b := 0; b+BlockBytesQ4_1 <= len(src); b += BlockBytesQ4_1 {
		blk := src[b : b+BlockBytesQ4_1]
		y := dst[b/BlockBytesQ4_1*QK:][:QK]
		d, m := f16At(blk, 0), f16At(blk, 2)
		for j := 0; j < QK/2; j++ {
			q := blk[4+j]
			y[j] = float32(float32(q&15)*d) + m
			y[j+QK/2] = float32(float32(q>>4)*d) + m
		}
	}
}

// QuantizeQ5_0 quantizes like ggml's reference: max = value of largest
// magnitude, d = max/-16, q = min(31, trunc(x/d + 16.5)).
// Preconditions: len(src)%32 == 0 and len(dst) == len(src)/32*22.
func QuantizeQ5_0(dst []byte, src []float32) {
	for b := 0; b+QK <= len(src); b += QK {
		x := src[b : b+QK]
		blk := dst[b/QK*BlockBytesQ5_0:][:BlockBytesQ5_0]
		_, max := absMax(x)
		d := max / -16
		var id float32
		if d != 0 {
			id = 1 / d
		}
		binary.LittleEndian.PutUint16(blk, F32ToF16(d))
		var qh uint32
		for j := 0; j < QK/2; j++ {
			q0 := truncClamp(float32(x[j]*id)+16.5, 31)
			q1 := truncClamp(float32(x[j+QK/2]*id)+16.5, 31)
			blk[6+j] = byte(q0&15) | byte(q1&15)<<4
			qh |= uint32(q0>>4)<<j | uint32(q1>>4)<<(j+QK/2)
		}
		binary.LittleEndian.PutUint32(blk[2:], qh)
	}
}

// DequantizeQ5_0 expands Q5_0 blocks: x = (q-16) d.
func DequantizeQ5_0(dst []float32, src []byte) {
	for b := 0; b+BlockBytesQ5_0 <= len(src); b += BlockBytesQ5_0 {
		blk := src[b : b+BlockBytesQ5_0]
		y := dst[b/BlockBytesQ5_0*QK:][:QK]
		d := f16At(blk, 0)
		qh := binary.LittleEndian.Uint32(blk[2:])
		for j := 0; j < QK/2; j++ {
			q0, q1 := q5(blk[6+j], qh, j)
			y[j] = float32(q0-16) * d
			y[j+QK/2] = float32(q1-16) * d
		}
	}
}

// q5 returns the 5-bit values of elements j and j+16 of a Q5 block.
func q5(qs byte, qh uint32, j int) (int32, int32) {
	q0 := int32(qs&15) | int32(qh>>j&1)<<4
	q1 := int32(qs>>4) | int32(qh>>(j+QK/2)&1)<<4
	return q0, q1
}

// QuantizeQ5_1 quantizes like ggml's reference: d = (max-min)/31, m = min,
// q = trunc((x-min)/d + 0.5) (at most 31 for finite input).
// Preconditions: len(src)%32 == 0 and len(dst) == len(src)/32*24.
func QuantizeQ5_1(dst []byte, src []float32) {
	for b := 0; b+QK <= len(src); b += QK {
		x := src[b : b+QK]
		blk := dst[b/QK*BlockBytesQ5_1:][:BlockBytesQ5_1]
		lo, hi := minMax(x)
		d := (hi - lo) / 31
		var id float32
		if d != 0 {
			id = 1 / d
		}
		binary.LittleEndian.PutUint16(blk, F32ToF16(d))
		binary.LittleEndian.PutUint16(blk[2:], F32ToF16(lo))
		var qh uint32
		for j := 0; j < QK/2; j++ {
			q0 := truncClamp(float32((x[j]-lo)*id)+0.5, 31)
			q1 := truncClamp(float32((x[j+QK/2]-lo)*id)+0.5, 31)
			blk[8+j] = byte(q0&15) | byte(q1&15)<<4
			qh |= uint32(q0>>4)<<j | uint32(q1>>4)<<(j+QK/2)
		}
		binary.LittleEndian.PutUint32(blk[4:], qh)
	}
}

// DequantizeQ5_1 expands Q5_1 blocks: x = q d + m.
func DequantizeQ5_1(dst []float32, src []byte) {
	for b := 0; b+BlockBytesQ5_1 <= len(src); b += BlockBytesQ5_1 {
		blk := src[b : b+BlockBytesQ5_1]
		y := dst[b/BlockBytesQ5_1*QK:][:QK]
		d, m := f16At(blk, 0), f16At(blk, 2)
		qh := binary.LittleEndian.Uint32(blk[4:])
		for j := 0; j < QK/2; j++ {
			q0, q1 := q5(blk[8+j], qh, j)
			y[j] = float32(float32(q0)*d) + m
			y[j+QK/2] = float32(float32(q1)*d) + m
		}
	}
}

// QuantizeQ8_1 quantizes activations like ggml's reference: as Q8_0, plus
// s = d * sum(q) (f32 d, stored as half).
// Preconditions: len(src)%32 == 0 and len(dst) == len(src)/32*36.
func QuantizeQ8_1(dst []byte, src []float32) {
	for b := 0; b+QK <= len(src); b += QK {
		x := src[b : b+QK]
		blk := dst[b/QK*BlockBytesQ8_1:][:BlockBytesQ8_1]
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
		var sum int32
		for j, v := range x {
			q := int8(roundAway(float32(v * id)))
			blk[4+j] = byte(q)
			sum += int32(q)
		}
		binary.LittleEndian.PutUint16(blk, F32ToF16(d))
		binary.LittleEndian.PutUint16(blk[2:], F32ToF16(float32(sum)*d))
	}
}

// DequantizeQ8_1 expands Q8_1 blocks: x = q d (s is redundant).
func DequantizeQ8_1(dst []float32, src []byte) {
	for b := 0; b+BlockBytesQ8_1 <= len(src); b += BlockBytesQ8_1 {
		blk := src[b : b+BlockBytesQ8_1]
		y := dst[b/BlockBytesQ8_1*QK:][:QK]
		d := f16At(blk, 0)
		for j := range y {
			y[j] = float32(int8(blk[4+j])) * d
		}
	}
}

// DotQ4_1 is the reference dot product of Q4_1 weights (len(w)/20 blocks)
// with Q8_1 activations: per block isum = sum q4*q8 (q4 in 0..15), then
// sum += float32(isum)*(dw*dx) + mw*sx, each operation rounded to float32.
func DotQ4_1(w, x []byte) float32 {
	var sum float32
	nb := min(len(w)/BlockBytesQ4_1, len(x)/BlockBytesQ8_1)
	for i := range nb {
		wb := w[i*BlockBytesQ4_1:][:BlockBytesQ4_1]
		xb := x[i*BlockBytesQ8_1:][:BlockBytesQ8_1]
		var isum int32
		for j := 0; j < QK/2; j++ {
			q := wb[4+j]
			isum += int32(q&15) * int32(int8(xb[4+j]))
			isum += int32(q>>4) * int32(int8(xb[4+j+QK/2]))
		}
		sum = accumMin(sum, isum, f16At(wb, 0)*f16At(xb, 0), f16At(wb, 2)*f16At(xb, 2))
	}
	return sum
}

// DotQ5_0 is the reference dot product of Q5_0 weights (len(w)/22 blocks)
// with Q8_0 activations, accumulated like DotQ8_0.
func DotQ5_0(w, x []byte) float32 {
	var sum float32
	nb := min(len(w)/BlockBytesQ5_0, len(x)/BlockBytesQ8_0)
	for i := range nb {
		wb := w[i*BlockBytesQ5_0:][:BlockBytesQ5_0]
		xb := x[i*BlockBytesQ8_0:][:BlockBytesQ8_0]
		qh := binary.LittleEndian.Uint32(wb[2:])
		var isum int32
		for j := 0; j < QK/2; j++ {
			q0, q1 := q5(wb[6+j], qh, j)
			isum += (q0 - 16) * int32(int8(xb[2+j]))
			isum += (q1 - 16) * int32(int8(xb[2+j+QK/2]))
		}
		sum = accum(sum, isum, f16At(wb, 0)*f16At(xb, 0))
	}
	return sum
}

// DotQ5_1 is the reference dot product of Q5_1 weights (len(w)/24 blocks)
// with Q8_1 activations, accumulated like DotQ4_1.
func DotQ5_1(w, x []byte) float32 {
	var sum float32
	nb := min(len(w)/BlockBytesQ5_1, len(x)/BlockBytesQ8_1)
	for i := range nb {
		wb := w[i*BlockBytesQ5_1:][:BlockBytesQ5_1]
		xb := x[i*BlockBytesQ8_1:][:BlockBytesQ8_1]
		qh := binary.LittleEndian.Uint32(wb[4:])
		var isum int32
		for j := 0; j < QK/2; j++ {
			q0, q1 := q5(wb[8+j], qh, j)
			isum += q0 * int32(int8(xb[4+j]))
			isum += q1 * int32(int8(xb[4+j+QK/2]))
		}
		sum = accumMin(sum, isum, f16At(wb, 0)*f16At(xb, 0), f16At(wb, 2)*f16At(xb, 2))
	}
	return sum
}

// accumMin returns sum + (float32(isum)*d + ms) with every operation rounded
// separately (no FMA on any GOARCH).
func accumMin(sum float32, isum int32, d, ms float32) float32 {
	p := float32(float32(isum) * d)
	p = float32(p + float32(ms))
	return sum + p
}
