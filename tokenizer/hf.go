package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// HFVocab is a tokenizer in the shape GGUF stores it (tokenizer.ggml.*):
// what ReadHF extracts for the converter and what New builds from.
type HFVocab struct {
	Tokens []string // by id; byte-level form, added tokens verbatim
	Types  []int32  // by id; TypeNormal, TypeControl (special added), TypeUserDefined (other added), TypeUnused (holes)
	Merges []string // "left right", in rank order

	BOS, EOS, PAD, UNK int // -1 when absent
	AddBOS             bool
	ChatTemplate       string // tokenizer_config.json chat_template, else chat_template.jinja
}

// FromFile loads a tokenizer from a Hugging Face tokenizer.json or from a
// model directory holding one; tokenizer_config.json and chat_template.jinja
// next to it supply the special tokens and the chat template.
func FromFile(path string) (*Tokenizer, error) {
	v, err := ReadHF(path)
	if err != nil {
		return nil, err
	}
	return New(v, path)
}

// hfTokenizerJSON is the part of tokenizer.json this package understands.
type hfTokenizerJSON struct {
	AddedTokens []struct {
		ID      *int   `json:"id"`
		Content string `json:"content"`
		Special bool   `json:"special"`
	} `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	Model         *hfModel        `json:"model"`
	PostProcessor json.RawMessage `json:"post_processor"`
}

type hfModel struct {
	Type         string            `json:"type"`
	Vocab        map[string]int    `json:"vocab"`
	Merges       []json.RawMessage `json:"merges"`
	ByteFallback bool              `json:"byte_fallback"`
	IgnoreMerges bool              `json:"ignore_merges"`
	ContSubword  *string           `json:"continuing_subword_prefix"`
	EndOfWord    *string           `json:"end_of_word_suffix"`
	UnkToken     *string           `json:"unk_token"`
}

// ReadHF reads tokenizer.json (path is the file or its directory) and, when
// present beside it, tokenizer_config.json and chat_template.jinja.
func ReadHF(path string) (*HFVocab, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	dir, name := path, "tokenizer.json"
	if !st.IsDir() {
		dir, name = filepath.Split(path)
		if dir == "" {
			dir = "."
		}
	}
	return readHF(os.DirFS(dir), name, func(n string) string { return filepath.Join(dir, n) })
}

// ReadHFFS is ReadHF for a model directory in any file system (e.g. an
// archive): it reads tokenizer.json, tokenizer_config.json and
// chat_template.jinja at the root of fsys. Errors name files as fsys does.
func ReadHFFS(fsys fs.FS) (*HFVocab, error) {
	return readHF(fsys, "tokenizer.json", func(n string) string { return n })
}

// readHF reads tokenizer file name and its siblings from fsys; display
// turns a name into what errors show.
func readHF(fsys fs.FS, name string, display func(string) string) (*HFVocab, error) {
	file := display(name)
	raw, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", file, unwrapPath(err))
	}
	var tj hfTokenizerJSON
	if err := json.Unmarshal(raw, &tj); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if err := checkPipeline(&tj); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	m := tj.Model
	size := 0
	for tok, id := range m.Vocab {
		if id < 0 {
			return nil, fmt.Errorf("%s: model.vocab: token %q has negative id %d", file, tok, id)
		}
		size = max(size, id+1)
	}
	for i, a := range tj.AddedTokens {
		if a.ID == nil || *a.ID < 0 {
			return nil, fmt.Errorf("%s: added_tokens[%d] (%q): missing or negative id", file, i, a.Content)
		}
		if a.Content == "" {
			return nil, fmt.Errorf("%s: added_tokens[%d]: empty content", file, i)
		}
		size = max(size, *a.ID+1)
	}
	if size > 1<<24 {
		return nil, fmt.Errorf("%s: token ids up to %d are implausible", file, size-1)
	}
	v := &HFVocab{
		Tokens: make([]string, size),
		Types:  make([]int32, size),
		BOS:    -1, EOS: -1, PAD: -1, UNK: -1,
	}
	for tok, id := range m.Vocab {
		if v.Types[id] != 0 {
			return nil, fmt.Errorf("%s: model.vocab: id %d used by %q and %q", file, id, v.Tokens[id], tok)
		}
		v.Tokens[id], v.Types[id] = tok, TypeNormal
	}
	for _, a := range tj.AddedTokens {
		id := *a.ID
		// The added token's text wins over a model.vocab entry of the same
		// id, as in `tokenizers`' id-to-token lookup.
		v.Tokens[id], v.Types[id] = a.Content, TypeUserDefined
		if a.Special {
			v.Types[id] = TypeControl
		}
	}
	for id := range v.Types {
		if v.Types[id] == 0 {
			// A hole in the ids: give it a name nobody types, as llama.cpp's
			// converter does, so every id still decodes.
			v.Tokens[id], v.Types[id] = fmt.Sprintf("[PAD%d]", id), TypeUnused
		}
	}
	v.Merges = make([]string, len(m.Merges))
	for i, rm := range m.Merges {
		var s string
		var pair []string
		switch {
		case json.Unmarshal(rm, &s) == nil: // older files: "left right"
			if strings.Count(s, " ") != 1 {
				return nil, fmt.Errorf("%s: model.merges[%d] %q is not \"left right\"", file, i, s)
			}
		case json.Unmarshal(rm, &pair) == nil && len(pair) == 2:
			if strings.Contains(pair[0], " ") || strings.Contains(pair[1], " ") {
				return nil, fmt.Errorf("%s: model.merges[%d] %q holds a space, which GGUF merges cannot express", file, i, pair)
			}
			s = pair[0] + " " + pair[1]
		default:
			return nil, fmt.Errorf("%s: model.merges[%d] is neither \"left right\" nor [left, right]", file, i)
		}
		v.Merges[i] = s
	}
	if m.UnkToken != nil {
		id, ok := lookup(v, *m.UnkToken)
		if !ok {
			return nil, fmt.Errorf("%s: model.unk_token %q is not in the vocabulary", file, *m.UnkToken)
		}
		v.UNK = id
	}
	if err := readConfig(v, fsys, display); err != nil {
		return nil, err
	}
	if v.ChatTemplate == "" {
		b, err := fs.ReadFile(fsys, "chat_template.jinja")
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("tokenizer: %s: %w", display("chat_template.jinja"), unwrapPath(err))
		}
		v.ChatTemplate = string(b)
	}
	return v, nil
}

// checkPipeline rejects tokenizer.json features this package does not
// implement, rather than silently tokenizing differently.
func checkPipeline(tj *hfTokenizerJSON) error {
	m := tj.Model
	if m == nil {
		return errors.New("model: missing")
	}
	if m.Type != "BPE" {
		return fmt.Errorf("model.type: %q, want \"BPE\"", m.Type)
	}
	if len(m.Vocab) == 0 {
		return errors.New("model.vocab: missing or empty")
	}
	if m.ByteFallback || m.IgnoreMerges || (m.ContSubword != nil && *m.ContSubword != "") || (m.EndOfWord != nil && *m.EndOfWord != "") {
		return errors.New("model: byte_fallback, ignore_merges, continuing_subword_prefix and end_of_word_suffix are not supported")
	}
	if n := strings.TrimSpace(string(tj.Normalizer)); n != "" && n != "null" {
		return fmt.Errorf("normalizer: %s is not supported (byte-level BPE has none)", clip(n))
	}
	if !gpt2PreTokenizer(tj.PreTokenizer) {
		return fmt.Errorf("pre_tokenizer: %s is not supported; want ByteLevel with the GPT-2 pattern and no prefix space", clip(string(tj.PreTokenizer)))
	}
	return nil
}

// gpt2Pattern is the split pattern of GPT-2 and EXAONE 4 (see pretokenize.go).
const gpt2Pattern = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

// gpt2PreTokenizer accepts the two spellings of the GPT-2 pre-tokenizer:
// ByteLevel with its built-in regex, or a Sequence of a Split on the same
// pattern and a regex-less ByteLevel. Neither may add a prefix space.
func gpt2PreTokenizer(raw json.RawMessage) bool {
	type preTok struct {
		Type           string `json:"type"`
		AddPrefixSpace bool   `json:"add_prefix_space"`
		UseRegex       *bool  `json:"use_regex"`
		Pattern        struct {
			Regex string `json:"Regex"`
		} `json:"pattern"`
		Behavior      string   `json:"behavior"`
		Invert        bool     `json:"invert"`
		PreTokenizers []preTok `json:"pretokenizers"`
	}
	var p preTok
	if json.Unmarshal(raw, &p) != nil {
		return false
	}
	switch p.Type {
	case "ByteLevel":
		return !p.AddPrefixSpace && (p.UseRegex == nil || *p.UseRegex)
	case "Sequence":
		if len(p.PreTokenizers) != 2 {
			return false
		}
		sp, bl := p.PreTokenizers[0], p.PreTokenizers[1]
		return sp.Type == "Split" && sp.Pattern.Regex == gpt2Pattern && sp.Behavior == "Isolated" && !sp.Invert &&
			bl.Type == "ByteLevel" && !bl.AddPrefixSpace && bl.UseRegex != nil && !*bl.UseRegex
	}
	return false
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

func lookup(v *HFVocab, tok string) (int, bool) {
	// Added tokens win over a byte-level entry of the same text.
	for id, t := range v.Tokens {
		if t == tok && (v.Types[id] == TypeControl || v.Types[id] == TypeUserDefined) {
			return id, true
		}
	}
	for id, t := range v.Tokens {
		if t == tok {
			return id, true
		}
	}
	return -1, false
}

// readConfig takes the special tokens, add_bos_token and chat template from
// tokenizer_config.json, if there is one.
func readConfig(v *HFVocab, fsys fs.FS, display func(string) string) error {
	file := display("tokenizer_config.json")
	raw, err := fs.ReadFile(fsys, "tokenizer_config.json")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("tokenizer: %s: %w", file, unwrapPath(err))
	}
	var cfg map[string]json.RawMessage
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	for _, sp := range []struct {
		key string
		dst *int
	}{{"bos_token", &v.BOS}, {"eos_token", &v.EOS}, {"pad_token", &v.PAD}, {"unk_token", &v.UNK}} {
		rm, ok := cfg[sp.key]
		if !ok || string(rm) == "null" {
			continue
		}
		// Either "text" or an AddedToken object {"content": "text", ...}.
		var tok string
		if json.Unmarshal(rm, &tok) != nil {
			var obj struct {
				Content *string `json:"content"`
			}
			if json.Unmarshal(rm, &obj) != nil || obj.Content == nil {
				return fmt.Errorf("%s: %s: want a string or {\"content\": ...}", file, sp.key)
			}
			tok = *obj.Content
		}
		id, ok := lookup(v, tok)
		if !ok {
			return fmt.Errorf("%s: %s %q is not in the vocabulary", file, sp.key, tok)
		}
		*sp.dst = id
	}
	if rm, ok := cfg["add_bos_token"]; ok && string(rm) != "null" {
		if err := json.Unmarshal(rm, &v.AddBOS); err != nil {
			return fmt.Errorf("%s: add_bos_token: %w", file, err)
		}
	}
	if rm, ok := cfg["chat_template"]; ok && string(rm) != "null" {
		// A string, or a list of {"name", "template"} of which "default"
		// (else the first) is the chat template.
		if json.Unmarshal(rm, &v.ChatTemplate) != nil {
			var list []struct {
				Name     string `json:"name"`
				Template string `json:"template"`
			}
			if err := json.Unmarshal(rm, &list); err != nil {
				return fmt.Errorf("%s: chat_template: want a string or a list of {name, template}", file)
			}
			sort.SliceStable(list, func(i, j int) bool { return list[i].Name == "default" && list[j].Name != "default" })
			if len(list) > 0 {
				v.ChatTemplate = list[0].Template
			}
		}
	}
	return nil
}

// unwrapPath drops the *fs.PathError wrapper, whose path is relative to the
// file system; callers name the file themselves.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
