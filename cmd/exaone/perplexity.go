package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/exaone-go/exaone/model"
)

func init() {
	commands = append(commands, &cli.Command{
		Name:  "perplexity",
		Usage: "perplexity of a text, or KL divergence against saved logits (like llama-perplexity)",
		Description: "llama-perplexity's method, so numbers are comparable with llama.cpp's: the text is tokenized\n" +
			"once, split into non-overlapping chunks of -c tokens, the cache is cleared per chunk, and the\n" +
			"second half of each chunk is scored (positions c/2 .. c-2 predict tokens c/2+1 .. c-1).\n" +
			"The +/- is the standard error of the mean negative log-likelihood, propagated to PPL.\n\n" +
			"--kl-divergence-base FILE saves every scored position's log-probabilities (and the tokens);\n" +
			"--kl-divergence --kl-divergence-base FILE evaluates another model file on the same tokens and\n" +
			"reports the KL divergence, top-token agreement and both perplexities (-f is then not needed).\n" +
			"Without -m the bundled tiny-hybrid-kjv model is used.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "model", Aliases: []string{"m"}, Usage: "GGUF `FILE` (default: the bundled tiny-hybrid-kjv)"},
			&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Usage: "text `FILE` to evaluate"},
			&cli.IntFlag{Name: "ctx-size", Aliases: []string{"c"}, Value: 512, Usage: "tokens per chunk"},
			&cli.IntFlag{Name: "chunks", Value: -1, Usage: "evaluate at most `N` chunks (-1: all)"},
			&cli.IntFlag{Name: "threads", Aliases: []string{"t"}, Usage: "worker threads (0: physical cores)"},
			&cli.IntFlag{Name: "batch-size", Aliases: []string{"b"}, Value: 2048, Usage: "tokens per forward pass (at most -c)"},
			&cli.StringFlag{Name: "kl-divergence-base", Usage: "`FILE` of reference log-probabilities to write (or read with --kl-divergence)"},
			&cli.BoolFlag{Name: "kl-divergence", Usage: "compare against --kl-divergence-base instead of writing it"},
			&cli.BoolFlag{Name: "force", Usage: "overwrite an existing --kl-divergence-base file"},
		}, cacheTypeFlags()...),
		Action: func(c *cli.Context) error { return oneLine(runPerplexity(c)) },
	})
}

type pplOptions struct {
	model, file    string
	ctx, chunks    int
	threads, batch int
	cacheK, cacheV model.CacheType
	klBase         string
	kl, force      bool
	ctx0           context.Context // cancels the work (signals); nil: never
	stdout, stderr io.Writer
	progress       bool // a self-overwriting progress line on stderr
}

func runPerplexity(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("perplexity: unexpected argument %q", c.Args().First())
	}
	o := &pplOptions{
		model: c.String("model"), file: c.String("file"),
		ctx: c.Int("ctx-size"), chunks: c.Int("chunks"), threads: c.Int("threads"), batch: c.Int("batch-size"),
		klBase: c.String("kl-divergence-base"), kl: c.Bool("kl-divergence"), force: c.Bool("force"),
		stdout: c.App.Writer, stderr: c.App.ErrWriter,
	}
	var err error
	if o.threads, err = checkThreads(o.threads, o.stderr); err != nil {
		return fmt.Errorf("perplexity: %w", err)
	}
	if o.cacheK, o.cacheV, err = cacheTypes(c); err != nil {
		return fmt.Errorf("perplexity: %w", err)
	}
	// The running values on stdout already show progress on a terminal;
	// a separate line is for when stdout goes to a file.
	if f, ok := o.stderr.(*os.File); ok && isTerminal(f) {
		if g, ok := o.stdout.(*os.File); !ok || !isTerminal(g) {
			o.progress = true
		}
	}
	sc := catchSignals()
	defer sc.stop()
	o.ctx0 = sc.ctx
	return sc.result("perplexity", perplexity(o))
}

