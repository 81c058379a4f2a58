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
// exactly so: the NEON kernels reduce each block to its int32 sum and do the
// float part per block, in block order.

// dotQ8SDOT returns dot(w, x, n) for Q8_0 w and x, with SDOT.
//
//go:noescape
func dotQ8SDOT(w, x *byte, n int) float32

// dotQ4SDOT returns dot(w, x, n) for Q4_0 w and Q8_0 x, with SDOT.
//
//go:noescape
func dotQ4SDOT(w, x *byte, n int) float32

// gemv4Q8SDOT does, for Q8_0 w and x,
//
//	for i := 0; i < 4; i++ {
//		out[i] = dot(w+i*stride, x, n)
//	}
//
//go:noescape
func gemv4Q8SDOT(out *[4]float32, w *byte, stride int, x *byte, n int)

// gemv4Q4SDOT is gemv4Q8SDOT for Q4_0 w.
//
//go:noescape
func gemv4Q4SDOT(out *[4]float32, w *byte, stride int, x *byte, n int)

// dotQ8NEON is dotQ8SDOT with SMULL/SADALP (no dot-product extension).
//
//go:noescape
func dotQ8NEON(w, x *byte, n int) float32

// dotQ4NEON is dotQ4SDOT with SMULL/SADALP.
//
//go:noescape
func dotQ4NEON(w, x *byte, n int) float32

// gemv4Q8NEON is gemv4Q8SDOT with SMULL/SADALP.
//
//go:noescape
func gemv4Q8NEON(out *[4]float32, w *byte, stride int, x *byte, n int)

// gemv4Q4NEON is gemv4Q4SDOT with SMULL/SADALP.
//
//go:noescape
func gemv4Q4NEON(out *[4]float32, w *byte, stride int, x *byte, n int)
