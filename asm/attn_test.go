package asm

import (
	"fmt"
	"math"
	"testing"

	"github.com/exaone-go/exaone/quant"
)

// TestSoftmaxScaled checks the softmax of every path against the Go
// reference (math.Exp) on scores of the sizes attention has, odd lengths
// included, and that elements past the row are not touched.
func TestSoftmaxScaled(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := newRand(3)
		for _, n := range []int{1, 5, 16, 17, 33, 100, 1024, 70000} {
			x := make([]float32, n+1)
			for i := range x {
				x[i] = float32(r.NormFloat64() * 8)
			}
			if n > 40 {
				x[37] = -1e4 // underflows
			}
			want := append([]float32(nil), x...)
			refSoftmax(want[:n], 0.125)
			SoftmaxScaled(x[:n], 0.125)
			// (the reference sums in order, whose rounding grows with n)
			tol := 2e-6 + 1e-7*math.Sqrt(float64(n))
			for i := range x {
				if d := math.Abs(float64(x[i] - want[i])); d > tol*math.Abs(float64(want[i]))+1e-30 {
					t.Fatalf("n=%d: x[%d] = %g, want %g", n, i, x[i], want[i])
				}
			}
		}
	})
}

// TestPVF16 checks PVF16 of every path against refPVF16 with group sizes,
// head dims and key counts around the kernel's blocking, and guard values
// between the output rows.
func TestPVF16(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := newRand(5)
		for _, heads := range []int{1, 3, 4, 5, 8} {
			for _, dim := range []int{16, 64, 80, 128} {
				for _, nk := range []int{1, 7, 1030} {
					ldo, ldp, ldv := dim+3, nk+2, dim+16
					out, p := randPV(r, heads, ldo, ldp)
					v := make([]uint16, nk*ldv)
					for i := range v {
						v[i] = quant.F32ToF16(float32(r.NormFloat64()))
					}
					want := append([]float32(nil), out...)
					refPVF16(want, ldo, p, ldp, v, ldv, heads, nk, dim)
					PVF16(out, ldo, p, ldp, v, ldv, heads, nk, dim)
					checkPV(t, out, want, ldo, dim, fmt.Sprintf("heads=%d dim=%d nk=%d", heads, dim, nk), func(h, d int) (mag float64) {
						for j := range nk {
							mag += math.Abs(float64(p[h*ldp+j] * quant.F16ToF32(v[j*ldv+d])))
						}
						return mag
					})
				}
			}
		}
	})
}

func BenchmarkAttnKernels(b *testing.B) {
	x := make([]float32, 512)
	b.Run("softmax512", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for j := range x {
				x[j] = float32(j % 7)
			}
			SoftmaxScaled(x, 0.125)
		}
	})
	out := make([]float32, 4*64)
	p := make([]float32, 4*512)
	v := make([]uint16, 512*64)
	b.Run("pv4x64x512", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			PVF16(out, 64, p, 512, v, 64, 4, 512, 64)
		}
	})
}

// TestSiLUMul checks SiLUMul of every path against the reference, with
// gates far out on both sides and odd lengths.
func TestSiLUMul(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := newRand(9)
		for _, n := range []int{1, 15, 16, 33, 4096, 20000} {
			g := make([]float32, n+1)
			up := make([]float32, n+1)
			for i := range g {
				g[i] = float32(r.NormFloat64() * 4)
				up[i] = float32(r.NormFloat64())
			}
			if n > 10 {
				g[3], g[4], g[5], g[6] = 200, -200, 89, -89
			}
			want := append([]float32(nil), g...)
			refSiLUMul(want[:n], up[:n])
			SiLUMul(g[:n], up[:n])
			for i := range g {
				if d := math.Abs(float64(g[i] - want[i])); d > 1e-6*math.Abs(float64(want[i]))+1e-30 {
					t.Fatalf("n=%d: g[%d] = %g, want %g", n, i, g[i], want[i])
				}
			}
		}
	})
}
