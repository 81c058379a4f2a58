package asm

import (
	"fmt"
	"math"

	"github.com/exaone-go/exaone/quant"
)

// tileK is the unit of the tile kernels' inner loop.
const tileK = 16

// Weight element types of the float GEMMs.
const (
	kindF32 = iota
	kindBF16
	kindF16
)

// floatRows is a weight matrix of one of the float kinds (one of f or h is
// set), rows of n values.
type floatRows struct {
	kind int
	f    []float32
	h    []uint16
	n    int
}

// dot is row r . v with the path's single-row kernel.
func (w *floatRows) dot(r int, v []float32) float32 {
	n := w.n
	switch w.kind {
	case kindBF16:
		return table().dotBF16(w.h[r*n:(r+1)*n], v)
	case kindF16:
		return table().dotF16(w.h[r*n:(r+1)*n], v)
	}
	return table().dotF32(w.f[r*n:(r+1)*n], v)
}

// tile runs the 4x4 tile kernel over the first k values of rows r..r+3
// and activation rows j..j+3 of x, if this path has one.
func (w *floatRows) tile(r int, x []float32, j, k int, t *[16]float32) bool {
	if !table().floatTiles {
		return false
	}
	tileFloat(w, r, x, j, k, t)
	return true
}

// at is element k of row r, widened.
func (w *floatRows) at(r, k int) float32 {
	switch w.kind {
	case kindBF16:
		return bf16(w.h[r*w.n+k])
	case kindF16:
		return quant.F16ToF32(w.h[r*w.n+k])
	}
	return w.f[r*w.n+k]
}

// GemmF32 sets out[j*ldo+r] = w row r . x row j for r < nrows and j < nx,
// where w holds nrows rows and x holds nx rows of len(x)/nx values. It is
// the batched form of a f32 dot product for prompt processing: on AVX-512 it works on
// 4x4 tiles so each load feeds four multiply-adds.
func GemmF32(out []float32, ldo int, w []float32, nrows int, x []float32, nx int) {
	n := checkGemmF("GemmF32", out, ldo, len(w), nrows, len(x), nx)
	gemmF(out, ldo, &floatRows{kind: kindF32, f: w, n: n}, nrows, x, nx)
}

// gemmBF16 is GemmF32 for bf16 weights w (rows of len(x)/nx values).
func gemmBF16(out []float32, ldo int, w []uint16, nrows int, x []float32, nx int) {
	n := checkGemmF("gemmBF16", out, ldo, len(w), nrows, len(x), nx)
	gemmF(out, ldo, &floatRows{kind: kindBF16, h: w, n: n}, nrows, x, nx)
}

// GemmF16 is GemmF32 for f16 weights w (rows of len(x)/nx values); the
// decoder uses it for attention scores over an f16 KV cache, keys as rows.
func GemmF16(out []float32, ldo int, w []uint16, nrows int, x []float32, nx int) {
	n := checkGemmF("GemmF16", out, ldo, len(w), nrows, len(x), nx)
	gemmF(out, ldo, &floatRows{kind: kindF16, h: w, n: n}, nrows, x, nx)
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
// past the last whole tileK in Go, and doing rows and columns outside whole
// tiles with the single-row kernel.
func gemmF(out []float32, ldo int, w *floatRows, nrows int, x []float32, nx int) {
	n := w.n
	k := n / tileK * tileK
	var t [16]float32
	r := 0
	for ; r+4 <= nrows && k > 0; r += 4 {
		j := 0
		for ; j+4 <= nx; j += 4 {
			if !w.tile(r, x, j, k, &t) {
				break
			}
			for a := 0; a < 4; a++ {
				for b := 0; b < 4; b++ {
					v := t[4*a+b]
					for kk := k; kk < n; kk++ {
						v += w.at(r+a, kk) * x[(j+b)*n+kk]
					}
					out[(j+b)*ldo+r+a] = v
				}
			}
		}
		for ; j < nx; j++ {
			for a := 0; a < 4; a++ {
				out[j*ldo+r+a] = w.dot(r+a, x[j*n:(j+1)*n])
			}
		}
	}
	for ; r < nrows; r++ {
		for j := 0; j < nx; j++ {
			out[j*ldo+r] = w.dot(r, x[j*n:(j+1)*n])
		}
	}
}

func bf16(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }
