package convert_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/exaone-go/exaone/convert"
	"github.com/exaone-go/exaone/convert/fixture"
	"github.com/exaone-go/exaone/convert/safetensors"
	"github.com/exaone-go/exaone/gguf"
	"github.com/exaone-go/exaone/model"
	"github.com/exaone-go/exaone/quant"
)

// loadFS reads a checkpoint directory into memory.
func loadFS(t *testing.T, dir string) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = &fstest.MapFile{Data: b, Mode: 0o644}
	}
	return m
}

// editConfig rewrites config.json of m with edit applied to its fields.
func editConfig(t *testing.T, m fstest.MapFS, edit func(map[string]any)) {
	t.Helper()
	var c map[string]any
	if err := json.Unmarshal(m["config.json"].Data, &c); err != nil {
		t.Fatal(err)
	}
	edit(c)
	b, _ := json.Marshal(c)
	m["config.json"] = &fstest.MapFile{Data: b}
}

func dirEntries(t *testing.T, dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n []string
	for _, e := range ents {
		n = append(n, e.Name())
	}
	return n
}

// TestConvertFS converts the sharded default model from an in-memory file
// system (as the embedded model is converted) and from a file system whose
// files can only seek: both give the same bytes as the directory.
func TestConvertFS(t *testing.T) {
	want, err := os.ReadFile(fixture.GGUF(t, "tiny-hybrid-kjv", "q8_0"))
	if err != nil {
		t.Fatal(err)
	}
	m := loadFS(t, fixture.ModelDir("tiny-hybrid-kjv"))
	for name, fsys := range map[string]fs.FS{"MapFS": m, "seek-only": seekOnlyFS{m}} {
		dst := filepath.Join(t.TempDir(), "out.gguf")
		if err := convert.Convert(fsys, dst, convert.Options{Type: "q8_0", Name: "tiny-hybrid-kjv"}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := os.ReadFile(dst)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: conversion differs from the directory's", name)
		}
	}
}

// seekOnlyFS hides io.ReaderAt from its files.
type seekOnlyFS struct{ fs fs.FS }
type seekOnlyFile struct{ f fs.File }

func (s seekOnlyFS) Open(name string) (fs.File, error) {
	f, err := s.fs.Open(name)
	if err != nil {
		return nil, err
	}
	return seekOnlyFile{f}, nil
}
func (s seekOnlyFile) Stat() (fs.FileInfo, error) { return s.f.Stat() }
func (s seekOnlyFile) Read(p []byte) (int, error) { return s.f.Read(p) }
func (s seekOnlyFile) Close() error               { return s.f.Close() }
func (s seekOnlyFile) Seek(o int64, w int) (int64, error) {
	return s.f.(io.Seeker).Seek(o, w)
}

// lyingFS serves a file whose Stat promises more bytes than it holds, like
// a shard truncated after it was listed: the header validates, the data
// read fails midway through the conversion.
type lyingFS struct {
	fstest.MapFS
	name string
	size int64
}
type lyingFile struct {
	fs.File
	size int64
}
type lyingInfo struct {
	fs.FileInfo
	size int64
}

func (l lyingFS) Open(name string) (fs.File, error) {
	f, err := l.MapFS.Open(name)
	if err != nil || name != l.name {
		return f, err
	}
	return lyingFile{f, l.size}, nil
}
func (f lyingFile) Stat() (fs.FileInfo, error) {
	st, err := f.File.Stat()
	return lyingInfo{st, f.size}, err
}
func (f lyingFile) ReadAt(p []byte, off int64) (int, error) {
	return f.File.(io.ReaderAt).ReadAt(p, off)
}
func (i lyingInfo) Size() int64 { return i.size }

