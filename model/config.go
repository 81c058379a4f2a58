package model

import (
	"fmt"
	"math"

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

	bad := func(key, format string, args ...any) (Config, error) {
		return c, fmt.Errorf("model: %s: %s.%s "+format, append([]any{f.Path, Arch, key}, args...)...)
	}
	// Each size bound keeps products of sizes far from overflow; the
	// tensors' shapes are checked against these values at load.
	switch {
	case c.Layers <= 0 || c.Layers > 4096:
		return bad("block_count", "%d out of range [1, 4096]", c.Layers)
	case c.Embd <= 0 || c.Embd > 1<<20:
		return bad("embedding_length", "%d out of range [1, %d]", c.Embd, 1<<20)
	case c.FF <= 0 || c.FF > 1<<22:
		return bad("feed_forward_length", "%d out of range [1, %d]", c.FF, 1<<22)
	case c.KVHeads <= 0:
		return bad("attention.head_count_kv", "is 0")
	case c.Heads > c.Embd:
		return bad("attention.head_count", "%d exceeds embedding_length %d", c.Heads, c.Embd)
	case c.HeadDim <= 0 || c.HeadDim > 1<<16:
		return bad("attention.key_length", "(head size) %d out of range [1, %d]", c.HeadDim, 1<<16)
	case c.Heads*c.HeadDim != c.Embd:
		return bad("attention.head_count", "%d x head size %d != embedding_length %d", c.Heads, c.HeadDim, c.Embd)
	case c.Heads%c.KVHeads != 0:
		return bad("attention.head_count_kv", "%d does not divide head_count %d", c.KVHeads, c.Heads)
	case c.HeadDim%2 != 0:
		return bad("attention.key_length", "(head size) %d is odd (RoPE rotates pairs)", c.HeadDim)
	case c.CtxTrain <= 0 || c.CtxTrain > maxCtx:
		return bad("context_length", "%d out of range [1, %d]", c.CtxTrain, maxCtx)
	case !(c.Eps > 0) || math.IsInf(float64(c.Eps), 0):
		return bad("attention.layer_norm_rms_epsilon", "%g must be positive and finite", c.Eps)
	case !(c.RopeTheta > 0) || math.IsInf(float64(c.RopeTheta), 0):
		return bad("rope.freq_base", "%g must be positive and finite", c.RopeTheta)
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
			return bad("attention.sliding_window", "is 0 or missing, but sliding_window_pattern marks sliding layers")
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
