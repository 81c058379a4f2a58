package main

import (
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/exaone-go/exaone/convert/fixture"
	"github.com/exaone-go/exaone/gguf"
	"github.com/exaone-go/exaone/model"
	"github.com/exaone-go/exaone/quant"
)

// otherArchGGUF writes a valid GGUF file whose architecture is llama.
func otherArchGGUF(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "llama.gguf")
	w, err := gguf.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range []struct {
		k string
		v any
	}{{"general.architecture", "llama"}, {"general.name", "not exaone"}, {"llama.block_count", uint32(1)}} {
		if err := w.SetKV(kv.k, kv.v); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.AddTensor("token_embd.weight", quant.F32, []uint64{4, 2}); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteTensor("token_embd.weight", make([]byte, 32)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// llama-perplexity -c 256 on llama.cpp's own files of tiny-global-kjv
// (fixtures README): the same estimate within 0.1% and the same +/- within
// 2%, which needs llama.cpp's chunking, scoring window and error formula.
func TestPerplexityMatchesLlamaCpp(t *testing.T) {
	shared, ok := fixture.Shared()
	if !ok {
		t.Skip("../shared/fixtures (llama.cpp's GGUF files) is not present: skipping the comparison with llama-perplexity")
	}
	if testing.Short() {
		t.Skip("-short: skipping the full llama-perplexity comparison (3 x 152 chunks)")
	}
	for _, c := range []struct {
		file     string
		ppl, err float64 // err 0: not published
	}{
		{"tiny-global-kjv-bf16.gguf", 23.0717, 0.46673},
		{"tiny-global-kjv-Q8_0.gguf", 23.0743, 0},
		{"tiny-global-kjv-Q4_0.gguf", 23.3000, 0},
	} {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			r := exaone(t, "", "perplexity", "-m", filepath.Join(shared, "llamacpp", c.file), "-f", evalText(), "-c", "256", "-t", "1")
			r.ok(t)
			if !strings.Contains(r.stdout, "[152]") || strings.Contains(r.stdout, "[153]") {
				t.Errorf("want 152 chunks:\n%s", r.stdout)
			}
			ppl, e := finalEstimate(t, r.stdout)
			t.Logf("%s: PPL = %.4f +/- %.5f (llama.cpp %.4f)", c.file, ppl, e, c.ppl)
			if math.Abs(ppl/c.ppl-1) > 0.001 {
				t.Errorf("PPL %.4f, llama.cpp %.4f", ppl, c.ppl)
			}
			if c.err != 0 && math.Abs(e/c.err-1) > 0.02 {
				t.Errorf("+/- %.5f, llama.cpp %.5f", e, c.err)
			}
		})
	}
}