func TestRefuseOverwrite(t *testing.T) {
	dir := t.TempDir()
	dst := filepath.Join(dir, "out.gguf")
	os.WriteFile(dst, []byte("keep"), 0o644)
	src := fixture.ModelDir("tiny-global-random")
	err := convert.ConvertDir(src, dst, convert.Options{Type: "bf16"})
	if err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("overwrote without Force: %v", err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "keep" {
		t.Fatal("existing file changed")
	}
	if err := convert.ConvertDir(src, dst, convert.Options{Type: "bf16", Force: true}); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if n := dirEntries(t, dir); len(n) != 1 {
		t.Errorf("directory holds %v", n)
	}
}

// TestNoPartialFile: a conversion that fails, early or midway, leaves no
// output and no temporary file, and keeps a file it was to replace.
func TestNoPartialFile(t *testing.T) {
	m := loadFS(t, fixture.ModelDir("tiny-global-kjv"))
	shard := "model-00002-of-00002.safetensors"
	full := m[shard].Data

	truncated := fstest.MapFS{}
	for k, v := range m {
		truncated[k] = v
	}
	truncated[shard] = &fstest.MapFile{Data: full[:len(full)/2]}
	cut := fstest.MapFS{}
	for k, v := range m {
		cut[k] = v
	}
	cut[shard] = &fstest.MapFile{Data: full[:len(full)-1000]}

	cases := []struct {
		name string
		fsys fs.FS
		want string
	}{
		{"truncated shard", truncated, shard + ": header: tensor"},
		// Fails while tensors are being written, after the output was created.
		{"shard shrunk after listing", lyingFS{cut, shard, int64(len(full))}, shard + `: tensor "model.norm.weight": reading`},
	}
	for _, c := range cases {
		for _, existing := range []bool{false, true} {
			dir := t.TempDir()
			dst := filepath.Join(dir, "out.gguf")
			if existing {
				os.WriteFile(dst, []byte("keep"), 0o644)
			}
			err := convert.Convert(c.fsys, dst, convert.Options{Type: "q4_0", Force: true})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: error %v, want one naming %s", c.name, err, c.want)
			}
			names := dirEntries(t, dir)
			if existing {
				if b, _ := os.ReadFile(dst); string(b) != "keep" || len(names) != 1 {
					t.Errorf("%s: replaced file changed or left %v", c.name, names)
				}
			} else if len(names) != 0 {
				t.Errorf("%s: left %v behind", c.name, names)
			}
		}
	}
}

