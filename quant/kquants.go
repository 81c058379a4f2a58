package quant

import (
	"encoding/binary"
	"math"
)

// Q8_K block: d f32, qs[256] int8, bsums[16] int16 (sums of 16 consecutive qs).
// Q4_K block: d, dmin half, scales[12], qs[128].
// Q5_K block: d, dmin half, scales[12], qh[32], qs[128].
// Q6_K block: ql[128], qh[64], scales[16] int8, d half.
// See QUANTS.md for the bit positions; the helpers below are the only places
// that know them.

// nearestInt rounds to nearest, ties to even, like ggml's nearest_int (the
// float magic-number trick); valid for |v| <= 2^22, which is all the
// callers pass for finite input. Nothing here can fault on NaN/Inf.
func nearestInt(v float32) int32 {
	f := v + 12582912
	return int32(math.Float32bits(f)&0x007fffff) - 0x00400000
}

// QuantizeQ8_K quantizes activations like ggml's reference: max = the value
// of largest magnitude, iscale = -127/max, q = min(127, nearestInt(iscale x)),
// d = 1/iscale (f32), plus the 16 block sums. An all-zero block gets d = 0.
// Preconditions: len(src)%256 == 0 and len(dst) == len(src)/256*292.
func QuantizeQ8_K(dst []byte, src []float32) {
	for b := 0; b+QK_K <= len(src); b += QK_K {
		x := src[b : b+QK_K : b+QK_K]
		blk := dst[b/QK_K*BlockBytesQ8_K:][:BlockBytesQ8_K:BlockBytesQ8_K]
		amax, max := absMax(x)
		if amax == 0 {
			clear(blk)
			continue
		}
		iscale := -127 / max
		qs, bs := blk[4:260:260], blk[260:292:292]
		for g := range QK_K / 16 {
			var s int32
			for j, v := range x[16*g : 16*g+16 : 16*g+16] {
				q := min(127, max32(-128, nearestInt(float32(iscale*v))))
				qs[16*g+j] = byte(int8(q))
				s += q
			}
			binary.LittleEndian.PutUint16(bs[2*g:], uint16(int16(s)))
		}
		binary.LittleEndian.PutUint32(blk, math.Float32bits(1/iscale))
	}
}

func max32(a, b int32) int32 {
	if a > b {
		return a
	}
	return b
}

// DequantizeQ8_K expands Q8_K blocks: x = q d.
func DequantizeQ8_K(dst []float32, src []byte) {
	for b := 0; b+BlockBytesQ8_K <= len(src); b += BlockBytesQ8_K {
		blk := src[b : b+BlockBytesQ8_K]
		y := dst[b/BlockBytesQ8_K*QK_K:][:QK_K]
		d := math.Float32frombits(binary.LittleEndian.Uint32(blk))
		for j := range y {
			y[j] = float32(int8(blk[4+j])) * d
		}
	}
}

// scaleMinK4 unpacks the 6-bit scale and min of sub-block j (0..7) from the
// 12 packed bytes of a Q4_K/Q5_K block.
func scaleMinK4(s []byte, j int) (sc, m uint8) {
	if j < 4 {
		return s[j] & 63, s[j+4] & 63
	}
	return s[j+4]&15 | (s[j-4]>>6)<<4, s[j+4]>>4 | (s[j]>>6)<<4
}

// packScaleMinK4 is the inverse of scaleMinK4; sc and m must be < 64.
func packScaleMinK4(s []byte, sc, m *[8]uint8) {
	for j := range 4 {
		s[j] = sc[j] | (sc[j+4]>>4)<<6
		s[j+4] = m[j] | (m[j+4]>>4)<<6
		s[j+8] = sc[j+4]&15 | m[j+4]<<4
	}
}

// q4KValues unpacks the 256 4-bit values of a Q4_K block (sub-block 2k in the
// low nibbles of the k-th 32-byte group, 2k+1 in the high nibbles).
func q4KValues(qs []byte, L *[QK_K]uint8) {
	for k := range 4 {
		for l := range 32 {
			q := qs[32*k+l]
			L[64*k+l] = q & 15
			L[64*k+32+l] = q >> 4
		}
	}
}

// q5KValues unpacks the 256 5-bit values of a Q5_K block.
func q5KValues(qh, qs []byte, L *[QK_K]uint8) {
	for k := range 4 {
		for l := range 32 {
			q := qs[32*k+l]
			h := qh[l] >> (2 * k)
			L[64*k+l] = q&15 | (h&1)<<4
			L[64*k+32+l] = q>>4 | (h>>1&1)<<4
		}
	}
}

