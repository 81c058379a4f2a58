//go:build !noasm

package asm

// kq8ScoreHeads is the most heads of one score kernel call (0: the path has
// no score kernel).
func kq8ScoreHeads(p kvq8Path) int {
	if p == kvq8None {
		return 0
	}
	return 4
}

// kq8Scores runs path p's score kernel for nh (4, 2 or 1) heads over ntiles
// whole tiles (see the stubs below).
func kq8Scores(p kvq8Path, nh int, out *float32, ldo int, k *byte, ntiles int, q *byte, qstride, nb int, tab *[2 * 4 * kq8MaxBlocks]uint32) {
	switch {
	case p == kvq8VNNI && nh == 4:
		kq8Scores4VNNI(out, ldo, k, ntiles, q, qstride, nb, tab)
	case p == kvq8VNNI && nh == 2:
		kq8Scores2VNNI(out, ldo, k, ntiles, q, qstride, nb, tab)
	case p == kvq8VNNI:
		kq8Scores1VNNI(out, ldo, k, ntiles, q, qstride, nb, tab)
	case nh == 4:
		kq8Scores4AVX2(out, ldo, k, ntiles, q, qstride, nb, tab)
	case nh == 2:
		kq8Scores2AVX2(out, ldo, k, ntiles, q, qstride, nb, tab)
	default:
		kq8Scores1AVX2(out, ldo, k, ntiles, q, qstride, nb, tab)
	}
}

// kq8PVCols is the value columns one PV kernel call covers: two blocks in
// sixteen 512-bit accumulators (4 heads), one block in eight 256-bit ones
// (2 heads).
func kq8PVCols(p kvq8Path) int {
	if p == kvq8VNNI {
		return 64
	}
	return 32
}

// kq8PVHeads is the most heads of one PV kernel call: on AVX2, 4 heads of
// 32 columns would need more than its 16 registers.
func kq8PVHeads(p kvq8Path) int {
	if p == kvq8VNNI {
		return 4
	}
	return 2
}

// kq8PV runs path p's PV kernel for nh (at most kq8PVHeads(p): 4, 2 or 1)
// heads on kq8PVCols(p) columns.
func kq8PV(p kvq8Path, nh int, out *float32, ldo int, pr *float32, ldp int, v *byte, ldv, nk int) {
	switch {
	case p == kvq8VNNI && nh == 4:
		kq8PV4AVX512(out, ldo, pr, ldp, v, ldv, nk)
	case p == kvq8VNNI && nh == 2:
		kq8PV2AVX512(out, ldo, pr, ldp, v, ldv, nk)
	case p == kvq8VNNI:
		kq8PV1AVX512(out, ldo, pr, ldp, v, ldv, nk)
	case nh == 2:
		kq8PV2AVX2(out, ldo, pr, ldp, v, ldv, nk)
	default:
		kq8PV1AVX2(out, ldo, pr, ldp, v, ldv, nk)
	}
}

// In the doc comments below, tile t is the 544*nb bytes at k+t*544*nb,
// qrow(h) the nb Q8_0 blocks at q+h*qstride, kv(t, i, b, c) byte c of
// block b of key i of tile t and qv(h, b, c) that of query h (both
// int8), dk(t, i, b) and dq(h, b) the blocks' f16 scales as float32. tab
// holds per block b and head h at 2*(4b+h) dq(h, b) as float32 bits and
// -128 times the sum of the block's query values. The kernels do, for
// ntiles > 0, 0 < nb <= 8,
//
//	for t := 0; t < ntiles; t++ {
//		for i := 0; i < 16; i++ {
//			for h := 0; h < H; h++ {
//				var s float32
//				for b := 0; b < nb; b++ {
//					var isum int32
//					for c := 0; c < 32; c++ {
//						isum += int32(kv(t, i, b, c)) * int32(qv(h, b, c))
//					}
//					s += float32(float32(isum) * float32(dk(t, i, b)*dq(h, b)))
//				}
//				out[h*ldo+16*t+i] = s
//			}
//		}
//	}
//
// with H heads, 16 keys in the lanes of a register.

