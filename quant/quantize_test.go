package quant

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

var quantTypes = []Type{F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q4_K, Q5_K, Q6_K, Q8_K}

func gaussRow(r *rand.Rand, n int, sigma float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * sigma)
	}
	return x
}

// heavyRow is Student-t-like (Gaussian over a random scale), with outliers
// like real weight matrices have.
func heavyRow(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		s := 0.02 / math.Sqrt(r.ExpFloat64()+0.05)
		x[i] = float32(r.NormFloat64() * s)
	}
	return x
}

func roundTrip(t *testing.T, typ Type, x []float32) ([]byte, []float32) {
	t.Helper()
	n, _ := RowBytes(typ, int64(len(x)))
	q := make([]byte, n)
	if err := Quantize(typ, q, x); err != nil {
		t.Fatal(err)
	}
	y := make([]float32, len(x))
	if err := Dequantize(typ, y, q); err != nil {
		t.Fatal(err)
	}
	return q, y
}

// Per-element error bounds of the legacy formats, per block: half a step
// (a full step where the format clamps the top level), plus the error of
// storing d (and m) as half, 2^-11 relative.
func TestLegacyRoundTripBounds(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const f16eps = 1.0 / 2048
	for _, typ := range []Type{Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q8_K} {
		for _, sigma := range []float64{1e-3, 1, 300} {
			x := gaussRow(r, 1024, sigma)
			_, y := roundTrip(t, typ, x)
			bs := typ.BlockSize()
			for b := 0; b < len(x); b += bs {
				xb := x[b : b+bs]
				lo, hi := minMax(xb)
				amax, _ := absMax(xb)
				// Error of a value stored as half: relative 2^-11, or 2^-25
				// absolute in the subnormal range.
				hErr := func(v float32) float64 { return max(math.Abs(float64(v))*f16eps, 1.0/(1<<25)) }
				var bound float64
				switch typ {
				case Q8_0, Q8_1:
					bound = float64(amax)/127*0.5 + 127*hErr(amax/127)
				case Q8_K:
					bound = float64(amax)/127*0.5 + float64(amax)*1e-6
				case Q4_0:
					bound = float64(amax)/8 + 8*hErr(amax/8)
				case Q5_0:
					bound = float64(amax)/16 + 16*hErr(amax/16)
				case Q4_1:
					bound = float64(hi-lo)/15*0.5 + 15*hErr((hi-lo)/15) + hErr(lo)
				case Q5_1:
					bound = float64(hi-lo)/31*0.5 + 31*hErr((hi-lo)/31) + hErr(lo)
				}
				for i := range xb {
					if e := math.Abs(float64(y[b+i] - xb[i])); e > bound*1.0001 {
						t.Fatalf("%s sigma %g elem %d: |%v - %v| = %g > %g", typ, sigma, b+i, y[b+i], xb[i], e, bound)
					}
				}
			}
		}
	}
}

func TestFloatRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	x := gaussRow(r, 100, 10)
	x = append(x, 0, float32(math.Copysign(0, -1)), float32(math.Inf(-1)), 65504, 1e-7)
	_, y := roundTrip(t, F32, x)
	for i := range x {
		if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
			t.Fatalf("F32 %d: %v != %v", i, y[i], x[i])
		}
	}
	for _, typ := range []Type{F16, BF16} {
		q, y := roundTrip(t, typ, x)
		for i := range x {
			h := binary.LittleEndian.Uint16(q[2*i:])
			want := F32ToF16(x[i])
			if typ == BF16 {
				want = F32ToBF16(x[i])
			}
			if h != want {
				t.Fatalf("%s %d: %#04x != %#04x", typ, i, h, want)
			}
			if rel := math.Abs(float64(y[i]-x[i])) / math.Abs(float64(x[i])); x[i] != 0 && math.Abs(float64(x[i])) > 1e-4 && rel > 1.0/128 {
				t.Fatalf("%s %d: %v -> %v", typ, i, x[i], y[i])
			}
		}
	}
}

