package tokenizer_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/exaone-go/exaone/convert"
	"github.com/exaone-go/exaone/gguf"
	"github.com/exaone-go/exaone/tokenizer"
)

// A GGUF made by our converter from a Hugging Face checkpoint tokenizes
// exactly like the checkpoint's own tokenizer.json.
func TestConvertedModelSameAsJSON(t *testing.T) {
	src := "../testdata/models/tiny-global-random"
	dst := filepath.Join(t.TempDir(), "m.gguf")
	if err := convert.ConvertDir(src, dst, convert.Options{Type: "bf16"}); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fromGGUF, err := tokenizer.FromGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, err := tokenizer.FromFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if fromGGUF.VocabSize() != fromJSON.VocabSize() || fromGGUF.BOS() != fromJSON.BOS() || fromGGUF.EOS() != fromJSON.EOS() ||
		fromGGUF.PAD() != fromJSON.PAD() || fromGGUF.UNK() != fromJSON.UNK() || fromGGUF.AddBOS() != fromJSON.AddBOS() ||
		fromGGUF.ChatTemplate() != fromJSON.ChatTemplate() {
		t.Fatal("converted GGUF: vocabulary size, special ids or chat template differ from tokenizer.json")
	}
	for id := range fromJSON.VocabSize() {
		if fromGGUF.TokenText(id) != fromJSON.TokenText(id) || fromGGUF.TokenType(id) != fromJSON.TokenType(id) {
			t.Fatalf("token %d: gguf %q type %d, json %q type %d", id,
				fromGGUF.TokenText(id), fromGGUF.TokenType(id), fromJSON.TokenText(id), fromJSON.TokenType(id))
		}
	}
	eval, err := os.ReadFile("../testdata/eval.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{string(eval), "[|user|]\nHi 😀[|endofturn|]\n[|assistant|]\n<think>\n\n</think>\n\n", "a\xffb  \t\n"} {
		for _, ps := range []bool{true, false} {
			if a, b := fromGGUF.Encode(s, ps), fromJSON.Encode(s, ps); !slices.Equal(a, b) {
				t.Errorf("Encode(%.40q, %v) differs between the converted GGUF and tokenizer.json", s, ps)
			}
		}
	}
}