func TestReadConfig(t *testing.T) {
	base := loadFS(t, fixture.ModelDir("tiny-hybrid-kjv"))
	read := func(edit func(map[string]any)) (*convert.HParams, error) {
		m := fstest.MapFS{"config.json": base["config.json"]}
		editConfig(t, m, edit)
		return convert.ReadConfig(m, ".")
	}
	orig, err := read(func(map[string]any) {})
	if err != nil {
		t.Fatal(err)
	}
	lllg := []bool{true, true, true, false, true, true, true, false}
	if orig.SlidingWindow != 64 || !reflect.DeepEqual(orig.Sliding, lllg) || !orig.Llama3 || orig.RopeTheta != 1e6 ||
		orig.RopeFactor != 16 || orig.RopeLowFreq != 1 || orig.RopeHighFreq != 4 || orig.RopeOrigCtx != 8192 ||
		orig.HeadDim != 64 || orig.KVHeads != 2 || orig.Layers != 8 || orig.FFN != 640 || !orig.Tied || orig.RMSEps != 1e-5 {
		t.Fatalf("parsed %+v", orig)
	}
	same := map[string]func(map[string]any){
		"transformers 5 rope_parameters": func(c map[string]any) {
			rp := c["rope_scaling"].(map[string]any)
			rp["rope_theta"] = c["rope_theta"]
			c["rope_parameters"] = rp
			delete(c, "rope_scaling")
			delete(c, "rope_theta")
		},
		"pattern string": func(c map[string]any) { delete(c, "layer_types") },
		"pattern int":    func(c map[string]any) { delete(c, "layer_types"); c["sliding_window_pattern"] = 4 },
		"full-length pattern": func(c map[string]any) {
			delete(c, "layer_types")
			c["sliding_window_pattern"] = "LLLGLLLG"
		},
	}
	for name, edit := range same {
		h, err := read(edit)
		if err != nil || !reflect.DeepEqual(h, orig) {
			t.Errorf("%s: %+v, %v", name, h, err)
		}
	}
	none := map[string]func(map[string]any){
		"null window": func(c map[string]any) { c["sliding_window"] = nil },
		"layer_types win over pattern": func(c map[string]any) {
			c["layer_types"] = []string{"full_attention", "full_attention", "full_attention", "full_attention", "full_attention", "full_attention", "full_attention", "full_attention"}
		},
		"no window key": func(c map[string]any) { delete(c, "sliding_window") },
	}
	for name, edit := range none {
		h, err := read(edit)
		if err != nil || h.SlidingWindow != 0 || !reflect.DeepEqual(h.Sliding, make([]bool, 8)) {
			t.Errorf("%s: %+v, %v", name, h, err)
		}
	}
	bad := []struct {
		name, want string
		edit       func(map[string]any)
	}{
		{"missing hidden_size", "config.json: field hidden_size: missing", func(c map[string]any) { delete(c, "hidden_size") }},
		{"string layers", "field num_hidden_layers: want an integer", func(c map[string]any) { c["num_hidden_layers"] = "8" }},
		{"zero heads", "field num_attention_heads: 0 is out of range", func(c map[string]any) { c["num_attention_heads"] = 0 }},
		{"huge vocab", "field vocab_size", func(c map[string]any) { c["vocab_size"] = 1e15 }},
		{"kv heads", "field num_key_value_heads", func(c map[string]any) { c["num_key_value_heads"] = 3 }},
		{"missing eps", "field rms_norm_eps: missing", func(c map[string]any) { delete(c, "rms_norm_eps") }},
		{"missing theta", "field rope_theta: missing", func(c map[string]any) { delete(c, "rope_theta") }},
		{"yarn", "rope_scaling.rope_type: \"yarn\" is not supported", func(c map[string]any) { c["rope_scaling"].(map[string]any)["rope_type"] = "yarn" }},
		{"llama3 no factor", "field rope_scaling.factor: missing", func(c map[string]any) { delete(c["rope_scaling"].(map[string]any), "factor") }},
		{"layer_types length", "field layer_types: has 3 entries for 8 layers", func(c map[string]any) {
			c["layer_types"] = []string{"full_attention", "full_attention", "full_attention"}
		}},
		{"layer_types value", "field layer_types: entry 0 is \"chunked\"", func(c map[string]any) {
			c["layer_types"].([]any)[0] = "chunked"
		}},
		{"pattern letter", "field sliding_window_pattern", func(c map[string]any) { delete(c, "layer_types"); c["sliding_window_pattern"] = "LLXG" }},
		{"window without pattern", "field sliding_window: is 64 but neither", func(c map[string]any) {
			delete(c, "layer_types")
			c["sliding_window_pattern"] = nil
		}},
		{"other model", "field model_type", func(c map[string]any) { c["model_type"] = "llama" }},
		{"bad head_dim", "field head_dim", func(c map[string]any) { c["head_dim"] = 63 }},
		// Sizes allocated before the checkpoint confirms them are bounded.
		{"absurd layers", "field num_hidden_layers: 1073741824 is out of range", func(c map[string]any) { c["num_hidden_layers"] = 1 << 30 }},
		{"absurd head_dim", "field head_dim: 1073741824 is out of range", func(c map[string]any) { c["head_dim"] = 1 << 30 }},
		{"absurd implied head_dim", "field hidden_size", func(c map[string]any) { c["hidden_size"] = 1 << 30; c["num_attention_heads"] = 2 }},
	}
	for _, c := range bad {
		_, err := read(c.edit)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := convert.ReadConfig(fstest.MapFS{"config.json": {Data: []byte("{")}}, "."); err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Errorf("broken JSON: %v", err)
	}
	huge := fstest.MapFS{"config.json": {Data: make([]byte, 17<<20)}}
	if _, err := convert.ReadConfig(huge, "."); err == nil || !strings.Contains(err.Error(), "config.json: 17825792 bytes is more") {
		t.Errorf("huge config: %v", err)
	}
	if _, err := convert.ReadConfig(fstest.MapFS{}, "."); err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Errorf("no config: %v", err)
	}
}

