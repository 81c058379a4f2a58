package quant

import (
	"math"
	"testing"

	"github.com/x448/float16"
)

func TestTypeTable(t *testing.T) {
	cases := []struct {
		t            Type
		name         string
		elems, bytes int
	}{
		{F32, "F32", 1, 4}, {F16, "F16", 1, 2}, {BF16, "BF16", 1, 2},
		{Q4_0, "Q4_0", 32, 18}, {Q4_1, "Q4_1", 32, 20}, {Q5_0, "Q5_0", 32, 22},
		{Q5_1, "Q5_1", 32, 24}, {Q8_0, "Q8_0", 32, 34}, {Q8_1, "Q8_1", 32, 36},
		{Q2_K, "Q2_K", 256, 84}, {Q3_K, "Q3_K", 256, 110}, {Q4_K, "Q4_K", 256, 144},
		{Q5_K, "Q5_K", 256, 176}, {Q6_K, "Q6_K", 256, 210}, {Q8_K, "Q8_K", 256, 292},
	}
	for _, c := range cases {
		if c.t.String() != c.name || c.t.BlockSize() != c.elems || c.t.BlockBytes() != c.bytes || !c.t.Known() {
			t.Errorf("%d: got %s %d %d %v", uint32(c.t), c.t, c.t.BlockSize(), c.t.BlockBytes(), c.t.Known())
		}
		for _, s := range []string{c.name, lower(c.name)} {
			p, err := ParseType(s)
			if err != nil || p != c.t {
				t.Errorf("ParseType(%q) = %v, %v", s, p, err)
			}
		}
	}
	if len(cases) != len(known) {
		t.Errorf("table has %d types, test %d", len(known), len(cases))
	}
	for _, u := range []Type{4, 5, 16, 39, 1000} {
		if u.Known() || u.BlockSize() != 0 || u.BlockBytes() != 0 {
			t.Errorf("%d should be unknown", uint32(u))
		}
	}
	if Type(16).String() != "IQ2_XXS" || Type(39).String() != "MXFP4" || Type(1000).String() != "type(1000)" {
		t.Errorf("names: %s %s %s", Type(16), Type(39), Type(1000))
	}
	for _, s := range []string{"", "q4", "iq2_xxs", "Q4_K_M"} {
		if _, err := ParseType(s); err == nil {
			t.Errorf("ParseType(%q) accepted", s)
		}
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func TestRowBytes(t *testing.T) {
	good := []struct {
		t    Type
		n    int64
		want int64
	}{
		{F32, 3, 12}, {BF16, 5, 10}, {Q8_0, 64, 68}, {Q4_0, 0, 0}, {Q4_K, 512, 288}, {Q6_K, 256, 210},
	}
	for _, c := range good {
		if got, err := RowBytes(c.t, c.n); err != nil || got != c.want {
			t.Errorf("RowBytes(%s,%d) = %d, %v; want %d", c.t, c.n, got, err, c.want)
		}
	}
	bad := []struct {
		t Type
		n int64
	}{
		{Q8_0, 33}, {Q4_K, 32}, {F32, -1}, {Type(16), 256}, {Type(4), 32},
		{F32, math.MaxInt64}, {Q8_0, math.MaxInt64 / 32 * 32},
	}
	for _, c := range bad {
		if got, err := RowBytes(c.t, c.n); err == nil {
			t.Errorf("RowBytes(%s,%d) = %d, want error", c.t, c.n, got)
		}
	}
}

func TestVecDotType(t *testing.T) {
	want := map[Type]Type{
		Q4_0: Q8_0, Q5_0: Q8_0, Q8_0: Q8_0, Q4_1: Q8_1, Q5_1: Q8_1,
		Q2_K: Q8_K, Q3_K: Q8_K, Q4_K: Q8_K, Q5_K: Q8_K, Q6_K: Q8_K,
		F32: F32, F16: F32, BF16: F32,
	}
	for w, a := range want {
		if VecDotType(w) != a {
			t.Errorf("VecDotType(%s) = %s, want %s", w, VecDotType(w), a)
		}
	}
}

func TestF16(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		f := F16ToF32(h)
		if want := float16.Frombits(h).Float32(); math.Float32bits(f) != math.Float32bits(want) {
			t.Fatalf("F16ToF32(%#04x) = %v, want %v", h, f, want)
		}
		if f == f && F32ToF16(f) != h {
			t.Fatalf("F32ToF16(F16ToF32(%#04x)) = %#04x", h, F32ToF16(f))
		}
	}
	// Round to nearest even: 1 + 2^-11 is halfway between 1 and the next
	// half 1+2^-10; ties go to the even mantissa (1), 1+3*2^-11 goes up.
	cases := map[float32]uint16{
		1: 0x3c00, 1 + 1.0/2048: 0x3c00, 1 + 3.0/2048: 0x3c02, 1 + 1.0/2048 + 1.0/65536: 0x3c01,
		65504: 0x7bff, 65520: 0x7c00, -2: 0xc000, 5.960464477539063e-08: 0x0001,
		float32(math.Inf(1)): 0x7c00,
	}
	for f, h := range cases {
		if got := F32ToF16(f); got != h {
			t.Errorf("F32ToF16(%v) = %#04x, want %#04x", f, got, h)
		}
	}
	if h := F32ToF16(float32(math.NaN())); h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
		t.Errorf("F32ToF16(NaN) = %#04x", h)
	}
}

func TestBF16(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		f := BF16ToF32(h)
		if math.Float32bits(f) != uint32(h)<<16 {
			t.Fatalf("BF16ToF32(%#04x)", h)
		}
		if f == f && F32ToBF16(f) != h {
			t.Fatalf("F32ToBF16(BF16ToF32(%#04x)) = %#04x", h, F32ToBF16(f))
		}
	}
	cases := map[uint32]uint16{
		0x3f808000: 0x3f80, // tie, even stays
		0x3f818000: 0x3f82, // tie, odd rounds up
		0x3f808001: 0x3f81, // above tie
		0x3f807fff: 0x3f80,
		0x7f7fffff: 0x7f80, // max float rounds to +Inf
		0xff800000: 0xff80, // -Inf
		0x7f800001: 0x7fc0, // signalling NaN becomes quiet, not Inf
		0xffc00000: 0xffc0,
	}
	for u, h := range cases {
		if got := F32ToBF16(math.Float32frombits(u)); got != h {
			t.Errorf("F32ToBF16(%#08x) = %#04x, want %#04x", u, got, h)
		}
	}
}
