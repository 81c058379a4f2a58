package quant

import (
	"math/rand/v2"
	"testing"
)

// Details of ggml's reference Q6_K that the llama.cpp fixtures may not
// exercise, checked without them.
func TestQuantizeQ6_KReference(t *testing.T) {
	blk := make([]byte, BlockBytesQ6_K)
	var L [QK_K]int8

	// An all-zero block is all zero bytes (d = 0, every value code 0).
	for i := range blk {
		blk[i] = 0xAA
	}
	QuantizeQ6_K(blk, make([]float32, QK_K))
	for i, b := range blk {
		if b != 0 {
			t.Fatalf("zero block: byte %d = %#x", i, b)
		}
	}

	// A single spike: make_qx_quants gives its sub-block the scale
	// -spike/32 (level -32), which becomes the block's largest, so its
	// sub-scale is -128 and d = spike/4096 exactly: the block reconstructs
	// exactly. The other sub-blocks are zero: sub-scale 0 and, as ggml
	// leaves them, value codes 0 (not the zero level 32).
	x := make([]float32, QK_K)
	x[37] = 0.75
	QuantizeQ6_K(blk, x)
	sc := blk[192:208]
	for j := range 16 {
		want := byte(0)
		if j == 37/16 {
			want = 0x80 // -128
		}
		if sc[j] != want {
			t.Errorf("spike: sub-scale %d = %d, want %d", j, int8(sc[j]), int8(want))
		}
	}
	if d := F16ToF32(uint16(blk[208]) | uint16(blk[209])<<8); d != 0.75/4096 {
		t.Errorf("spike: d = %g, want %g", d, 0.75/4096)
	}
	q6KValues(blk[0:128], blk[128:192], &L)
	for i, l := range L {
		want := int8(-32)
		if i/16 == 37/16 && i != 37 {
			want = 0
		}
		if l != want {
			t.Errorf("spike: value %d has level %d, want %d", i, l, want)
		}
	}
	y := make([]float32, QK_K)
	DequantizeQ6_K(y, blk)
	for i := range x {
		if y[i] != x[i] {
			t.Errorf("spike: x[%d] = %g back as %g", i, x[i], y[i])
		}
	}

	// On random data the sub-block of largest |scale| always gets -128:
	// iscale = -128/max_scale whatever the sign (a sub-block of the
	// opposite sign rounding to +128 is capped at 127).
	r := rand.New(rand.NewPCG(6, 6))
	for range 50 {
		QuantizeQ6_K(blk, gaussRow(r, QK_K, 0.02))
		var lo int8
		for _, s := range blk[192:208] {
			lo = min(lo, int8(s))
		}
		if lo != -128 {
			t.Errorf("no sub-scale at -128: %v", blk[192:208])
		}
	}
}
