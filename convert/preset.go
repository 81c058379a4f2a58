package convert

import (
	"fmt"
	"sort"
	"strings"

	"github.com/exaone-go/exaone/quant"
)

// Preset is a conversion target: the base tensor type and llama.cpp's
// rules for which tensors get more bits.
type Preset struct {
	Name     string
	Base     quant.Type
	FileType uint32 // general.file_type (llama_ftype)
	// Head is the type of the LM head (output.weight, or token_embd when
	// tied); 0 means Base.
	Head quant.Type
	// MoreBits is the type of attn_v and ffn_down on use_more_bits layers
	// (the _M presets); 0 means Base.
	MoreBits quant.Type
}

var presets = map[string]Preset{
	"f32":    {Name: "f32", Base: quant.F32, FileType: 0},
	"f16":    {Name: "f16", Base: quant.F16, FileType: 1},
	"bf16":   {Name: "bf16", Base: quant.BF16, FileType: 32},
	"q8_0":   {Name: "q8_0", Base: quant.Q8_0, FileType: 7},
	"q4_0":   {Name: "q4_0", Base: quant.Q4_0, FileType: 2, Head: quant.Q6_K},
	"q4_k_m": {Name: "q4_k_m", Base: quant.Q4_K, FileType: 15, Head: quant.Q6_K, MoreBits: quant.Q6_K},
	"q5_k_m": {Name: "q5_k_m", Base: quant.Q5_K, FileType: 17, Head: quant.Q6_K, MoreBits: quant.Q6_K},
	"q6_k":   {Name: "q6_k", Base: quant.Q6_K, FileType: 18, Head: quant.Q6_K},
}

// Presets lists the preset names, sorted.
func Presets() []string {
	var s []string
	for k := range presets {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// LookupPreset finds a preset by name (case-insensitive: "Q4_K_M" works).
// It fails for presets whose quantizers package quant does not have yet.
func LookupPreset(name string) (Preset, error) {
	p, ok := presets[strings.ToLower(name)]
	if !ok {
		return p, fmt.Errorf("convert: unknown type %q (one of %s)", name, strings.Join(Presets(), ", "))
	}
	if !canQuantize(p.Base) || (p.MoreBits != 0 && !canQuantize(p.MoreBits)) {
		return p, fmt.Errorf("convert: type %s needs a %s quantizer, which package quant does not have yet", p.Name, p.Base)
	}
	if p.Head != 0 && !canQuantize(p.Head) {
		// Until K-quants exist the LM head of q4_0 takes Q8_0 (issue 2).
		p.Head = quant.Q8_0
	}
	return p, nil
}

// canQuantize reports whether package quant can produce type t.
func canQuantize(t quant.Type) bool {
	n := t.BlockSize()
	if n == 0 {
		return false
	}
	return quant.Quantize(t, make([]byte, t.BlockBytes()), make([]float32, n)) == nil
}

// useMoreBits is llama.cpp's choice of layers that get more bits in the _M
// presets: the first and last eighth and every third layer in between.
func useMoreBits(i, n int) bool {
	return i < n/8 || i >= 7*n/8 || (i-n/8)%3 == 2
}

// fallback is the type llama.cpp uses when rows of length ne0 do not fill
// whole blocks of t.
func fallback(t quant.Type, ne0 uint64) quant.Type {
	if ne0%uint64(t.BlockSize()) == 0 {
		return t
	}
	switch t {
	case quant.Q4_K:
		t = quant.Q5_0
	case quant.Q5_K:
		t = quant.Q5_1
	case quant.Q6_K:
		t = quant.Q8_0
	default:
		return quant.F16
	}
	if ne0%uint64(t.BlockSize()) != 0 || !canQuantize(t) {
		return quant.F16
	}
	return t
}

// TensorType returns the type preset p gives to GGUF tensor name with ggml
// dims, in a model of nLayers layers with the LM head called head.
func (p Preset) TensorType(name string, dims []uint64, nLayers int, head string) quant.Type {
	if len(dims) < 2 || strings.HasSuffix(name, "_norm.weight") {
		return quant.F32
	}
	t := p.Base
	if name == head && p.Head != 0 {
		t = p.Head
	}
	if p.MoreBits != 0 && (strings.HasSuffix(name, ".attn_v.weight") || strings.HasSuffix(name, ".ffn_down.weight")) {
		var layer int
		if _, err := fmt.Sscanf(name, "blk.%d.", &layer); err == nil && useMoreBits(layer, nLayers) {
			t = p.MoreBits
		}
	}
	return fallback(t, dims[0])
}
