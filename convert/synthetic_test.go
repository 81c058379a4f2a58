package convert_test

import (
	"bytes"
	"math"
	"path/filepath"
	"testing"

	"github.com/exaone-go/exaone/convert"
	"github.com/exaone-go/exaone/convert/fixture"
	"github.com/exaone-go/exaone/gguf"
	"github.com/exaone-go/exaone/model"
	"github.com/exaone-go/exaone/quant"
	"github.com/exaone-go/exaone/tokenizer"
)

// A small synthetic hybrid model must carry the shape's metadata, the
// preset's tensor types, and run.
func TestWriteSynthetic(t *testing.T) {
	vocab, err := tokenizer.ReadHF(filepath.Join(fixture.Root(), "testdata", "tokenizer"))
	if err != nil {
		t.Fatal(err)
	}
	shape := convert.Shape{Name: "tiny", Layers: 4, Hidden: 256, FFN: 512, Heads: 4, KVHeads: 2, HeadDim: 64,
		Vocab: 9000, Context: 512, Window: 32, Pattern: "LLLG"}
	path := filepath.Join(t.TempDir(), "syn.gguf")
	if err := convert.WriteSynthetic(path, shape, vocab, convert.Options{Type: "q4_0"}); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	pat, err := f.Bools("exaone4.attention.sliding_window_pattern")
	if err != nil || len(pat) != 4 || !pat[0] || pat[3] {
		t.Errorf("sliding pattern %v %v", pat, err)
	}
	if toks, _ := f.Strings("tokenizer.ggml.tokens"); len(toks) != 9000 {
		t.Errorf("%d tokens", len(toks))
	}
	for _, c := range []struct {
		name string
		typ  quant.Type
	}{{"token_embd.weight", quant.Q4_0}, {"output.weight", quant.Q6_K}, {"blk.0.attn_q.weight", quant.Q4_0}, {"blk.0.attn_q_norm.weight", quant.F32}} {
		if ti, ok := f.Tensor(c.name); !ok || ti.Type != c.typ {
			t.Errorf("%s: %v, want %s", c.name, ti, c.typ)
		}
	}
	f.Close()
	m, err := model.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	s, err := m.NewSession(model.Options{Ctx: 64, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err := s.Eval([]int{1, 500, 8000})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range l {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatal("non-finite logit")
		}
	}
}

// The 32b shape is the whole EXAONE-4.0-32B: 64 layers, three sliding
// (window 4096) then one global, an untied LM head, and in q4_k_m the
// size of llama.cpp's Q4_K_M (about 19 GB), with llama.cpp's tensor types.
func TestShape32B(t *testing.T) {
	s := convert.Shapes["32b"]
	if s.Layers != 64 || s.Hidden != 5120 || s.FFN != 27392 || s.Heads != 40 || s.KVHeads != 8 || s.HeadDim != 128 ||
		s.Vocab != 102400 || s.Window != 4096 || s.Pattern != "LLLG" || s.Tied {
		t.Fatalf("shape %+v", s)
	}
	ts, err := convert.SyntheticTensors(s, "q4_k_m")
	if err != nil {
		t.Fatal(err)
	}
	var total uint64
	types := map[string]quant.Type{}
	for _, ti := range ts {
		total += ti.Size
		types[ti.Name] = ti.Type
	}
	if len(ts) != 3+1+64*11 {
		t.Errorf("%d tensors", len(ts))
	}
	if total < 18e9 || total > 20e9 {
		t.Errorf("q4_k_m tensor data is %d bytes, want about 19 GB", total)
	}
	for name, want := range map[string]quant.Type{
		"token_embd.weight": quant.Q4_K, "output.weight": quant.Q6_K,
		"blk.0.attn_v.weight": quant.Q6_K, "blk.8.attn_v.weight": quant.Q4_K, "blk.10.ffn_down.weight": quant.Q6_K,
		"blk.63.ffn_down.weight": quant.Q6_K, "blk.63.ffn_up.weight": quant.Q4_K, "blk.63.post_ffw_norm.weight": quant.F32,
	} {
		if types[name] != want {
			t.Errorf("%s is %s, want %s", name, types[name], want)
		}
	}
}

// With DistinctRows, each matrix's first rows are the bytes the plain
// writer makes and every later row copies row r mod DistinctRows, also
// when the streamed pieces end mid-pool.
func TestWriteSyntheticDistinctRows(t *testing.T) {
	vocab, err := tokenizer.ReadHF(filepath.Join(fixture.Root(), "testdata", "tokenizer"))
	if err != nil {
		t.Fatal(err)
	}
	defer convert.SetChunkElems(5 * 256)() // 5 rows of the 256-wide matrices a piece
	shape := convert.Shape{Name: "tiny", Layers: 2, Hidden: 256, FFN: 512, Heads: 4, KVHeads: 2, HeadDim: 64,
		Vocab: 9000, Context: 512, Window: 32, Pattern: "LG"}
	dir := t.TempDir()
	plain, pooled := filepath.Join(dir, "plain.gguf"), filepath.Join(dir, "pooled.gguf")
	if err := convert.WriteSynthetic(plain, shape, vocab, convert.Options{Type: "q4_k_m"}); err != nil {
		t.Fatal(err)
	}
	shape.DistinctRows = 7
	if err := convert.WriteSynthetic(pooled, shape, vocab, convert.Options{Type: "q4_k_m"}); err != nil {
		t.Fatal(err)
	}
	fp, err := gguf.Open(plain)
	if err != nil {
		t.Fatal(err)
	}
	defer fp.Close()
	fq, err := gguf.Open(pooled)
	if err != nil {
		t.Fatal(err)
	}
	defer fq.Close()
	matrices := 0
	for _, ti := range fq.Tensors {
		a, err := fp.TensorData(ti.Name)
		if err != nil {
			t.Fatal(err)
		}
		b, err := fq.TensorData(ti.Name)
		if err != nil {
			t.Fatal(err)
		}
		if len(ti.Dims) != 2 {
			if !bytes.Equal(a, b) {
				t.Errorf("%s: a vector differs", ti.Name)
			}
			continue
		}
		matrices++
		rows := int(ti.Dims[1])
		rb := len(b) / rows
		if !bytes.Equal(a[:7*rb], b[:7*rb]) {
			t.Errorf("%s: the first 7 rows differ from the plain writer's", ti.Name)
		}
		for r := 7; r < rows; r++ {
			if !bytes.Equal(b[r*rb:(r+1)*rb], b[(r%7)*rb:(r%7+1)*rb]) {
				t.Fatalf("%s: row %d is not row %d", ti.Name, r, r%7)
			}
		}
		if bytes.Equal(a, b) {
			t.Errorf("%s: no row repeated", ti.Name)
		}
	}
	if matrices != 2+2*7 {
		t.Errorf("%d matrices checked", matrices)
	}
}
