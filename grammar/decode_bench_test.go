package grammar

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/exaone-go/exaone/convert"
	"github.com/exaone-go/exaone/convert/fixture"
	"github.com/exaone-go/exaone/model"
	"github.com/exaone-go/exaone/sampler"
	"github.com/exaone-go/exaone/tokenizer"
)

// synthetic12B returns the synthetic EXAONE-4.0-1.2B q4_0 file, written once
// into $EXAONE_BENCH_DIR (default: a folder in the temp dir), the file the
// model package's benchmarks use.
func synthetic12B(b *testing.B) string {
	dir := os.Getenv("EXAONE_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "exaone-bench")
	}
	path := filepath.Join(dir, "1.2b-q4_0.gguf")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	vocab, err := tokenizer.ReadHF(filepath.Join(fixture.Root(), "testdata", "tokenizer"))
	if err != nil {
		b.Fatal(err)
	}
	if err := convert.WriteSynthetic(path, convert.Shapes["1.2b"], vocab, convert.Options{Type: "q4_0"}); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkConstrainedDecode times, in one run, a decode step of the
// synthetic 1.2B (q4_0, 2 threads) followed by a sample, with and without a
// schema: with one, each step also masks the 102,400 tokens of a
// BPE-shaped vocabulary (syntheticVocab), samples under the mask and
// advances the grammar, walking real documents of the person schema. The
// overhead sub-benchmark is that work alone (mask + masked sample +
// accept, over the same logits); "mask-share" is its time over the decode
// step's.
func BenchmarkConstrainedDecode(b *testing.B) {
	m, err := model.Open(synthetic12B(b))
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	if m.Vocab != 102400 {
		b.Fatalf("vocabulary %d, want 102400", m.Vocab)
	}
	s, err := m.NewSession(model.Options{Ctx: 4096, Threads: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	tokens, eos := syntheticVocab(b)
	v := NewVocab(tokens, eos)
	g, err := CompileSchema([]byte(testSchemas["person"]))
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	prompt := make([]int, 16)
	for i := range prompt {
		prompt[i] = rng.IntN(m.Vocab)
	}
	logits, err := s.Eval(prompt)
	if err != nil {
		b.Fatal(err)
	}
	logits = append([]float32(nil), logits[:m.Vocab]...)
	params := sampler.DefaultParams()
	params.Temperature = 1

	// step samples one token, masked when st is not nil, and walks the
	// grammar (a new document after each end).
	var mask []uint64
	st := g.Start()
	smp := sampler.New(params)
	constrained := func(logits []float32) int {
		if st.Done() {
			st = g.Start()
		}
		mask = st.Mask(v, mask)
		tok := smp.SampleMasked(logits, mask)
		if err := st.AcceptToken(v, tok); err != nil {
			b.Fatal(err)
		}
		if tok == eos {
			st = g.Start()
		}
		return tok
	}
	var decodeNs, maskNs float64
	decode := func(b *testing.B, withSchema bool) {
		tok := prompt[len(prompt)-1]
		for b.Loop() {
			if s.Pos() == s.Ctx() {
				s.Truncate(16)
			}
			l, err := s.Eval([]int{tok})
			if err != nil {
				b.Fatal(err)
			}
			if withSchema {
				tok = constrained(l[:m.Vocab])
			} else {
				tok = smp.Sample(l[:m.Vocab])
			}
		}
	}
	b.Run("decode", func(b *testing.B) {
		decode(b, false)
		decodeNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("decode+schema", func(b *testing.B) { decode(b, true) })
	b.Run("sample", func(b *testing.B) {
		for b.Loop() {
			smp.Sample(logits)
		}
	})
	b.Run("mask+sample+accept", func(b *testing.B) {
		for b.Loop() {
			constrained(logits)
		}
		maskNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		if decodeNs > 0 {
			b.ReportMetric(100*maskNs/decodeNs, "%-of-decode")
		}
	})
}
