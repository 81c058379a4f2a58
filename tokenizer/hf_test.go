package tokenizer

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func readTestFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(tokDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Bad files give an error naming the file and the field, never a panic.
func TestHFErrors(t *testing.T) {
	good := string(readTestFile(t, "tokenizer.json"))
	cases := []struct {
		name, file, content, want string
	}{
		{"truncated", "tokenizer.json", good[:1000], "tokenizer.json"},
		{"not json", "tokenizer.json", "hello", "tokenizer.json"},
		{"no model", "tokenizer.json", `{"added_tokens": []}`, "model: missing"},
		{"wordpiece", "tokenizer.json", strings.Replace(good, `"type": "BPE"`, `"type": "WordPiece"`, 1), "model.type"},
		{"prefix space", "tokenizer.json", strings.Replace(good, `"add_prefix_space": false`, `"add_prefix_space": true`, 1), "pre_tokenizer"},
		{"normalizer", "tokenizer.json", strings.Replace(good, `"normalizer": null`, `"normalizer": {"type": "NFC"}`, 1), "normalizer"},
		{"bad merge", "tokenizer.json", strings.Replace(good, `"merges": [`, `"merges": [42, `, 1), "model.merges[0]"},
		{"unknown merge token", "tokenizer.json", strings.Replace(good, `"merges": [`, `"merges": [["Ġ", "nosuchtoken"], `, 1), "merge 0"},
		{"added without id", "tokenizer.json", strings.Replace(good, `"id": 0,`, ``, 1), "added_tokens[0]"},
		{"config eos", "tokenizer_config.json", `{"eos_token": "<nosuch>"}`, "eos_token"},
		{"config shape", "tokenizer_config.json", `{"bos_token": 7}`, "bos_token"},
		{"config json", "tokenizer_config.json", `{`, "tokenizer_config.json"},
	}
	for _, c := range cases {
		dir := t.TempDir()
		for _, f := range []string{"tokenizer.json", "tokenizer_config.json"} {
			b := readTestFile(t, f)
			if f == c.file {
				b = []byte(c.content)
			}
			if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		_, err := FromFile(dir)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), dir) {
			t.Errorf("%s: error %v, want one naming %s and the file", c.name, err, c.want)
		}
	}
	if _, err := FromFile(filepath.Join(t.TempDir(), "nothing")); err == nil {
		t.Error("missing path: no error")
	}
	if _, err := FromFile(t.TempDir()); err == nil || !strings.Contains(err.Error(), "tokenizer.json") {
		t.Errorf("dir without tokenizer.json: error %v", err)
	}
}

// The three ways to name the same files give the same vocabulary.
func TestReadHFSources(t *testing.T) {
	dirV, err := ReadHF(tokDir)
	if err != nil {
		t.Fatal(err)
	}
	fileV, err := ReadHF(filepath.Join(tokDir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for _, f := range []string{"tokenizer.json", "tokenizer_config.json", "chat_template.jinja"} {
		fsys[f] = &fstest.MapFile{Data: readTestFile(t, f)}
	}
	fsV, err := ReadHFFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []*HFVocab{fileV, fsV} {
		if !slices.Equal(v.Tokens, dirV.Tokens) || !slices.Equal(v.Types, dirV.Types) || !slices.Equal(v.Merges, dirV.Merges) ||
			v.BOS != dirV.BOS || v.EOS != dirV.EOS || v.ChatTemplate != dirV.ChatTemplate {
			t.Error("vocabularies differ between directory, file and fs.FS")
		}
	}
	if dirV.BOS != 1 || dirV.EOS != 8 || dirV.PAD != 0 || dirV.UNK != 3 || len(dirV.Merges) != 7921 {
		t.Errorf("specials %d %d %d %d, %d merges; the fixture has 1 8 0 3 and 7921",
			dirV.BOS, dirV.EOS, dirV.PAD, dirV.UNK, len(dirV.Merges))
	}
	for id := range 15 {
		if dirV.Types[id] != TypeControl {
			t.Errorf("added token %d (%q) has type %d, want control", id, dirV.Tokens[id], dirV.Types[id])
		}
	}
	if dirV.Types[15] != TypeNormal {
		t.Errorf("token 15 (%q) has type %d, want normal", dirV.Tokens[15], dirV.Types[15])
	}
}

func TestPreTokenizerSpellings(t *testing.T) {
	seq := `{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"}, "behavior": "Isolated", "invert": false}, {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]}`
	for _, c := range []struct {
		json string
		ok   bool
	}{
		{`{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}`, true},
		{seq, true},
		{strings.Replace(seq, `?\\p{N}+`, `?\\p{N}{1,3}`, 1), false}, // a different split (Llama 3 style)
		{strings.Replace(seq, `"use_regex": false`, `"use_regex": true`, 1), false},
		{`{"type": "Metaspace"}`, false},
		{`null`, false},
	} {
		if got := gpt2PreTokenizer([]byte(c.json)); got != c.ok {
			t.Errorf("gpt2PreTokenizer(%s) = %v, want %v", c.json, got, c.ok)
		}
	}
}
