package convert_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exaone-go/exaone/convert"
	"github.com/exaone-go/exaone/convert/fixture"
	"github.com/exaone-go/exaone/convert/safetensors"
	"github.com/exaone-go/exaone/gguf"
	"github.com/exaone-go/exaone/quant"
)

// hfName maps our GGUF tensor names back to the checkpoint's, written out
// independently of the converter's table.
func hfName(n string) string {
	switch n {
	case "token_embd.weight":
		return "model.embed_tokens.weight"
	case "output_norm.weight":
		return "model.norm.weight"
	case "output.weight":
		return "lm_head.weight"
	}
	var layer int
	var rest string
	if _, err := fmt.Sscanf(strings.Replace(n, ".", " ", 2), "blk %d %s", &layer, &rest); err != nil {
		return ""
	}
	m := map[string]string{
		"attn_q.weight": "self_attn.q_proj.weight", "attn_k.weight": "self_attn.k_proj.weight",
		"attn_v.weight": "self_attn.v_proj.weight", "attn_output.weight": "self_attn.o_proj.weight",
		"attn_q_norm.weight": "self_attn.q_norm.weight", "attn_k_norm.weight": "self_attn.k_norm.weight",
		"post_attention_norm.weight": "post_attention_layernorm.weight",
		"ffn_gate.weight":            "mlp.gate_proj.weight", "ffn_up.weight": "mlp.up_proj.weight",
		"ffn_down.weight": "mlp.down_proj.weight", "post_ffw_norm.weight": "post_feedforward_layernorm.weight",
	}
	return fmt.Sprintf("model.layers.%d.%s", layer, m[rest])
}

// blockBound is the largest error a block of type t may have relative to
// the largest magnitude in its block (ggml's reference quantizers).
var blockBound = map[quant.Type]float64{
	quant.Q8_0: 1.0 / 127,  // half a step is 1/254 of amax; the f16 scale adds little
	quant.Q4_0: 1.01 / 8,   // a step is amax/8; the top code clamps to 15
	quant.Q6_K: 1.01 / 16,  // 6-bit codes with int8 sub-block scales
	quant.Q5_0: 1.01 / 16,  // fallbacks for the K presets
	quant.Q4_K: 1.01 / 8,   //
	quant.Q5_K: 1.01 / 16,  //
	quant.Q5_1: 1.01 / 16,  //
	quant.F16:  1.0 / 1024, //
}

type cfg struct {
	Hidden, Layers, Heads, KVHeads, FFN, Vocab, Ctx int
	Eps, Theta                                      float64
	Tied                                            bool
	Window                                          *int
	LayerTypes                                      []string
	BOS, EOS, PAD                                   int
}

