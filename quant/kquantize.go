package quant

import (
	"encoding/binary"
	"math"
)

// Q4_K/Q5_K weight quantizers. They are our own search, in the spirit of
// ggml's make_qkx2_quants, but minimizing the plain squared error (what the
// per-tensor RMSE measures) instead of ggml's weighted one:
//
//  1. per sub-block, sweep candidate scales around range/nmax, fit scale
//     and offset by least squares to the rounded levels of each candidate,
//     keep the best, then alternate re-rounding and re-fitting;
//  2. quantize the 6-bit sub-block scales and mins against the super-block
//     scales, trying the neighbours of the rounded integers and re-rounding
//     the values with each, since that last rounding is where most of the
//     error of small sub-blocks comes from;
//  3. refit the super-block d and dmin by least squares to the chosen
//     integers and redo step 2 while the error drops.
//
// The results do not depend on GOARCH: products that could be fused into an
// FMA are either exact or explicitly rounded. Q6_K is ggml's own reference
// quantizer (q6_k.go), so that its tensors equal llama-quantize's.

// Candidate scales of the sweep: range/(nmax + lo + delta*i), i = 0..steps.
// The range was tuned on tiny-global-kjv against llama-quantize's per-tensor
// error.
const (
	minSteps, minLo, minDelta = 16, -2.0, 0.25
	refineIter                = 3 // re-round/re-fit rounds on the best candidate
)

// roundClamp rounds v to the nearest integer (ties away from zero are fine
// here) and clamps it to [lo, hi]; NaN maps to lo.
func roundClamp(v float32, lo, hi int32) int32 {
	if !(v > float32(lo)) {
		return lo
	}
	if v >= float32(hi) {
		return hi
	}
	return int32(v + 0.5)
}

// level is roundClamp(v, 0, hi) without branches, for the hot loops, where v
// is in range up to rounding; for NaN/Inf input it still returns some value
// in [0, hi].
func level(v float32, hi int32) int32 {
	return min(max(int32(float32(v+0.5)), 0), hi)
}

// fitMin finds scale >= 0 and mn >= 0 so that x ~ scale*L - mn with L in
// [0, nmax], minimizing the squared error; L receives the levels.
func fitMin(x []float32, nmax int32, L []uint8) (scale, mn float32) {
	lo, hi := x[0], x[0]
	var sx, sx2 float64
	for _, v := range x {
		lo = min(lo, v)
		hi = max(hi, v)
		sx += float64(v)
		sx2 += float64(v) * float64(v)
	}
	lo = min(lo, 0) // the format's offset can only be subtracted
	n := float64(len(x))
	if !(hi > lo) { // constant row (or NaN): exact with L = 0
		clear(L)
		return 0, -lo
	}
	// Starting point: plain min/max.
	bestS, bestO := float64(hi-lo)/float64(nmax), float64(lo)
	bestErr := math.Inf(1)
	fit := func(s, o float64) (float64, float64, float64, bool) {
		// Round with (s, o), then least-squares fit x ~ s'L + o', o' <= 0.
		is, of := float32(1/s), float32(o)
		var isl, isl2 int32
		var sxl float64
		for _, v := range x {
			l := level(float32(float32(v-of)*is), nmax)
			isl += l
			isl2 += l * l
			sxl += float64(l) * float64(v) // exact, so FMA or not is the same
		}
		sl, sl2 := float64(isl), float64(isl2)
		D := n*sl2 - sl*sl
		if !(D > 0) {
			return 0, 0, 0, false
		}
		s2 := (float64(n*sxl) - float64(sx*sl)) / D
		o2 := (float64(sl2*sx) - float64(sl*sxl)) / D
		if o2 > 0 {
			o2 = 0
			s2 = sxl / sl2
		}
		if !(s2 > 0) {
			return 0, 0, 0, false
		}
		e := sx2 - float64(2*s2*sxl) - float64(2*o2*sx) + float64(s2*s2*sl2) + float64(2*s2*o2*sl) + float64(n*o2*o2)
		return s2, o2, e, true
	}
	for i := 0; i <= minSteps; i++ {
		s := float64(hi-lo) / (float64(nmax) + minLo + float64(minDelta*float64(i)))
		if s2, o2, e, ok := fit(s, float64(lo)); ok && e < bestErr {
			bestS, bestO, bestErr = s2, o2, e
		}
	}
	for range refineIter {
		s2, o2, e, ok := fit(bestS, bestO)
		if !ok || !(e < bestErr) {
			break
		}
		bestS, bestO, bestErr = s2, o2, e
	}
	is, of := float32(1/bestS), float32(bestO)
	for i, v := range x {
		L[i] = uint8(level(float32(float32(v-of)*is), nmax))
	}
	return float32(bestS), float32(-bestO)
}

// requantMin rounds x with scale ds and offset -dm into L and returns the
// squared error.
func requantMin(x []float32, ds, dm float32, nmax int32, L []uint8) float64 {
	var e float32
	var is float32
	if ds != 0 {
		is = 1 / ds
	}
	for i, v := range x {
		l := level(float32(float32(v+dm)*is), nmax)
		L[i] = uint8(l)
		r := float32(float32(ds*float32(l))-dm) - v
		e += float32(r * r)
	}
	return float64(e)
}

