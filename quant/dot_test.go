package quant

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

var dotTypes = []Type{Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K}

func quantized(t testing.TB, typ Type, x []float32) []byte {
	n, err := RowBytes(typ, int64(len(x)))
	if err != nil {
		t.Fatal(err)
	}
	q := make([]byte, n)
	if err := Quantize(typ, q, x); err != nil {
		t.Fatal(err)
	}
	return q
}

func dequantized(t testing.TB, typ Type, q []byte, n int) []float64 {
	y := make([]float32, n)
	if err := Dequantize(typ, y, q); err != nil {
		t.Fatal(err)
	}
	out := make([]float64, n)
	for i, v := range y {
		out[i] = float64(v)
	}
	return out
}

// VecDot agrees with the float64 dot product of the dequantized vectors up to
// float32 accumulation; for Q4_1/Q5_1 also up to the rounding of the Q8_1
// block sum s to half, which the dot uses in place of d*sum(q).
func TestVecDotMatchesDequantized(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, typ := range dotTypes {
		for _, n := range []int{256, 2048} {
			w := quantized(t, typ, heavyRow(r, n))
			at := VecDotType(typ)
			x := quantized(t, at, gaussRow(r, n, 1))
			got, err := VecDot(typ, w, x)
			if err != nil {
				t.Fatal(err)
			}
			wf, xf := dequantized(t, typ, w, n), dequantized(t, at, x, n)
			var want, mag float64
			for i := range wf {
				want += wf[i] * xf[i]
				mag += math.Abs(wf[i] * xf[i])
			}
			tol := 1e-5 * mag
			if at == Q8_1 {
				bb := typ.BlockBytes()
				for b := 0; b < n/32; b++ {
					m := float64(F16ToF32(binary.LittleEndian.Uint16(w[b*bb+2:])))
					s := float64(F16ToF32(binary.LittleEndian.Uint16(x[b*36+2:])))
					tol += math.Abs(m) * (math.Abs(s)/1024 + 1.0/(1<<24))
				}
			}
			if math.Abs(float64(got)-want) > tol {
				t.Errorf("%s n=%d: VecDot %v, float64 %v (tol %g)", typ, n, got, want, tol)
			}
		}
	}
}

// withHalf returns a copy of blk with the halves at the given offsets set.
func withHalf(blk []byte, kv ...int) []byte {
	c := append([]byte(nil), blk...)
	for i := 0; i < len(kv); i += 2 {
		binary.LittleEndian.PutUint16(c[kv[i]:], uint16(kv[i+1]))
	}
	return c
}

// randomQ8 builds activation blocks of type at with random q (|q| <= qmax),
// d = 1, and consistent sums (Q8_1 s, Q8_K bsums).
func randomQ8(r *rand.Rand, at Type, nb, qmax int) []byte {
	bb, bs := at.BlockBytes(), at.BlockSize()
	out := make([]byte, nb*bb)
	for b := range nb {
		blk := out[b*bb : (b+1)*bb]
		off := map[Type]int{Q8_0: 2, Q8_1: 4, Q8_K: 4}[at]
		sum := 0
		for j := range bs {
			q := r.IntN(2*qmax+1) - qmax
			blk[off+j] = byte(int8(q))
			sum += q
			if at == Q8_K {
				g := 260 + 2*(j/16)
				binary.LittleEndian.PutUint16(blk[g:], binary.LittleEndian.Uint16(blk[g:])+uint16(int16(q)))
			}
		}
		switch at {
		case Q8_0:
			binary.LittleEndian.PutUint16(blk, 0x3c00)
		case Q8_1:
			binary.LittleEndian.PutUint16(blk, 0x3c00)
			binary.LittleEndian.PutUint16(blk[2:], F32ToF16(float32(sum)))
		case Q8_K:
			binary.LittleEndian.PutUint32(blk, math.Float32bits(1))
		}
	}
	return out
}

// scaleOffsets are the offsets of the half scale fields (d first, then the
// min field if any) per weight type.
var scaleOffsets = map[Type][]int{
	Q4_0: {0}, Q5_0: {0}, Q8_0: {0}, Q4_1: {0, 2}, Q5_1: {0, 2},
	Q4_K: {0, 2}, Q5_K: {0, 2}, Q6_K: {208},
}

