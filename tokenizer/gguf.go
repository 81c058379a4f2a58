package tokenizer

import (
	"fmt"

	"github.com/exaone-go/exaone/gguf"
)

// GGUF metadata keys of the tokenizer.
const (
	KeyModel        = "tokenizer.ggml.model"
	KeyPre          = "tokenizer.ggml.pre"
	KeyTokens       = "tokenizer.ggml.tokens"
	KeyTokenType    = "tokenizer.ggml.token_type"
	KeyMerges       = "tokenizer.ggml.merges"
	KeyBOS          = "tokenizer.ggml.bos_token_id"
	KeyEOS          = "tokenizer.ggml.eos_token_id"
	KeyPAD          = "tokenizer.ggml.padding_token_id"
	KeyUNK          = "tokenizer.ggml.unknown_token_id"
	KeyAddBOS       = "tokenizer.ggml.add_bos_token"
	KeyChatTemplate = "tokenizer.chat_template"
)

// PreTokenizerName is the tokenizer.ggml.pre value llama.cpp uses for
// EXAONE 4; it stands for the GPT-2 split pattern.
const PreTokenizerName = "exaone4"

// gpt2Pres are the tokenizer.ggml.pre names that mean the GPT-2 pattern
// implemented here; others split differently and are refused.
var gpt2Pres = map[string]bool{PreTokenizerName: true, "default": true, "gpt-2": true, "gpt2": true}

// FromGGUF loads the tokenizer from a GGUF file's tokenizer.ggml.* keys.
func FromGGUF(f *gguf.File) (*Tokenizer, error) {
	v, err := ReadGGUF(f)
	if err != nil {
		return nil, err
	}
	return New(v, f.Path)
}

// ReadGGUF reads the tokenizer.ggml.* keys into an HFVocab.
func ReadGGUF(f *gguf.File) (*HFVocab, error) {
	model, err := f.String(KeyModel)
	if err != nil {
		return nil, err
	}
	if model != "gpt2" {
		return nil, fmt.Errorf("%s: %s is %q; only byte-level BPE (\"gpt2\") is supported", f.Path, KeyModel, model)
	}
	if f.Has(KeyPre) { // llama.cpp also takes a missing name as the GPT-2 pattern
		pre, err := f.String(KeyPre)
		if err != nil {
			return nil, err
		}
		if !gpt2Pres[pre] {
			return nil, fmt.Errorf("%s: %s is %q; only the GPT-2 split pattern (%q) is supported", f.Path, KeyPre, pre, PreTokenizerName)
		}
	}
	v := &HFVocab{BOS: -1, EOS: -1, PAD: -1, UNK: -1}
	if v.Tokens, err = f.Strings(KeyTokens); err != nil {
		return nil, err
	}
	if f.Has(KeyTokenType) {
		if v.Types, err = f.Int32s(KeyTokenType); err != nil {
			return nil, err
		}
		if len(v.Types) != len(v.Tokens) {
			return nil, fmt.Errorf("%s: %s has %d entries for %d tokens", f.Path, KeyTokenType, len(v.Types), len(v.Tokens))
		}
	}
	if v.Merges, err = f.Strings(KeyMerges); err != nil {
		return nil, err
	}
	for _, sp := range []struct {
		key string
		dst *int
	}{{KeyBOS, &v.BOS}, {KeyEOS, &v.EOS}, {KeyPAD, &v.PAD}, {KeyUNK, &v.UNK}} {
		if !f.Has(sp.key) {
			continue
		}
		id, err := f.Uint32(sp.key)
		if err != nil {
			return nil, err
		}
		if int64(id) >= int64(len(v.Tokens)) {
			return nil, fmt.Errorf("%s: %s is %d, outside the vocabulary of %d", f.Path, sp.key, id, len(v.Tokens))
		}
		*sp.dst = int(id)
	}
	if f.Has(KeyAddBOS) {
		if v.AddBOS, err = f.Bool(KeyAddBOS); err != nil {
			return nil, err
		}
	}
	if f.Has(KeyChatTemplate) {
		if v.ChatTemplate, err = f.String(KeyChatTemplate); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// WriteGGUF sets the tokenizer.ggml.* keys of v on a GGUF writer, in the
// form FromGGUF reads back (and llama.cpp understands). Absent special
// tokens (-1) are left out.
func (v *HFVocab) WriteGGUF(w *gguf.Writer) error {
	type kv struct {
		key string
		val any
	}
	kvs := []kv{
		{KeyModel, "gpt2"},
		{KeyPre, PreTokenizerName},
		{KeyTokens, v.Tokens},
	}
	// Types before merges, the order llama.cpp's converter writes.
	if v.Types != nil {
		kvs = append(kvs, kv{KeyTokenType, v.Types})
	}
	kvs = append(kvs, kv{KeyMerges, v.Merges})
	for _, sp := range []kv{{KeyBOS, v.BOS}, {KeyEOS, v.EOS}, {KeyPAD, v.PAD}, {KeyUNK, v.UNK}} {
		if id := sp.val.(int); id >= 0 {
			kvs = append(kvs, kv{sp.key, uint32(id)})
		}
	}
	kvs = append(kvs, kv{KeyAddBOS, v.AddBOS})
	if v.ChatTemplate != "" {
		kvs = append(kvs, kv{KeyChatTemplate, v.ChatTemplate})
	}
	for _, e := range kvs {
		if err := w.SetKV(e.key, e.val); err != nil {
			return err
		}
	}
	return nil
}
