// Package convert turns a Hugging Face EXAONE 4.0 checkpoint (config.json,
// safetensors, tokenizer files) into a GGUF file laid out the way
// llama.cpp's converter and llama-quantize lay it out.
package convert

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/exaone-go/exaone/convert/safetensors"
	"github.com/exaone-go/exaone/gguf"
	"github.com/exaone-go/exaone/quant"
	"github.com/exaone-go/exaone/tokenizer"
)

// Options control a conversion.
type Options struct {
	// Type is a preset name: f32, f16, bf16 (default), q8_0, q4_0,
	// q4_k_m, q5_k_m, q6_k.
	Type string
	// Name is general.name; default: the source directory's name.
	Name string
	// Force allows replacing an existing dst.
	Force bool
	// Progress, if set, is called after each piece of tensor data is
	// written.
	Progress func(Progress)
	// Context, if set, cancels the conversion: it is checked between
	// pieces of tensor data, and the unfinished output is removed.
	Context context.Context
}

// Progress reports how far a conversion is. Bytes count source data read.
type Progress struct {
	Tensor       string // GGUF name of the tensor being written
	Index, Count int    // tensor number (0-based) and number of tensors
	Done, Total  int64  // bytes
}

// chunkElems bounds the values of one streamed piece: 16 MiB of float32
// scratch, as much source data and at most as much output. A variable so
// that a test can show memory does not follow tensor size.
var chunkElems int64 = 4 << 20

// ConvertDir converts the checkpoint in directory dir to dst.
func ConvertDir(dir, dst string, opts Options) error {
	// Errors below name files relative to dir, so check dir itself here.
	if st, err := os.Stat(dir); err != nil {
		return fmt.Errorf("convert: %w", err)
	} else if !st.IsDir() {
		return fmt.Errorf("convert: %s is not a directory (want a Hugging Face model directory)", dir)
	}
	if opts.Name == "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return fmt.Errorf("convert: %w", err)
		}
		opts.Name = filepath.Base(abs)
	}
	return Convert(os.DirFS(dir), dst, opts)
}

// Convert converts the checkpoint at the root of src to the GGUF file dst.
// The output appears at dst only when complete (temp file and rename).
// Tensors are streamed one at a time, big ones in pieces.
func Convert(src fs.FS, dst string, opts Options) error {
	if opts.Type == "" {
		opts.Type = "bf16"
	}
	if opts.Name == "" {
		opts.Name = "exaone4"
	}
	p, err := LookupPreset(opts.Type)
	if err != nil {
		return err
	}
	if err := checkOverwrite(dst, opts.Force); err != nil {
		return err
	}
	h, err := ReadConfig(src, ".")
	if err != nil {
		return err
	}
	vocab, err := readVocab(src)
	if err != nil {
		return err
	}
	m, err := safetensors.OpenModel(src, ".")
	if err != nil {
		return err
	}
	defer m.Close()
	plan, err := makePlan(h, m, p)
	if err != nil {
		return err
	}
	if len(vocab.Tokens) > h.Vocab {
		return fmt.Errorf("convert: tokenizer.json has %d tokens but config.json vocab_size is %d", len(vocab.Tokens), h.Vocab)
	}
	// Ids the tokenizer never produces still have embedding rows; name
	// them like the holes ReadHF fills.
	for id := len(vocab.Tokens); id < h.Vocab; id++ {
		vocab.Tokens = append(vocab.Tokens, fmt.Sprintf("[PAD%d]", id))
		vocab.Types = append(vocab.Types, tokenizer.TypeUnused)
	}

	w, err := gguf.Create(dst)
	if err != nil {
		return err
	}
	if err := write(w, h, vocab, plan, p, opts); err != nil {
		w.Abort()
		return err
	}
	return w.Close()
}

// readVocab reads tokenizer.json, tokenizer_config.json and
// chat_template.jinja from the root of src.
func readVocab(src fs.FS) (*tokenizer.HFVocab, error) {
	v, err := tokenizer.ReadHFFS(src)
	if err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	return v, nil
}