// With unit scales every product is a small integer, so the float32 result
// must equal the exact dot product of the plainly decoded values.
func TestVecDotExactIntegers(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, typ := range dotTypes {
		at := VecDotType(typ)
		nb := 1024 / typ.BlockSize()
		var w []byte
		for range nb {
			blk := randomBlock(typ, r)
			kv := []int{}
			for i, off := range scaleOffsets[typ] {
				kv = append(kv, off, []int{0x3c00, 0xc000}[i]) // d = 1, min field = -2
			}
			w = append(w, withHalf(blk, kv...)...)
		}
		qmax := 127
		if typ.BlockSize() == QK_K {
			qmax = 3 // keep |sum| < 2^24 so float32 stays exact
		} else if at == Q8_1 {
			qmax = 8 // s = sum(q) must be exact in half
		}
		x := randomQ8(r, at, len(w)/typ.BlockBytes()*typ.BlockSize()/at.BlockSize(), qmax)
		var want float64
		bs, bb, xbb := typ.BlockSize(), typ.BlockBytes(), at.BlockBytes()
		for e := 0; e < nb*bs; e++ {
			wv := plainElem(typ, w[e/bs*bb:][:bb], e%bs)
			xv := plainElem(at, x[e/at.BlockSize()*xbb:][:xbb], e%at.BlockSize())
			want += wv * xv
		}
		got, err := VecDot(typ, w, x)
		if err != nil {
			t.Fatal(err)
		}
		if float64(got) != want || math.Abs(want) >= 1<<24 {
			t.Errorf("%s: VecDot = %v, exact %v", typ, got, want)
		}
	}
}

// blockInts returns the integer sums a block contributes with unit scales,
// computed from plainElem on copies of the blocks whose scale fields are set
// to 1 or 0: isum = sum(q_w * q_x), msum = sum(m * q_x) (min types).
func blockInts(typ Type, wb, xb []byte) (isum, msum float64) {
	at := VecDotType(typ)
	offs := scaleOffsets[typ]
	ones := []int{}
	for _, o := range offs {
		ones = append(ones, o, 0x3c00)
	}
	wq := withHalf(wb, ones...)
	var wm []byte
	if len(offs) == 2 && typ.BlockSize() == QK_K {
		wq = withHalf(wb, offs[0], 0x3c00, offs[1], 0)
		wm = withHalf(wb, offs[0], 0, offs[1], 0x3c00)
	} else if len(offs) == 2 {
		wq = withHalf(wb, offs[0], 0x3c00, offs[1], 0)
	}
	xq := append([]byte(nil), xb...)
	if at == Q8_K {
		binary.LittleEndian.PutUint32(xq, math.Float32bits(1))
	} else {
		binary.LittleEndian.PutUint16(xq, 0x3c00)
	}
	for e := range typ.BlockSize() {
		xv := plainElem(at, xq, e)
		isum += plainElem(typ, wq, e) * xv
		if wm != nil {
			msum -= plainElem(typ, wm, e) * xv
		}
	}
	return isum, msum
}

// The float arithmetic of the reference dots, written out from their doc
// comments; VecDot must reproduce it bit for bit.
func TestVecDotFloatFormula(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	for _, typ := range dotTypes {
		at := VecDotType(typ)
		n := 2048
		w := quantized(t, typ, heavyRow(r, n))
		x := quantized(t, at, gaussRow(r, n, 1))
		bb, xbb := typ.BlockBytes(), at.BlockBytes()
		var want float32
		for b := range n / typ.BlockSize() {
			wb, xb := w[b*bb:(b+1)*bb], x[b*xbb:(b+1)*xbb]
			isum, msum := blockInts(typ, wb, xb)
			h := func(b []byte, off int) float32 { return F16ToF32(binary.LittleEndian.Uint16(b[off:])) }
			switch typ {
			case Q4_0, Q5_0, Q8_0:
				d := float32(h(wb, 0) * h(xb, 0))
				want += float32(float32(isum) * d)
			case Q4_1, Q5_1:
				d := float32(h(wb, 0) * h(xb, 0))
				ms := float32(h(wb, 2) * h(xb, 2))
				p := float32(float32(isum) * d)
				want += float32(p + ms)
			case Q4_K, Q5_K, Q6_K:
				dx := math.Float32frombits(binary.LittleEndian.Uint32(xb))
				off := scaleOffsets[typ][0]
				want += float32(float32(isum) * float32(h(wb, off)*dx))
				if typ != Q6_K {
					want -= float32(float32(msum) * float32(h(wb, 2)*dx))
				}
			}
		}
		got, err := VecDot(typ, w, x)
		if err != nil {
			t.Fatal(err)
		}
		if math.Float32bits(got) != math.Float32bits(want) {
			t.Errorf("%s: VecDot %v, formula %v", typ, got, want)
		}
	}
}

