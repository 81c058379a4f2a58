package quant

import (
	"encoding/binary"
	"fmt"
	"math"
)

type quantFuncs struct {
	quantize   func(dst []byte, src []float32)
	dequantize func(dst []float32, src []byte)
	dot        func(w, x []byte) float32
}

// funcs lists what is implemented per type; a missing entry or nil field
// means unsupported.
var funcs = map[Type]quantFuncs{
	F32:  {quantize: quantizeF32, dequantize: dequantizeF32},
	F16:  {quantize: quantizeF16, dequantize: dequantizeF16},
	BF16: {quantize: quantizeBF16, dequantize: dequantizeBF16},
	Q4_0: {QuantizeQ4_0, DequantizeQ4_0, DotQ4_0},
	Q4_1: {QuantizeQ4_1, DequantizeQ4_1, DotQ4_1},
	Q5_0: {QuantizeQ5_0, DequantizeQ5_0, DotQ5_0},
	Q5_1: {QuantizeQ5_1, DequantizeQ5_1, DotQ5_1},
	Q8_0: {QuantizeQ8_0, DequantizeQ8_0, DotQ8_0},
	Q8_1: {quantize: QuantizeQ8_1, dequantize: DequantizeQ8_1},
	Q4_K: {QuantizeQ4_K, DequantizeQ4_K, DotQ4_K},
	Q5_K: {QuantizeQ5_K, DequantizeQ5_K, DotQ5_K},
	Q6_K: {QuantizeQ6_K, DequantizeQ6_K, DotQ6_K},
	Q8_K: {quantize: QuantizeQ8_K, dequantize: DequantizeQ8_K},
}

// checkSizes verifies that n elements of t take exactly nbytes bytes.
func checkSizes(op string, t Type, n, nbytes int) error {
	want, err := RowBytes(t, int64(n))
	if err != nil {
		return fmt.Errorf("quant: %s %s: %w", op, t, err)
	}
	if want != int64(nbytes) {
		return fmt.Errorf("quant: %s %s: %d elements need %d bytes, got %d", op, t, n, want, nbytes)
	}
	return nil
}

// Quantize converts src to type t into dst. len(src) must be a multiple of
// the block size and len(dst) exactly RowBytes(t, len(src)).
func Quantize(t Type, dst []byte, src []float32) error {
	f := funcs[t]
	if f.quantize == nil {
		return fmt.Errorf("quant: quantizing to %s is not supported", t)
	}
	if err := checkSizes("quantize", t, len(src), len(dst)); err != nil {
		return err
	}
	f.quantize(dst, src)
	return nil
}

// Dequantize expands src of type t into dst. len(dst) must be a multiple of
// the block size and len(src) exactly RowBytes(t, len(dst)).
func Dequantize(t Type, dst []float32, src []byte) error {
	f := funcs[t]
	if f.dequantize == nil {
		return fmt.Errorf("quant: dequantizing %s is not supported", t)
	}
	if err := checkSizes("dequantize", t, len(dst), len(src)); err != nil {
		return err
	}
	f.dequantize(dst, src)
	return nil
}

// VecDot is the reference dot product of weights w of type t with
// activations x of type VecDotType(t) holding the same number of elements.
// Float weight types are not handled here (their activations stay f32).
func VecDot(t Type, w, x []byte) (float32, error) {
	f := funcs[t]
	if f.dot == nil {
		return 0, fmt.Errorf("quant: no quantized dot product for %s", t)
	}
	bw, bx := t.BlockBytes(), VecDotType(t).BlockBytes()
	if len(w)%bw != 0 {
		return 0, fmt.Errorf("quant: dot %s: %d weight bytes is not a whole number of %d-byte blocks", t, len(w), bw)
	}
	if len(x) != len(w)/bw*bx {
		return 0, fmt.Errorf("quant: dot %s: %d weight blocks need %d bytes of %s, got %d", t, len(w)/bw, len(w)/bw*bx, VecDotType(t), len(x))
	}
	return f.dot(w, x), nil
}

func quantizeF32(dst []byte, src []float32) {
	for i, v := range src {
		binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
	}
}

func dequantizeF32(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
	}
}

func quantizeF16(dst []byte, src []float32) {
	for i, v := range src {
		binary.LittleEndian.PutUint16(dst[2*i:], F32ToF16(v))
	}
}

func dequantizeF16(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = F16ToF32(binary.LittleEndian.Uint16(src[2*i:]))
	}
}

func quantizeBF16(dst []byte, src []float32) {
	for i, v := range src {
		binary.LittleEndian.PutUint16(dst[2*i:], F32ToBF16(v))
	}
}

func dequantizeBF16(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = BF16ToF32(binary.LittleEndian.Uint16(src[2*i:]))
	}
}