// Rounding rules of ggml's reference quantizers on hand-made blocks.
func TestLegacyRoundingRules(t *testing.T) {
	x := make([]float32, 32)
	// Q8_0: amax 127 gives d = 1, id = 1: ties round away from zero.
	x[0], x[1], x[2], x[3] = 127, 2.5, -2.5, 0.49
	q := make([]byte, 34)
	QuantizeQ8_0(q, x)
	if binary.LittleEndian.Uint16(q) != 0x3c00 || int8(q[2]) != 127 || int8(q[3]) != 3 || int8(q[4]) != -3 || q[5] != 0 {
		t.Errorf("Q8_0 rounding: % x", q[:6])
	}
	// Q8_1: same, and s = d*sum(q) = 127+3-3.
	q = make([]byte, 36)
	QuantizeQ8_1(q, x)
	if F16ToF32(binary.LittleEndian.Uint16(q[2:])) != 127 || int8(q[5]) != 3 {
		t.Errorf("Q8_1: % x", q[:8])
	}
	// Q4_1: values 0..15 (block 0..15 twice) give d = 1, m = 0, q = x.
	for i := range x {
		x[i] = float32(i % 16)
	}
	q = make([]byte, 20)
	QuantizeQ4_1(q, x)
	for j := range 16 {
		if q[4+j] != byte(j)|byte(j)<<4 {
			t.Fatalf("Q4_1 byte %d = %#x", j, q[4+j])
		}
	}
	// Q5_1: values 0..31 give d = 1, q = x; the 5th bits of 16..31 are set.
	for i := range x {
		x[i] = float32(i)
	}
	q = make([]byte, 24)
	QuantizeQ5_1(q, x)
	if binary.LittleEndian.Uint32(q[4:]) != 0xffff0000 || q[8] != 0x00 || q[8+15] != 0xff {
		t.Errorf("Q5_1: % x", q)
	}
	// Q5_0: -16 is the largest magnitude: d = 1, q = x+16 truncated
	// after +16.5, so 0.4 -> 16, -0.6 -> 15 (trunc(15.9)).
	for i := range x {
		x[i] = 0
	}
	x[0], x[1], x[2], x[16] = -16, 0.4, -0.6, 15
	q = make([]byte, 22)
	QuantizeQ5_0(q, x)
	qh := binary.LittleEndian.Uint32(q[2:])
	if binary.LittleEndian.Uint16(q) != 0x3c00 || q[6]&15 != 0 || qh&1 != 0 ||
		q[7]&15 != 0 || qh>>1&1 != 1 || q[8]&15 != 15 || qh>>2&1 != 0 || q[6]>>4 != 15 || qh>>16&1 != 1 {
		t.Errorf("Q5_0: % x qh %#x", q, qh)
	}
}

// plainQ8K is ggml's Q8_K reference as QUANTS.md states it, with round half
// to even for nearest_int.
func plainQ8K(x []float32) []byte {
	out := make([]byte, 292)
	var amax, max float32
	for _, v := range x {
		if float32(math.Abs(float64(v))) > amax {
			amax, max = float32(math.Abs(float64(v))), v
		}
	}
	if amax == 0 {
		return out
	}
	iscale := -127 / max
	for j, v := range x {
		q := int(math.RoundToEven(float64(iscale * v)))
		q = min(q, 127)
		out[4+j] = byte(int8(q))
		s := binary.LittleEndian.Uint16(out[260+2*(j/16):])
		binary.LittleEndian.PutUint16(out[260+2*(j/16):], s+uint16(int16(q)))
	}
	binary.LittleEndian.PutUint32(out, math.Float32bits(1/iscale))
	return out
}

func TestQ8_K(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	x := gaussRow(r, 256*4, 2)
	// Block 1: ties. max = -127 makes iscale exactly 1: 2.5 -> 2, 3.5 -> 4.
	b1 := x[256:512]
	for i := range b1 {
		b1[i] = float32(i%7) - 3
	}
	b1[0], b1[1], b1[2], b1[3] = -127, 2.5, 3.5, -0.5
	// Block 2: all zero. Block 3: one large positive value.
	clear(x[512:768])
	x[800] = 1e6
	got := make([]byte, 4*292)
	if err := Quantize(Q8_K, got, x); err != nil {
		t.Fatal(err)
	}
	for b := range 4 {
		want := plainQ8K(x[256*b : 256*b+256])
		if string(got[292*b:292*b+292]) != string(want) {
			t.Fatalf("block %d differs from the plain reference", b)
		}
	}
	if int8(got[292+5]) != 2 || int8(got[292+6]) != 4 || int8(got[292+7]) != 0 {
		t.Errorf("ties: %d %d %d", int8(got[292+5]), int8(got[292+6]), int8(got[292+7]))
	}
	if math.Float32frombits(binary.LittleEndian.Uint32(got[292:])) != 1 {
		t.Errorf("d of block 1")
	}
	for _, c := range got[2*292 : 3*292] {
		if c != 0 {
			t.Fatal("all-zero block is not all zero bytes")
		}
	}
}

