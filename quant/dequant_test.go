package quant

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// The expected values in this file come from a plain reading of the layout
// table in QUANTS.md, written independently of the package code: one element
// at a time, bits fetched with bit().

// bit returns bit i (0 = least significant of byte 0) of b.
func bit(b []byte, i int) int { return int(b[i/8]>>(i%8)) & 1 }

// nib returns the low (hi=false) or high nibble of b[i].
func nib(b []byte, i int, hi bool) int {
	v := 0
	s := 0
	if hi {
		s = 4
	}
	for k := range 4 {
		v |= bit(b, 8*i+s+k) << k
	}
	return v
}

func half(b []byte, off int) float64 {
	return float64(F16ToF32(binary.LittleEndian.Uint16(b[off:])))
}

// plainElem returns element e of the block blk of type t.
func plainElem(t Type, blk []byte, e int) float64 {
	switch t {
	case Q4_0:
		return float64(nib(blk, 2+e%16, e >= 16)-8) * half(blk, 0)
	case Q4_1:
		return float64(nib(blk, 4+e%16, e >= 16))*half(blk, 0) + half(blk, 2)
	case Q5_0:
		q := nib(blk, 6+e%16, e >= 16) + 16*bit(blk[2:6], e)
		return float64(q-16) * half(blk, 0)
	case Q5_1:
		q := nib(blk, 8+e%16, e >= 16) + 16*bit(blk[4:8], e)
		return float64(q)*half(blk, 0) + half(blk, 2)
	case Q8_0:
		return float64(int8(blk[2+e])) * half(blk, 0)
	case Q8_1:
		return float64(int8(blk[4+e])) * half(blk, 0)
	case Q8_K:
		return float64(int8(blk[4+e])) * float64(math.Float32frombits(binary.LittleEndian.Uint32(blk)))
	case Q4_K, Q5_K:
		s := blk[4:16]
		j := e / 32
		var sc, m int
		if j < 4 {
			sc, m = int(s[j]&63), int(s[j+4]&63)
		} else {
			sc = int(s[j+4]&15) | int(s[j-4]>>6)<<4
			m = int(s[j+4]>>4) | int(s[j]>>6)<<4
		}
		var q int
		if t == Q4_K {
			q = nib(blk, 16+32*(j/2)+e%32, j%2 == 1)
		} else {
			k, l := e/64, e%64
			qh, qs := blk[16:48], blk[48:176]
			if l < 32 {
				q = nib(qs, 32*k+l, false) + 16*bit(qh, 8*l+2*k)
			} else {
				q = nib(qs, 32*k+l-32, true) + 16*bit(qh, 8*(l-32)+2*k+1)
			}
		}
		return half(blk, 0)*float64(sc)*float64(q) - half(blk, 2)*float64(m)
	case Q6_K:
		ql, qh, sc := blk[0:128], blk[128:192], blk[192:208]
		h, v := e/128, e%128
		quad, l := v/32, v%32
		lowIdx := 64*h + l
		if quad == 1 || quad == 3 {
			lowIdx += 32
		}
		lo := nib(ql, lowIdx, quad >= 2)
		hi := bit(qh, 8*(32*h+l)+2*quad) | bit(qh, 8*(32*h+l)+2*quad+1)<<1
		scale := int8(sc[8*h+l/16+2*quad])
		return half(blk, 208) * float64(scale) * float64(lo|hi<<4-32)
	}
	panic("type")
}

// halves used for d fields: positive, negative, subnormal, fractional.
var testHalves = []uint16{0x3c00, 0x3800, 0xb400, 0x2e66, 0x0003, 0x4a00, 0x1400}

// randomBlock fills a block of type t with random bytes and sets its scale
// fields to finite values from testHalves.
func randomBlock(t Type, r *rand.Rand) []byte {
	blk := make([]byte, t.BlockBytes())
	for i := range blk {
		blk[i] = byte(r.Uint32())
	}
	h := func(off int) {
		binary.LittleEndian.PutUint16(blk[off:], testHalves[r.IntN(len(testHalves))])
	}
	switch t {
	case Q4_0, Q5_0, Q8_0:
		h(0)
	case Q4_1, Q5_1, Q8_1, Q4_K, Q5_K:
		h(0)
		h(2)
	case Q6_K:
		h(208)
	case Q8_K:
		binary.LittleEndian.PutUint32(blk, math.Float32bits(float32(r.NormFloat64())))
	}
	return blk
}

var blockTypes = []Type{Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q4_K, Q5_K, Q6_K, Q8_K}

func TestDequantizeMatchesLayoutTable(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, typ := range blockTypes {
		const nb = 40
		var src []byte
		for range nb {
			src = append(src, randomBlock(typ, r)...)
		}
		dst := make([]float32, nb*typ.BlockSize())
		if err := Dequantize(typ, dst, src); err != nil {
			t.Fatal(err)
		}
		bs, bb := typ.BlockSize(), typ.BlockBytes()
		for i, got := range dst {
			want := plainElem(typ, src[i/bs*bb:][:bb], i%bs)
			if math.Abs(float64(got)-want) > 1e-6*math.Abs(want)+1e-30 {
				t.Fatalf("%s element %d: got %v, want %v", typ, i, got, want)
			}
		}
	}
}

