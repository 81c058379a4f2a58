package model

import (
	"math"
	"unsafe"

	"github.com/exaone-go/exaone/quant"
)

// kernel multiplies weight rows of one type with activation rows of the
// type it pairs with (llama.cpp's vec_dot_type): Q8_0 activations for
// Q8_0/Q4_0 weights, f32 for float weights (kept in f32, rather than
// rounded to the weight type, so float files stay as exact as transformers).
type kernel struct {
	act quant.Type
	// gemm sets out[j*ldo+r] = row r of w . activation row j, for r < nrows
	// and j < nx; rows are rb bytes, activation rows xb bytes.
	gemm func(out []float32, ldo int, w []byte, rb, nrows int, x []byte, xb, nx int)
}

var kernels = map[quant.Type]kernel{
	quant.F32:  {quant.F32, gemmF32},
	quant.F16:  {quant.F32, gemmF16},
	quant.BF16: {quant.F32, gemmBF16},
	quant.Q8_0: {quant.Q8_0, gemmDot(quant.DotQ8_0)},
	quant.Q4_0: {quant.Q8_0, gemmDot(quant.DotQ4_0)},
}

func kernelFor(t quant.Type) (kernel, bool) {
	k, ok := kernels[t]
	return k, ok
}

// gemmDot lifts a one-row dot product to the gemm form.
func gemmDot(dot func(w, x []byte) float32) func([]float32, int, []byte, int, int, []byte, int, int) {
	return func(out []float32, ldo int, w []byte, rb, nrows int, x []byte, xb, nx int) {
		for r := 0; r < nrows; r++ {
			row := w[r*rb : (r+1)*rb]
			for j := 0; j < nx; j++ {
				out[j*ldo+r] = dot(row, x[j*xb:(j+1)*xb])
			}
		}
	}
}

// f32s views bytes holding float32 values as a []float32.
func f32s(b []byte) []float32 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/4)
}

// u16s views bytes holding 16-bit values as a []uint16.
func u16s(b []byte) []uint16 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/2)
}

// bytesOf views a []float32 as bytes.
func bytesOf(f []float32) []byte {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(f))), 4*len(f))
}

func gemmF32(out []float32, ldo int, w []byte, rb, nrows int, x []byte, xb, nx int) {
	for r := 0; r < nrows; r++ {
		row := f32s(w[r*rb : (r+1)*rb])
		for j := 0; j < nx; j++ {
			out[j*ldo+r] = dotF32(row, f32s(x[j*xb:(j+1)*xb]))
		}
	}
}

func gemmBF16(out []float32, ldo int, w []byte, rb, nrows int, x []byte, xb, nx int) {
	for r := 0; r < nrows; r++ {
		row := u16s(w[r*rb : (r+1)*rb])
		for j := 0; j < nx; j++ {
			xs := f32s(x[j*xb : (j+1)*xb])
			xs = xs[:len(row)]
			var s0, s1, s2, s3 float32
			i := 0
			for ; i+4 <= len(row); i += 4 {
				s0 += math.Float32frombits(uint32(row[i])<<16) * xs[i]
				s1 += math.Float32frombits(uint32(row[i+1])<<16) * xs[i+1]
				s2 += math.Float32frombits(uint32(row[i+2])<<16) * xs[i+2]
				s3 += math.Float32frombits(uint32(row[i+3])<<16) * xs[i+3]
			}
			for ; i < len(row); i++ {
				s0 += math.Float32frombits(uint32(row[i])<<16) * xs[i]
			}
			out[j*ldo+r] = (s0 + s1) + (s2 + s3)
		}
	}
}

func gemmF16(out []float32, ldo int, w []byte, rb, nrows int, x []byte, xb, nx int) {
	for r := 0; r < nrows; r++ {
		row := u16s(w[r*rb : (r+1)*rb])
		for j := 0; j < nx; j++ {
			xs := f32s(x[j*xb : (j+1)*xb])
			var s float32
			for i, h := range row {
				s += f16Table[h] * xs[i]
			}
			out[j*ldo+r] = s
		}
	}
}

// f16Table converts every half to float32 by lookup (256 KiB).
var f16Table = func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for i := range t {
		t[i] = quant.F16ToF32(uint16(i))
	}
	return &t
}()

func dotF32(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpyF32 sets y += alpha*x.
func axpyF32(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}
