//go:build !noasm

package asm

// kq8ScoreHeads is the most heads of one score kernel call (0: the path has
// no score kernel, which needs SDOT): 2 heads' sums and scores of a tile
// take 16 of the 32 registers.
func kq8ScoreHeads(p kvq8Path) int {
	if p == kvq8SDOT {
		return 2
	}
	return 0
}

// kq8Scores runs the SDOT score kernel for nh (2 or 1) heads over ntiles
// whole tiles.
func kq8Scores(p kvq8Path, nh int, out *float32, ldo int, k *byte, ntiles int, q *byte, qstride, nb int, tab *[2 * 4 * kq8MaxBlocks]uint32) {
	if nh == 2 {
		kq8Scores2SDOT(out, ldo, k, ntiles, q, qstride, nb, tab)
		return
	}
	kq8Scores1SDOT(out, ldo, k, ntiles, q, qstride, nb, tab)
}

// kq8PVCols is the value columns of one PV kernel call: one block.
func kq8PVCols(kvq8Path) int { return 32 }

// kq8PVHeads is the most heads of one PV kernel call: 2 heads of 32
// columns take 16 registers.
func kq8PVHeads(kvq8Path) int { return 2 }

// kq8PV runs the NEON PV kernel for nh (2 or 1) heads on 32 columns.
func kq8PV(p kvq8Path, nh int, out *float32, ldo int, pr *float32, ldp int, v *byte, ldv, nk int) {
	if nh == 2 {
		kq8PV2NEON(out, ldo, pr, ldp, v, ldv, nk)
		return
	}
	kq8PV1NEON(out, ldo, pr, ldp, v, ldv, nk)
}

// kq8Scores2SDOT does for 2 heads what the amd64 score kernels do (see
// kvq8_amd64.go): for t < ntiles, i < 16, h < 2,
//
//	var s float32
//	for b := 0; b < nb; b++ {
//		var isum int32
//		for c := 0; c < 32; c++ {
//			isum += int32(kv(t, i, b, c)) * int32(qv(h, b, c))
//		}
//		s += float32(float32(isum) * float32(dk(t, i, b)*dq(h, b)))
//	}
//	out[h*ldo+16*t+i] = s
//
// with SDOT by element: 4 values of 4 keys times 4 values of a query.
// tab holds dq(h, b) as float32 bits at 2*(4b+h).
//
//go:noescape
func kq8Scores2SDOT(out *float32, ldo int, k *byte, ntiles int, q *byte, qstride, nb int, tab *[2 * 4 * kq8MaxBlocks]uint32)

// kq8Scores1SDOT is kq8Scores2SDOT for 1 head.
//
//go:noescape
func kq8Scores1SDOT(out *float32, ldo int, k *byte, ntiles int, q *byte, qstride, nb int, tab *[2 * 4 * kq8MaxBlocks]uint32)

// kq8PV2NEON does, for the Q8_0 value rows at v+j*ldv (one block: scale
// dv(j), values qv(j, d)), nk > 0 and 2 heads,
//
//	for j := 0; j < nk; j++ {
//		for h := 0; h < 2; h++ {
//			for d := 0; d < 32; d++ {
//				out[h*ldo+d] = fma(p[h*ldp+j], dv(j)*float32(qv(j, d)), out[h*ldo+d])
//			}
//		}
//	}
//
//go:noescape
func kq8PV2NEON(out *float32, ldo int, p *float32, ldp int, v *byte, ldv, nk int)

// kq8PV1NEON is kq8PV2NEON for 1 head.
//
//go:noescape
func kq8PV1NEON(out *float32, ldo int, p *float32, ldp int, v *byte, ldv, nk int)