func readCfg(t *testing.T, dir string) cfg {
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Hidden     int      `json:"hidden_size"`
		Layers     int      `json:"num_hidden_layers"`
		Heads      int      `json:"num_attention_heads"`
		KVHeads    int      `json:"num_key_value_heads"`
		FFN        int      `json:"intermediate_size"`
		Vocab      int      `json:"vocab_size"`
		Ctx        int      `json:"max_position_embeddings"`
		Eps        float64  `json:"rms_norm_eps"`
		Theta      float64  `json:"rope_theta"`
		Tied       bool     `json:"tie_word_embeddings"`
		Window     *int     `json:"sliding_window"`
		LayerTypes []string `json:"layer_types"`
		BOS        int      `json:"bos_token_id"`
		EOS        int      `json:"eos_token_id"`
		PAD        int      `json:"pad_token_id"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return cfg(c)
}

// TestFixtures converts every fixture to f32, bf16, q8_0 and q4_0 and
// checks the result against config.json and the source weights.
func TestFixtures(t *testing.T) {
	for _, name := range fixture.Names {
		for _, preset := range []string{"f32", "bf16", "q8_0", "q4_0"} {
			t.Run(name+"/"+preset, func(t *testing.T) {
				checkFixture(t, name, preset)
			})
		}
	}
}

func checkFixture(t *testing.T, name, preset string) {
	dir := fixture.ModelDir(name)
	c := readCfg(t, dir)
	f, err := gguf.Open(fixture.GGUF(t, name, preset))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	u32 := map[string]int{
		"exaone4.block_count": c.Layers, "exaone4.context_length": c.Ctx, "exaone4.embedding_length": c.Hidden,
		"exaone4.feed_forward_length": c.FFN, "exaone4.attention.head_count": c.Heads,
		"exaone4.attention.head_count_kv": c.KVHeads, "exaone4.vocab_size": c.Vocab,
		"tokenizer.ggml.bos_token_id": c.BOS, "tokenizer.ggml.eos_token_id": c.EOS,
		"tokenizer.ggml.padding_token_id": c.PAD, "tokenizer.ggml.unknown_token_id": 3,
		"general.quantization_version": 2,
		"general.file_type":            map[string]int{"f32": 0, "bf16": 32, "q8_0": 7, "q4_0": 2}[preset],
	}
	for k, want := range u32 {
		if got, err := f.Uint32(k); err != nil || int(got) != want {
			t.Errorf("%s = %d (%v), want %d", k, got, err, want)
		}
	}
	for k, want := range map[string]float64{"exaone4.rope.freq_base": c.Theta, "exaone4.attention.layer_norm_rms_epsilon": c.Eps} {
		if got, err := f.Float32(k); err != nil || got != float32(want) {
			t.Errorf("%s = %v (%v), want %v", k, got, err, want)
		}
	}
	for k, want := range map[string]string{
		"general.architecture": "exaone4", "general.name": name,
		"tokenizer.ggml.model": "gpt2", "tokenizer.ggml.pre": "exaone4",
	} {
		if got, err := f.String(k); err != nil || got != want {
			t.Errorf("%s = %q (%v), want %q", k, got, err, want)
		}
	}
	if b, err := f.Bool("tokenizer.ggml.add_bos_token"); err != nil || b {
		t.Errorf("add_bos_token = %v (%v)", b, err)
	}
	tmpl, _ := os.ReadFile(filepath.Join(dir, "chat_template.jinja"))
	if got, err := f.String("tokenizer.chat_template"); err != nil || got != string(tmpl) || len(tmpl) == 0 {
		t.Errorf("chat_template differs from chat_template.jinja (%v)", err)
	}
	toks, err := f.Strings("tokenizer.ggml.tokens")
	if err != nil || len(toks) != c.Vocab || toks[c.BOS] != "[BOS]" || toks[c.EOS] != "[|endofturn|]" || toks[c.PAD] != "[PAD]" {
		t.Errorf("tokens: %d entries (%v)", len(toks), err)
	}
	types, err := f.Int32s("tokenizer.ggml.token_type")
	if err != nil || len(types) != c.Vocab || types[c.EOS] != 3 || types[100] != 1 {
		t.Errorf("token types: %d entries (%v)", len(types), err)
	}
	var tj struct {
		Model struct {
			Vocab  map[string]int    `json:"vocab"`
			Merges []json.RawMessage `json:"merges"`
		} `json:"model"`
	}
	tb, _ := os.ReadFile(filepath.Join(dir, "tokenizer.json"))
	if err := json.Unmarshal(tb, &tj); err != nil {
		t.Fatal(err)
	}
	for tok, id := range tj.Model.Vocab {
		if id >= 15 && toks[id] != tok {
			t.Fatalf("token %d = %q, tokenizer.json has %q", id, toks[id], tok)
		}
	}
	if merges, err := f.Strings("tokenizer.ggml.merges"); err != nil || len(merges) != len(tj.Model.Merges) {
		t.Errorf("%d merges (%v), tokenizer.json has %d", len(merges), err, len(tj.Model.Merges))
	}

	// Sliding window keys only for models with a window.
	if c.Window != nil {
		if w, err := f.Uint32("exaone4.attention.sliding_window"); err != nil || int(w) != *c.Window {
			t.Errorf("sliding_window = %d (%v), want %d", w, err, *c.Window)
		}
		pat, err := f.Bools("exaone4.attention.sliding_window_pattern")
		if err != nil || len(pat) != c.Layers {
			t.Fatalf("sliding_window_pattern %v (%v)", pat, err)
		}
		for i, lt := range c.LayerTypes {
			if pat[i] != (lt == "sliding_attention") {
				t.Errorf("layer %d: sliding %v, config says %s", i, pat[i], lt)
			}
		}
	} else if f.Has("exaone4.attention.sliding_window") || f.Has("exaone4.attention.sliding_window_pattern") {
		t.Error("sliding window keys in a model without a window")
	}
	if f.Has("exaone4.attention.key_length") {
		t.Error("key_length written though config.json has no head_dim")
	}

	// rope_freqs: the values GGUF.md gives for head_dim 64, theta 1e6.
	rf, err := f.TensorData("rope_freqs.weight")
	if err != nil {
		t.Fatal(err)
	}
	hd := c.Hidden / c.Heads
	if len(rf) != 4*hd/2 {
		t.Fatalf("rope_freqs has %d bytes for head_dim %d", len(rf), hd)
	}
	if hd == 64 {
		freqs := make([]float32, 32)
		quant.Dequantize(quant.F32, freqs, rf)
		for i, v := range freqs {
			want := map[int]float64{14: 1.3963, 15: 2.6496, 16: 6.3518}[i]
			if want == 0 {
				want = 1
				if i > 16 {
					want = 16
				}
			}
			if math.Abs(float64(v)-want) > 1e-4 {
				t.Errorf("rope_freqs[%d] = %v, want %v", i, v, want)
			}
		}
	}

	// Tensors: every source tensor is there once, with the expected type
	// and values.
	m, err := safetensors.OpenModel(os.DirFS(dir), ".")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	_, _, hasHead := m.Tensor("lm_head.weight")
	if _, ok := f.Tensor("output.weight"); ok != (!c.Tied && hasHead) {
		t.Errorf("output.weight present = %v, tied = %v", ok, c.Tied)
	}
	wantCount := len(m.Names()) + 1 // rope_freqs
	if c.Tied && hasHead {
		wantCount--
	}
	if len(f.Tensors) != wantCount {
		t.Errorf("%d tensors, want %d", len(f.Tensors), wantCount)
	}
	base := map[string]quant.Type{"f32": quant.F32, "bf16": quant.BF16, "q8_0": quant.Q8_0, "q4_0": quant.Q4_0}[preset]
	head := "token_embd.weight"
	if !c.Tied {
		head = "output.weight"
	}
	var maxRel float64
	for _, ti := range f.Tensors {
		if ti.Name == "rope_freqs.weight" {
			continue
		}
		want := base
		switch {
		case len(ti.Dims) == 1:
			want = quant.F32
		case ti.Name == head && preset == "q4_0":
			want = quant.Q6_K
		}
		if ti.Type != want {
			t.Errorf("%s is %s, want %s", ti.Name, ti.Type, want)
		}
		sf, si, ok := m.Tensor(hfName(ti.Name))
		if !ok {
			t.Errorf("%s has no source tensor %s", ti.Name, hfName(ti.Name))
			continue
		}
		// ggml dims are the PyTorch shape reversed.
		if len(si.Shape) != len(ti.Dims) || int64(ti.Dims[0]) != si.Shape[len(si.Shape)-1] || int64(ti.Elements()) != si.NumElements() {
			t.Errorf("%s dims %v, source shape %v", ti.Name, ti.Dims, si.Shape)
			continue
		}
		src := make([]float32, si.NumElements())
		raw := make([]byte, si.End-si.Begin)
		if err := sf.ReadRaw(si, raw); err != nil {
			t.Fatal(err)
		}
		if _, err := sf.ReadFloat32(si, src, nil); err != nil {
			t.Fatal(err)
		}
		data := f.Data(&ti)
		if ti.Type == quant.BF16 && si.DType == safetensors.BF16 {
			if string(data) != string(raw) {
				t.Errorf("%s: bf16 data differ from the checkpoint", ti.Name)
			}
			continue
		}
		got := make([]float32, len(src))
		if err := quant.Dequantize(ti.Type, got, data); err != nil {
			t.Fatal(err)
		}
		if ti.Type == quant.F32 {
			for i := range src {
				if math.Float32bits(got[i]) != math.Float32bits(src[i]) {
					t.Fatalf("%s[%d] = %v, source %v", ti.Name, i, got[i], src[i])
				}
			}
			continue
		}
		bs := ti.Type.BlockSize()
		for b := 0; b < len(src); b += bs {
			var amax, emax float64
			for i := b; i < b+bs; i++ {
				amax = max(amax, math.Abs(float64(src[i])))
				emax = max(emax, math.Abs(float64(got[i]-src[i])))
			}
			if emax > blockBound[ti.Type]*amax {
				t.Fatalf("%s (%s) block at %d: error %g for amax %g", ti.Name, ti.Type, b, emax, amax)
			}
			if amax > 0 {
				maxRel = max(maxRel, emax/amax)
			}
		}
	}
	if maxRel > 0 {
		t.Logf("largest block error / block amax: %.4f", maxRel)
	}
}

// BenchmarkConvert measures conversion throughput in source bytes.
func BenchmarkConvert(b *testing.B) {
	for _, preset := range []string{"bf16", "q8_0", "q4_0", "q4_k_m"} {
		b.Run(preset, func(b *testing.B) {
			dir := fixture.ModelDir("tiny-global-kjv")
			dst := filepath.Join(b.TempDir(), "x.gguf")
			b.SetBytes(15215104) // total_size in the checkpoint's index
			for b.Loop() {
				if err := convert.ConvertDir(dir, dst, convert.Options{Type: preset, Force: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
