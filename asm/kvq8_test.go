package asm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"testing"

	"github.com/exaone-go/exaone/quant"
)

// kq8Keys quantizes n random keys of dim values into tiles (the spare lanes
// of the last tile hold keys too) and returns the tiles and the keys as Q8_0
// rows.
func kq8Keys(seed uint64, n, dim int, extreme bool) (tiles, rows []byte) {
	r := newRand(seed)
	nt := (n + KQ8Tile - 1) / KQ8Tile
	rb := dim / qk * q8Bytes
	tiles = make([]byte, nt*KQ8TileBytes(dim))
	rows = make([]byte, nt*KQ8Tile*rb)
	x := make([]float32, dim)
	for j := range nt * KQ8Tile {
		for i := range x {
			x[i] = float32(r.NormFloat64() * math.Ldexp(1, r.IntN(8)-4))
			if extreme {
				// every value at +-127 (largest products), some blocks 0
				x[i] = float32(1 - 2*r.IntN(2))
				if r.IntN(9) == 0 {
					x[i] = 0
				}
			}
		}
		row := rows[j*rb : (j+1)*rb]
		QuantizeQ8_0(row, x)
		tb := KQ8TileBytes(dim)
		PutKQ8(tiles[j/KQ8Tile*tb:(j/KQ8Tile+1)*tb], j%KQ8Tile, row)
	}
	return tiles, rows
}

func TestPutGetKQ8(t *testing.T) {
	for _, dim := range []int{32, 64, 128} {
		tiles, rows := kq8Keys(1, 40, dim, false)
		tb, rb := KQ8TileBytes(dim), dim/qk*q8Bytes
		got := make([]byte, rb)
		for j := range len(rows) / rb {
			GetKQ8(got, tiles[j/KQ8Tile*tb:(j/KQ8Tile+1)*tb], j%KQ8Tile)
			if !bytes.Equal(got, rows[j*rb:(j+1)*rb]) {
				t.Fatalf("dim %d: key %d: read back differs", dim, j)
			}
		}
	}
}

// TestScoresKQ8 checks the scores of every path against refScoresKQ8 bit
// for bit, and the reference against a float64 dot product of the
// quantized keys and queries, with head counts around the kernels' 4, 2
// and 1, head dims up to past the kernels' 256, and runs of keys starting
// and ending inside tiles; out's guard values must stay.
func TestScoresKQ8(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := newRand(7)
		for _, dim := range []int{32, 64, 128, 256, 288} {
			for _, extreme := range []bool{false, true} {
				tiles, rows := kq8Keys(uint64(dim), 1100, dim, extreme)
				rb := dim / qk * q8Bytes
				for _, heads := range []int{1, 2, 3, 4, 5, 8} {
					q := make([]byte, heads*rb)
					x := make([]float32, heads*dim)
					for i := range x {
						x[i] = float32(r.NormFloat64())
						if extreme {
							x[i] = float32(1 - 2*r.IntN(2))
						}
					}
					QuantizeQ8_0(q, x)
					for _, run := range [][2]int{{0, 1}, {0, 16}, {3, 5}, {5, 40}, {16, 1000}, {1, 1090}, {0, 1104}, {100, 4}} {
						first, n := run[0], run[1]
						ldo := n + 3
						out := make([]float32, heads*ldo)
						for i := range out {
							out[i] = -7
						}
						want := append([]float32(nil), out...)
						refScoresKQ8(want, ldo, tiles, first, n, q, heads)
						ScoresKQ8(out, ldo, tiles, first, n, q, heads)
						for i := range out {
							if math.Float32bits(out[i]) != math.Float32bits(want[i]) {
								t.Fatalf("dim %d heads %d keys %d+%d extreme %v: out[%d][%d] = %g, want %g",
									dim, heads, first, n, extreme, i/ldo, i%ldo, out[i], want[i])
							}
						}
						for h := range heads {
							for j := range n {
								key := rows[(first+j)*rb:][:rb]
								f := kq8Dot64(key, q[h*rb:(h+1)*rb])
								if d := math.Abs(float64(want[h*ldo+j]) - f); d > 1e-6*(math.Abs(f)+absBound(key, q[h*rb:(h+1)*rb], q8Bytes)) {
									t.Fatalf("dim %d heads %d: score %d,%d = %g, float64 %g", dim, heads, h, j, want[h*ldo+j], f)
								}
							}
						}
					}
				}
			}
		}
	})
}

