package convert

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"path"

	"github.com/exaone-go/exaone/convert/safetensors"
)

// HParams are the EXAONE 4 hyperparameters taken from config.json.
type HParams struct {
	Layers        int
	Hidden        int
	FFN           int
	Heads         int
	KVHeads       int
	HeadDim       int
	HasHeadDim    bool // config.json names head_dim (then key/value_length are written)
	Vocab         int
	ContextLength int
	RMSEps        float64
	RopeTheta     float64
	Tied          bool // tie_word_embeddings

	// Llama3 RoPE scaling; Llama3 false means plain RoPE.
	Llama3                                             bool
	RopeFactor, RopeLowFreq, RopeHighFreq, RopeOrigCtx float64

	// SlidingWindow is 0 when no layer slides; Sliding[i] tells layer i.
	SlidingWindow int
	Sliding       []bool
}

// config is config.json as raw fields, so that each field's absence, null
// and type errors can be reported by name.
type config struct {
	file string
	m    map[string]json.RawMessage
}

func (c *config) errf(field, format string, a ...any) error {
	return fmt.Errorf("%s: field %s: %s", c.file, field, fmt.Sprintf(format, a...))
}

// has reports whether field is present and not null.
func (c *config) has(m map[string]json.RawMessage, field string) bool {
	v, ok := m[field]
	return ok && string(v) != "null"
}

// maxCount bounds sizes that the converter allocates per unit before the
// checkpoint can confirm them (head_dim, heads): far above real models.
const maxCount = 1 << 16

// Bounds the loader (package model) puts on a GGUF file: a config beyond
// them would convert into a file that cannot be run.
const (
	maxLayers  = 4096
	maxContext = 1 << 24
)

func (c *config) posInt(field string) (int, error) {
	return c.posIntMax(field, 1<<31)
}

func (c *config) posIntMax(field string, limit int64) (int, error) {
	if !c.has(c.m, field) {
		return 0, c.errf(field, "missing")
	}
	var v int64
	if err := json.Unmarshal(c.m[field], &v); err != nil {
		return 0, c.errf(field, "want an integer, got %s", clip(c.m[field]))
	}
	// The bound keeps products of sizes far from overflow on 64-bit ints.
	if v <= 0 || v > limit {
		return 0, c.errf(field, "%d is out of range (1 to %d)", v, limit)
	}
	return int(v), nil
}

func (c *config) float(m map[string]json.RawMessage, prefix, field string) (float64, error) {
	if !c.has(m, field) {
		return 0, c.errf(prefix+field, "missing")
	}
	var v float64
	if err := json.Unmarshal(m[field], &v); err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, c.errf(prefix+field, "want a number, got %s", clip(m[field]))
	}
	return v, nil
}

func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

// ReadConfig reads and checks dir/config.json of fsys.
func ReadConfig(fsys fs.FS, dir string) (*HParams, error) {
	file := path.Join(dir, "config.json")
	raw, err := safetensors.ReadFileLimit(fsys, file, 16<<20)
	if err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	c := &config{file: file}
	if err := json.Unmarshal(raw, &c.m); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return c.hparams()
}