// TestTransformers5Config converts a model whose config.json uses the
// transformers 5 spelling and a pattern string instead of layer_types:
// the file must equal the one from the original config.
func TestTransformers5Config(t *testing.T) {
	want, err := os.ReadFile(fixture.GGUF(t, "tiny-hybrid-random", "bf16"))
	if err != nil {
		t.Fatal(err)
	}
	m := loadFS(t, fixture.ModelDir("tiny-hybrid-random"))
	editConfig(t, m, func(c map[string]any) {
		rp := c["rope_scaling"].(map[string]any)
		rp["rope_theta"] = c["rope_theta"]
		c["rope_parameters"] = rp
		delete(c, "rope_scaling")
		delete(c, "rope_theta")
		delete(c, "layer_types")
	})
	dst := filepath.Join(t.TempDir(), "x.gguf")
	if err := convert.Convert(m, dst, convert.Options{Type: "bf16", Name: "tiny-hybrid-random"}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(dst)
	if !bytes.Equal(got, want) {
		t.Error("transformers 5 config gives a different file")
	}
}

// synth is a small synthetic checkpoint with hand-picked values, used for
// source dtypes the fixtures do not have and for broken checkpoints.
type synthTensor struct {
	dtype string
	shape []int
	data  []byte
}

func synthModel(t *testing.T, hidden int, dtype string, edit func(map[string]*synthTensor, map[string]any)) fstest.MapFS {
	t.Helper()
	const vocab, ffn, heads = 8192, 64, 2
	hd := hidden / heads
	cfg := map[string]any{
		"model_type": "exaone4", "vocab_size": vocab, "hidden_size": hidden, "intermediate_size": ffn,
		"num_hidden_layers": 1, "num_attention_heads": heads, "num_key_value_heads": 1, "max_position_embeddings": 512,
		"rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": false, "sliding_window": nil,
	}
	ts := map[string]*synthTensor{}
	seed := uint32(1)
	add := func(name string, shape ...int) {
		n := 1
		for _, s := range shape {
			n *= s
		}
		var data []byte
		for range n {
			seed = seed*1664525 + 1013904223
			v := float32(int32(seed>>8)%2001-1000) / 997
			switch dtype {
			case "F32":
				data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
			case "F16":
				data = binary.LittleEndian.AppendUint16(data, quant.F32ToF16(v))
			case "BF16":
				data = binary.LittleEndian.AppendUint16(data, quant.F32ToBF16(v))
			}
		}
		ts[name] = &synthTensor{dtype, shape, data}
	}
	add("model.embed_tokens.weight", vocab, hidden)
	add("lm_head.weight", vocab, hidden)
	add("model.norm.weight", hidden)
	p := "model.layers.0."
	add(p+"self_attn.q_proj.weight", hidden, hidden)
	add(p+"self_attn.k_proj.weight", hd, hidden)
	add(p+"self_attn.v_proj.weight", hd, hidden)
	add(p+"self_attn.o_proj.weight", hidden, hidden)
	add(p+"self_attn.q_norm.weight", hd)
	add(p+"self_attn.k_norm.weight", hd)
	add(p+"post_attention_layernorm.weight", hidden)
	add(p+"post_feedforward_layernorm.weight", hidden)
	add(p+"mlp.gate_proj.weight", ffn, hidden)
	add(p+"mlp.up_proj.weight", ffn, hidden)
	add(p+"mlp.down_proj.weight", hidden, ffn)
	if edit != nil {
		edit(ts, cfg)
	}
	m := loadFS(t, filepath.Join(fixture.Root(), "testdata", "tokenizer"))
	delete(m, "tokenizer_refs.json")
	cb, _ := json.Marshal(cfg)
	m["config.json"] = &fstest.MapFile{Data: cb}
	m["model.safetensors"] = &fstest.MapFile{Data: buildSafetensors(ts)}
	return m
}

func buildSafetensors(ts map[string]*synthTensor) []byte {
	names := make([]string, 0, len(ts))
	for n := range ts {
		names = append(names, n)
	}
	sort.Strings(names)
	hdr := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	var data []byte
	for _, n := range names {
		t := ts[n]
		hdr[n] = map[string]any{"dtype": t.dtype, "shape": t.shape, "data_offsets": []int{len(data), len(data) + len(t.data)}}
		data = append(data, t.data...)
	}
	hb, _ := json.Marshal(hdr)
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(hb)))
	return append(append(out, hb...), data...)
}

// TestSourceDTypes converts F16 and F32 checkpoints (the fixtures are
// BF16): f32 output holds the source values exactly, f16 output of an F16
// source holds its bits, and the LM head of an untied model is output.weight.
func TestSourceDTypes(t *testing.T) {
	for _, dt := range []string{"F16", "F32", "BF16"} {
		m := synthModel(t, 64, dt, nil)
		for _, preset := range []string{"f32", "f16", "q8_0"} {
			dst := filepath.Join(t.TempDir(), "x.gguf")
			if err := convert.Convert(m, dst, convert.Options{Type: preset}); err != nil {
				t.Fatalf("%s %s: %v", dt, preset, err)
			}
			f, err := gguf.Open(dst)
			if err != nil {
				t.Fatal(err)
			}
			ti, ok := f.Tensor("output.weight")
			if !ok || f.Has("exaone4.attention.sliding_window") {
				t.Fatalf("%s %s: output.weight %v, window key %v", dt, preset, ok, f.Has("exaone4.attention.sliding_window"))
			}
			if _, ok := f.Tensor("rope_freqs.weight"); ok {
				t.Errorf("rope_freqs written without llama3 scaling")
			}
			src := readSynth(t, m, "lm_head.weight", dt)
			got := make([]float32, len(src))
			if err := quant.Dequantize(ti.Type, got, f.Data(ti)); err != nil {
				t.Fatal(err)
			}
			for i := range src {
				exact := preset == "f32" || (preset == "f16" && dt == "F16")
				e := math.Abs(float64(got[i] - src[i]))
				if exact && e != 0 || !exact && e > 0.01 {
					t.Fatalf("%s->%s: output.weight[%d] = %v, source %v", dt, preset, i, got[i], src[i])
				}
			}
			f.Close()
		}
	}
}