// planned is one output tensor.
type planned struct {
	name  string   // GGUF
	dims  []uint64 // ggml order
	typ   quant.Type
	src   string                         // HF tensor name; "" for generated data
	data  []float32                      // generated data (rope_freqs)
	gen   func(off int64, dst []float32) // generated data of synthetic models
	file  *safetensors.File
	info  *safetensors.TensorInfo
	bytes int64 // source bytes, for progress
	// repeat > 0: rows from repeat on copy the quantized bytes of row
	// r % repeat (synthetic models; see Shape.DistinctRows).
	repeat int64
}

// makePlan lists the output tensors in llama.cpp's converter order and
// checks every source tensor's presence, dtype and shape against config.
func makePlan(h *HParams, m *safetensors.Model, p Preset) ([]planned, error) {
	var plan []planned
	used := map[string]bool{}
	add := func(name, src string, shape ...int) error {
		f, t, ok := m.Tensor(src)
		if !ok {
			return fmt.Errorf("convert: tensor %s is missing from the checkpoint", src)
		}
		if len(t.Shape) != len(shape) {
			return fmt.Errorf("convert: %s: tensor %s has shape %v, config.json implies %v", f.Name, src, t.Shape, shape)
		}
		for i := range shape {
			if t.Shape[i] != int64(shape[i]) {
				return fmt.Errorf("convert: %s: tensor %s has shape %v, config.json implies %v", f.Name, src, t.Shape, shape)
			}
		}
		switch t.DType {
		case safetensors.BF16, safetensors.F16, safetensors.F32:
		default:
			return fmt.Errorf("convert: %s: tensor %s has dtype %s (BF16, F16 or F32 needed)", f.Name, src, t.DType)
		}
		dims := make([]uint64, len(shape))
		for i, s := range shape {
			dims[len(shape)-1-i] = uint64(s)
		}
		used[src] = true
		plan = append(plan, planned{name: name, dims: dims, src: src, file: f, info: t, bytes: t.End - t.Begin})
		return nil
	}
	q, kv := h.Heads*h.HeadDim, h.KVHeads*h.HeadDim
	if err := add("token_embd.weight", "model.embed_tokens.weight", h.Vocab, h.Hidden); err != nil {
		return nil, err
	}
	if err := add("output_norm.weight", "model.norm.weight", h.Hidden); err != nil {
		return nil, err
	}
	_, _, hasHead := m.Tensor("lm_head.weight")
	tied := h.Tied || !hasHead
	head := "token_embd.weight"
	if !tied {
		head = "output.weight"
		if err := add("output.weight", "lm_head.weight", h.Vocab, h.Hidden); err != nil {
			return nil, err
		}
	} else if hasHead {
		used["lm_head.weight"] = true // transformers ties it to the embedding
	}
	if h.Llama3 {
		f := h.RopeFreqs()
		plan = append(plan, planned{name: "rope_freqs.weight", dims: []uint64{uint64(len(f))}, data: f, bytes: int64(4 * len(f))})
	}
	for i := range h.Layers {
		pre := fmt.Sprintf("model.layers.%d.", i)
		blk := fmt.Sprintf("blk.%d.", i)
		for _, t := range []struct {
			gguf, hf string
			shape    []int
		}{
			{"attn_q.weight", "self_attn.q_proj.weight", []int{q, h.Hidden}},
			{"attn_k.weight", "self_attn.k_proj.weight", []int{kv, h.Hidden}},
			{"attn_v.weight", "self_attn.v_proj.weight", []int{kv, h.Hidden}},
			{"attn_output.weight", "self_attn.o_proj.weight", []int{h.Hidden, q}},
			{"attn_q_norm.weight", "self_attn.q_norm.weight", []int{h.HeadDim}},
			{"attn_k_norm.weight", "self_attn.k_norm.weight", []int{h.HeadDim}},
			{"post_attention_norm.weight", "post_attention_layernorm.weight", []int{h.Hidden}},
			{"ffn_gate.weight", "mlp.gate_proj.weight", []int{h.FFN, h.Hidden}},
			{"ffn_up.weight", "mlp.up_proj.weight", []int{h.FFN, h.Hidden}},
			{"ffn_down.weight", "mlp.down_proj.weight", []int{h.Hidden, h.FFN}},
			{"post_ffw_norm.weight", "post_feedforward_layernorm.weight", []int{h.Hidden}},
		} {
			if err := add(blk+t.gguf, pre+t.hf, t.shape...); err != nil {
				return nil, err
			}
		}
	}
	// A tensor we do not know would be silently dropped: refuse instead.
	for _, n := range m.Names() {
		if !used[n] && !strings.HasSuffix(n, ".rotary_emb.inv_freq") {
			f, _, _ := m.Tensor(n)
			return nil, fmt.Errorf("convert: %s: tensor %s is not part of an EXAONE 4 model", f.Name, n)
		}
	}
	for i := range plan {
		plan[i].typ = p.TensorType(plan[i].name, plan[i].dims, h.Layers, head)
	}
	return plan, nil
}

