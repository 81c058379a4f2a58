package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/exaone-go/exaone/asm"
	"github.com/exaone-go/exaone/quant"
)

// attnSession is a session of a model that has only a Config: enough for
// the attention task, whose inputs the tests set by hand.
func attnSession(t *testing.T, c Config, kt, vt CacheType, ctx, batch int) *Session {
	t.Helper()
	m := &Model{Config: c}
	s, err := m.NewSession(Options{Ctx: ctx, Batch: batch, Threads: 1, CacheTypeK: kt, CacheTypeV: vt})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// cached reads back the key or value of a KV head at a position as the
// cache holds it, widened to float64.
func (kv *kvCache) cached(layer, head, pos int, key bool) []float64 {
	l := &kv.layers[layer]
	hd := kv.headDim
	slot := l.slot(pos)
	off := (head*l.slots + slot) * hd
	typ, f32, f16 := kv.vt, l.v32, l.v16
	if key {
		typ, f32, f16 = kv.kt, l.k32, l.k16
	}
	out := make([]float64, hd)
	switch typ {
	case CacheF32:
		for i := range out {
			out[i] = float64(f32[off+i])
		}
	case CacheF16:
		for i := range out {
			out[i] = float64(quant.F16ToF32(f16[off+i]))
		}
	case CacheQ8_0:
		rb := CacheQ8_0.bytesPer(hd)
		blocks := make([]byte, rb)
		if key {
			tb := asm.KQ8TileBytes(hd)
			tile := head*l.kTiles() + slot/asm.KQ8Tile
			asm.GetKQ8(blocks, l.kq[tile*tb:(tile+1)*tb], slot%asm.KQ8Tile)
		} else {
			copy(blocks, l.vq[(head*l.slots+slot)*rb:])
		}
		x := make([]float32, hd)
		quant.DequantizeQ8_0(x, blocks)
		for i := range out {
			out[i] = float64(x[i])
		}
	}
	return out
}

// TestAttentionKVCache runs the attention task over a cache of each pair
// of key and value types, on every kernel path, with a global layer and a
// sliding one whose ring wraps (so runs of slots start inside key tiles),
// group sizes of 4 and 5 (the kernels' 4 heads, then 1) and head dims of 64
// and 128, and compares each output with attention in float64:
//
//   - on the cache as stored (the queries quantized to Q8_0 as the task
//     does when the keys are q8_0): within 2e-5 of the values' magnitude,
//     float32 rounding;
//   - on the keys, values and queries before they were stored: within the
//     quantization error, which is logged (under 2% of the values'
//     magnitude for q8_0).
func TestAttentionKVCache(t *testing.T) {
	defer asm.SetPath(asm.Path())
	types := []CacheType{CacheF32, CacheF16, CacheQ8_0}
	for _, shape := range []struct{ heads, kvHeads, headDim int }{{8, 2, 64}, {10, 2, 128}} {
		c := Config{
			Layers: 2, Embd: 64, FF: 64, Heads: shape.heads, KVHeads: shape.kvHeads, HeadDim: shape.headDim,
			Vocab: 16, CtxTrain: 512, Eps: 1e-5, RopeTheta: 1e4, Window: 20,
			Sliding: []bool{false, true}, Rope: []bool{true, true},
		}
		const ctx, batch, pos = 300, 8, 290 // rows at positions pos..pos+batch-1
		for _, path := range asm.Paths() {  // generic last
			if err := asm.SetPath(path); err != nil {
				t.Fatal(err)
			}
			for _, kt := range types {
				for _, vt := range types {
					label := fmt.Sprintf("%s/heads=%d,%d/dim=%d/k=%s/v=%s", path, c.Heads, c.KVHeads, c.HeadDim, kt, vt)
					stored, raw := attentionErrors(t, c, kt, vt, ctx, batch, pos)
					t.Logf("%s: max error / value magnitude: %.3g against the cache, %.3g against the unquantized inputs", label, stored, raw)
					bound := map[CacheType]float64{CacheF32: 1e-5, CacheF16: 2e-3, CacheQ8_0: 2e-2}
					rawBound := max(bound[kt], bound[vt])
					if stored > 2e-5 || raw > rawBound {
						t.Errorf("%s: errors %.3g and %.3g above 2e-5 and %g", label, stored, raw, rawBound)
					}
				}
			}
		}
	}
}

// attentionErrors stores random keys and values at positions 0..pos+batch-1
// of a sequence of the session, runs the attention of each layer for the
// rows at pos.., and returns the largest error of an output relative to the
// largest |value|, against float64 attention on the cache as stored and on
// the unquantized inputs.
func attentionErrors(t *testing.T, c Config, kt, vt CacheType, ctx, batch, pos int) (stored, raw float64) {
	s := attnSession(t, c, kt, vt, ctx, batch)
	r := rand.New(rand.NewPCG(uint64(c.HeadDim), uint64(kt)*3+uint64(vt)))
	hd, group := c.HeadDim, c.Heads/c.KVHeads
	qd := c.Heads * hd
	n := pos + batch
	keys := make([][]float32, c.Layers*c.KVHeads*n)
	vals := make([][]float32, len(keys))
	seq := s.Seq()
	kq := make([]byte, CacheQ8_0.bytesPer(hd))
	for li := range c.Layers {
		for h := range c.KVHeads {
			for p := range n {
				k, v := make([]float32, hd), make([]float32, hd)
				for i := range k {
					// keys of a spread of sizes, so the softmax is not flat
					k[i] = float32(r.NormFloat64() * 2)
					v[i] = float32(r.NormFloat64())
				}
				keys[(li*c.KVHeads+h)*n+p], vals[(li*c.KVHeads+h)*n+p] = k, v
			}
		}
	}
	s.begin()
	for i := range batch {
		s.addRow(seq, 0, pos+i, false, 0)
	}
	for i := range s.q[:batch*qd] {
		s.q[i] = float32(r.NormFloat64())
	}
	scale := 1 / math.Sqrt(float64(hd))
	for li := range c.Layers {
		// Positions are stored in order, as evaluation does, so a ring
		// holds the last of them.
		for p := range n {
			for h := range c.KVHeads {
				seq.cache.store(li, h, p, keys[(li*c.KVHeads+h)*n+p], vals[(li*c.KVHeads+h)*n+p], kq)
			}
		}
		s.attn.layer = li
		s.attn.run(0, batch*c.KVHeads, 0)
		for i := range batch {
			p := pos + i
			first := 0
			if c.Sliding[li] {
				first = max(0, p-c.Window+1)
			}
			for hq := range c.Heads {
				g := hq / group
				q := s.q[i*qd+hq*hd : i*qd+(hq+1)*hd]
				qs := make([]float64, hd) // the query as scored
				for d := range qs {
					qs[d] = float64(q[d])
				}
				if kt == CacheQ8_0 {
					blocks := make([]byte, CacheQ8_0.bytesPer(hd))
					quant.QuantizeQ8_0(blocks, q)
					x := make([]float32, hd)
					quant.DequantizeQ8_0(x, blocks)
					for d := range qs {
						qs[d] = float64(x[d])
					}
				}
				var vmax float64
				refStored := attention64(first, p, scale, qs, func(j int) ([]float64, []float64) {
					k, v := seq.cache.cached(li, g, j, true), seq.cache.cached(li, g, j, false)
					for _, x := range v {
						vmax = math.Max(vmax, math.Abs(x))
					}
					return k, v
				})
				q64 := make([]float64, hd)
				for d := range q64 {
					q64[d] = float64(q[d])
				}
				refRaw := attention64(first, p, scale, q64, func(j int) ([]float64, []float64) {
					return widen(keys[(li*c.KVHeads+g)*n+j]), widen(vals[(li*c.KVHeads+g)*n+j])
				})
				got := s.att[i*qd+hq*hd : i*qd+(hq+1)*hd]
				for d, v := range got {
					stored = math.Max(stored, math.Abs(float64(v)-refStored[d])/vmax)
					raw = math.Max(raw, math.Abs(float64(v)-refRaw[d])/vmax)
				}
			}
		}
	}
	return stored, raw
}

// attention64 is one head's causal attention over positions first..p in
// float64; kv returns the key and value at a position.
func attention64(first, p int, scale float64, q []float64, kv func(j int) (k, v []float64)) []float64 {
	sc := make([]float64, p-first+1)
	vs := make([][]float64, len(sc))
	m := math.Inf(-1)
	for j := range sc {
		k, v := kv(first + j)
		for d := range q {
			sc[j] += k[d] * q[d]
		}
		sc[j] *= scale
		vs[j] = v
		m = math.Max(m, sc[j])
	}
	var sum float64
	for j := range sc {
		sc[j] = math.Exp(sc[j] - m)
		sum += sc[j]
	}
	out := make([]float64, len(q))
	for j, v := range vs {
		for d := range out {
			out[d] += sc[j] / sum * v[d]
		}
	}
	return out
}

func widen(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// TestParseCacheType covers llama.cpp's names: the supported ones (any
// case), its others refused as unsupported, and unknown names.
func TestParseCacheType(t *testing.T) {
	for name, want := range map[string]CacheType{"f16": CacheF16, "F32": CacheF32, "q8_0": CacheQ8_0, " Q8_0 ": CacheQ8_0} {
		if got, err := ParseCacheType(name); err != nil || got != want {
			t.Errorf("ParseCacheType(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	for _, name := range []string{"bf16", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1", "q8", "", "f64"} {
		if _, err := ParseCacheType(name); err == nil {
			t.Errorf("ParseCacheType(%q) accepted", name)
		} else {
			t.Log(err)
		}
	}
	if CacheQ8_0.String() != "q8_0" || CacheType(9).String() != "CacheType(9)" {
		t.Errorf("String: %s, %s", CacheQ8_0, CacheType(9))
	}
}

// TestKVBytesQ8 checks the cache's size by type: q8_0 is 34 bytes per 32
// values (the last key tile of a head padded to 16 slots), f32 twice f16.
func TestKVBytesQ8(t *testing.T) {
	c := Config{Layers: 2, Embd: 64, FF: 64, Heads: 4, KVHeads: 2, HeadDim: 64, Vocab: 16, CtxTrain: 512, Eps: 1e-5,
		Window: 20, Sliding: []bool{false, true}, Rope: []bool{true, true}}
	size := func(kt, vt CacheType) (int, int) {
		s := attnSession(t, c, kt, vt, 100, 8)
		return s.KVBytes()
	}
	sl16, gl16 := size(CacheF16, CacheF16)
	sl32, gl32 := size(CacheF32, CacheF32)
	slq, glq := size(CacheQ8_0, CacheQ8_0)
	t.Logf("sliding/global bytes: f16 %d/%d, f32 %d/%d, q8_0 %d/%d", sl16, gl16, sl32, gl32, slq, glq)
	pad := func(slots int) int { return (slots + 15) / 16 * 16 }
	// a key or value per slot: 2 heads x 64 values
	if gl16 != 2*2*100*128 || gl32 != 2*gl16 || sl32 != 2*sl16 ||
		glq != 2*(pad(100)+100)*68 || slq != 2*(pad(28)+28)*68 {
		t.Errorf("unexpected sizes")
	}
	if _, err := attnSessionErr(c, CacheQ8_0, 40); err != nil {
		t.Errorf("head dim 64: %v", err)
	}
	c.HeadDim = 48
	if _, err := attnSessionErr(c, CacheQ8_0, 40); err == nil {
		t.Error("q8_0 cache with head dim 48 accepted")
	} else {
		t.Log(err)
	}
	if _, err := attnSessionErr(c, numCacheTypes, 40); err == nil {
		t.Error("unknown cache type accepted")
	}
}

func attnSessionErr(c Config, typ CacheType, ctx int) (*Session, error) {
	m := &Model{Config: c}
	s, err := m.NewSession(Options{Ctx: ctx, Threads: 1, CacheTypeV: typ})
	if err == nil {
		s.Close()
	}
	return s, err
}
