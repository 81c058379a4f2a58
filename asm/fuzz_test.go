package asm

import (
	"encoding/binary"
	"testing"

	"github.com/exaone-go/exaone/quant"
)

// fuzzTol is a bound that holds for any data: both the reference and the
// SIMD sums round once per term and once per add over about nb+8 adds, so
// they differ by at most about 2*(nb+8) units of 2^-24 of absBound.
func fuzzTol(nb int) float64 { return float64(nb+16) * 0x1p-23 }

// fuzzDot feeds raw bytes as weight and activation blocks (scales included,
// so any f16 pattern occurs) to every path and compares with the reference;
// GEMV and GEMM over 5 rows of the same data are checked too.
func fuzzDot(t *testing.T, data []byte, wb int) {
	nb := min(len(data)/(wb+q8Bytes), 64)
	w, x := data[:nb*wb], data[nb*wb:nb*(wb+q8Bytes)]
	want := dotRef(w, x, wb)
	bound := absBound(w, x, wb)
	const rows = 5
	wr := make([]byte, 0, rows*len(w))
	for i := range rows {
		wr = append(wr, w...)
		if nb > 0 && i == 2 { // vary one row's first scale
			binary.LittleEndian.PutUint16(wr[len(wr)-len(w):], binary.LittleEndian.Uint16(w)^0x0400)
		}
	}
	saved := table()
	defer func() { cur.Store(saved) }()
	for _, k := range allSets() {
		cur.Store(k)
		name := k.name
		if got := dotCur(w, x, wb); !same(got, want, bound, fuzzTol(nb)) {
			t.Fatalf("%s: nb=%d got %v want %v", name, nb, got, want)
		}
		out := make([]float32, rows)
		if wb == q8Bytes {
			gemvQ8_0(out, wr, x)
		} else {
			gemvQ4_0(out, wr, x)
		}
		// Two activation rows (x twice) so that GEMM tiles run too.
		gm := make([]float32, 2*rows)
		xx := append(append([]byte{}, x...), x...)
		if wb == q8Bytes {
			gemmQ8_0(gm, rows, wr, rows, xx, 2)
		} else {
			gemmQ4_0(gm, rows, wr, rows, xx, 2)
		}
		for i := range rows {
			row := wr[i*len(w) : (i+1)*len(w)]
			rw := dotRef(row, x, wb)
			rb := absBound(row, x, wb)
			if !same(out[i], rw, rb, fuzzTol(nb)) || !same(gm[i], rw, rb, fuzzTol(nb)) || !same(gm[rows+i], rw, rb, fuzzTol(nb)) {
				t.Fatalf("%s: nb=%d row %d: gemv %v gemm %v %v want %v", name, nb, i, out[i], gm[i], gm[rows+i], rw)
			}
		}
	}
}

func fuzzSeeds(f *testing.F, wb int) {
	f.Add([]byte{})
	r := newRand(9)
	for _, nb := range []int{1, 2, 9} {
		w := weights(r, wb, nb, func(int) uint16 { return randScale(r) })
		x := q8Blocks(nb, func(int) uint16 { return randScale(r) }, func() int8 { return int8(r.Uint32()) })
		f.Add(append(w, x...))
	}
	ext := make([]byte, 2*(wb+q8Bytes))
	for i := range ext {
		ext[i] = 0x80
	}
	binary.LittleEndian.PutUint16(ext, 0x7c00)
	f.Add(ext)
}

func FuzzDotQ8_0(f *testing.F) {
	fuzzSeeds(f, q8Bytes)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDot(t, data, q8Bytes) })
}

func FuzzDotQ4_0(f *testing.F) {
	fuzzSeeds(f, q4Bytes)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDot(t, data, q4Bytes) })
}

// FuzzQuantizeQ8_0 checks every path's quantizer is byte-identical to the
// reference for any float bit patterns.
func FuzzQuantizeQ8_0(f *testing.F) {
	f.Add(make([]byte, 128))
	f.Add([]byte{0, 0, 0xc0, 0x7f, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, data []byte) {
		n := min(len(data)/4/qk*qk, 8*qk)
		quantizeOnSets(t, bitsToFloats(data, n), qk, q8Bytes, quant.QuantizeQ8_0, QuantizeQ8_0, "quant.QuantizeQ8_0")
	})
}