// q6KValues unpacks the 256 signed 6-bit values (q-32) of a Q6_K block.
func q6KValues(ql, qh []byte, L *[QK_K]int8) {
	for h := range 2 {
		l8 := ql[64*h:]
		h8 := qh[32*h:]
		o := L[128*h:]
		for l := range 32 {
			o[l] = int8(l8[l]&15|(h8[l]&3)<<4) - 32
			o[32+l] = int8(l8[l+32]&15|(h8[l]>>2&3)<<4) - 32
			o[64+l] = int8(l8[l]>>4|(h8[l]>>4&3)<<4) - 32
			o[96+l] = int8(l8[l+32]>>4|(h8[l]>>6&3)<<4) - 32
		}
	}
}

// DequantizeQ4_K expands Q4_K blocks: x = (d sc) q - (dmin m) per sub-block.
// Preconditions: len(src)%144 == 0 and len(dst) == len(src)/144*256.
func DequantizeQ4_K(dst []float32, src []byte) {
	var L [QK_K]uint8
	for b := 0; b+BlockBytesQ4_K <= len(src); b += BlockBytesQ4_K {
		blk := src[b : b+BlockBytesQ4_K]
		q4KValues(blk[16:144], &L)
		dequantMinK(dst[b/BlockBytesQ4_K*QK_K:][:QK_K], blk, &L)
	}
}

// DequantizeQ5_K expands Q5_K blocks like Q4_K.
// Preconditions: len(src)%176 == 0 and len(dst) == len(src)/176*256.
func DequantizeQ5_K(dst []float32, src []byte) {
	var L [QK_K]uint8
	for b := 0; b+BlockBytesQ5_K <= len(src); b += BlockBytesQ5_K {
		blk := src[b : b+BlockBytesQ5_K]
		q5KValues(blk[16:48], blk[48:176], &L)
		dequantMinK(dst[b/BlockBytesQ5_K*QK_K:][:QK_K], blk, &L)
	}
}

func dequantMinK(y []float32, blk []byte, L *[QK_K]uint8) {
	d, dmin := f16At(blk, 0), f16At(blk, 2)
	for j := range 8 {
		sc, m := scaleMinK4(blk[4:16], j)
		d1 := d * float32(sc)
		m1 := dmin * float32(m)
		for l := 32 * j; l < 32*j+32; l++ {
			y[l] = float32(d1*float32(L[l])) - m1
		}
	}
}

// DequantizeQ6_K expands Q6_K blocks: x = (d scale) q per 16 values.
// Preconditions: len(src)%210 == 0 and len(dst) == len(src)/210*256.
func DequantizeQ6_K(dst []float32, src []byte) {
	var L [QK_K]int8
	for b := 0; b+BlockBytesQ6_K <= len(src); b += BlockBytesQ6_K {
		blk := src[b : b+BlockBytesQ6_K]
		y := dst[b/BlockBytesQ6_K*QK_K:][:QK_K]
		q6KValues(blk[0:128], blk[128:192], &L)
		d := f16At(blk, 208)
		for j := range 16 {
			d1 := d * float32(int8(blk[192+j]))
			for l := 16 * j; l < 16*j+16; l++ {
				y[l] = d1 * float32(L[l])
			}
		}
	}
}

// DotQ4_K is the reference dot product of Q4_K weights (len(w)/144 blocks)
// with Q8_K activations. Per super-block, exactly in int32:
// isum = sum_j sc_j * sum(q*q8 over sub-block j) and
// msum = sum_j m_j * (bsums[2j] + bsums[2j+1]); then
// sum += float32(isum)*(d*dx); sum -= float32(msum)*(dmin*dx), every
// operation rounded to float32.
func DotQ4_K(w, x []byte) float32 {
	var sum float32
	nb := min(len(w)/BlockBytesQ4_K, len(x)/BlockBytesQ8_K)
	for i := range nb {
		wb := w[i*BlockBytesQ4_K:][:BlockBytesQ4_K:BlockBytesQ4_K]
		xb := x[i*BlockBytesQ8_K:][:BlockBytesQ8_K:BlockBytesQ8_K]
		qs, q8 := wb[16:144:144], xb[4:260:260]
		var sub [8]int32
		for k := range 4 {
			a, b := qs[32*k:32*k+32:32*k+32], q8[64*k:64*k+64:64*k+64]
			var s0, s1 int32
			for l, q := range a {
				s0 += int32(q&15) * int32(int8(b[l]))
				s1 += int32(q>>4) * int32(int8(b[32+l]))
			}
			sub[2*k], sub[2*k+1] = s0, s1
		}
		sum = finishMinK(sum, wb, xb, &sub)
	}
	return sum
}

