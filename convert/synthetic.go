package convert

import (
	"fmt"
	"strings"

	"github.com/exaone-go/exaone/gguf"
	"github.com/exaone-go/exaone/tokenizer"
)

// Shape is the architecture of a synthetic model: real EXAONE 4 sizes with
// random weights, for benchmarks that need no download.
type Shape struct {
	Name                           string
	Layers, Hidden, FFN            int
	Heads, KVHeads, HeadDim, Vocab int
	Context, Window                int
	Pattern                        string // per-layer L/G cycle when Window > 0
	Tied                           bool
	// DistinctRows, when > 0, is how many rows of each matrix are
	// generated and quantized; the rest repeat them, quantized bytes
	// copied. Speed does not depend on weight values, and K-quant search
	// over every row of a 32B model takes hours on a small machine.
	DistinctRows int
}

// Shapes are the released sizes: the 1.2B and the 32B whole, and the
// 32B's layer shape with four layers for machines without room for the
// whole. Tensors are written in pieces, so any of them is written in
// bounded memory.
var Shapes = map[string]Shape{
	"1.2b": {Name: "EXAONE-4.0-1.2B-synthetic", Layers: 30, Hidden: 2048, FFN: 4096,
		Heads: 32, KVHeads: 8, HeadDim: 64, Vocab: 102400, Context: 65536, Tied: true},
	"32b-4layers": {Name: "EXAONE-4.0-32B-4layers-synthetic", Layers: 4, Hidden: 5120, FFN: 27392,
		Heads: 40, KVHeads: 8, HeadDim: 128, Vocab: 102400, Context: 131072, Window: 4096, Pattern: "LLLG"},
	"32b": {Name: "EXAONE-4.0-32B-synthetic", Layers: 64, Hidden: 5120, FFN: 27392,
		Heads: 40, KVHeads: 8, HeadDim: 128, Vocab: 102400, Context: 131072, Window: 4096, Pattern: "LLLG",
		DistinctRows: 64},
}

// hparams gives the shape as config.json would.
func (s Shape) hparams() *HParams {
	h := &HParams{
		Layers: s.Layers, Hidden: s.Hidden, FFN: s.FFN, Heads: s.Heads, KVHeads: s.KVHeads,
		HeadDim: s.HeadDim, HasHeadDim: true, Vocab: s.Vocab, ContextLength: s.Context,
		RMSEps: 1e-5, RopeTheta: 1e6, Tied: s.Tied,
		Llama3: true, RopeFactor: 16, RopeLowFreq: 1, RopeHighFreq: 4, RopeOrigCtx: 8192,
		Sliding: make([]bool, s.Layers),
	}
	if s.Window > 0 {
		h.SlidingWindow = s.Window
		for i := range h.Sliding {
			h.Sliding[i] = s.Pattern[i%len(s.Pattern)] == 'L'
		}
	}
	return h
}

// WriteSynthetic writes a model of the given shape with random weights
// (deterministic for a seed) in preset type to dst. vocab supplies real
// tokenizer data, padded with unused tokens to the shape's vocabulary, so
// that other runtimes load the file too.
func WriteSynthetic(dst string, shape Shape, vocab *tokenizer.HFVocab, opts Options) error {
	p, err := LookupPreset(opts.Type)
	if err != nil {
		return err
	}
	if err := checkOverwrite(dst, opts.Force); err != nil {
		return err
	}
	if opts.Name == "" {
		opts.Name = shape.Name
	}
	if len(vocab.Tokens) > shape.Vocab {
		return fmt.Errorf("convert: tokenizer has %d tokens, more than the shape's %d", len(vocab.Tokens), shape.Vocab)
	}
	v := *vocab
	v.Tokens = append([]string(nil), vocab.Tokens...)
	v.Types = append([]int32(nil), vocab.Types...)
	for id := len(v.Tokens); id < shape.Vocab; id++ {
		v.Tokens = append(v.Tokens, fmt.Sprintf("[PAD%d]", id))
		v.Types = append(v.Types, tokenizer.TypeUnused)
	}
	h := shape.hparams()
	plan := syntheticPlan(h, p)
	for i := range plan {
		if plan[i].gen != nil && len(plan[i].dims) == 2 {
			plan[i].repeat = int64(shape.DistinctRows)
		}
	}
	w, err := gguf.Create(dst)
	if err != nil {
		return err
	}
	if err := write(w, h, &v, plan, p, opts); err != nil {
		w.Abort()
		return err
	}
	return w.Close()
}

// syntheticPlan lists the tensors of a model in converter order, each
// generated: norms are 1, matrices uniform with the spread of a trained
// model's weights (std 0.02), different per tensor.
func syntheticPlan(h *HParams, p Preset) []planned {
	var plan []planned
	add := func(name string, dims ...uint64) {
		seed := uint64(len(plan)+1) * 0x9E3779B97F4A7C15
		gen := func(off int64, dst []float32) { uniform(seed, off, dst) }
		if len(dims) == 1 || strings.HasSuffix(name, "_norm.weight") {
			gen = func(_ int64, dst []float32) {
				for i := range dst {
					dst[i] = 1
				}
			}
		}
		n := int64(1)
		for _, d := range dims {
			n *= int64(d)
		}
		plan = append(plan, planned{name: name, dims: dims, gen: gen, bytes: 4 * n})
	}
	q, kv := uint64(h.Heads*h.HeadDim), uint64(h.KVHeads*h.HeadDim)
	d, ff := uint64(h.Hidden), uint64(h.FFN)
	add("token_embd.weight", d, uint64(h.Vocab))
	add("output_norm.weight", d)
	head := "token_embd.weight"
	if !h.Tied {
		head = "output.weight"
		add("output.weight", d, uint64(h.Vocab))
	}
	f := h.RopeFreqs()
	plan = append(plan, planned{name: "rope_freqs.weight", dims: []uint64{uint64(len(f))}, data: f, bytes: int64(4 * len(f))})
	for i := range h.Layers {
		b := fmt.Sprintf("blk.%d.", i)
		add(b+"attn_q.weight", d, q)
		add(b+"attn_k.weight", d, kv)
		add(b+"attn_v.weight", d, kv)
		add(b+"attn_output.weight", q, d)
		add(b+"attn_q_norm.weight", uint64(h.HeadDim))
		add(b+"attn_k_norm.weight", uint64(h.HeadDim))
		add(b+"post_attention_norm.weight", d)
		add(b+"ffn_gate.weight", d, ff)
		add(b+"ffn_up.weight", d, ff)
		add(b+"ffn_down.weight", ff, d)
		add(b+"post_ffw_norm.weight", d)
	}
	for i := range plan {
		plan[i].typ = p.TensorType(plan[i].name, plan[i].dims, h.Layers, head)
	}
	return plan
}

// uniform fills dst with values uniform in +-0.02*sqrt(3) (std 0.02) from a
// counter-based generator, so any piece of a tensor can be made alone.
func uniform(seed uint64, off int64, dst []float32) {
	const scale = 0.02 * 1.7320508 / (1 << 31)
	for i := range dst {
		x := seed + uint64(off+int64(i))*0xBF58476D1CE4E5B9
		x ^= x >> 31
		x *= 0x94D049BB133111EB
		x ^= x >> 29
		dst[i] = float32(int32(x>>32)) * scale
	}
}