func perplexity(o *pplOptions) error {
	if o.kl && o.klBase == "" {
		return errors.New("perplexity: --kl-divergence needs --kl-divergence-base FILE (the saved reference)")
	}
	if o.batch < 1 {
		return fmt.Errorf("perplexity: batch size %d must be positive", o.batch)
	}
	if o.klBase != "" && !o.kl {
		// Forgetting --kl-divergence would silently replace the reference
		// the comparison needs.
		if st, err := os.Stat(o.klBase); err == nil && st.Mode().IsRegular() && !o.force {
			return fmt.Errorf("perplexity: --kl-divergence-base %s exists: add --kl-divergence to compare against it, or --force to overwrite it", o.klBase)
		}
		if err := checkOutputFile(o.klBase, true, "--force"); err != nil {
			return fmt.Errorf("perplexity: --kl-divergence-base: %w", err)
		}
	}
	var base *kldReader
	var text string
	if o.kl {
		var err error
		if base, err = openKLD(o.klBase); err != nil {
			return err
		}
		defer base.Close()
		o.ctx = base.nCtx
	} else {
		if o.file == "" {
			return errors.New("perplexity: no text: give -f FILE")
		}
		if o.ctx < 8 {
			return fmt.Errorf("perplexity: context size %d is too small (at least 8)", o.ctx)
		}
		var err error
		if text, err = readTextFile(o.file); err != nil {
			return err
		}
	}
	lm, err := loadModel(o.model)
	if err != nil {
		return err
	}
	defer lm.Close()
	tk := lm.tk
	nCtx := o.ctx

	var tokens []int
	if base != nil {
		if base.vocab != lm.m.Vocab {
			return fmt.Errorf("perplexity: %s has vocabulary %d, the model %d: not the same tokenizer", o.klBase, base.vocab, lm.m.Vocab)
		}
		tokens = base.tokens
	} else {
		t0 := time.Now()
		tokens = tk.Encode(text, false)
		if tk.AddBOS() && tk.BOS() >= 0 {
			tokens = append([]int{tk.BOS()}, tokens...)
		}
		if len(tokens) < 2*nCtx {
			return fmt.Errorf("perplexity: you need at least %d tokens to evaluate perplexity with a context of %d (the text has %d)", 2*nCtx, nCtx, len(tokens))
		}
		// Printed after the check so that an error stays the only line.
		fmt.Fprintf(o.stderr, "perplexity: tokenizing the input ..\n")
		fmt.Fprintf(o.stderr, "perplexity: tokenization took %.3f ms\n", ms(time.Since(t0)))
	}
	nChunk := len(tokens) / nCtx
	if base != nil {
		nChunk = base.nChunk
	}
	if o.chunks >= 0 {
		nChunk = min(nChunk, o.chunks)
	}
	if nChunk == 0 {
		return errors.New("perplexity: no chunk to evaluate (--chunks 0)")
	}
	batch := min(o.batch, nCtx)
	s, err := lm.m.NewSession(model.Options{Ctx: nCtx, Batch: batch, Threads: o.threads, CacheTypeK: o.cacheK, CacheTypeV: o.cacheV})
	if err != nil {
		return err
	}
	defer s.Close()
	first := nCtx / 2
	scored := nCtx - 1 - first

	var baseOut *kldWriter
	if o.klBase != "" && !o.kl {
		if baseOut, err = createKLD(o.klBase, lm.m.Vocab, nCtx, nChunk, scored, tokens[:nChunk*nCtx]); err != nil {
			return err
		}
		defer baseOut.Abort()
		size := float64(nChunk*scored) * float64(4+2*lm.m.Vocab) / (1 << 20)
		fmt.Fprintf(o.stderr, "perplexity: saving the log-probabilities of %d positions to %s (%.0f MiB)\n", nChunk*scored, o.klBase, size)
	}

	fmt.Fprintf(o.stderr, "perplexity: calculating perplexity over %d chunks, n_ctx=%d, batch_size=%d, n_seq=1\n", nChunk, nCtx, batch)
	var acc nllStats
	var kl *kldStats
	if base != nil {
		kl = newKLDStats(nChunk * scored)
		fmt.Fprintf(o.stdout, "\nchunk             PPL               ln(PPL(Q)/PPL(base))          KL Divergence              Δp RMS            Same top p\n")
	}
	logp := make([]float64, lm.m.Vocab)
	baseRow := make([]float64, lm.m.Vocab)
	chunk := make([]int, nCtx)
	start := time.Now()
	var evalErr error
	for ci := range nChunk {
		if o.ctx0 != nil && o.ctx0.Err() != nil {
			return context.Cause(o.ctx0)
		}
		copy(chunk, tokens[ci*nCtx:(ci+1)*nCtx])
		if tk.AddBOS() && tk.BOS() >= 0 {
			chunk[0] = tk.BOS()
		}
		s.Reset()
		t0 := time.Now()
		err := s.EvalFrom(chunk, first, func(i int, logits []float32) {
			if evalErr == nil && o.ctx0 != nil {
				evalErr = context.Cause(o.ctx0)
			}
			if i >= nCtx-1 || evalErr != nil {
				return // the last position predicts nothing in the chunk
			}
			target := chunk[i+1]
			logSoftmax(logp, logits)
			acc.add(-logp[target])
			if baseOut != nil {
				evalErr = baseOut.writeRow(logits, logp)
			}
			if kl != nil {
				var top int
				if top, evalErr = base.readRow(baseRow); evalErr == nil {
					kl.add(baseRow, top, logits, logp, target)
				}
			}
		})
		if err == nil {
			err = evalErr
		}
		if err != nil {
			return err
		}
		step()
		if ci == 0 {
			pass := time.Since(t0).Seconds()
			fmt.Fprintf(o.stderr, "perplexity: %.2f seconds per pass - ETA %.2f minutes\n", pass, pass*float64(nChunk)/60)
		}
		if kl != nil {
			kl.printChunk(o.stdout, ci+1, &acc)
		} else {
			fmt.Fprintf(o.stdout, "[%d]%.4f,", ci+1, math.Exp(acc.mean()))
		}
		if o.progress {
			done := ci + 1
			eta := time.Since(start).Seconds() / float64(done) * float64(nChunk-done)
			fmt.Fprintf(o.stderr, "\r\033[Kchunk %d/%d, ETA %.0f s", done, nChunk, eta)
		}
	}
	if o.progress {
		fmt.Fprint(o.stderr, "\r\033[K")
	}
	if baseOut != nil {
		if err := baseOut.Close(); err != nil {
			return err
		}
	}
	fmt.Fprintln(o.stdout)
	if kl != nil {
		kl.printFinal(o.stdout, &acc)
		return nil
	}
	ppl, pplErr := acc.ppl()
	fmt.Fprintf(o.stdout, "\nFinal estimate: PPL = %.4f +/- %.5f\n", ppl, pplErr)
	return nil
}