// A few blocks built by hand with values worked out on paper.
func TestDequantizeHandBuilt(t *testing.T) {
	check := func(typ Type, blk []byte, want map[int]float32) {
		t.Helper()
		y := make([]float32, typ.BlockSize())
		if err := Dequantize(typ, y, blk); err != nil {
			t.Fatal(err)
		}
		for e, w := range want {
			if y[e] != w {
				t.Errorf("%s[%d] = %v, want %v", typ, e, y[e], w)
			}
		}
	}
	// Q4_0, d = 0.5: byte 0 = 0xF3 -> elem 0 = (3-8)/2, elem 16 = (15-8)/2.
	b := make([]byte, 18)
	binary.LittleEndian.PutUint16(b, 0x3800)
	b[2] = 0xF3
	check(Q4_0, b, map[int]float32{0: -2.5, 16: 3.5, 1: -4})
	// Q5_0, d = 1: qs[1] = 0x21, qh bit 1 and bit 17 set -> elem 1 = 17-16,
	// elem 17 = 18-16; elem 2 has no high bit: 0-16.
	b = make([]byte, 22)
	binary.LittleEndian.PutUint16(b, 0x3c00)
	binary.LittleEndian.PutUint32(b[2:], 1<<1|1<<17)
	b[6+1] = 0x21
	check(Q5_0, b, map[int]float32{1: 1, 17: 2, 2: -16})
	// Q5_1, d = 2, m = -1: qs[0] = 0x0F, qh bit 16 -> elem 0 = 15*2-1,
	// elem 16 = 16*2-1.
	b = make([]byte, 24)
	binary.LittleEndian.PutUint16(b, 0x4000)
	binary.LittleEndian.PutUint16(b[2:], 0xbc00)
	binary.LittleEndian.PutUint32(b[4:], 1<<16)
	b[8] = 0x0F
	check(Q5_1, b, map[int]float32{0: 29, 16: 31, 1: -1})
	// Q4_K, d = 1, dmin = 0.5. Sub-block 0: sc = 2, m = 4; sub-block 5:
	// sc = 0x25 (low 4 bits in s[9], top 2 bits in s[1]>>6), m = 0x13 (low
	// in s[9]>>4, top in s[5]>>6). Sub-block 5 is the high nibbles of group 2.
	b = make([]byte, 144)
	binary.LittleEndian.PutUint16(b, 0x3c00)
	binary.LittleEndian.PutUint16(b[2:], 0x3800)
	s := b[4:16]
	s[0] = 2
	s[4] = 4
	s[9] = 0x5 | 0x3<<4
	s[1] = 0x2 << 6
	s[5] = 0x1 << 6
	qs := b[16:]
	qs[0] = 0x07    // elem 0 (sub-block 0) = 2*7 - 0.5*4 = 12
	qs[64+3] = 0xA0 // elem 160+3 (sub-block 5) = 37*10 - 0.5*19 = 360.5
	check(Q4_K, b, map[int]float32{0: 12, 1: -2, 163: 360.5, 32: 0})
	// Q5_K: same scales; value 64*1+32+5 (group 1, high half) uses the high
	// nibble of qs[32+5] and bit 3 of qh[5]: q = 1 + 16 = 17, sub-block 3
	// (sc = s[3] = 3, m = s[7] = 1): 17*3 - 0.5*1.
	b = make([]byte, 176)
	binary.LittleEndian.PutUint16(b, 0x3c00)
	binary.LittleEndian.PutUint16(b[2:], 0x3800)
	b[4+3] = 3
	b[4+7] = 1
	b[16+5] = 1 << 3
	b[48+32+5] = 0x10
	check(Q5_K, b, map[int]float32{101: 50.5, 100: -0.5, 69: 0})
	// Q6_K, d = 0.5. Second half (h=1), value 64+l with l = 20: low bits =
	// high nibble of ql[64+20], high bits = qh[32+20]>>4 & 3, scale index
	// 8 + 20/16 + 4 = 13.
	b = make([]byte, 210)
	binary.LittleEndian.PutUint16(b[208:], 0x3800)
	b[64+20] = 0x90         // low 4 bits 9
	b[128+32+20] = 0x2 << 4 // high bits 2 -> q = 9 + 32 - 32 = 9
	b[192+13] = 0xFE        // scale -2
	// Elements of h=1 with all-zero bits are (0-32)*scale.
	b[192+8] = 3
	check(Q6_K, b, map[int]float32{128 + 64 + 20: -9, 128: -48, 128 + 64 + 21: 32})
}
