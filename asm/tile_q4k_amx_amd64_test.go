//go:build !noasm

package asm

import (
	"fmt"
	"testing"
)

// TestKToAMXAsm checks the assembly conversion into the AMX layout against
// kToAMX byte for byte, on Q4_K and Q5_K values.
func TestKToAMXAsm(t *testing.T) {
	if !avx512() {
		t.Skip("no AVX-512")
	}
	r := newRand(47)
	for _, maxv := range []int{16, 32} {
		for _, nb := range []int{1, 3} {
			src := make([]byte, nb*kWBytes)
			for b := range nb {
				fillKGroup(maxv)(r, src[b*kWBytes:][:kWBytes])
			}
			want := make([]byte, nb*kAMXBytes)
			got := make([]byte, nb*kAMXBytes+1)
			got[len(got)-1] = 0xa5
			kToAMX(want, src, nb)
			kToAMXVec(got, src, nb)
			if string(got[:len(want)]) != string(want) || got[len(want)] != 0xa5 {
				t.Fatalf("values 0..%d, nb=%d: the conversions differ", maxv-1, nb)
			}
		}
	}
}

// BenchmarkTileKAMX reports the multiply-adds per second of the AMX kernel
// and, for comparison, the VNNI kernel on the same 16 activations (two
// calls), with the weights of nb super-blocks in L1 (2), as the tile
// driver calls it (4) and in L2 (32).
func BenchmarkTileKAMX(b *testing.B) {
	if amxKernel() == nil {
		b.Skip("no AMX on this CPU")
	}
	for _, nb := range []int{2, 4, 32} {
		r := newRand(5)
		wv := make([]byte, nb*kWBytes)
		for i := range nb {
			fillKGroup(16)(r, wv[i*kWBytes:][:kWBytes])
		}
		wa := make([]byte, nb*kAMXBytes)
		kToAMX(wa, wv, nb)
		x := q8KRows(r, 16, nb, func(int) float64 { return 1 })
		x8 := make([]byte, kTilesBytes(16, nb*qkK))
		prepKTiles(x8, x, 16)
		x16 := make([]byte, kTiles16Bytes(16, nb*qkK))
		prepKTiles16(x16, x, 0, 16, 16)
		out := make([]float32, 16*16)
		for _, c := range []struct {
			name string
			f    func()
		}{
			{"vnni", func() {
				tileK16x8VNNI(&out[0], 16, &wv[0], &x8[0], nb, false)
				tileK16x8VNNI(&out[128], 16, &wv[0], &x8[nb*kXBytes], nb, false)
			}},
			{"amx", func() { tileK16x16AMX(&out[0], 16, &wa[0], &x16[0], nb, false) }},
		} {
			b.Run(fmt.Sprintf("%s/nb=%d", c.name, nb), func(b *testing.B) {
				amxOn()
				defer amxOff()
				for b.Loop() {
					c.f()
				}
				b.ReportMetric(float64(b.N)*16*16*float64(nb)*qkK/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		}
	}
}