// logSoftmax writes log p(i) of logits to dst, in float64 with the maximum
// subtracted first so exp never overflows.
func logSoftmax(dst []float64, logits []float32) {
	mx := math.Inf(-1)
	for _, l := range logits {
		mx = max(mx, float64(l))
	}
	var sum float64
	for _, l := range logits {
		sum += math.Exp(float64(l) - mx)
	}
	lse := mx + math.Log(sum)
	for i, l := range logits {
		dst[i] = float64(l) - lse
	}
}

// nllStats accumulates per-token negative log-likelihoods.
type nllStats struct {
	n         int
	sum, sum2 float64
}

func (a *nllStats) add(nll float64) {
	a.n++
	a.sum += nll
	a.sum2 += nll * nll
}

func (a *nllStats) mean() float64 { return a.sum / float64(a.n) }

// ppl returns exp(mean NLL) and its standard error: the NLL's standard
// error of the mean (sample variance, n-1) times PPL, which is
// d exp(x)/dx at the mean.
func (a *nllStats) ppl() (float64, float64) {
	m := a.mean()
	p := math.Exp(m)
	return p, p * stderrOf(a.n, a.sum, a.sum2)
}

// stderrOf is the standard error of a mean from n values, their sum and
// their sum of squares.
func stderrOf(n int, sum, sum2 float64) float64 {
	if n < 2 {
		return 0
	}
	m := sum / float64(n)
	v := sum2/float64(n) - m*m
	if v <= 0 {
		return 0
	}
	return math.Sqrt(v / float64(n-1))
}