func TestEdgeInputs(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	n := 512
	rows := map[string][]float32{
		"zero":  make([]float32, n),
		"const": constRow(n, 0.75),
		"neg":   constRow(n, -3),
		"tiny":  gaussRow(r, n, 1e-30),
		"small": gaussRow(r, n, 1e-2),
		"big":   gaussRow(r, n, 1e3),
		"huge":  gaussRow(r, n, 1e30),
		"max":   constRow(n, -3e38),
	}
	special := gaussRow(r, n, 1)
	special[3], special[40], special[300] = float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))
	rows["nan"] = special
	for _, typ := range quantTypes {
		for name, x := range rows {
			q, y := roundTrip(t, typ, x) // must not panic
			switch name {
			case "zero":
				for i := range y {
					if y[i] != 0 {
						t.Fatalf("%s zero row: y[%d] = %v", typ, i, y[i])
					}
				}
			case "const", "neg", "small", "big":
				rel := relRMSE(x, y)
				if rel > maxRelRMSE[typ] {
					t.Errorf("%s %s: relative RMSE %.4g > %.4g", typ, name, rel, maxRelRMSE[typ])
				}
			case "tiny":
				for i := range y {
					if !(math.Abs(float64(y[i])) <= 1e-29) {
						t.Fatalf("%s tiny row: y[%d] = %v", typ, i, y[i])
					}
				}
			case "nan":
				// The blocks without NaN/Inf quantize as if alone.
				bs := max(typ.BlockSize(), 256)
				alone, _ := roundTrip(t, typ, x[bs:])
				off, _ := RowBytes(typ, int64(bs))
				if string(q[off:]) != string(alone) {
					t.Errorf("%s: NaN/Inf in the first block changed the others", typ)
				}
			}
		}
	}
}

func constRow(n int, c float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = c
	}
	return x
}

// maxRelRMSE bounds RMSE/RMS(x) of a round trip on Gaussian data per type.
var maxRelRMSE = map[Type]float64{
	F32: 0, F16: 3e-4, BF16: 2e-3, Q8_0: 0.0062, Q8_1: 0.0062, Q8_K: 0.0078,
	Q4_0: 0.1, Q4_1: 0.09, Q5_0: 0.05, Q5_1: 0.045,
	Q4_K: 0.08, Q5_K: 0.04, Q6_K: 0.02,
}

func relRMSE(x, y []float32) float64 {
	var e, s float64
	for i := range x {
		d := float64(y[i]) - float64(x[i])
		e += d * d
		s += float64(x[i]) * float64(x[i])
	}
	if s == 0 {
		return math.Sqrt(e)
	}
	return math.Sqrt(e / s)
}

func TestGaussianRMSE(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	x := gaussRow(r, 4096, 0.02)
	for _, typ := range quantTypes {
		_, y := roundTrip(t, typ, x)
		rel := relRMSE(x, y)
		t.Logf("%-4s relative RMSE %.5f", typ, rel)
		if rel > maxRelRMSE[typ] || (typ != F32 && rel == 0) {
			t.Errorf("%s: relative RMSE %.4g, bound %.4g", typ, rel, maxRelRMSE[typ])
		}
	}
}

func TestSizeErrors(t *testing.T) {
	for _, c := range []struct {
		typ       Type
		n, nbytes int
	}{
		{Q8_0, 33, 34}, {Q8_0, 32, 33}, {Q8_0, 32, 35}, {Q4_K, 32, 18}, {Q4_K, 256, 143},
		{F32, 3, 8}, {Q2_K, 256, 84}, {Q3_K, 256, 110}, {Type(16), 256, 66}, {Type(99), 32, 32},
	} {
		err := Quantize(c.typ, make([]byte, c.nbytes), make([]float32, c.n))
		if err == nil || !strings.Contains(err.Error(), c.typ.String()) {
			t.Errorf("Quantize %s %d/%d: %v", c.typ, c.n, c.nbytes, err)
		}
		err = Dequantize(c.typ, make([]float32, c.n), make([]byte, c.nbytes))
		if err == nil || !strings.Contains(err.Error(), c.typ.String()) {
			t.Errorf("Dequantize %s %d/%d: %v", c.typ, c.n, c.nbytes, err)
		}
	}
	if err := Quantize(Q8_0, nil, nil); err != nil {
		t.Errorf("empty row: %v", err)
	}
}

// Blocks taken from llama-quantize's output (testdata/llamacpp_blocks.txt),
// chosen where a value lies exactly on a rounding boundary, so that they pin
// down the reference rounding without the fixture files.
func TestLlamaQuantizeBlocks(t *testing.T) {
	data, err := os.ReadFile("testdata/llamacpp_blocks.txt")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		typ, err := ParseType(f[0])
		raw, err1 := hex.DecodeString(f[1])
		want, err2 := hex.DecodeString(f[2])
		if err != nil || err1 != nil || err2 != nil || len(raw) != 64 {
			t.Fatalf("bad line %q", line)
		}
		x := make([]float32, 32)
		for i := range x {
			x[i] = BF16ToF32(binary.LittleEndian.Uint16(raw[2*i:]))
		}
		got := make([]byte, len(want))
		if err := Quantize(typ, got, x); err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s block %s:\n got % x\nwant % x", typ, f[1][:16], got, want)
		}
		n++
	}
	if n != 32 {
		t.Errorf("%d blocks", n)
	}
}