// quantizeMinK quantizes one super-block for Q4_K (nmax 15) or Q5_K (31).
func quantizeMinK(x []float32, nmax int32, L *[QK_K]uint8) (d, dmin uint16, sc, m [8]uint8) {
	var scales, mins [8]float32
	var maxS, maxM float32
	for j := range 8 {
		scales[j], mins[j] = fitMin(x[32*j:32*j+32], nmax, L[32*j:32*j+32])
		maxS = max(maxS, scales[j])
		maxM = max(maxM, mins[j])
	}
	d = F32ToF16(maxS / 63)
	dmin = F32ToF16(maxM / 63)
	best := assignMinK(x, nmax, &scales, &mins, F16ToF32(d), F16ToF32(dmin), L, &sc, &m)
	// Refit d and dmin by least squares to the chosen integers
	// (x ~ d*sc*q - dmin*m), then re-choose the integers with them; keep
	// the result only if the error drops.
	var L2 [QK_K]uint8
	var sc2, m2 [8]uint8
	for range 2 {
		var uu, uv, vv, xu, xv float64
		for i, v := range x {
			u := float64(sc[i/32]) * float64(L[i])
			w := float64(m[i/32])
			uu += u * u // these products are exact (small integers times float32)
			uv += u * w
			vv += w * w
			xu += float64(v) * u
			xv += float64(v) * w
		}
		// Minimize sum (d u - e w - x)^2: d uu - e uv = xu, d uv - e vv = xv.
		var nd, ne float64
		if det := float64(uv*uv) - float64(uu*vv); det != 0 {
			nd = (float64(uv*xv) - float64(vv*xu)) / det
			ne = (float64(uu*xv) - float64(uv*xu)) / det
		} else if uu > 0 {
			nd = xu / uu
		}
		if !(nd > 0) || !(ne >= 0) {
			break
		}
		d2, dm2 := F32ToF16(float32(nd)), F32ToF16(float32(ne))
		if d2 == d && dm2 == dmin {
			break
		}
		e := assignMinK(x, nmax, &scales, &mins, F16ToF32(d2), F16ToF32(dm2), &L2, &sc2, &m2)
		if !(e < best) {
			break
		}
		best, d, dmin, sc, m, *L = e, d2, dm2, sc2, m2, L2
	}
	return d, dmin, sc, m
}

// assignMinK chooses the 6-bit scale and min of each sub-block for the
// super-block scales df and dmf, trying the neighbours of the rounded ideal
// values, fills L and returns the total squared error.
func assignMinK(x []float32, nmax int32, scales, mins *[8]float32, df, dmf float32, L *[QK_K]uint8, sc, m *[8]uint8) float64 {
	var idf, idmf float32
	if df != 0 {
		idf = 1 / df
	}
	if dmf != 0 {
		idmf = 1 / dmf
	}
	var tmp [32]uint8
	var total float64
	for j := range 8 {
		xs := x[32*j : 32*j+32]
		rs := roundClamp(scales[j]*idf, 0, 63)
		rm := roundClamp(mins[j]*idmf, 0, 63)
		best := math.Inf(1)
		for cs := max(rs-1, 0); cs <= min(rs+1, 63); cs++ {
			for cm := max(rm-1, 0); cm <= min(rm+1, 63); cm++ {
				e := requantMin(xs, df*float32(cs), dmf*float32(cm), nmax, tmp[:])
				if e < best {
					best = e
					sc[j], m[j] = uint8(cs), uint8(cm)
					copy(L[32*j:], tmp[:])
				}
			}
		}
		if !(best < math.Inf(1)) { // NaN input: keep the block well-formed
			sc[j], m[j] = uint8(rs), uint8(rm)
			best = requantMin(xs, df*float32(rs), dmf*float32(rm), nmax, L[32*j:32*j+32])
		}
		total += best
	}
	return total
}

// QuantizeQ4_K quantizes weights into Q4_K blocks with the search above.
// Preconditions: len(src)%256 == 0 and len(dst) == len(src)/256*144.
func QuantizeQ4_K(dst []byte, src []float32) {
	var L [QK_K]uint8
	for b := 0; b+QK_K <= len(src); b += QK_K {
		blk := dst[b/QK_K*BlockBytesQ4_K:][:BlockBytesQ4_K]
		d, dmin, sc, m := quantizeMinK(src[b:b+QK_K], 15, &L)
		binary.LittleEndian.PutUint16(blk, d)
		binary.LittleEndian.PutUint16(blk[2:], dmin)
		packScaleMinK4(blk[4:16], &sc, &m)
		qs := blk[16:144]
		for k := range 4 {
			for l := range 32 {
				qs[32*k+l] = L[64*k+l] | L[64*k+32+l]<<4
			}
		}
	}
}

// QuantizeQ5_K quantizes weights into Q5_K blocks with the search above.
// Preconditions: len(src)%256 == 0 and len(dst) == len(src)/256*176.
func QuantizeQ5_K(dst []byte, src []float32) {
	var L [QK_K]uint8
	for b := 0; b+QK_K <= len(src); b += QK_K {
		blk := dst[b/QK_K*BlockBytesQ5_K:][:BlockBytesQ5_K]
		d, dmin, sc, m := quantizeMinK(src[b:b+QK_K], 31, &L)
		binary.LittleEndian.PutUint16(blk, d)
		binary.LittleEndian.PutUint16(blk[2:], dmin)
		packScaleMinK4(blk[4:16], &sc, &m)
		qh, qs := blk[16:48], blk[48:176]
		clear(qh)
		for k := range 4 {
			for l := range 32 {
				a, c := L[64*k+l], L[64*k+32+l]
				qs[32*k+l] = a&15 | (c&15)<<4
				qh[l] |= (a>>4)<<(2*k) | (c>>4)<<(2*k+1)
			}
		}
	}
}
