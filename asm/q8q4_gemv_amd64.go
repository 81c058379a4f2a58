//go:build !noasm

package asm

// In the doc comments below, blk(p, b) is block b of the blocks at p (34
// bytes for Q8_0, 18 for Q4_0), d its f16 scale as float32, q its 32 values
// (Q4_0: nibble-8), and dot(w, x, n) is
//
//	var s float32
//	for b := 0; b < n; b++ {
//		var isum int32
//		for i := 0; i < 32; i++ {
//			isum += int32(blk(w, b).q[i]) * int32(blk(x, b).q[i])
//		}
//		s += float32(isum) * (blk(w, b).d * blk(x, b).d)
//	}
//	return s
//
// with the float part summed in a different order (per 32-bit lane of the
// integer partial sums).

// dotQ8AVX2 returns dot(w, x, n) for Q8_0 w and x.
//
//go:noescape
func dotQ8AVX2(w, x *byte, n int) float32

// dotQ4AVX2 returns dot(w, x, n) for Q4_0 w and Q8_0 x.
//
//go:noescape
func dotQ4AVX2(w, x *byte, n int) float32

// gemvQ8VNNI does, for Q8_0 w and activations x prepared by prepX (shift 7),
// rows a positive multiple of 4,
//
//	for i := 0; i < rows; i++ {
//		out[i] = dot(w+i*stride, x, nb)
//	}
//
// four rows at a time with VPDPBUSD on (w+128, x); w scales are looked up
// in tab.
//
//go:noescape
func gemvQ8VNNI(out *float32, w *byte, stride, rows int, xp *byte, nb int, tab *[1 << 16]float32)

// gemvQ4VNNI is gemvQ8VNNI for Q4_0 w (x prepared with shift 3).
//
//go:noescape
func gemvQ4VNNI(out *float32, w *byte, stride, rows int, xp *byte, nb int, tab *[1 << 16]float32)

// gemvQ4GFNI is gemvQ4VNNI with the nibbles unpacked by one GF2P8AFFINEQB
// instead of a shift and an AND (one vector op less per block and row, the
// bottleneck of Q4_0).
//
//go:noescape
func gemvQ4GFNI(out *float32, w *byte, stride, rows int, xp *byte, nb int, tab *[1 << 16]float32)

// gemvQ8AVX2P is gemvQ8VNNI for AVX2 without VNNI: weights and activations
// are widened to int16 and multiplied with VPMADDWD. The corrections in the
// prepared blocks are not used.
//
//go:noescape
func gemvQ8AVX2P(out *float32, w *byte, stride, rows int, xp *byte, nb int, tab *[1 << 16]float32)

// gemvQ4AVX2P is gemvQ4VNNI for AVX2 without VNNI (VPMADDUBSW, VPMADDWD).
//
//go:noescape
func gemvQ4AVX2P(out *float32, w *byte, stride, rows int, xp *byte, nb int, tab *[1 << 16]float32)

// gemvQ4GFNI8 is gemvQ4GFNI for rows a positive multiple of 8, eight rows
// at a time: the activation loads and prefetches are shared by 8 rows,
// which relieves the load ports that bound the 4-row loop. (For Q8_0 the
// 8-row loop measured slower from DRAM, eight streams plus the prefetch one
// being too many; Q8_0 keeps 4 rows.)
//
//go:noescape
func gemvQ4GFNI8(out *float32, w *byte, stride, rows int, xp *byte, nb int, tab *[1 << 16]float32)

// gemm42Q8VNNI does, for Q8_0 w, two activation rows prepared by prepX
// (shift 7) at xp and xp+xstride, and rows a positive multiple of 4,
//
//	for g := 0; g < rows/4; g++ {
//		for j := 0; j < 2; j++ {
//			for i := 0; i < 4; i++ {
//				out[8*g+4*j+i] = dot(w+(4*g+i)*stride, x_j, nb)
//			}
//		}
//	}
//
// loading and unpacking each weight block once for both activations.
//
//go:noescape
func gemm42Q8VNNI(out *float32, w *byte, stride, rows int, xp *byte, xstride, nb int, tab *[1 << 16]float32)

// gemm42Q4GFNI is gemm42Q8VNNI for Q4_0 w (prepared with shift 3), nibbles
// unpacked with GF2P8AFFINEQB.
//
//go:noescape
func gemm42Q4GFNI(out *float32, w *byte, stride, rows int, xp *byte, xstride, nb int, tab *[1 << 16]float32)

// gemvQ4AVX2P8 is gemvQ4AVX2P for rows a positive multiple of 8, eight
// rows (four register pairs) at a time.
//
//go:noescape
func gemvQ4AVX2P8(out *float32, w *byte, stride, rows int, xp *byte, nb int, tab *[1 << 16]float32)