// DotQ5_K is the reference dot product of Q5_K weights (len(w)/176 blocks)
// with Q8_K activations, defined like DotQ4_K.
func DotQ5_K(w, x []byte) float32 {
	var sum float32
	nb := min(len(w)/BlockBytesQ5_K, len(x)/BlockBytesQ8_K)
	for i := range nb {
		wb := w[i*BlockBytesQ5_K:][:BlockBytesQ5_K:BlockBytesQ5_K]
		xb := x[i*BlockBytesQ8_K:][:BlockBytesQ8_K:BlockBytesQ8_K]
		qh, qs, q8 := wb[16:48:48], wb[48:176:176], xb[4:260:260]
		var sub [8]int32
		for k := range 4 {
			a, b := qs[32*k:32*k+32:32*k+32], q8[64*k:64*k+64:64*k+64]
			var s0, s1 int32
			for l, q := range a {
				h := qh[l] >> (2 * k)
				s0 += int32(q&15|(h&1)<<4) * int32(int8(b[l]))
				s1 += int32(q>>4|(h&2)<<3) * int32(int8(b[32+l]))
			}
			sub[2*k], sub[2*k+1] = s0, s1
		}
		sum = finishMinK(sum, wb, xb, &sub)
	}
	return sum
}

// finishMinK applies the scales, the mins (from the Q8_K bsums) and the
// float step of DotQ4_K/DotQ5_K to one super-block's sub-block sums.
func finishMinK(sum float32, wb, xb []byte, sub *[8]int32) float32 {
	dx := math.Float32frombits(binary.LittleEndian.Uint32(xb))
	bs := xb[260:292]
	var isum, msum int32
	for j := range 8 {
		sc, m := scaleMinK4(wb[4:16], j)
		isum += int32(sc) * sub[j]
		msum += int32(m) * (bsum(bs, 2*j) + bsum(bs, 2*j+1))
	}
	d := float32(f16At(wb, 0) * dx)
	dmin := float32(f16At(wb, 2) * dx)
	sum += float32(float32(isum) * d)
	sum -= float32(float32(msum) * dmin)
	return sum
}

func bsum(bs []byte, g int) int32 {
	return int32(int16(binary.LittleEndian.Uint16(bs[2*g:])))
}

// DotQ6_K is the reference dot product of Q6_K weights (len(w)/210 blocks)
// with Q8_K activations: per super-block isum = sum_j scale_j * sum((q-32)*q8
// over the 16 values of j), exact in int32; then sum += float32(isum)*(d*dx).
func DotQ6_K(w, x []byte) float32 {
	var sum float32
	nb := min(len(w)/BlockBytesQ6_K, len(x)/BlockBytesQ8_K)
	for i := range nb {
		wb := w[i*BlockBytesQ6_K:][:BlockBytesQ6_K:BlockBytesQ6_K]
		xb := x[i*BlockBytesQ8_K:][:BlockBytesQ8_K:BlockBytesQ8_K]
		dx := math.Float32frombits(binary.LittleEndian.Uint32(xb))
		q8, sc := xb[4:260:260], wb[192:208:208]
		var isum int32
		for h := range 2 {
			ql, qh := wb[64*h:64*h+64:64*h+64], wb[128+32*h:160+32*h:160+32*h]
			b := q8[128*h : 128*h+128 : 128*h+128]
			// Sums per 16 values for the four quarters of this half.
			var s [8]int32
			for l := range 32 {
				lo, hi, hb := ql[l], ql[l+32], qh[l]
				g := l / 16
				s[g] += (int32(lo&15|(hb&3)<<4) - 32) * int32(int8(b[l]))
				s[2+g] += (int32(hi&15|(hb>>2&3)<<4) - 32) * int32(int8(b[32+l]))
				s[4+g] += (int32(lo>>4|(hb>>4&3)<<4) - 32) * int32(int8(b[64+l]))
				s[6+g] += (int32(hi>>4|(hb>>6&3)<<4) - 32) * int32(int8(b[96+l]))
			}
			for j, v := range s {
				isum += int32(int8(sc[8*h+j])) * v
			}
		}
		sum = accum(sum, isum, float32(f16At(wb, 208)*dx))
	}
	return sum
}