func readSynth(t *testing.T, m fstest.MapFS, name, dt string) []float32 {
	b := m["model.safetensors"].Data
	hl := binary.LittleEndian.Uint64(b)
	var hdr map[string]struct {
		Offsets []int `json:"data_offsets"`
	}
	json.Unmarshal(b[8:8+hl], &hdr)
	d := b[8+int(hl)+hdr[name].Offsets[0] : 8+int(hl)+hdr[name].Offsets[1]]
	var out []float32
	switch dt {
	case "F32":
		for i := 0; i < len(d); i += 4 {
			out = append(out, math.Float32frombits(binary.LittleEndian.Uint32(d[i:])))
		}
	case "F16":
		for i := 0; i < len(d); i += 2 {
			out = append(out, quant.F16ToF32(binary.LittleEndian.Uint16(d[i:])))
		}
	case "BF16":
		for i := 0; i < len(d); i += 2 {
			out = append(out, quant.BF16ToF32(binary.LittleEndian.Uint16(d[i:])))
		}
	}
	return out
}

// TestFallbackTypes: rows that do not fill whole blocks take llama.cpp's
// fallback types.
func TestFallbackTypes(t *testing.T) {
	m := synthModel(t, 64, "BF16", nil) // rows of 64: K-quants fall back
	dst := filepath.Join(t.TempDir(), "x.gguf")
	if err := convert.Convert(m, dst, convert.Options{Type: "q4_k_m"}); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]quant.Type{
		"output.weight": quant.Q8_0, "token_embd.weight": quant.Q5_0, "blk.0.attn_q.weight": quant.Q5_0,
		"blk.0.attn_v.weight": quant.Q8_0, "blk.0.ffn_down.weight": quant.Q8_0, "blk.0.attn_q_norm.weight": quant.F32,
	}
	for n, w := range want {
		if ti, ok := f.Tensor(n); !ok || ti.Type != w {
			t.Errorf("%s: %v, want %s", n, ti, w)
		}
	}
	if ft, _ := f.Uint32("general.file_type"); ft != 15 {
		t.Errorf("file_type %d", ft)
	}
}

