package convert_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/exaone-go/exaone/convert"
	"github.com/exaone-go/exaone/convert/fixture"
	"github.com/exaone-go/exaone/tokenizer"
)

// Tensors streamed in pieces of one row, of a few rows with a short last
// piece, or whole give the same file: pieces never change the bytes.
func TestChunkedConversion(t *testing.T) {
	for _, preset := range []string{"bf16", "q8_0", "q4_k_m"} {
		want, err := os.ReadFile(fixture.GGUF(t, "tiny-hybrid-kjv", preset))
		if err != nil {
			t.Fatal(err)
		}
		// Rows are 256 values (640 for ffn_down): 100 gives one row per
		// piece, 1000 three (or one) rows and a short last piece.
		for _, elems := range []int64{100, 1000} {
			restore := convert.SetChunkElems(elems)
			dst := filepath.Join(t.TempDir(), "out.gguf")
			err := convert.ConvertDir(fixture.ModelDir("tiny-hybrid-kjv"), dst, convert.Options{Type: preset, Name: "tiny-hybrid-kjv"})
			restore()
			if err != nil {
				t.Fatalf("%s, %d values a piece: %v", preset, elems, err)
			}
			if got, _ := os.ReadFile(dst); !bytes.Equal(got, want) {
				t.Errorf("%s, %d values a piece: the file differs from the default pieces'", preset, elems)
			}
		}
	}
}

// The memory a conversion allocates follows the piece size, not the tensor
// size: a model whose FFN matrices are 16 times larger allocates no more
// (but for per-piece bookkeeping) although it writes 16 times the data.
// Allocated bytes (TotalAlloc) bound what could ever be resident.
func TestConvertMemoryBounded(t *testing.T) {
	const piece = 16 << 10 // values
	defer convert.SetChunkElems(piece)()
	vocab := &tokenizer.HFVocab{BOS: -1, EOS: -1, PAD: -1, UNK: -1}
	for i := range 256 {
		vocab.Tokens = append(vocab.Tokens, fmt.Sprintf("<%d>", i))
		vocab.Types = append(vocab.Types, tokenizer.TypeNormal)
	}
	alloc := func(ffn int) (allocated, size int64) {
		shape := convert.Shape{Name: "mem", Layers: 2, Hidden: 256, FFN: ffn, Heads: 4, KVHeads: 2, HeadDim: 64,
			Vocab: 512, Context: 512}
		dst := filepath.Join(t.TempDir(), "mem.gguf")
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if err := convert.WriteSynthetic(dst, shape, vocab, convert.Options{Type: "f32"}); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		st, err := os.Stat(dst)
		if err != nil {
			t.Fatal(err)
		}
		return int64(after.TotalAlloc - before.TotalAlloc), st.Size()
	}
	smallAlloc, smallSize := alloc(512)
	bigAlloc, bigSize := alloc(16 * 512)
	t.Logf("FFN 512: %d bytes written, %d allocated; FFN 8192: %d written, %d allocated", smallSize, smallAlloc, bigSize, bigAlloc)
	if grow := bigSize - smallSize; grow < 24<<20 {
		t.Fatalf("the big model is only %d bytes larger: the test does not test", grow)
	}
	// Per piece: a few small values (the gguf writer's bookkeeping); a
	// float32 piece is 64 KiB, so 1 MiB is far below a tensor's 8 MiB.
	if grow := bigAlloc - smallAlloc; grow > 1<<20 {
		t.Errorf("16x larger tensors allocated %d more bytes: memory follows tensor size", grow)
	}
}
