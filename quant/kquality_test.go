package quant

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naiveK reconstructs x through a plain min/max K-quant quantizer (no
// search): per sub-block scale = range/nmax, scales quantized against the
// largest one, values rounded. It is the guard our search must clearly beat.
func naiveK(typ Type, x []float32) []float32 {
	y := make([]float32, len(x))
	round := func(v float32, lo, hi int) float32 {
		return float32(max(lo, min(hi, int(math.Round(float64(v))))))
	}
	h := func(v float32) float32 { return F16ToF32(F32ToF16(v)) }
	for b := 0; b < len(x); b += 256 {
		xb, yb := x[b:b+256], y[b:b+256]
		if typ == Q6_K {
			var s [16]float32
			var ms float32
			for j := range 16 {
				_, m := absMax(xb[16*j : 16*j+16])
				s[j] = m / -32
				if abs32(s[j]) > abs32(ms) {
					ms = s[j]
				}
			}
			d := h(ms / -128)
			for j := range 16 {
				var sc float32
				if d != 0 {
					sc = round(s[j]/d, -128, 127)
				}
				for i := 16 * j; i < 16*j+16; i++ {
					var q float32
					if d*sc != 0 {
						q = round(xb[i]/(d*sc), -32, 31)
					}
					yb[i] = d * sc * q
				}
			}
			continue
		}
		nmax := 15
		if typ == Q5_K {
			nmax = 31
		}
		var s, mn [8]float32
		var maxS, maxM float32
		for j := range 8 {
			lo, hi := minMax(xb[32*j : 32*j+32])
			lo = min(lo, 0)
			s[j], mn[j] = (hi-lo)/float32(nmax), -lo
			maxS, maxM = max(maxS, s[j]), max(maxM, mn[j])
		}
		d, dm := h(maxS/63), h(maxM/63)
		for j := range 8 {
			var sc, m float32
			if d != 0 {
				sc = round(s[j]/d, 0, 63)
			}
			if dm != 0 {
				m = round(mn[j]/dm, 0, 63)
			}
			for i := 32 * j; i < 32*j+32; i++ {
				var q float32
				if d*sc != 0 {
					q = round((xb[i]+dm*m)/(d*sc), 0, nmax)
				}
				yb[i] = d*sc*q - dm*m
			}
		}
	}
	return y
}

func mse(x, y []float32) float64 {
	var e float64
	for i := range x {
		d := float64(y[i]) - float64(x[i])
		e += d * d
	}
	return e / float64(len(x))
}

// Our Q4_K/Q5_K search against the naive quantizer on Gaussian and
// heavy-tailed rows of several lengths: the MSE must be clearly lower, per
// row and over all rows of a kind (measured: 0.67-0.90 per row, 0.75-0.83
// in total). Q6_K is ggml's reference quantizer, whose bytes the llama.cpp
// tests pin; here it must still beat the naive one over all rows of a kind
// (measured: 0.876 Gaussian, 0.934 heavy-tailed), though not on every row:
// on a heavy-tailed row of 256 its MSE is 3.5% above the naive one's.
func TestKQuantBeatsNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	for _, typ := range []Type{Q4_K, Q5_K, Q6_K} {
		for _, kind := range []string{"gauss", "heavy"} {
			var sumOurs, sumNaive float64
			for _, n := range []int{256, 1024, 4096, 4096} {
				x := gaussRow(r, n, 0.02)
				if kind == "heavy" {
					x = heavyRow(r, n)
				}
				_, y := roundTrip(t, typ, x)
				ours, naive := mse(x, y), mse(x, naiveK(typ, x))
				sumOurs += ours * float64(n)
				sumNaive += naive * float64(n)
				if typ != Q6_K && !(ours <= 0.95*naive) {
					t.Errorf("%s %s n=%d: MSE %.4g, naive %.4g", typ, kind, n, ours, naive)
				}
			}
			t.Logf("%s %s: MSE ratio ours/naive %.3f", typ, kind, sumOurs/sumNaive)
			bound := 0.88
			if typ == Q6_K {
				bound = 0.95
			}
			if !(sumOurs <= bound*sumNaive) {
				t.Errorf("%s %s: total MSE ratio ours/naive %.3f", typ, kind, sumOurs/sumNaive)
			}
		}
	}
}