func TestBrokenCheckpoints(t *testing.T) {
	cases := []struct {
		name, want string
		edit       func(map[string]*synthTensor, map[string]any)
	}{
		{"missing tensor", "tensor model.layers.0.mlp.up_proj.weight is missing", func(ts map[string]*synthTensor, c map[string]any) {
			delete(ts, "model.layers.0.mlp.up_proj.weight")
		}},
		{"wrong shape", "model.safetensors: tensor model.layers.0.mlp.gate_proj.weight has shape [64 64], config.json implies [96 64]", func(ts map[string]*synthTensor, c map[string]any) {
			c["intermediate_size"] = 96
		}},
		{"extra tensor", "tensor model.layers.0.mlp.bias is not part of an EXAONE 4 model", func(ts map[string]*synthTensor, c map[string]any) {
			ts["model.layers.0.mlp.bias"] = &synthTensor{"F32", []int{1}, make([]byte, 4)}
		}},
		{"integer weights", "tensor model.norm.weight has dtype I32", func(ts map[string]*synthTensor, c map[string]any) {
			ts["model.norm.weight"].dtype = "I32"
			ts["model.norm.weight"].data = make([]byte, 4*64)
		}},
		{"unknown dtype", `unknown dtype "Q4"`, func(ts map[string]*synthTensor, c map[string]any) {
			ts["model.norm.weight"].dtype = "Q4"
		}},
		{"vocab smaller than tokenizer", "tokenizer.json has 8192 tokens but config.json vocab_size is 4096", func(ts map[string]*synthTensor, c map[string]any) {
			c["vocab_size"] = 4096
			ts["model.embed_tokens.weight"].shape[0] = 4096
			ts["model.embed_tokens.weight"].data = ts["model.embed_tokens.weight"].data[:4096*64*2]
			ts["lm_head.weight"].shape[0] = 4096
			ts["lm_head.weight"].data = ts["lm_head.weight"].data[:4096*64*2]
		}},
	}
	for _, c := range cases {
		m := synthModel(t, 64, "BF16", c.edit)
		dir := t.TempDir()
		err := convert.Convert(m, filepath.Join(dir, "x.gguf"), convert.Options{Type: "q8_0"})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
		if n := dirEntries(t, dir); len(n) != 0 {
			t.Errorf("%s: left %v", c.name, n)
		}
	}
	m := synthModel(t, 64, "BF16", nil)
	delete(m, "tokenizer.json")
	if err := convert.Convert(m, filepath.Join(t.TempDir(), "x.gguf"), convert.Options{}); err == nil || !strings.Contains(err.Error(), "tokenizer.json") {
		t.Errorf("no tokenizer.json: %v", err)
	}
	if err := convert.Convert(m, filepath.Join(t.TempDir(), "x.gguf"), convert.Options{Type: "q3_k"}); err == nil || !strings.Contains(err.Error(), "unknown type") {
		t.Errorf("bad type: %v", err)
	}
}

// TestPadVocab: a tokenizer with fewer ids than the embedding has rows
// gets [PADn] unused tokens, as llama.cpp's converter writes.
func TestPadVocab(t *testing.T) {
	m := synthModel(t, 64, "BF16", func(ts map[string]*synthTensor, c map[string]any) {
		c["vocab_size"] = 8200
		for _, n := range []string{"model.embed_tokens.weight", "lm_head.weight"} {
			ts[n].shape[0] = 8200
			ts[n].data = append(ts[n].data, make([]byte, 8*64*2)...)
		}
	})
	dst := filepath.Join(t.TempDir(), "x.gguf")
	if err := convert.Convert(m, dst, convert.Options{Type: "bf16"}); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	toks, _ := f.Strings("tokenizer.ggml.tokens")
	types, _ := f.Int32s("tokenizer.ggml.token_type")
	if len(toks) != 8200 || toks[8199] != "[PAD8199]" || types[8199] != 5 || types[8191] != 1 {
		t.Errorf("%d tokens, last %q type %d", len(toks), toks[len(toks)-1], types[len(types)-1])
	}
}

// TestHeadDim: a config that names head_dim gets key_length/value_length;
// one whose heads x head_dim is not hidden_size (the runtime projects back
// through hidden_size) is refused.
func TestHeadDim(t *testing.T) {
	m := synthModel(t, 64, "BF16", func(ts map[string]*synthTensor, c map[string]any) { c["head_dim"] = 32 })
	dst := filepath.Join(t.TempDir(), "x.gguf")
	if err := convert.Convert(m, dst, convert.Options{Type: "bf16"}); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, k := range []string{"exaone4.attention.key_length", "exaone4.attention.value_length"} {
		if v, err := f.Uint32(k); err != nil || v != 32 {
			t.Errorf("%s = %d (%v)", k, v, err)
		}
	}
	if ti, ok := f.Tensor("blk.0.attn_q.weight"); !ok || fmt.Sprint(ti.Dims) != "[64 64]" {
		t.Errorf("attn_q %v", ti)
	}
	m = synthModel(t, 64, "BF16", func(ts map[string]*synthTensor, c map[string]any) { c["head_dim"] = 64 })
	err = convert.Convert(m, filepath.Join(t.TempDir(), "x.gguf"), convert.Options{Type: "bf16"})
	if want := "config.json: field head_dim: 64 x 2 heads is not hidden_size 64"; err == nil || err.Error() != want {
		t.Errorf("head_dim 64 of hidden 64: %v, want %q", err, want)
	}
}

