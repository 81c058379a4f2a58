package model_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/exaone-go/exaone/asm"
	"github.com/exaone-go/exaone/convert"
	"github.com/exaone-go/exaone/convert/fixture"
	"github.com/exaone-go/exaone/model"
	"github.com/exaone-go/exaone/tokenizer"
)

// syntheticModel returns an EXAONE-4.0-1.2B-shaped file of the preset,
// written once into $EXAONE_BENCH_DIR (default: a folder in the temp dir)
// and reused by later runs: writing a 1.2B model takes a while.
func syntheticModel(b *testing.B, shape, preset string) string {
	dir := os.Getenv("EXAONE_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "exaone-bench")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, shape+"-"+preset+".gguf")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	vocab, err := tokenizer.ReadHF(filepath.Join(fixture.Root(), "testdata", "tokenizer"))
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("writing %s", path)
	if err := convert.WriteSynthetic(path, convert.Shapes[shape], vocab, convert.Options{Type: preset}); err != nil {
		b.Fatal(err)
	}
	return path
}

// benchPresets are the synthetic 1.2B files the end-to-end benchmarks run.
var benchPresets = []string{"bf16", "q8_0", "q4_0", "q4_k_m", "q6_k"}

// eachSession runs fn as a sub-benchmark for every preset and thread count
// with a fresh session of context ctx and a seeded token source.
func eachSession(b *testing.B, ctx int, fn func(b *testing.B, s *model.Session, tok func() int)) {
	for _, preset := range benchPresets {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/%s/t=%d", preset, asm.Path(), threads), func(b *testing.B) {
				m, err := model.Open(syntheticModel(b, "1.2b", preset))
				if err != nil {
					b.Fatal(err)
				}
				defer m.Close()
				s, err := m.NewSession(model.Options{Ctx: ctx, Threads: threads})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				rng := rand.New(rand.NewPCG(1, 2))
				fn(b, s, func() int { return rng.IntN(m.Vocab) })
			})
		}
	}
}

func tokens(n int, tok func() int) []int {
	t := make([]int, n)
	for i := range t {
		t[i] = tok()
	}
	return t
}

// BenchmarkDecode reports decode tokens/s of the synthetic 1.2B shape: one
// token at a time after a 16-token prompt, as generation does.
func BenchmarkDecode(b *testing.B) {
	eachSession(b, 4096, func(b *testing.B, s *model.Session, tok func() int) {
		if _, err := s.Eval(tokens(16, tok)); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if s.Pos() == s.Ctx() {
				s.Truncate(16)
			}
			if _, err := s.Eval([]int{tok()}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
	})
}

// BenchmarkPrompt reports prompt tokens/s: 512 tokens in one batch.
func BenchmarkPrompt(b *testing.B) {
	eachSession(b, 1024, func(b *testing.B, s *model.Session, tok func() int) {
		prompt := tokens(512, tok)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			s.Reset()
			if _, err := s.Eval(prompt); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*len(prompt))/b.Elapsed().Seconds(), "tokens/s")
	})
}
