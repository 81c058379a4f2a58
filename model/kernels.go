package model

import (
	"unsafe"

	"github.com/exaone-go/exaone/asm"

	"github.com/exaone-go/exaone/quant"
)

// kernel multiplies weight rows of one type with activation rows of the
// type it pairs with (llama.cpp's vec_dot_type): Q8_0 activations for
// Q8_0/Q4_0 weights, f32 for float weights (kept in f32, rather than
// rounded to the weight type, so float files stay as exact as transformers).
type kernel struct {
	act  quant.Type
	gemm gemmFunc
	// tiles, if set, is the batch GEMM on activations also given in
	// tiled form (asm.PrepTiles for Q8_0 and Q4_0 weights, asm.PrepKTiles
	// for the K-quants).
	tiles tilesFunc
}

// tilesFunc is asm.GemmQ8_0Tiles, asm.GemmQ4_0Tiles or asm.GemmQ{4,5,6}_KTiles.
type tilesFunc func(out []float32, ldo int, w []byte, nrows int, x, xt []byte, nx int)

var kernels = map[quant.Type]kernel{
	quant.F32:  {quant.F32, gemmF32, nil},
	quant.F16:  {quant.F32, gemmF16, nil},
	quant.BF16: {quant.F32, gemmBF16, nil},
	quant.Q8_0: {quant.Q8_0, gemmAsm(asm.GemvQ8_0, asm.GemmQ8_0), asm.GemmQ8_0Tiles},
	quant.Q4_0: {quant.Q8_0, gemmAsm(asm.GemvQ4_0, asm.GemmQ4_0), asm.GemmQ4_0Tiles},
	quant.Q5_0: {quant.Q8_0, gemmAsm(asm.GemvQ8_0, asm.GemmQ8_0), asm.GemmQ8_0Tiles}, // repacked to Q8_0 at load (repackQ5_0)
	quant.Q4_K: {quant.Q8_K, gemmAsm(asm.GemvQ4_K, asm.GemmQ4_K), asm.GemmQ4_KTiles},
	quant.Q5_K: {quant.Q8_K, gemmAsm(asm.GemvQ5_K, asm.GemmQ5_K), asm.GemmQ5_KTiles},
	quant.Q6_K: {quant.Q8_K, gemmAsm(asm.GemvQ6_K, asm.GemmQ6_K), asm.GemmQ6_KTiles},
	// Only llama.cpp's shape fallbacks use these (never for real EXAONE
	// sizes): they run on the quant references.
	quant.Q4_1: {quant.Q8_1, gemmDot(quant.DotQ4_1), nil},
	quant.Q5_1: {quant.Q8_1, gemmDot(quant.DotQ5_1), nil},
}

// gemmFunc sets out[j*ldo+r] = row r of w . activation row j, for r < nrows
// and j < nx; rows are rb bytes, activation rows xb bytes.
type gemmFunc func(out []float32, ldo int, w []byte, rb, nrows int, x []byte, xb, nx int)

// gemmAsm lifts a pair of asm kernels to the gemm form: the multi-row
// matrix-vector kernel for one token, the tiled one for a batch.
func gemmAsm(gemv func(out []float32, w, x []byte), gemm func(out []float32, ldo int, w []byte, nrows int, x []byte, nx int)) gemmFunc {
	return func(out []float32, ldo int, w []byte, rb, nrows int, x []byte, xb, nx int) {
		if nx == 1 {
			gemv(out[:nrows], w[:nrows*rb], x[:xb])
			return
		}
		gemm(out, ldo, w[:nrows*rb], nrows, x[:nx*xb], nx)
	}
}

// gemmDot lifts a one-row dot product to the gemm form.
func gemmDot(dot func(w, x []byte) float32) gemmFunc {
	return func(out []float32, ldo int, w []byte, rb, nrows int, x []byte, xb, nx int) {
		for r := 0; r < nrows; r++ {
			row := w[r*rb : (r+1)*rb]
			for j := 0; j < nx; j++ {
				out[j*ldo+r] = dot(row, x[j*xb:(j+1)*xb])
			}
		}
	}
}

func kernelFor(t quant.Type) (kernel, bool) {
	k, ok := kernels[t]
	return k, ok
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
	asm.GemmF32(out, ldo, f32s(w[:nrows*rb]), nrows, f32s(x[:nx*xb]), nx)
}

func gemmBF16(out []float32, ldo int, w []byte, rb, nrows int, x []byte, xb, nx int) {
	asm.GemmBF16(out, ldo, u16s(w[:nrows*rb]), nrows, f32s(x[:nx*xb]), nx)
}

func gemmF16(out []float32, ldo int, w []byte, rb, nrows int, x []byte, xb, nx int) {
	for r := 0; r < nrows; r++ {
		row := u16s(w[r*rb : (r+1)*rb])
		for j := 0; j < nx; j++ {
			out[j*ldo+r] = asm.DotF16(row, f32s(x[j*xb:(j+1)*xb]))
		}
	}
}

// repackQ5_0 rewrites Q5_0 blocks as Q8_0 blocks with the same scale and
// q-16 as the int8 value: the same numbers, the same integer sums, so Q5_0
// runs exactly on the Q8_0 kernels. Q5_0 appears only where llama.cpp falls
// back from Q4_K for rows that are not a multiple of 256 (never for real
// EXAONE sizes), so the 1.5x memory of those tensors is a small price.
func repackQ5_0(src []byte) []byte {
	nb := len(src) / quant.BlockBytesQ5_0
	dst := make([]byte, nb*quant.BlockBytesQ8_0)
	var vals [quant.QK]float32
	for b := 0; b < nb; b++ {
		in := src[b*quant.BlockBytesQ5_0 : (b+1)*quant.BlockBytesQ5_0]
		out := dst[b*quant.BlockBytesQ8_0 : (b+1)*quant.BlockBytesQ8_0]
		out[0], out[1] = in[0], in[1] // the f16 scale
		// Dequantizing with scale 1 recovers q-16 exactly.
		one := append([]byte{0x00, 0x3c}, in[2:]...)
		quant.DequantizeQ5_0(vals[:], one)
		for j, v := range vals {
			out[2+j] = byte(int8(v))
		}
	}
	return dst
}
