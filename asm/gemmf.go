package asm

import (
	"fmt"
	"math"

	"github.com/exaone-go/exaone/quant"
)

// tileK is the unit of the tile kernels' inner loop.
const tileK = 16

// GemmF32 sets out[j*ldo+r] = w row r . x row j for r < nrows and j < nx,
// where w holds nrows rows and x holds nx rows of len(x)/nx values. It is
// the batched form of DotF32 for prompt processing: on AVX-512 it works on
// 4x4 tiles so each load feeds four multiply-adds.
func GemmF32(out []float32, ldo int, w []float32, nrows int, x []float32, nx int) {
	n := checkGemmF("GemmF32", out, ldo, len(w), nrows, len(x), nx)
	gemmF(out, ldo, nrows, nx, n,
		func(r, j int) float32 { return cur.dotF32(w[r*n:(r+1)*n], x[j*n:(j+1)*n]) },
		func(r, j, k int, t *[16]float32) bool {
			return tileF32(w[r*n+0:], n, x[j*n:], n, k, t)
		},
		func(r, j, k0 int) float32 {
			var s float32
			for k := k0; k < n; k++ {
				s += w[r*n+k] * x[j*n+k]
			}
			return s
		})
}

// GemmBF16 is GemmF32 for bf16 weights w (rows of len(x)/nx values).
func GemmBF16(out []float32, ldo int, w []uint16, nrows int, x []float32, nx int) {
	n := checkGemmF("GemmBF16", out, ldo, len(w), nrows, len(x), nx)
	gemmF(out, ldo, nrows, nx, n,
		func(r, j int) float32 { return cur.dotBF16(w[r*n:(r+1)*n], x[j*n:(j+1)*n]) },
		func(r, j, k int, t *[16]float32) bool {
			return tileBF16(w[r*n:], n, x[j*n:], n, k, t)
		},
		func(r, j, k0 int) float32 {
			var s float32
			for k := k0; k < n; k++ {
				s += bf16(w[r*n+k]) * x[j*n+k]
			}
			return s
		})
}

// GemmF16 is GemmF32 for f16 weights w (rows of len(x)/nx values); the
// decoder uses it for attention scores over an f16 KV cache, keys as rows.
func GemmF16(out []float32, ldo int, w []uint16, nrows int, x []float32, nx int) {
	n := checkGemmF("GemmF16", out, ldo, len(w), nrows, len(x), nx)
	gemmF(out, ldo, nrows, nx, n,
		func(r, j int) float32 { return cur.dotF16(w[r*n:(r+1)*n], x[j*n:(j+1)*n]) },
		func(r, j, k int, t *[16]float32) bool {
			return tileF16(w[r*n:], n, x[j*n:], n, k, t)
		},
		func(r, j, k0 int) float32 {
			var s float32
			for k := k0; k < n; k++ {
				s += quant.F16ToF32(w[r*n+k]) * x[j*n+k]
			}
			return s
		})
}

func checkGemmF(fn string, out []float32, ldo, lw, nrows, lx, nx int) int {
	n := 0
	ok := nrows >= 0 && nx > 0 && lx%nx == 0
	if ok {
		n = lx / nx
		ok = lw == nrows*n && ldo >= nrows && (nrows == 0 || len(out) >= (nx-1)*ldo+nrows)
	}
	if !ok {
		panic(fmt.Sprintf("asm.%s: len(out)=%d ldo=%d len(w)=%d nrows=%d len(x)=%d nx=%d", fn, len(out), ldo, lw, nrows, lx, nx))
	}
	return n
}

// gemmF walks 4x4 tiles (weight rows outer, so a tile's weights stay in L1
// while every activation row passes), finishing each tile's dot products
// past the last whole tileK with tail, and doing rows and columns outside
// whole tiles with dot.
func gemmF(out []float32, ldo, nrows, nx, n int, dot func(r, j int) float32,
	tile func(r, j, k int, t *[16]float32) bool, tail func(r, j, k0 int) float32) {
	k := n / tileK * tileK
	var t [16]float32
	r := 0
	for ; r+4 <= nrows && k > 0; r += 4 {
		j := 0
		for ; j+4 <= nx; j += 4 {
			if !tile(r, j, k, &t) {
				break
			}
			for a := 0; a < 4; a++ {
				for b := 0; b < 4; b++ {
					v := t[4*a+b]
					if k < n {
						v += tail(r+a, j+b, k)
					}
					out[(j+b)*ldo+r+a] = v
				}
			}
		}
		for ; j < nx; j++ {
			for a := 0; a < 4; a++ {
				out[j*ldo+r+a] = dot(r+a, j)
			}
		}
	}
	for ; r < nrows; r++ {
		for j := 0; j < nx; j++ {
			out[j*ldo+r] = dot(r, j)
		}
	}
}

func bf16(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }
