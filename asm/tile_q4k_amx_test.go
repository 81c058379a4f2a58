package asm

import (
	"testing"

	"github.com/exaone-go/exaone/quant"
)

// TestTileKAMX checks the AMX kernel's Go form on any machine, and the
// assembly where the CPU has AMX, against tileKKernelRef on each half of
// the 16-activation tile bit for bit, on Q4_K and Q5_K values, with guards
// around the outputs and activations prepared by prepKTiles16 from the
// rows that prepKTiles makes the reference's tiles of.
func TestTileKAMX(t *testing.T) {
	for _, c := range []struct {
		name string
		f    func() tileKFunc
	}{
		{"ref", func() tileKFunc { return tileKAMX16Ref }},
		{"asm", amxKernel},
	} {
		for _, maxv := range []int{16, 32} {
			t.Run(c.name, func(t *testing.T) {
				f := c.f()
				if f == nil {
					t.Skip("no AMX on this CPU")
				}
				r := newRand(uint64(71 + maxv))
				for _, nb := range []int{1, 2, 3, 5} {
					w := make([]byte, nb*kWBytes)
					for b := range nb {
						fillKGroup(maxv)(r, w[b*kWBytes:][:kWBytes])
					}
					a := make([]byte, nb*kAMXBytes)
					kToAMX(a, w, nb)
					x := q8KRows(r, 16, nb, func(int) float64 { return 1 + r.Float64() })
					x8 := make([]byte, kTilesBytes(16, nb*qkK))
					prepKTiles(x8, x, 16)
					x16 := make([]byte, kTiles16Bytes(16, nb*qkK))
					prepKTiles16(x16, x, 0, 16, 16)
					const ldo = 19
					for _, acc := range []bool{false, true} {
						got := make([]float32, 16*ldo+2)
						want := make([]float32, 16*ldo+2)
						for i := range got {
							got[i] = float32(i) + 0.5
							want[i] = got[i]
						}
						f(&got[1], ldo, &a[0], &x16[0], nb, acc)
						tileKKernelRef(&want[1], ldo, &w[0], &x8[0], nb, acc)
						tileKKernelRef(&want[1+8*ldo], ldo, &w[0], &x8[nb*kXBytes], nb, acc)
						for i := range got {
							if !sameBits(got[i], want[i]) {
								t.Fatalf("values 0..%d nb=%d acc=%v: out[%d] = %g, want %g", maxv-1, nb, acc, i, got[i], want[i])
							}
						}
					}
				}
			})
		}
	}
}

// TestPrepKTiles16 checks that preparing the 16-activation tiles in 8-row
// parts, in any order, gives the whole preparation, and that the rows
// past the input are zero: activation j of a tile takes row 16t+j.
func TestPrepKTiles16(t *testing.T) {
	r := newRand(19)
	const nb = 2
	for _, n := range []int{1, 8, 9, 16, 17, 41} {
		x := q8KRows(r, n, nb, func(int) float64 { return 1 })
		xrow := nb * q8KBytes
		whole := make([]byte, kTiles16Bytes(n, nb*qkK))
		for i := range whole {
			whole[i] = 0xa5
		}
		parts := append([]byte(nil), whole...)
		prepKTiles16(whole, x, 0, n, n)
		for p := (n+7)/8 - 1; p >= 0; p-- {
			r0, r1 := 8*p, min(8*p+8, n)
			prepKTiles16(parts, x[r0*xrow:r1*xrow], r0, r1, n)
		}
		if string(whole) != string(parts) {
			t.Fatalf("n=%d: preparing in parts differs", n)
		}
		for i := range (n + 15) / 16 * 16 {
			for b := range nb {
				blk := whole[(i/16*nb+b)*kXBytes16:][:kXBytes16]
				j := i % 16
				want := make([]byte, q8KBytes)
				if i < n {
					want = x[i*xrow+b*q8KBytes:][:q8KBytes]
				}
				if string(blk[256*j:256*j+256]) != string(want[4:260]) || string(blk[4096+32*j:4096+32*j+32]) != string(want[260:292]) ||
					string(blk[4608+4*j:4608+4*j+4]) != string(want[:4]) {
					t.Fatalf("n=%d: row %d, super-block %d misplaced", n, i, b)
				}
			}
		}
	}
}

// TestGemmQ4_KTilesAMXRef runs the tile driver on 16-activation tiles with
// the AMX layout and the Go form of its kernel against quant.DotQ4_K and
// DotQ5_K bit for bit, on any machine (the assembly is in gemmQ4_KTiles,
// which TestGemmQ4_KTiles runs on every path, and in TestMatmul).
func TestGemmQ4_KTilesAMXRef(t *testing.T) {
	for _, c := range []struct {
		name   string
		repack repackFunc
		dot    func(w, x []byte) float32
		wb     int
	}{
		{"q4k", repackQ4KTile, quant.DotQ4_K, q4KBytes},
		{"q5k", repackQ5KTile, quant.DotQ5_K, q5KBytes},
	} {
		t.Run(c.name, func(t *testing.T) {
			gemm := func(out []float32, ldo int, w []byte, nrows int, x, _ []byte, nx int) {
				cols := len(x) / nx / q8KBytes * qkK
				xt := make([]byte, kTiles16Bytes(nx, cols))
				prepKTiles16(xt, x, 0, nx, nx)
				gemmKTiles(&kAMXTileShape, [3]tileKFunc{tileKAMX16Ref}, nil, repackAMX(c.repack, c.wb, kToAMX), c.wb, kAMXBytes, out, ldo, w, nrows, x, xt, nx)
			}
			if c.wb == q4KBytes {
				checkGemmKTiles(t, 23, gemm, c.dot, c.wb, q4KRows, hostileDMin(q4KBytes), []int{1, 3})
			} else {
				checkGemmKTiles(t, 43, gemm, c.dot, c.wb, q5KRows, hostileDMin(q5KBytes), []int{1, 3})
			}
		})
	}
}

// amxKernel returns the AMX kernel of the path in use (nil if it has
// none), each call on a thread with its tiles set up (for tests).
func amxKernel() tileKFunc {
	k := table()
	if k.tileKAMX == nil {
		return nil
	}
	return func(out *float32, ldo int, w *byte, x *byte, nb int, acc bool) {
		k.amxOn()
		defer k.amxOff()
		k.tileKAMX(out, ldo, w, x, nb, acc)
	}
}