func (c *config) hparams() (*HParams, error) {
	var mt string
	if c.has(c.m, "model_type") {
		json.Unmarshal(c.m["model_type"], &mt)
	}
	if mt != "exaone4" {
		return nil, c.errf("model_type", "%s is not exaone4", clip(c.m["model_type"]))
	}
	h := &HParams{}
	var err error
	for _, f := range []struct {
		name  string
		dst   *int
		limit int64
	}{
		{"hidden_size", &h.Hidden, 1 << 31}, {"num_hidden_layers", &h.Layers, maxLayers},
		{"num_attention_heads", &h.Heads, maxCount}, {"intermediate_size", &h.FFN, 1 << 31},
		{"vocab_size", &h.Vocab, 1 << 31}, {"max_position_embeddings", &h.ContextLength, maxContext},
	} {
		if *f.dst, err = c.posIntMax(f.name, f.limit); err != nil {
			return nil, err
		}
	}
	h.KVHeads = h.Heads
	if c.has(c.m, "num_key_value_heads") {
		if h.KVHeads, err = c.posIntMax("num_key_value_heads", maxCount); err != nil {
			return nil, err
		}
	}
	if h.Heads%h.KVHeads != 0 {
		return nil, c.errf("num_key_value_heads", "%d does not divide num_attention_heads %d", h.KVHeads, h.Heads)
	}
	if c.has(c.m, "head_dim") {
		if h.HeadDim, err = c.posIntMax("head_dim", maxCount); err != nil {
			return nil, err
		}
		h.HasHeadDim = true
		// The runtime, like transformers' EXAONE 4, projects attention back
		// to hidden_size through heads*head_dim.
		if h.Heads*h.HeadDim != h.Hidden {
			return nil, c.errf("head_dim", "%d x %d heads is not hidden_size %d", h.HeadDim, h.Heads, h.Hidden)
		}
	} else {
		if h.Hidden%h.Heads != 0 {
			return nil, c.errf("num_attention_heads", "%d does not divide hidden_size %d and head_dim is absent", h.Heads, h.Hidden)
		}
		h.HeadDim = h.Hidden / h.Heads
		if h.HeadDim > maxCount {
			return nil, c.errf("hidden_size", "%d / %d heads gives head_dim %d, above %d", h.Hidden, h.Heads, h.HeadDim, maxCount)
		}
	}
	if h.HeadDim%2 != 0 {
		return nil, c.errf("head_dim", "%d is odd; RoPE needs pairs", h.HeadDim)
	}
	if h.RMSEps, err = c.float(c.m, "", "rms_norm_eps"); err != nil {
		return nil, err
	}
	// The file stores eps as float32: it must stay positive and finite there.
	if e := float32(h.RMSEps); !(e > 0) || math.IsInf(float64(e), 0) {
		return nil, c.errf("rms_norm_eps", "%v must be positive and within float32 range", h.RMSEps)
	}
	if c.has(c.m, "tie_word_embeddings") {
		if err := json.Unmarshal(c.m["tie_word_embeddings"], &h.Tied); err != nil {
			return nil, c.errf("tie_word_embeddings", "want true or false, got %s", clip(c.m["tie_word_embeddings"]))
		}
	}
	if err := c.rope(h); err != nil {
		return nil, err
	}
	if err := c.sliding(h); err != nil {
		return nil, err
	}
	return h, nil
}

// rope reads theta and the scaling from either spelling: transformers 4
// (rope_theta, rope_scaling) or transformers 5 (rope_parameters).
func (c *config) rope(h *HParams) error {
	var params map[string]json.RawMessage
	prefix := ""
	for _, key := range []string{"rope_parameters", "rope_scaling"} {
		if c.has(c.m, key) {
			if err := json.Unmarshal(c.m[key], &params); err != nil {
				return c.errf(key, "want an object, got %s", clip(c.m[key]))
			}
			prefix = key + "."
			break
		}
	}
	var err error
	theta := "rope_theta"
	switch {
	case c.has(params, "rope_theta"):
		h.RopeTheta, err = c.float(params, prefix, "rope_theta")
		theta = prefix + theta
	default:
		h.RopeTheta, err = c.float(c.m, "", "rope_theta")
	}
	if err != nil {
		return err
	}
	// Stored as float32, so it must also stay finite there.
	if h.RopeTheta <= 1 || math.IsInf(float64(float32(h.RopeTheta)), 0) {
		return c.errf(theta, "%v must be above 1 and within float32 range", h.RopeTheta)
	}
	if params == nil {
		return nil
	}
	var rt string
	for _, k := range []string{"rope_type", "type"} {
		if c.has(params, k) {
			if err := json.Unmarshal(params[k], &rt); err != nil {
				return c.errf(prefix+k, "want a string, got %s", clip(params[k]))
			}
			break
		}
	}
	switch rt {
	case "", "default":
		return nil
	case "llama3":
	default:
		return c.errf(prefix+"rope_type", "%q is not supported (llama3 or default are)", rt)
	}
	h.Llama3 = true
	for _, f := range []struct {
		name string
		dst  *float64
	}{
		{"factor", &h.RopeFactor}, {"low_freq_factor", &h.RopeLowFreq},
		{"high_freq_factor", &h.RopeHighFreq}, {"original_max_position_embeddings", &h.RopeOrigCtx},
	} {
		if *f.dst, err = c.float(params, prefix, f.name); err != nil {
			return err
		}
		// rope_freqs holds factor itself, as float32.
		if v := float32(*f.dst); !(v > 0) || math.IsInf(float64(v), 0) {
			return c.errf(prefix+f.name, "%v must be positive and within float32 range", *f.dst)
		}
	}
	if h.RopeHighFreq <= h.RopeLowFreq {
		return c.errf(prefix+"high_freq_factor", "%v must exceed low_freq_factor %v", h.RopeHighFreq, h.RopeLowFreq)
	}
	return nil
}

