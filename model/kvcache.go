package model

import (
	"fmt"

	"github.com/exaone-go/exaone/asm"
)

// kvLayer is the key/value store of one layer, laid out [KVHeads][slots]
// [HeadDim] so that one head's keys are contiguous. Global layers have a
// slot per position; sliding layers reuse Window+batch slots as a ring,
// since a query never looks further back than Window positions and a batch
// writes at most batch new ones before attending. The ring is never larger
// than the context (a window of 2^32-1 must not size it).
type kvLayer struct {
	slots int
	ring  bool
	k32   []float32
	v32   []float32
	k16   []uint16
	v16   []uint16
}

// kvCache holds every layer's keys and values, in f16 (as llama.cpp does by
// default) or f32.
type kvCache struct {
	layers  []kvLayer
	f16     bool
	kvHeads int
	headDim int
}

func newKVCache(c *Config, ctx, batch int, f16 bool) *kvCache {
	kv := &kvCache{layers: make([]kvLayer, c.Layers), f16: f16, kvHeads: c.KVHeads, headDim: c.HeadDim}
	for i := range kv.layers {
		l := &kv.layers[i]
		l.slots = ctx
		if c.Sliding[i] {
			l.slots, l.ring = min(c.Window+batch, ctx), true
		}
		n := c.KVHeads * l.slots * c.HeadDim
		if f16 {
			l.k16, l.v16 = make([]uint16, n), make([]uint16, n)
		} else {
			l.k32, l.v32 = make([]float32, n), make([]float32, n)
		}
	}
	return kv
}

// bytes is the memory held by the sliding (or the global) layers.
func (kv *kvCache) bytes(sliding bool) int {
	n := 0
	for i := range kv.layers {
		l := &kv.layers[i]
		if l.ring == sliding {
			n += 2*len(l.k16) + 2*len(l.v16) + 4*len(l.k32) + 4*len(l.v32)
		}
	}
	return n
}

func (l *kvLayer) slot(pos int) int {
	if l.ring {
		return pos % l.slots
	}
	return pos
}

// store writes the key and value of one KV head at position pos.
func (kv *kvCache) store(layer, head, pos int, k, v []float32) {
	l := &kv.layers[layer]
	off := (head*l.slots + l.slot(pos)) * kv.headDim
	if kv.f16 {
		asm.ToF16(l.k16[off:off+kv.headDim], k)
		asm.ToF16(l.v16[off:off+kv.headDim], v)
		return
	}
	copy(l.k32[off:off+kv.headDim], k)
	copy(l.v32[off:off+kv.headDim], v)
}

// checkTruncate reports whether the cache can be cut back from pos to n: a
// ring holds positions [pos-slots, pos), and evaluation from n needs the
// Window positions before n, so the rewind fails only once the ring has
// wrapped over some of them.
func (kv *kvCache) checkTruncate(c *Config, pos, n int) error {
	for i := range kv.layers {
		l := &kv.layers[i]
		if l.ring && n > 0 && pos-l.slots > max(0, n-c.Window) {
			return fmt.Errorf("model: %w by %d tokens (at most %d); reset and re-evaluate instead", ErrCannotRewind, pos-n, l.slots-c.Window)
		}
	}
	return nil
}