// The K-quant min term comes from the Q8_K block sums, not from the values.
func TestKDotUsesBsums(t *testing.T) {
	for _, typ := range []Type{Q4_K, Q5_K} {
		w := make([]byte, typ.BlockBytes())
		binary.LittleEndian.PutUint16(w, 0x3c00)
		binary.LittleEndian.PutUint16(w[2:], 0x3c00)
		w[4+4] = 1 // m of sub-block 0 = 1, every scale 0
		w[4+5] = 2 // m of sub-block 1 = 2
		x := make([]byte, BlockBytesQ8_K)
		binary.LittleEndian.PutUint32(x, math.Float32bits(0.5))
		x[4] = 100 // a value the bsums do not reflect
		for g, s := range []int16{3, -5, 7, 11} {
			binary.LittleEndian.PutUint16(x[260+2*g:], uint16(s))
		}
		got, _ := VecDot(typ, w, x)
		want := -(1*float32(3-5) + 2*float32(7+11)) * 0.5
		if got != want {
			t.Errorf("%s: %v, want %v", typ, got, want)
		}
	}
}

func TestVecDotErrors(t *testing.T) {
	for _, c := range []struct {
		typ    Type
		nw, nx int
	}{
		{F32, 4, 4}, {F16, 2, 4}, {BF16, 2, 4}, {Q8_1, 36, 36}, {Q8_K, 292, 292}, {Q2_K, 84, 292},
		{Q3_K, 110, 292}, {Type(16), 66, 292}, {Type(77), 0, 0},
		{Q8_0, 33, 34}, {Q8_0, 34, 33}, {Q8_0, 68, 34}, {Q4_0, 18, 36}, {Q4_1, 20, 34},
		{Q4_K, 144, 291}, {Q6_K, 210, 0}, {Q6_K, 209, 292},
	} {
		if _, err := VecDot(c.typ, make([]byte, c.nw), make([]byte, c.nx)); err == nil {
			t.Errorf("VecDot(%s, %d, %d) accepted", c.typ, c.nw, c.nx)
		}
	}
	if v, err := VecDot(Q4_K, nil, nil); err != nil || v != 0 {
		t.Errorf("empty dot: %v %v", v, err)
	}
}

func benchData(b *testing.B, typ Type, n int) ([]byte, []byte) {
	r := rand.New(rand.NewPCG(1, 1))
	return quantized(b, typ, heavyRow(r, n)), quantized(b, VecDotType(typ), gaussRow(r, n, 1))
}

func BenchmarkQuantizeQ8_0(b *testing.B) {
	x := gaussRow(rand.New(rand.NewPCG(1, 1)), 4096, 1)
	q := make([]byte, 4096/32*34)
	b.SetBytes(4096 * 4)
	for b.Loop() {
		QuantizeQ8_0(q, x)
	}
}

func BenchmarkQuantizeQ8_K(b *testing.B) {
	x := gaussRow(rand.New(rand.NewPCG(1, 1)), 4096, 1)
	q := make([]byte, 4096/256*292)
	b.SetBytes(4096 * 4)
	for b.Loop() {
		QuantizeQ8_K(q, x)
	}
}

func BenchmarkQuantizeQ4_K(b *testing.B) {
	x := heavyRow(rand.New(rand.NewPCG(1, 1)), 4096)
	q := make([]byte, 4096/256*144)
	b.SetBytes(4096 * 4)
	for b.Loop() {
		QuantizeQ4_K(q, x)
	}
}

func BenchmarkQuantizeQ6_K(b *testing.B) {
	x := heavyRow(rand.New(rand.NewPCG(1, 1)), 4096)
	q := make([]byte, 4096/256*210)
	b.SetBytes(4096 * 4)
	for b.Loop() {
		QuantizeQ6_K(q, x)
	}
}

func benchDot(b *testing.B, typ Type, dot func(w, x []byte) float32) {
	w, x := benchData(b, typ, 4096)
	b.SetBytes(int64(len(w)))
	for b.Loop() {
		dot(w, x)
	}
}

func BenchmarkDotQ8_0(b *testing.B) { benchDot(b, Q8_0, DotQ8_0) }
func BenchmarkDotQ4_0(b *testing.B) { benchDot(b, Q4_0, DotQ4_0) }
func BenchmarkDotQ4_K(b *testing.B) { benchDot(b, Q4_K, DotQ4_K) }
func BenchmarkDotQ6_K(b *testing.B) { benchDot(b, Q6_K, DotQ6_K) }