// sliding decides which layers use the sliding window: layer_types wins,
// else sliding_window_pattern (string like "LLLG" repeated, or int N: layer
// i slides iff (i+1)%N != 0). A null sliding_window means none slide, as in
// transformers, but layer_types is checked either way: a list of the wrong
// length or with unknown kinds is a broken config, window or not.
func (c *config) sliding(h *HParams) error {
	h.Sliding = make([]bool, h.Layers)
	var types []bool
	if c.has(c.m, "layer_types") {
		var lt []string
		if err := json.Unmarshal(c.m["layer_types"], &lt); err != nil {
			return c.errf("layer_types", "want a list of strings, got %s", clip(c.m["layer_types"]))
		}
		if len(lt) != h.Layers {
			return c.errf("layer_types", "has %d entries for %d layers", len(lt), h.Layers)
		}
		types = make([]bool, len(lt))
		for i, t := range lt {
			switch t {
			case "sliding_attention":
				types[i] = true
			case "full_attention":
			default:
				return c.errf("layer_types", "entry %d is %q (want sliding_attention or full_attention)", i, t)
			}
		}
	}
	if !c.has(c.m, "sliding_window") {
		return nil
	}
	w, err := c.posIntMax("sliding_window", 1<<32-1)
	if err != nil {
		return err
	}
	switch {
	case types != nil:
		copy(h.Sliding, types)
	case c.has(c.m, "sliding_window_pattern"):
		raw := c.m["sliding_window_pattern"]
		var s string
		var n int64
		switch {
		case json.Unmarshal(raw, &s) == nil:
			if s == "" {
				return c.errf("sliding_window_pattern", "is empty")
			}
			for i := range h.Sliding {
				switch s[i%len(s)] {
				case 'L':
					h.Sliding[i] = true
				case 'G':
				default:
					return c.errf("sliding_window_pattern", "%q holds %q (want L or G)", s, s[i%len(s)])
				}
			}
		case json.Unmarshal(raw, &n) == nil:
			if n <= 0 {
				return c.errf("sliding_window_pattern", "%d must be positive", n)
			}
			for i := range h.Sliding {
				h.Sliding[i] = int64(i+1)%n != 0
			}
		default:
			return c.errf("sliding_window_pattern", "want a string or an integer, got %s", clip(raw))
		}
	default:
		return c.errf("sliding_window", "is %d but neither layer_types nor sliding_window_pattern says which layers slide", w)
	}
	for _, s := range h.Sliding {
		if s {
			h.SlidingWindow = w
			return nil
		}
	}
	// A window that no layer uses is no window.
	return nil
}

// RopeFreqs returns the llama3 per-pair factors (rope_freqs.weight) with
// the roundings of the script that wrote llama.cpp's reference files:
// inv_freq is a float32 array (base and 2i/d as float32, the power and its
// reciprocal rounded to float32), and each element then leaves float32:
// wavelength, smoothing and factor are float64, rounded once at the end.
func (h *HParams) RopeFreqs() []float32 {
	d := h.HeadDim
	out := make([]float32, d/2)
	base := float64(float32(h.RopeTheta))
	lowWavelen := h.RopeOrigCtx / h.RopeLowFreq
	highWavelen := h.RopeOrigCtx / h.RopeHighFreq
	for i := range out {
		e := float32(2*i) / float32(d)
		invFreq := float64(1 / float32(math.Pow(base, float64(e))))
		wavelen := 2 * math.Pi / invFreq
		f := 1.0
		switch {
		case wavelen < highWavelen:
		case wavelen > lowWavelen:
			f = h.RopeFactor
		default:
			s := (h.RopeOrigCtx/wavelen - h.RopeLowFreq) / (h.RopeHighFreq - h.RopeLowFreq)
			f = 1 / ((1-s)/h.RopeFactor + s)
		}
		out[i] = float32(f)
	}
	return out
}
