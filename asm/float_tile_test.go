package asm

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/exaone-go/exaone/quant"
)

// The float GEMMs must agree with float64 dot products on every path, for
// shapes with and without whole tiles and tails, and leave the output's
// guard values and the gaps between ldo-strided rows untouched.
func TestGemmFloat(t *testing.T) {
	defer SetPath(Path())
	rng := rand.New(rand.NewPCG(7, 8))
	for _, path := range Paths() {
		if err := SetPath(path); err != nil {
			t.Fatal(err)
		}
		for _, shape := range [][3]int{{4, 4, 16}, {8, 5, 256}, {7, 9, 40}, {5, 4, 15}, {12, 16, 640}, {1, 1, 3}, {4, 3, 32}} {
			nrows, nx, n := shape[0], shape[1], shape[2]
			ldo := nrows + 3
			w := make([]float32, nrows*n)
			wb := make([]uint16, nrows*n)
			wh := make([]uint16, nrows*n)
			x := make([]float32, nx*n)
			for i := range w {
				wb[i] = uint16(math.Float32bits(float32(rng.NormFloat64())) >> 16)
				w[i] = bf16(wb[i])
			}
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			const guard = -12345
			for _, kind := range []string{"f32", "bf16", "f16"} {
				ref := w
				if kind == "f16" {
					ref = make([]float32, len(w))
					for i := range w {
						wh[i] = quant.F32ToF16(w[i])
						ref[i] = quant.F16ToF32(wh[i])
					}
				}
				buf := make([]float32, (nx-1)*ldo+nrows+2)
				for i := range buf {
					buf[i] = guard
				}
				out := buf[1 : len(buf)-1]
				switch kind {
				case "bf16":
					gemmBF16(out, ldo, wb, nrows, x, nx)
				case "f16":
					GemmF16(out, ldo, wh, nrows, x, nx)
				default:
					GemmF32(out, ldo, w, nrows, x, nx)
				}
				if buf[0] != guard || buf[len(buf)-1] != guard {
					t.Fatalf("%s %v: guard overwritten", path, shape)
				}
				for j := 0; j < nx; j++ {
					for r := 0; r < ldo && j*ldo+r < len(out); r++ {
						got := out[j*ldo+r]
						if r >= nrows {
							if got != guard {
								t.Fatalf("%s %v: gap at row %d col %d written", path, shape, r, j)
							}
							continue
						}
						var want, mag float64
						for k := 0; k < n; k++ {
							want += float64(ref[r*n+k]) * float64(x[j*n+k])
							mag += math.Abs(float64(ref[r*n+k]) * float64(x[j*n+k]))
						}
						if math.Abs(float64(got)-want) > 1e-6*mag+1e-30 {
							t.Fatalf("%s %s %v: out[%d,%d] = %g, want %g", path, kind, shape, r, j, got, want)
						}
					}
				}
			}
		}
	}
}

func BenchmarkGemmF32(b *testing.B) {
	const nrows, nx, n = 256, 64, 2048
	w := make([]float32, nrows*n)
	x := make([]float32, nx*n)
	out := make([]float32, nrows*nx)
	for i := range w {
		w[i] = float32(i%7) * 0.1
	}
	for i := 0; i < b.N; i++ {
		GemmF32(out, nrows, w, nrows, x, nx)
	}
	b.ReportMetric(float64(nrows*nx*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
}
