package model

import (
	"fmt"

	"github.com/exaone-go/exaone/gguf"
)

// Arch is the GGUF architecture name of EXAONE 4.
const Arch = "exaone4"

// Config holds the hyperparameters of an EXAONE 4 model.
type Config struct {
	Layers    int     // decoder blocks
	Embd      int     // hidden size (d_model)
	FF        int     // SwiGLU inner size
	Heads     int     // query heads
	KVHeads   int     // key/value heads (GQA)
	HeadDim   int     // per-head size of q, k and v
	Vocab     int     // rows of the embedding and LM head
	CtxTrain  int     // max_position_embeddings
	Eps       float32 // RMSNorm epsilon
	RopeTheta float32 // RoPE base
	// Window is the sliding-attention window (0: no sliding layers).
	Window int
	// Sliding[i] is true for layers that attend only to the last Window
	// positions; Rope[i] is true for layers that apply rotary embeddings.
	Sliding []bool
	Rope    []bool
}

// readConfig reads and validates the hyperparameters of an exaone4 file.
func readConfig(f *gguf.File) (Config, error) {
	var c Config
	arch, err := f.String("general.architecture")
	if err != nil {
		return c, err
	}
	if arch != Arch {
		return c, fmt.Errorf("model: %s: architecture %q is not supported (want %s)", f.Path, arch, Arch)
	}
	u := func(key string, dst *int) {
		if err != nil {
			return
		}
		var v uint32
		v, err = f.Uint32(Arch + "." + key)
		*dst = int(v)
	}
	u("block_count", &c.Layers)
	u("embedding_length", &c.Embd)
	u("feed_forward_length", &c.FF)
	u("attention.head_count", &c.Heads)
	u("attention.head_count_kv", &c.KVHeads)
	u("context_length", &c.CtxTrain)
	if err != nil {
		return c, err
	}
	if c.Heads == 0 {
		return c, fmt.Errorf("model: %s: %s.attention.head_count is 0", f.Path, Arch)
	}
	c.HeadDim = c.Embd / c.Heads
	if f.Has(Arch + ".attention.key_length") {
		u("attention.key_length", &c.HeadDim)
		var vl int
		u("attention.value_length", &vl)
		if err == nil && vl != c.HeadDim {
			return c, fmt.Errorf("model: %s: %s.attention.value_length %d differs from key_length %d", f.Path, Arch, vl, c.HeadDim)
		}
	}
	if err != nil {
		return c, err
	}
	if c.Eps, err = f.Float32(Arch + ".attention.layer_norm_rms_epsilon"); err != nil {
		return c, err
	}
	c.RopeTheta = 10000
	if f.Has(Arch + ".rope.freq_base") {
		if c.RopeTheta, err = f.Float32(Arch + ".rope.freq_base"); err != nil {
			return c, err
		}
	}
	if f.Has(Arch + ".vocab_size") {
		u("vocab_size", &c.Vocab)
	}
	if err != nil {
		return c, err
	}

	switch {
	case c.Layers <= 0 || c.Layers > 4096:
		return c, fmt.Errorf("model: %s: %s.block_count %d out of range", f.Path, Arch, c.Layers)
	case c.Embd <= 0 || c.FF <= 0 || c.HeadDim <= 0 || c.KVHeads <= 0:
		return c, fmt.Errorf("model: %s: zero embedding, feed-forward, head or KV-head size", f.Path)
	case c.Heads*c.HeadDim != c.Embd:
		return c, fmt.Errorf("model: %s: head_count %d x head_dim %d != embedding_length %d", f.Path, c.Heads, c.HeadDim, c.Embd)
	case c.Heads%c.KVHeads != 0:
		return c, fmt.Errorf("model: %s: head_count %d is not a multiple of head_count_kv %d", f.Path, c.Heads, c.KVHeads)
	case c.HeadDim%2 != 0:
		return c, fmt.Errorf("model: %s: head_dim %d is odd (RoPE rotates pairs)", f.Path, c.HeadDim)
	case !(c.Eps > 0):
		return c, fmt.Errorf("model: %s: layer_norm_rms_epsilon %g must be positive", f.Path, c.Eps)
	}

	// Sliding layers: per-layer flags for any layer count. llama.cpp assumes
	// LLLG with window 4096 for 64-layer files only; we keep that fallback
	// for such files that lack the flags and nothing else.
	c.Sliding = make([]bool, c.Layers)
	if f.Has(Arch + ".attention.sliding_window") {
		u("attention.sliding_window", &c.Window)
		if err != nil {
			return c, err
		}
	}
	if f.Has(Arch + ".attention.sliding_window_pattern") {
		pat, err := f.Bools(Arch + ".attention.sliding_window_pattern")
		if err != nil {
			return c, err
		}
		if len(pat) != c.Layers {
			return c, fmt.Errorf("model: %s: %s.attention.sliding_window_pattern has %d entries for %d layers", f.Path, Arch, len(pat), c.Layers)
		}
		copy(c.Sliding, pat)
		if c.Window == 0 && anyTrue(pat) {
			return c, fmt.Errorf("model: %s: sliding layers but no %s.attention.sliding_window", f.Path, Arch)
		}
	} else if c.Layers == 64 {
		if c.Window == 0 {
			c.Window = 4096
		}
		for i := range c.Sliding {
			c.Sliding[i] = (i+1)%4 != 0
		}
	}
	if !anyTrue(c.Sliding) {
		c.Window = 0
	}
	// With a sliding window only sliding layers use RoPE; global layers
	// have no positional encoding (NoPE). Without one every layer rotates.
	c.Rope = make([]bool, c.Layers)
	for i := range c.Rope {
		c.Rope[i] = c.Window == 0 || c.Sliding[i]
	}
	return c, nil
}

func anyTrue(b []bool) bool {
	for _, v := range b {
		if v {
			return true
		}
	}
	return false
}
