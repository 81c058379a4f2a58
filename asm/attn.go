package asm

import (
	"fmt"
	"math"

	"github.com/exaone-go/exaone/quant"
)

// SoftmaxScaled sets x[i] = exp((x[i]-m)*scale) / sum, with m the largest
// x[i] and sum that of the exponentials, as attention's softmax of scores
// scaled by 1/sqrt(head dim). On the AVX-512 paths the exponential is a
// float32 polynomial (a few ulp); the reference uses math.Exp.
func SoftmaxScaled(x []float32, scale float32) {
	if len(x) == 0 {
		return
	}
	n := len(x) &^ 15
	k := table()
	a := k.attn
	if a == nil || n == 0 {
		refSoftmax(x, scale)
		return
	}
	m := a.maxF32(&x[0], n)
	for _, v := range x[n:] {
		m = max(m, v)
	}
	var sum float32
	for i := 0; i < n; i += attnChunk {
		sum += a.expSum(&x[i], min(attnChunk, n-i), m, scale)
	}
	for i, v := range x[n:] {
		e := float32(math.Exp(float64((v - m) * scale)))
		x[n+i] = e
		sum += e
	}
	k.scaleF32(1/sum, x)
}

func refSoftmax(x []float32, scale float32) {
	m := float32(math.Inf(-1))
	for _, v := range x {
		m = max(m, v)
	}
	var sum float32
	for i, v := range x {
		e := float32(math.Exp(float64((v - m) * scale)))
		x[i] = e
		sum += e
	}
	inv := 1 / sum
	for i := range x {
		x[i] *= inv
	}
}

// attnChunk bounds the scores of one expSumAVX512 call.
const attnChunk = 1 << 14

// pvKeys bounds the keys of one pv4x64F16AVX512 call (a few microseconds).
const pvKeys = 1024

// PVF16 adds the probabilities times the f16 values of attention heads:
// for h < heads, d < dim,
//
//	out[h*ldo+d] += sum over j < nk of p[h*ldp+j] * v[j*ldv+d]
//
// (in order of j, one fused multiply-add per term).
func PVF16(out []float32, ldo int, p []float32, ldp int, v []uint16, ldv int, heads, nk, dim int) {
	if heads <= 0 || nk <= 0 || dim <= 0 {
		return
	}
	if ldo < dim || ldp < nk || ldv < dim || len(out) < (heads-1)*ldo+dim || len(p) < (heads-1)*ldp+nk || len(v) < (nk-1)*ldv+dim {
		panic(fmt.Sprintf("asm.PVF16: len(out)=%d ldo=%d len(p)=%d ldp=%d len(v)=%d ldv=%d heads=%d nk=%d dim=%d",
			len(out), ldo, len(p), ldp, len(v), ldv, heads, nk, dim))
	}
	h, d0 := 0, 0
	k := table()
	if a := k.attn; a != nil {
		d0 = dim &^ 63
		for ; h+4 <= heads; h += 4 {
			for d := 0; d < d0; d += 64 {
				for j := 0; j < nk; j += pvKeys {
					a.pv4x64(&out[h*ldo+d], ldo, &p[h*ldp+j], ldp, &v[j*ldv+d], ldv, min(pvKeys, nk-j))
				}
			}
		}
	}
	// The rest: heads left over on all columns, the columns left over on
	// the heads done above.
	for hh := 0; hh < heads; hh++ {
		lo := 0
		if hh < h {
			lo = d0
		}
		if lo == dim {
			continue
		}
		o := out[hh*ldo+lo : hh*ldo+dim]
		for j := 0; j < nk; j++ {
			k.axpyF16(p[hh*ldp+j], v[j*ldv+lo:j*ldv+dim], o)
		}
	}
}

// refPVF16 is PVF16 in Go.
func refPVF16(out []float32, ldo int, p []float32, ldp int, v []uint16, ldv int, heads, nk, dim int) {
	for h := 0; h < heads; h++ {
		for j := 0; j < nk; j++ {
			a := p[h*ldp+j]
			for d := 0; d < dim; d++ {
				out[h*ldo+d] = float32(math.FMA(float64(a), float64(quant.F16ToF32(v[j*ldv+d])), float64(out[h*ldo+d])))
			}
		}
	}
}

// SiLUMul sets g[i] = g[i] / (1 + exp(-g[i])) * up[i], SwiGLU's gate. On
// the AVX-512 paths the exponential is the float32 polynomial of
// SoftmaxScaled; the reference uses math.Exp.
func SiLUMul(g, up []float32) {
	if len(up) != len(g) {
		panic(fmt.Sprintf("asm.SiLUMul: len(g)=%d len(up)=%d", len(g), len(up)))
	}
	n := 0
	if a := table().attn; a != nil {
		n = len(g) &^ 15
		for i := 0; i < n; i += attnChunk {
			a.siluMul(&g[i], &up[i], min(attnChunk, n-i))
		}
	}
	refSiLUMul(g[n:], up[n:])
}

func refSiLUMul(g, up []float32) {
	for i, v := range g {
		g[i] = v / (1 + float32(math.Exp(float64(-v)))) * up[i]
	}
}
