package quant

import "encoding/binary"

// Q6_K as ggml's reference quantizer (quantize_row_q6_K_ref, no importance
// matrix) computes it, bit for bit, so that our files equal llama-quantize's:
//
//  1. each 16-value sub-block gets a scale from makeQxQuants;
//  2. the scale of largest magnitude maps to -128: iscale = -128/max_scale,
//     the block scale d = 1/iscale stored as half, the int8 sub-scales
//     nearest_int(iscale*scale) capped at 127;
//  3. every value is re-rounded against d*sub-scale, clamped to [-32, 31]
//     (a sub-block whose sub-scale rounds to 0 keeps step 1's levels).
//
// All arithmetic is float32 in ggml's order; every product that Go could
// fuse with a following addition (it may on arm64) is rounded explicitly, so
// the bytes do not depend on GOARCH.

// groupMaxEps is ggml's GROUP_MAX_EPS: a group whose largest magnitude is
// below it counts as all zero.
const groupMaxEps = 1e-15

// clampQ6 clamps a level to Q6_K's [-32, 31].
func clampQ6(l int32) int32 { return max(-32, min(31, l)) }

// makeQxQuants is ggml's make_qx_quants for n = 16, nmax = 32, rmse_type 1
// (weights x^2) and no importance: the scale s of x ~ s*l, l in [-32, 31],
// chosen among the roundings by the inverse scales -(32 + 0.1*is)/max,
// is = 0, -9..9, as the one maximizing sumlx^2/suml2 (the weighted
// least-squares scale of each rounding is sumlx/suml2). L receives l + 32.
func makeQxQuants(x []float32, L []uint8) float32 {
	const nmax = 32
	amax, max := absMax(x)
	if amax < groupMaxEps {
		clear(L)
		return 0
	}
	sums := func(iscale float32) (sumlx, suml2 float32) {
		for _, v := range x {
			l := float32(clampQ6(nearestInt(float32(iscale * v))))
			w := float32(v * v)
			sumlx += float32(float32(w*v) * l)
			suml2 += float32(float32(w*l) * l)
		}
		return sumlx, suml2
	}
	round := func(iscale float32) {
		for i, v := range x {
			L[i] = uint8(clampQ6(nearestInt(float32(iscale*v))) + nmax)
		}
	}
	iscale := -nmax / max
	round(iscale)
	sumlx, suml2 := sums(iscale)
	var scale float32
	if suml2 != 0 {
		scale = sumlx / suml2
	}
	best := float32(scale * sumlx)
	for is := -9; is <= 9; is++ {
		if is == 0 {
			continue
		}
		iscale = -float32(nmax+float32(0.1*float32(is))) / max
		sumlx, suml2 = sums(iscale)
		if suml2 > 0 && float32(sumlx*sumlx) > float32(best*suml2) {
			round(iscale)
			scale = sumlx / suml2
			best = float32(scale * sumlx)
		}
	}
	return scale
}

// QuantizeQ6_K quantizes weights into Q6_K blocks exactly as ggml's
// reference quantizer does (see above).
// Preconditions: len(src)%256 == 0 and len(dst) == len(src)/256*210.
func QuantizeQ6_K(dst []byte, src []float32) {
	var L [QK_K]uint8
	var scales [QK_K / 16]float32
	for b := 0; b+QK_K <= len(src); b += QK_K {
		x := src[b : b+QK_K]
		blk := dst[b/QK_K*BlockBytesQ6_K:][:BlockBytesQ6_K]
		for j := range scales {
			scales[j] = makeQxQuants(x[16*j:16*j+16], L[16*j:16*j+16])
		}
		maxAbs, maxScale := absMax(scales[:])
		if maxAbs < groupMaxEps {
			clear(blk)
			continue
		}
		iscale := -128 / maxScale
		d := F32ToF16(1 / iscale)
		df := F16ToF32(d)
		sc := blk[192:208]
		for j, s := range scales {
			sc[j] = byte(int8(min(127, nearestInt(float32(iscale*s)))))
		}
		for j := range scales {
			dj := float32(df * float32(int8(sc[j])))
			if dj == 0 {
				continue
			}
			for i, v := range x[16*j : 16*j+16] {
				L[16*j+i] = uint8(clampQ6(nearestInt(v/dj)) + 32)
			}
		}
		ql, qh := blk[0:128], blk[128:192]
		for h := range 2 {
			o := L[128*h:]
			for l := range 32 {
				a, c, e, f := o[l], o[32+l], o[64+l], o[96+l]
				ql[64*h+l] = a&15 | (e&15)<<4
				ql[64*h+32+l] = c&15 | (f&15)<<4
				qh[32*h+l] = a>>4 | (c>>4)<<2 | (e>>4)<<4 | (f>>4)<<6
			}
		}
		binary.LittleEndian.PutUint16(blk[208:], d)
	}
}
