package quant

import (
	"encoding/binary"
	"math"
	"testing"
)

// Arbitrary bytes as blocks and as float32 rows: every exported entry point
// must return (an error or a value) without panicking.
func FuzzBlocks(f *testing.F) {
	f.Add([]byte{}, uint8(0))
	f.Add(make([]byte, 1024), uint8(3))
	seed := make([]byte, 1200)
	for i := range seed {
		seed[i] = byte(i * 7)
	}
	f.Add(seed, uint8(9))
	nan := binary.LittleEndian.AppendUint32(nil, math.Float32bits(float32(math.NaN())))
	f.Add(append(append(nan, seed...), nan...), uint8(11))
	f.Fuzz(func(t *testing.T, data []byte, sel uint8) {
		typ := quantTypes[int(sel)%len(quantTypes)]
		bs, bb := typ.BlockSize(), typ.BlockBytes()
		nb := len(data) / bb
		y := make([]float32, nb*bs)
		if err := Dequantize(typ, y, data[:nb*bb]); err != nil {
			t.Fatal(err)
		}
		Dequantize(typ, y, data) // may be the wrong length: error, no panic
		x := make([]float32, len(data)/4/bs*bs)
		for i := range x {
			x[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		q := make([]byte, len(x)/bs*bb)
		if err := Quantize(typ, q, x); err != nil {
			t.Fatal(err)
		}
		for _, wt := range dotTypes {
			at := VecDotType(wt)
			n := len(data) / wt.BlockBytes()
			w := data[:n*wt.BlockBytes()]
			xs := make([]byte, n*wt.BlockSize()/at.BlockSize()*at.BlockBytes())
			copy(xs, data)
			if n*wt.BlockSize()%at.BlockSize() != 0 {
				continue
			}
			if _, err := VecDot(wt, w, xs); err != nil {
				t.Fatal(err)
			}
			VecDot(wt, data, xs)
		}
	})
}
