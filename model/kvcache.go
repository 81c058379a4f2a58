package model

import (
	"fmt"
	"strings"

	"github.com/exaone-go/exaone/asm"
	"github.com/exaone-go/exaone/quant"
)

// CacheType is the element type of the keys or the values in the KV cache
// (llama.cpp's --cache-type-k and --cache-type-v). The zero value is f16,
// llama.cpp's default.
type CacheType uint8

const (
	// CacheF16 stores f16, rounded to nearest even.
	CacheF16 CacheType = iota
	// CacheF32 stores the keys or values as computed.
	CacheF32
	// CacheQ8_0 stores each head's vector as Q8_0 blocks (34 bytes per
	// 32 values: 0.53 of f16's bytes). Attention reads them as stored:
	// the queries are quantized to Q8_0 and scored with int8 dot
	// products, and values are scaled per block while summing.
	CacheQ8_0
	numCacheTypes
)

var cacheTypeNames = [numCacheTypes]string{"f16", "f32", "q8_0"}

// String is the type's name as llama.cpp's flags spell it.
func (t CacheType) String() string {
	if t < numCacheTypes {
		return cacheTypeNames[t]
	}
	return fmt.Sprintf("CacheType(%d)", t)
}

// CacheTypes lists the supported names, for help texts.
func CacheTypes() string { return strings.Join(cacheTypeNames[:], ", ") }

// ParseCacheType parses a cache type name as llama.cpp's --cache-type-k
// and --cache-type-v take it ("f16", "f32", "q8_0", any case). Types that
// llama.cpp has but this runtime does not (bf16, q4_0, q4_1, iq4_nl, q5_0,
// q5_1) are an error saying so.
func ParseCacheType(s string) (CacheType, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	for i, n := range cacheTypeNames {
		if n == name {
			return CacheType(i), nil
		}
	}
	switch name {
	case "bf16", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1":
		return 0, fmt.Errorf("cache type %s is not supported (supported: %s)", name, CacheTypes())
	}
	return 0, fmt.Errorf("unknown cache type %q (supported: %s)", s, CacheTypes())
}

// bytesPer is the storage of n values of type t.
func (t CacheType) bytesPer(n int) int {
	switch t {
	case CacheF32:
		return 4 * n
	case CacheQ8_0:
		return n / quant.QK * quant.BlockBytesQ8_0
	}
	return 2 * n
}

// kvLayer is the key/value store of one layer, laid out [KVHeads][slots]
// [HeadDim] so that one head's keys are contiguous. Global layers have a
// slot per position; sliding layers reuse Window+batch slots as a ring,
// since a query never looks further back than Window positions and a batch
// writes at most batch new ones before attending. The ring is never larger
// than the context (a window of 2^32-1 must not size it). Of each of k and
// v one slice is set, of the cache's type: q8_0 values are rows of HeadDim/32
// Q8_0 blocks; q8_0 keys are asm's key tiles of 16 slots ([KVHeads][tiles]
// [asm.KQ8TileBytes(HeadDim)]), the last tile of a head padded.
type kvLayer struct {
	slots int
	ring  bool
	k32   []float32
	v32   []float32
	k16   []uint16
	v16   []uint16
	kq    []byte
	vq    []byte
}

// kvCache holds every layer's keys and values, each in its own type (f16
// by default, as llama.cpp).
type kvCache struct {
	layers  []kvLayer
	kt, vt  CacheType
	kvHeads int
	headDim int
}

func newKVCache(c *Config, ctx, batch int, kt, vt CacheType) *kvCache {
	kv := &kvCache{layers: make([]kvLayer, c.Layers), kt: kt, vt: vt, kvHeads: c.KVHeads, headDim: c.HeadDim}
	for i := range kv.layers {
		l := &kv.layers[i]
		l.slots = ctx
		if c.Sliding[i] {
			l.slots, l.ring = min(c.Window+batch, ctx), true
		}
		n := c.KVHeads * l.slots * c.HeadDim
		switch kt {
		case CacheF32:
			l.k32 = make([]float32, n)
		case CacheQ8_0:
			l.kq = make([]byte, c.KVHeads*l.kTiles()*asm.KQ8TileBytes(c.HeadDim))
		default:
			l.k16 = make([]uint16, n)
		}
		switch vt {
		case CacheF32:
			l.v32 = make([]float32, n)
		case CacheQ8_0:
			l.vq = make([]byte, vt.bytesPer(n))
		default:
			l.v16 = make([]uint16, n)
		}
	}
	return kv
}

// kTiles is the q8_0 key tiles of one head.
func (l *kvLayer) kTiles() int { return (l.slots + asm.KQ8Tile - 1) / asm.KQ8Tile }

// bytes is the memory held by the sliding (or the global) layers.
func (kv *kvCache) bytes(sliding bool) int {
	n := 0
	for i := range kv.layers {
		l := &kv.layers[i]
		if l.ring == sliding {
			n += 2*len(l.k16) + 2*len(l.v16) + 4*len(l.k32) + 4*len(l.v32) + len(l.kq) + len(l.vq)
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

// store writes the key and value of one KV head at position pos; kq is
// room for the key's Q8_0 blocks when the keys are q8_0.
func (kv *kvCache) store(layer, head, pos int, k, v []float32, kq []byte) {
	l := &kv.layers[layer]
	hd := kv.headDim
	slot := l.slot(pos)
	off := (head*l.slots + slot) * hd
	switch kv.kt {
	case CacheF32:
		copy(l.k32[off:off+hd], k)
	case CacheQ8_0:
		asm.QuantizeQ8_0(kq, k)
		tb := asm.KQ8TileBytes(hd)
		t := head*l.kTiles() + slot/asm.KQ8Tile
		asm.PutKQ8(l.kq[t*tb:(t+1)*tb], slot%asm.KQ8Tile, kq)
	default:
		asm.ToF16(l.k16[off:off+hd], k)
	}
	switch kv.vt {
	case CacheF32:
		copy(l.v32[off:off+hd], v)
	case CacheQ8_0:
		rb := CacheQ8_0.bytesPer(hd)
		o := (head*l.slots + slot) * rb
		asm.QuantizeQ8_0(l.vq[o:o+rb], v)
	default:
		asm.ToF16(l.v16[off:off+hd], v)
	}
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