func write(w *gguf.Writer, h *HParams, v *tokenizer.HFVocab, plan []planned, p Preset, opts Options) error {
	const a = "exaone4."
	kvs := []struct {
		key string
		val any
	}{
		{"general.architecture", "exaone4"},
		{"general.type", "model"},
		{"general.name", opts.Name},
		{a + "block_count", uint32(h.Layers)},
		{a + "context_length", uint32(h.ContextLength)},
		{a + "embedding_length", uint32(h.Hidden)},
		{a + "feed_forward_length", uint32(h.FFN)},
		{a + "attention.head_count", uint32(h.Heads)},
		{a + "attention.head_count_kv", uint32(h.KVHeads)},
	}
	if h.HasHeadDim {
		kvs = append(kvs, []struct {
			key string
			val any
		}{
			{a + "attention.key_length", uint32(h.HeadDim)},
			{a + "attention.value_length", uint32(h.HeadDim)},
		}...)
	}
	kvs = append(kvs, []struct {
		key string
		val any
	}{
		{a + "rope.freq_base", float32(h.RopeTheta)},
		{a + "attention.layer_norm_rms_epsilon", float32(h.RMSEps)},
		{"general.file_type", p.FileType},
		{a + "vocab_size", uint32(h.Vocab)},
	}...)
	if h.SlidingWindow > 0 {
		kvs = append(kvs, []struct {
			key string
			val any
		}{
			{a + "attention.sliding_window", uint32(h.SlidingWindow)},
			{a + "attention.sliding_window_pattern", h.Sliding},
		}...)
	}
	kvs = append(kvs, struct {
		key string
		val any
	}{"general.quantization_version", uint32(2)})
	for _, kv := range kvs {
		if err := w.SetKV(kv.key, kv.val); err != nil {
			return err
		}
	}
	// The tokenizer keys in the order llama.cpp's converter writes them, so
	// that our files and llama.cpp's look alike.
	tk := []struct {
		key string
		val any
	}{
		{tokenizer.KeyModel, "gpt2"},
		{tokenizer.KeyPre, tokenizer.PreTokenizerName},
		{tokenizer.KeyTokens, v.Tokens},
		{tokenizer.KeyTokenType, v.Types},
		{tokenizer.KeyMerges, v.Merges},
	}
	for _, sp := range []struct {
		key string
		id  int
	}{{tokenizer.KeyBOS, v.BOS}, {tokenizer.KeyEOS, v.EOS}, {tokenizer.KeyPAD, v.PAD}, {tokenizer.KeyUNK, v.UNK}} {
		if sp.id >= 0 {
			tk = append(tk, struct {
				key string
				val any
			}{sp.key, uint32(sp.id)})
		}
	}
	tk = append(tk, struct {
		key string
		val any
	}{tokenizer.KeyAddBOS, false})
	if v.ChatTemplate != "" {
		tk = append(tk, struct {
			key string
			val any
		}{tokenizer.KeyChatTemplate, v.ChatTemplate})
	}
	for _, kv := range tk {
		if err := w.SetKV(kv.key, kv.val); err != nil {
			return err
		}
	}
	var total int64
	for _, t := range plan {
		if err := w.AddTensor(t.name, t.typ, t.dims); err != nil {
			return err
		}
		total += t.bytes
	}
	var done int64
	var raw, out, pool []byte
	var f32 []float32
	for i, t := range plan {
		rowLen := int64(t.dims[0])
		n := rowLen
		for _, d := range t.dims[1:] {
			n *= int64(d)
		}
		rowBytes, err := quant.RowBytes(t.typ, rowLen)
		if err != nil {
			return fmt.Errorf("convert: tensor %s: %w", t.name, err)
		}
		tw, err := w.BeginTensor(t.name)
		if err != nil {
			return err
		}
		pool = pool[:0]
		// Whole rows per piece so that quantization blocks never straddle;
		// each piece is read, quantized and written before the next, so
		// memory is bounded by the piece, not the tensor.
		rows := max(1, chunkElems/rowLen)
		for r0 := int64(0); r0*rowLen < n; r0 += rows {
			r1 := min(r0+rows, n/rowLen)
			cnt := (r1 - r0) * rowLen
			if int64(cap(f32)) < cnt {
				f32 = make([]float32, cnt)
			}
			if int64(cap(out)) < (r1-r0)*rowBytes {
				out = make([]byte, (r1-r0)*rowBytes)
			}
			if opts.Context != nil && opts.Context.Err() != nil {
				return fmt.Errorf("convert: %w", context.Cause(opts.Context))
			}
			// Rows [r0, q1) are made here; rows [q1, r1) repeat earlier ones.
			q1 := r1
			if t.repeat > 0 {
				q1 = max(r0, min(r1, t.repeat))
			}
			if q1 > r0 {
				qn := (q1 - r0) * rowLen
				buf, dst := f32[:qn], out[:(q1-r0)*rowBytes]
				if t.data != nil {
					copy(buf, t.data[r0*rowLen:q1*rowLen])
				} else if t.gen != nil {
					t.gen(r0*rowLen, buf)
				} else if raw, err = t.file.ReadFloat32At(t.info, r0*rowLen, buf, raw); err != nil {
					return fmt.Errorf("convert: %w", err)
				}
				if err := quantizeRows(t.typ, dst, buf, q1-r0, rowLen, rowBytes); err != nil {
					return fmt.Errorf("convert: tensor %s: %w", t.name, err)
				}
				if t.repeat > 0 {
					pool = append(pool, dst...)
				}
			}
			for r := q1; r < r1; r++ {
				src := (r % t.repeat) * rowBytes
				copy(out[(r-r0)*rowBytes:(r-r0+1)*rowBytes], pool[src:src+rowBytes])
			}
			dst := out[:(r1-r0)*rowBytes]
			if _, err := tw.Write(dst); err != nil {
				return err
			}
			done += cnt * t.bytes / n
			if opts.Progress != nil {
				opts.Progress(Progress{Tensor: t.name, Index: i, Count: len(plan), Done: done, Total: total})
			}
		}
		if err := tw.Close(); err != nil {
			return err
		}
	}
	return nil
}

// quantizeRows quantizes rows of rowLen values into dst, spreading the rows
// over the CPUs: K-quant search is slow and rows are independent, so the
// bytes are the same as from a single goroutine.
func quantizeRows(t quant.Type, dst []byte, src []float32, rows, rowLen, rowBytes int64) error {
	workers := int64(runtime.GOMAXPROCS(0))
	if t == quant.F32 || t == quant.F16 || t == quant.BF16 || rows < 2*workers {
		return quant.Quantize(t, dst, src)
	}
	per := (rows + workers - 1) / workers
	errs := make(chan error, workers)
	n := 0
	for r0 := int64(0); r0 < rows; r0 += per {
		r1 := min(r0+per, rows)
		n++
		go func() {
			errs <- quant.Quantize(t, dst[r0*rowBytes:r1*rowBytes], src[r0*rowLen:r1*rowLen])
		}()
	}
	var first error
	for range n {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// checkOverwrite refuses an existing dst unless force is set.
func checkOverwrite(dst string, force bool) error {
	if force {
		return nil
	}
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("convert: %s exists (use --force to overwrite)", dst)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("convert: %w", err)
	}
	return nil
}
