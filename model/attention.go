package model

import (
	"math"

	"github.com/exaone-go/exaone/asm"
)

// attnTask computes causal attention for each (token, KV head) of the
// batch: the query heads sharing a KV head score its keys together, so each
// key is read once per group (four query heads per key load on AVX-512).
type attnTask struct {
	s     *Session
	layer int
}

func (t *attnTask) run(lo, hi, worker int) {
	s := t.s
	c := &s.m.Config
	hd, qd := c.HeadDim, c.Heads*c.HeadDim
	group := c.Heads / c.KVHeads
	scale := float32(1 / math.Sqrt(float64(hd)))
	for u := lo; u < hi; u++ {
		i, g := u/c.KVHeads, u%c.KVHeads
		p, cache := s.rowPos[i], s.rowSeq[i].cache
		l := &cache.layers[t.layer]
		first := 0
		if c.Sliding[t.layer] {
			first = max(0, p-c.Window+1)
		}
		nk := p - first + 1
		q := s.q[i*qd+g*group*hd : i*qd+(g+1)*group*hd]
		sc := s.scores[worker][:group*nk]
		base := g * l.slots

		// Scores of the group's heads (rows of sc) against the keys of
		// positions first..p, which a ring holds in up to two runs of slots.
		var qq, keys []byte
		if cache.kt == CacheQ8_0 {
			// The queries in Q8_0, as llama.cpp does for q8_0 keys:
			// the scores are int8 dot products with the keys as stored.
			qq = s.qq8[worker][:group*CacheQ8_0.bytesPer(hd)]
			asm.QuantizeQ8_0(qq, q)
			tb := l.kTiles() * asm.KQ8TileBytes(hd)
			keys = l.kq[g*tb : (g+1)*tb]
		}
		for o := 0; o < nk; {
			slot := l.slot(first + o)
			run := min(nk-o, l.slots-slot)
			off := (base + slot) * hd
			switch cache.kt {
			case CacheF16:
				asm.GemmF16(sc[o:], nk, l.k16[off:off+run*hd], run, q, group)
			case CacheF32:
				asm.GemmF32(sc[o:], nk, l.k32[off:off+run*hd], run, q, group)
			case CacheQ8_0:
				asm.ScoresKQ8(sc[o:], nk, keys, slot, run, qq, group)
			}
			o += run
		}

		for h := 0; h < group; h++ {
			asm.SoftmaxScaled(sc[h*nk:(h+1)*nk], scale)
		}
		out := s.att[i*qd+g*group*hd : i*qd+(g+1)*group*hd]
		clear(out)
		if cache.vt == CacheF32 {
			for j := 0; j < nk; j++ {
				off := (base + l.slot(first+j)) * hd
				for h := 0; h < group; h++ {
					asm.AxpyF32(sc[h*nk+j], l.v32[off:off+hd], out[h*hd:(h+1)*hd])
				}
			}
			continue
		}
		// The group's probabilities times the values, for each run of
		// slots.
		for o := 0; o < nk; {
			slot := l.slot(first + o)
			run := min(nk-o, l.slots-slot)
			if cache.vt == CacheQ8_0 {
				rb := CacheQ8_0.bytesPer(hd)
				off := (base + slot) * rb
				asm.PVQ8(out, hd, sc[o:], nk, l.vq[off:off+run*rb], rb, group, run, hd)
			} else {
				off := (base + slot) * hd
				asm.PVF16(out, hd, sc[o:], nk, l.v16[off:off+run*hd], hd, group, run, hd)
			}
			o += run
		}
	}
}