// TestHostileConfig: every config.json that would convert into a file the
// loader (package model) refuses is refused at conversion, with one line
// naming the file and the field, and no output file.
func TestHostileConfig(t *testing.T) {
	global := func(c map[string]any) {}
	hybrid := func(c map[string]any) {
		c["sliding_window"] = 16
		c["num_hidden_layers"] = 1
		c["layer_types"] = []string{"sliding_attention"}
	}
	cases := []struct {
		name  string
		base  func(map[string]any)
		edit  func(map[string]any)
		field string // the error is "config.json: field <field>: ..."
	}{
		{"negative eps", global, func(c map[string]any) { c["rms_norm_eps"] = -1 }, "rms_norm_eps"},
		{"zero eps", global, func(c map[string]any) { c["rms_norm_eps"] = 0 }, "rms_norm_eps"},
		{"eps zero in float32", global, func(c map[string]any) { c["rms_norm_eps"] = 1e-50 }, "rms_norm_eps"},
		{"eps infinite in float32", global, func(c map[string]any) { c["rms_norm_eps"] = 1e39 }, "rms_norm_eps"},
		{"eps string", global, func(c map[string]any) { c["rms_norm_eps"] = "NaN" }, "rms_norm_eps"},
		{"zero theta", global, func(c map[string]any) { c["rope_theta"] = 0 }, "rope_theta"},
		{"negative theta", global, func(c map[string]any) { c["rope_theta"] = -10000 }, "rope_theta"},
		{"theta infinite in float32", global, func(c map[string]any) { c["rope_theta"] = 1e39 }, "rope_theta"},
		{"theta NaN in rope_parameters", global, func(c map[string]any) {
			c["rope_parameters"] = map[string]any{"rope_type": "default", "rope_theta": "NaN"}
		}, "rope_parameters.rope_theta"},
		{"theta zero in rope_parameters", global, func(c map[string]any) {
			c["rope_parameters"] = map[string]any{"rope_type": "default", "rope_theta": 0}
		}, "rope_parameters.rope_theta"},
		{"llama3 factor infinite in float32", global, func(c map[string]any) {
			c["rope_scaling"] = map[string]any{"rope_type": "llama3", "factor": 1e39, "low_freq_factor": 1, "high_freq_factor": 4, "original_max_position_embeddings": 512}
		}, "rope_scaling.factor"},
		{"llama3 factor zero in float32", global, func(c map[string]any) {
			c["rope_scaling"] = map[string]any{"rope_type": "llama3", "factor": 1e-50, "low_freq_factor": 1, "high_freq_factor": 4, "original_max_position_embeddings": 512}
		}, "rope_scaling.factor"},
		{"zero context", global, func(c map[string]any) { c["max_position_embeddings"] = 0 }, "max_position_embeddings"},
		{"context above 1<<24", global, func(c map[string]any) { c["max_position_embeddings"] = 1<<24 + 1 }, "max_position_embeddings"},
		{"too many layers", global, func(c map[string]any) { c["num_hidden_layers"] = 4097 }, "num_hidden_layers"},
		{"kv heads not dividing", global, func(c map[string]any) { c["num_key_value_heads"] = 3 }, "num_key_value_heads"},
		{"heads not dividing hidden", global, func(c map[string]any) { c["num_attention_heads"] = 3 }, "num_attention_heads"},
		{"head_dim times heads", global, func(c map[string]any) { c["head_dim"] = 16 }, "head_dim"},
		{"global: layer_types too short", global, func(c map[string]any) { c["layer_types"] = []string{} }, "layer_types"},
		{"global: layer_types too long", global, func(c map[string]any) {
			c["layer_types"] = []string{"full_attention", "full_attention"}
		}, "layer_types"},
		{"global: bogus layer type", global, func(c map[string]any) { c["layer_types"] = []string{"bogus"} }, "layer_types"},
		{"global: layer_types not strings", global, func(c map[string]any) { c["layer_types"] = []int{1} }, "layer_types"},
		{"hybrid: bogus layer type", hybrid, func(c map[string]any) { c["layer_types"] = []string{"chunked_attention"} }, "layer_types"},
		{"hybrid: layer_types too long", hybrid, func(c map[string]any) {
			c["layer_types"] = []string{"sliding_attention", "full_attention"}
		}, "layer_types"},
		{"hybrid: zero window", hybrid, func(c map[string]any) { c["sliding_window"] = 0 }, "sliding_window"},
		{"hybrid: negative window", hybrid, func(c map[string]any) { c["sliding_window"] = -4 }, "sliding_window"},
		{"hybrid: window as string", hybrid, func(c map[string]any) { c["sliding_window"] = "16" }, "sliding_window"},
	}
	for _, c := range cases {
		m := synthModel(t, 64, "BF16", func(_ map[string]*synthTensor, cfg map[string]any) { c.base(cfg); c.edit(cfg) })
		dir := t.TempDir()
		err := convert.Convert(m, filepath.Join(dir, "x.gguf"), convert.Options{Type: "q8_0"})
		prefix := "config.json: field " + c.field + ": "
		if err == nil || !strings.HasPrefix(err.Error(), prefix) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line starting %q", c.name, err, prefix)
		}
		if n := dirEntries(t, dir); len(n) != 0 {
			t.Errorf("%s: left %v", c.name, n)
		}
	}
	// The bases themselves convert: the refusals above come from the edits.
	for name, base := range map[string]func(map[string]any){"global": global, "hybrid": hybrid} {
		m := synthModel(t, 64, "BF16", func(_ map[string]*synthTensor, cfg map[string]any) { base(cfg) })
		if err := convert.Convert(m, filepath.Join(t.TempDir(), "x.gguf"), convert.Options{Type: "q8_0"}); err != nil {
			t.Errorf("%s base: %v", name, err)
		}
	}
}

