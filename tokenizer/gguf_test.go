package tokenizer

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/exaone-go/exaone/gguf"
)

// writeGGUF stores v as a tensor-less GGUF and returns its path.
func writeGGUF(t *testing.T, v *HFVocab) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tok.gguf")
	w, err := gguf.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.WriteGGUF(w); err != nil {
		w.Abort()
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func openGGUF(t *testing.T, path string) *gguf.File {
	t.Helper()
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestGGUFSameAsJSON(t *testing.T) {
	v, err := ReadHF(tokDir)
	if err != nil {
		t.Fatal(err)
	}
	f := openGGUF(t, writeGGUF(t, v))
	g, err := ReadGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(g.Tokens, v.Tokens) || !slices.Equal(g.Types, v.Types) || !slices.Equal(g.Merges, v.Merges) ||
		g.BOS != v.BOS || g.EOS != v.EOS || g.PAD != v.PAD || g.UNK != v.UNK || g.AddBOS != v.AddBOS || g.ChatTemplate != v.ChatTemplate {
		t.Fatal("GGUF round trip changed the vocabulary")
	}
	tk, err := FromGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	checkRefs(t, tk)
	js := loadTok(t)
	for _, s := range []string{"[|user|]\nHi[|endofturn|]", "héllo\xff\xfe wörld  \n", "<think>\n</think>"} {
		for _, ps := range []bool{true, false} {
			if a, b := tk.Encode(s, ps), js.Encode(s, ps); !slices.Equal(a, b) {
				t.Errorf("Encode(%q, %v): gguf %v, json %v", s, ps, a, b)
			}
		}
	}
}

// The fixture GGUFs were written by llama.cpp's own converter: the vocabulary
// we extract from tokenizer.json must be the one llama.cpp stored.
func TestLlamaCppGGUF(t *testing.T) {
	path := "../../shared/fixtures/llamacpp/tiny-global-kjv-Q8_0.gguf"
	if _, err := os.Stat(path); err != nil {
		t.Skip("llama.cpp fixture not present:", err)
	}
	f := openGGUF(t, path)
	g, err := ReadGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	v, err := ReadHF(tokDir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(g.Tokens, v.Tokens) || !slices.Equal(g.Types, v.Types) || !slices.Equal(g.Merges, v.Merges) {
		t.Error("llama.cpp's vocabulary differs from ReadHF's")
	}
	if g.BOS != v.BOS || g.EOS != v.EOS || g.PAD != v.PAD || g.UNK != v.UNK || g.AddBOS != v.AddBOS {
		t.Errorf("special ids: llama.cpp %d %d %d %d %v, ReadHF %d %d %d %d %v",
			g.BOS, g.EOS, g.PAD, g.UNK, g.AddBOS, v.BOS, v.EOS, v.PAD, v.UNK, v.AddBOS)
	}
	tk, err := FromGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	checkRefs(t, tk)
}

func TestGGUFErrors(t *testing.T) {
	v, err := ReadHF(tokDir)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		edit func(*HFVocab)
		want string
	}{
		{"bad merge", func(v *HFVocab) { v.Merges = append(slices.Clone(v.Merges), "nosuch token") }, "merge 7921"},
		{"bad types", func(v *HFVocab) { v.Types = v.Types[:10] }, KeyTokenType},
		{"bad eos", func(v *HFVocab) { v.EOS = len(v.Tokens) + 5 }, KeyEOS},
	}
	for _, c := range cases {
		vv := *v
		c.edit(&vv)
		path := writeGGUF(t, &vv)
		_, err := FromGGUF(openGGUF(t, path))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming %s and the file", c.name, err, c.want)
		}
	}
	// A GGUF without tokenizer keys (e.g. a bare weights file).
	path := filepath.Join(t.TempDir(), "empty.gguf")
	w, err := gguf.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := FromGGUF(openGGUF(t, path)); err == nil || !strings.Contains(err.Error(), KeyModel) {
		t.Errorf("missing keys: error %v, want one naming %s", err, KeyModel)
	}
}