// kq8Dot64 is the dot product of two Q8_0 rows in float64.
func kq8Dot64(k, q []byte) float64 {
	var s float64
	for b := range len(k) / q8Bytes {
		kb, qb := k[b*q8Bytes:], q[b*q8Bytes:]
		var isum int
		for i := range qk {
			isum += q8At(kb, i) * q8At(qb, i)
		}
		s += float64(isum) * float64(quant.F16ToF32(binary.LittleEndian.Uint16(kb))) * float64(quant.F16ToF32(binary.LittleEndian.Uint16(qb)))
	}
	return s
}

// TestPVQ8 checks PVQ8 of every path against refPVQ8 with head counts,
// head dims and key counts around the kernels' blocking, and guard values
// between the output rows.
func TestPVQ8(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := newRand(11)
		for _, heads := range []int{1, 2, 3, 4, 5, 8} {
			for _, dim := range []int{32, 64, 96, 128} {
				for _, nk := range []int{1, 7, 1030} {
					rb := dim / qk * q8Bytes
					ldo, ldp, ldv := dim+3, nk+2, rb+5
					out, p := randPV(r, heads, ldo, ldp)
					v := make([]byte, nk*ldv)
					x := make([]float32, dim)
					for j := range nk {
						for i := range x {
							x[i] = float32(r.NormFloat64())
						}
						QuantizeQ8_0(v[j*ldv:j*ldv+rb], x)
					}
					want := append([]float32(nil), out...)
					refPVQ8(want, ldo, p, ldp, v, ldv, heads, nk, dim)
					PVQ8(out, ldo, p, ldp, v, ldv, heads, nk, dim)
					// (the reference rounds each FMA through float64,
					// which may differ in the last bit)
					checkPV(t, out, want, ldo, dim, fmt.Sprintf("heads=%d dim=%d nk=%d", heads, dim, nk), func(h, d int) (mag float64) {
						for j := range nk {
							blk := v[j*ldv+d/qk*q8Bytes:]
							mag += math.Abs(float64(p[h*ldp+j]) * float64(quant.F16ToF32(binary.LittleEndian.Uint16(blk))) * float64(q8At(blk, d%qk)))
						}
						return mag
					})
				}
			}
		}
	})
}

// TestKVQ8Table checks which KV cache kernels each path runs.
func TestKVQ8Table(t *testing.T) {
	want := map[string]kvq8Path{"avx512": kvq8VNNI, "avx512-amx": kvq8VNNI, "avx512-nogfni": kvq8VNNI, "avx2": kvq8AVX2, "neon-dotprod": kvq8SDOT, "neon": kvq8NEON}
	for _, k := range allSets() {
		if k.kvq8 != want[k.name] {
			t.Errorf("path %s: kvq8 = %d, want %d", k.name, k.kvq8, want[k.name])
		}
	}
}