// TestNonFiniteWeights: a NaN or an infinity anywhere in a checkpoint, in
// any source dtype, stops the conversion with an error naming the tensor,
// and leaves no file; a quantizer would have made it finite silently.
func TestNonFiniteWeights(t *testing.T) {
	bad := map[string]map[string][]byte{
		"BF16": {"NaN": {0xc0, 0x7f}, "+Inf": {0x80, 0x7f}, "-Inf": {0x80, 0xff}},
		"F16":  {"NaN": {0x00, 0x7e}, "+Inf": {0x00, 0x7c}, "-Inf": {0x00, 0xfc}},
		"F32":  {"NaN": {0x00, 0x00, 0xc0, 0x7f}, "+Inf": {0x00, 0x00, 0x80, 0x7f}, "-Inf": {0x00, 0x00, 0x80, 0xff}},
	}
	for dt, vals := range bad {
		for what, bits := range vals {
			for _, tensor := range []string{"model.layers.0.mlp.down_proj.weight", "model.norm.weight"} {
				m := synthModel(t, 64, dt, func(ts map[string]*synthTensor, _ map[string]any) {
					d := ts[tensor].data
					copy(d[len(d)-2*len(bits):], bits) // the second-to-last element
				})
				dir := t.TempDir()
				err := convert.Convert(m, filepath.Join(dir, "x.gguf"), convert.Options{Type: "q4_0"})
				if err == nil || !errors.Is(err, safetensors.ErrNonFinite) ||
					!strings.Contains(err.Error(), fmt.Sprintf("model.safetensors: tensor %q: element", tensor)) ||
					strings.Contains(err.Error(), "\n") {
					t.Errorf("%s %s in %s: %v", dt, what, tensor, err)
				}
				if n := dirEntries(t, dir); len(n) != 0 {
					t.Errorf("%s %s: left %v", dt, what, n)
				}
			}
		}
	}
}

// TestEdgeConfigsLoad: configs at the edges of what conversion accepts
// give files the loader accepts too.
func TestEdgeConfigsLoad(t *testing.T) {
	edits := map[string]func(map[string]any){
		"tiny eps":           func(c map[string]any) { c["rms_norm_eps"] = 1e-37 },
		"theta just above 1": func(c map[string]any) { c["rope_theta"] = 1.0001 },
		"longest context":    func(c map[string]any) { c["max_position_embeddings"] = 1 << 24 },
		"hybrid": func(c map[string]any) {
			c["sliding_window"] = 1
			c["layer_types"] = []string{"sliding_attention"}
		},
		"sliding entries, no window": func(c map[string]any) { c["layer_types"] = []string{"sliding_attention"} },
		"llama3": func(c map[string]any) {
			c["rope_scaling"] = map[string]any{"rope_type": "llama3", "factor": 8, "low_freq_factor": 1, "high_freq_factor": 4, "original_max_position_embeddings": 64}
		},
	}
	for name, edit := range edits {
		m := synthModel(t, 64, "BF16", func(_ map[string]*synthTensor, c map[string]any) { edit(c) })
		dst := filepath.Join(t.TempDir(), "x.gguf")
		if err := convert.Convert(m, dst, convert.Options{Type: "q8_0"}); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		md, err := model.Open(dst)
		if err != nil {
			t.Errorf("%s: converted, but the loader refuses it: %v", name, err)
			continue
		}
		md.Close()
	}
}