// kq8Scores4VNNI is the loop above for 4 heads: VPDPBUSD of the keys
// offset by 128 (unsigned) with 4 query values broadcast (signed), from
// -128 times their sum.
//
//go:noescape
func kq8Scores4VNNI(out *float32, ldo int, k *byte, ntiles int, q *byte, qstride, nb int, tab *[2 * 4 * kq8MaxBlocks]uint32)

// kq8Scores2VNNI is kq8Scores4VNNI for 2 heads.
//
//go:noescape
func kq8Scores2VNNI(out *float32, ldo int, k *byte, ntiles int, q *byte, qstride, nb int, tab *[2 * 4 * kq8MaxBlocks]uint32)

// kq8Scores1VNNI is kq8Scores4VNNI for 1 head.
//
//go:noescape
func kq8Scores1VNNI(out *float32, ldo int, k *byte, ntiles int, q *byte, qstride, nb int, tab *[2 * 4 * kq8MaxBlocks]uint32)

// kq8Scores4AVX2 is the loop above for 4 heads on AVX2, 8 keys at a time:
// VPMADDUBSW of |k| with q*sign(k), then VPMADDWD by ones.
//
//go:noescape
func kq8Scores4AVX2(out *float32, ldo int, k *byte, ntiles int, q *byte, qstride, nb int, tab *[2 * 4 * kq8MaxBlocks]uint32)

// kq8Scores2AVX2 is kq8Scores4AVX2 for 2 heads.
//
//go:noescape
func kq8Scores2AVX2(out *float32, ldo int, k *byte, ntiles int, q *byte, qstride, nb int, tab *[2 * 4 * kq8MaxBlocks]uint32)

// kq8Scores1AVX2 is kq8Scores4AVX2 for 1 head.
//
//go:noescape
func kq8Scores1AVX2(out *float32, ldo int, k *byte, ntiles int, q *byte, qstride, nb int, tab *[2 * 4 * kq8MaxBlocks]uint32)

// The PV kernels do, with v(j) the Q8_0 blocks at v+j*ldv, dv(j, b) and
// qv(j, b, c) the scale and values of its block b, for nk > 0, H heads and
// C columns (two blocks on avx512, one on avx2),
//
//	for j := 0; j < nk; j++ {
//		for h := 0; h < H; h++ {
//			for d := 0; d < C; d++ {
//				x := dv(j, d/32) * float32(qv(j, d/32, d%32))
//				out[h*ldo+d] = fma(p[h*ldp+j], x, out[h*ldo+d])
//			}
//		}
//	}

// kq8PV4AVX512 is the loop above for 4 heads and 64 columns, in sixteen
// 512-bit accumulators.
//
//go:noescape
func kq8PV4AVX512(out *float32, ldo int, p *float32, ldp int, v *byte, ldv, nk int)

// kq8PV2AVX512 is kq8PV4AVX512 for 2 heads.
//
//go:noescape
func kq8PV2AVX512(out *float32, ldo int, p *float32, ldp int, v *byte, ldv, nk int)

// kq8PV1AVX512 is kq8PV4AVX512 for 1 head.
//
//go:noescape
func kq8PV1AVX512(out *float32, ldo int, p *float32, ldp int, v *byte, ldv, nk int)

// kq8PV2AVX2 is the loop above for 2 heads and 32 columns, in eight
// 256-bit accumulators.
//
//go:noescape
func kq8PV2AVX2(out *float32, ldo int, p *float32, ldp int, v *byte, ldv, nk int)

// kq8PV1AVX2 is kq8PV2AVX2 for 1 head.
//
//go:noescape
func kq8PV1AVX2(out *float32, ldo int, p *float32, ldp int, v *byte, ldv, nk int)