// The default path (embedded model, default batch) with --chunks 4: the
// printed values are those of the method computed here independently from
// the model's full logits: token i+1 scored from position i for i in
// [c/2, c-2] of each chunk.
func TestPerplexityDefaultModel(t *testing.T) {
	const nCtx, chunks = 256, 4
	r := exaone(t, "", "perplexity", "-f", evalText(), "-c", strconv.Itoa(nCtx), "--chunks", strconv.Itoa(chunks), "-t", "1")
	r.ok(t)
	got, _ := finalEstimate(t, r.stdout)
	// Batches that do not divide the chunk split the scored half.
	rb := exaone(t, "", "perplexity", "-f", evalText(), "-c", strconv.Itoa(nCtx), "--chunks", strconv.Itoa(chunks), "-t", "1", "-b", "100")
	rb.ok(t)
	if gotB, _ := finalEstimate(t, rb.stdout); math.Abs(gotB/got-1) > 1e-4 {
		t.Errorf("-b 100: PPL %.4f, default batch %.4f", gotB, got)
	}

	t.Setenv("EXAONE_CACHE", cacheDir)
	lm, err := loadModel("")
	if err != nil {
		t.Fatal(err)
	}
	defer lm.Close()
	text, err := readTextFile(evalText())
	if err != nil {
		t.Fatal(err)
	}
	toks := lm.tk.Encode(text, false)
	s, err := lm.m.NewSession(model.Options{Ctx: nCtx, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var sum float64
	var n int
	var running []string
	for c := range chunks {
		chunk := toks[c*nCtx : (c+1)*nCtx]
		s.Reset()
		err := s.EvalAll(chunk, func(i int, logits []float32) {
			if i < nCtx/2 || i > nCtx-2 {
				return
			}
			var z float64
			for _, l := range logits {
				z += math.Exp(float64(l))
			}
			sum += math.Log(z) - float64(logits[chunk[i+1]])
			n++
		})
		if err != nil {
			t.Fatal(err)
		}
		running = append(running, fmt.Sprintf("[%d]%.4f,", c+1, math.Exp(sum/float64(n))))
	}
	if n != chunks*(nCtx/2-1) {
		t.Fatalf("scored %d tokens", n)
	}
	want := math.Exp(sum / float64(n))
	if math.Abs(got/want-1) > 1e-4 {
		t.Errorf("PPL %.4f, want %.4f", got, want)
	}
	if line := strings.Join(running, ""); !strings.HasPrefix(r.stdout, line) {
		// The last digit may differ by rounding of nearly equal sums.
		t.Logf("running values\n got %s\nwant %s", strings.SplitN(r.stdout, "\n", 2)[0], line)
		if strings.Count(r.stdout, ",[") != chunks-1 {
			t.Errorf("want %d running values", chunks)
		}
	}
}

var (
	kldRE  = regexp.MustCompile(`(?m)^Mean    KLD:\s+(-?[0-9.]+) ±\s+([0-9.]+)$`)
	sameRE = regexp.MustCompile(`(?m)^Same top p:\s+([0-9.]+) ±`)
	pplQRE = regexp.MustCompile(`(?m)^Mean PPL\(Q\)\s+:\s+([0-9.]+) ±`)
	pplBRE = regexp.MustCompile(`(?m)^Mean PPL\(base\)\s+:\s+([0-9.]+) ±`)
)

func parseKLD(t *testing.T, out string) (kld, same, pplQ, pplB float64) {
	t.Helper()
	get := func(re *regexp.Regexp) float64 {
		m := re.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("%s not found in:\n%s", re, out)
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	return get(kldRE), get(sameRE), get(pplQRE), get(pplBRE)
}

// KL divergence of q8_0 against saved bf16 log-probabilities is small and
// positive with high top-token agreement; the base against itself gives 0
// and 100%.
func TestKLDivergence(t *testing.T) {
	bf16 := fixture.GGUF(t, "tiny-global-kjv", "bf16")
	q8 := fixture.GGUF(t, "tiny-global-kjv", "q8_0")
	base := filepath.Join(t.TempDir(), "bf16.kld")
	args := []string{"perplexity", "-f", evalText(), "-c", "128", "--chunks", "6", "-t", "1"}
	r := exaone(t, "", append(args, "-m", bf16, "--kl-divergence-base", base)...)
	r.ok(t)
	basePPL, _ := finalEstimate(t, r.stdout)

	r = exaone(t, "", "perplexity", "-m", q8, "--kl-divergence", "--kl-divergence-base", base, "-t", "1")
	r.ok(t)
	kld, same, pplQ, pplB := parseKLD(t, r.stdout)
	t.Logf("q8_0 vs bf16: KLD %.6f, same top %.3f%%, PPL %.4f vs %.4f", kld, same, pplQ, pplB)
	if !(kld > 0 && kld < 0.01) {
		t.Errorf("q8_0 KLD %g, want small and positive", kld)
	}
	if same < 95 || same >= 100.0001 {
		t.Errorf("same top token %.3f%%", same)
	}
	if math.Abs(pplB/basePPL-1) > 1e-3 {
		t.Errorf("PPL(base) %.4f, the base run printed %.4f", pplB, basePPL)
	}
	if math.Abs(pplQ/pplB-1) > 0.01 || pplQ == pplB {
		t.Errorf("PPL(Q) %.4f vs base %.4f", pplQ, pplB)
	}

	r = exaone(t, "", "perplexity", "-m", bf16, "--kl-divergence", "--kl-divergence-base", base, "-t", "1")
	r.ok(t)
	kld, same, pplQ, pplB = parseKLD(t, r.stdout)
	t.Logf("bf16 vs itself: KLD %.6f, same top %.3f%%", kld, same)
	if math.Abs(kld) > 1e-4 || same != 100 {
		t.Errorf("base against itself: KLD %g, same top %.3f%%", kld, same)
	}
	if math.Abs(pplQ/pplB-1) > 1e-3 {
		t.Errorf("PPL(Q) %.4f vs base %.4f", pplQ, pplB)
	}
}
