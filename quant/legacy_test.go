package quant

import (
	"encoding/binary"
	"testing"
)

// Hand-computed ggml reference outputs.
func TestQ8_0Known(t *testing.T) {
	src := make([]float32, 32)
	for i := range src {
		src[i] = float32(i - 16) // -16 .. 15
	}
	dst := make([]byte, 34)
	QuantizeQ8_0(dst, src)
	// d = 16/127; q = round(x*127/16): x=-16 -> -127, x=1 -> 7.9375 -> 8,
	// x=2 -> 15.875 -> 16, x=-8 -> -63.5 -> -64 (away from zero).
	if d := binary.LittleEndian.Uint16(dst); d != F32ToF16(float32(16)/127) {
		t.Fatalf("d = %#04x", d)
	}
	want := map[int]int8{0: -127, 17: 8, 18: 16, 8: -64, 16: 0, 31: 119}
	for j, q := range want {
		if got := int8(dst[2+j]); got != q {
			t.Errorf("q[%d] = %d, want %d", j, got, q)
		}
	}
	y := make([]float32, 32)
	DequantizeQ8_0(y, dst)
	if d := F16ToF32(binary.LittleEndian.Uint16(dst)); y[0] != -127*d || y[17] != 8*d {
		t.Errorf("dequantized %v %v", y[0], y[17])
	}
}

func TestQ4_0Known(t *testing.T) {
	src := make([]float32, 32)
	for i := range src {
		src[i] = float32(i) - 8 // -8 .. 23; max is 23
	}
	src[5] = -23 // same magnitude, comes first: wins, so d = -23/-8 > 0
	dst := make([]byte, 18)
	QuantizeQ4_0(dst, src)
	if d := binary.LittleEndian.Uint16(dst); d != F32ToF16(float32(-23)/-8) {
		t.Fatalf("d = %#04x", d)
	}
	id := 1 / (float32(-23) / -8)
	for j := range 32 {
		q := int32(src[j]*id + 8.5)
		if q > 15 {
			q = 15
		}
		b := dst[2+j%16]
		got := b & 15
		if j >= 16 {
			got = b >> 4
		}
		if int32(got) != q {
			t.Errorf("q[%d] = %d, want %d", j, got, q)
		}
	}
	if dst[2+5]&15 != 0 || dst[2+15]>>4 != 15 {
		t.Errorf("extremes: %#x %#x", dst[2+5], dst[2+15])
	}
}