func BenchmarkKVQ8(b *testing.B) {
	const nk, dim, heads = 4096, 64, 4
	tiles, _ := kq8Keys(3, nk, dim, false)
	q := make([]byte, heads*dim/qk*q8Bytes)
	QuantizeQ8_0(q, make([]float32, heads*dim))
	out := make([]float32, heads*nk)
	b.Run("scores4x64x4096", func(b *testing.B) {
		b.SetBytes(int64(len(tiles)))
		for i := 0; i < b.N; i++ {
			ScoresKQ8(out, nk, tiles, 0, nk, q, heads)
		}
	})
	v := make([]byte, nk*dim/qk*q8Bytes)
	o := make([]float32, heads*dim)
	b.Run("pv4x64x4096", func(b *testing.B) {
		b.SetBytes(int64(len(v)))
		for i := 0; i < b.N; i++ {
			PVQ8(o, dim, out, nk, v, dim/qk*q8Bytes, heads, nk, dim)
		}
	})
	k16 := make([]uint16, nk*dim)
	xf := make([]float32, heads*dim)
	b.Run("f16scores4x64x4096", func(b *testing.B) {
		b.SetBytes(int64(2 * len(k16)))
		for i := 0; i < b.N; i++ {
			GemmF16(out, nk, k16, nk, xf, heads)
		}
	})
	b.Run("f16pv4x64x4096", func(b *testing.B) {
		b.SetBytes(int64(2 * len(k16)))
		for i := 0; i < b.N; i++ {
			PVF16(o, dim, out, nk, k16, dim, heads, nk, dim)
		}
	})
}

// BenchmarkKVQ8Stream runs the attention kernels of a KV head of 16384
// positions (4 query heads of 64), cycling through 32 heads' worth of
// cache (36 MiB of q8_0, 64 MiB of f16), so that the keys and values come
// from memory as at depth in the decoder; the figures are per head.
func BenchmarkKVQ8Stream(b *testing.B) {
	const nk, dim, heads, regions = 16384, 64, 4, 32
	rb := dim / qk * q8Bytes
	tiles := make([][]byte, regions)
	vals := make([][]byte, regions)
	k16 := make([][]uint16, regions)
	v16 := make([][]uint16, regions)
	for i := range regions {
		// (written, so that each region has pages of its own: untouched
		// ones would all read the zero page, from the cache)
		tiles[i], _ = kq8Keys(uint64(i), nk, dim, false)
		vals[i] = make([]byte, nk*rb)
		x := make([]float32, nk*dim)
		for j := range x {
			x[j] = float32(j%7) - 3
		}
		QuantizeQ8_0(vals[i], x)
		k16[i] = make([]uint16, nk*dim)
		v16[i] = make([]uint16, nk*dim)
		ToF16(k16[i], x)
		ToF16(v16[i], x)
	}
	q := make([]byte, heads*rb)
	QuantizeQ8_0(q, make([]float32, heads*dim))
	xf := make([]float32, heads*dim)
	sc := make([]float32, heads*nk)
	o := make([]float32, heads*dim)
	b.Run("q8_0", func(b *testing.B) {
		b.SetBytes(int64(len(tiles[0]) + len(vals[0])))
		for i := 0; i < b.N; i++ {
			r := i % regions
			ScoresKQ8(sc, nk, tiles[r], 0, nk, q, heads)
			PVQ8(o, dim, sc, nk, vals[r], rb, heads, nk, dim)
		}
	})
	b.Run("f16", func(b *testing.B) {
		b.SetBytes(int64(2 * (len(k16[0]) + len(v16[0]))))
		for i := 0; i < b.N; i++ {
			r := i % regions
			GemmF16(sc, nk, k16[r], nk, xf, heads)
			PVF16(o, dim, sc, nk, v16[r], dim, heads, nk, dim)
		}
	})
	b.Run("q8_0-scores", func(b *testing.B) {
		b.SetBytes(int64(len(tiles[0])))
		for i := 0; i < b.N; i++ {
			ScoresKQ8(sc, nk, tiles[i%regions], 0, nk, q, heads)
		}
	})
	b.Run("q8_0-pv", func(b *testing.B) {
		b.SetBytes(int64(len(vals[0])))
		for i := 0; i < b.N; i++ {
			PVQ8(o, dim, sc, nk, vals[i%regions], rb, heads, nk, dim)
		}
	})
}
