package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/exaone-go/exaone/model"
)

// maxParallel bounds --parallel: every sequence keeps a KV cache of its own,
// and counts beyond this are a typo rather than a CPU workload.
const maxParallel = 256

// parallelResult is a bench row of a batched test (--parallel), as
// llama-batched-bench measures it: N sequences, each given a p-token prompt
// (all N prompts evaluated as one batch), then n steps that each decode one
// token of every sequence in one forward pass. The embedded fields keep
// llama-bench's names, with avg_ts and its samples the aggregate decode
// speed (N*n tokens over the decode time) and avg_ns the decode time; the
// prompt figures and the totals carry llama-batched-bench's names.
type parallelResult struct {
	benchResult
	NParallel int `json:"n_parallel"`
	// NKV is the tokens in the caches at the end: N*(d+p+n).
	NKV         int       `json:"n_kv"`
	TPP         float64   `json:"t_pp"`
	SpeedPP     float64   `json:"speed_pp"`
	StddevPP    float64   `json:"stddev_pp"`
	SamplesPPTs []float64 `json:"samples_pp_ts"`
	TTG         float64   `json:"t_tg"`
	T           float64   `json:"t"`
	Speed       float64   `json:"speed"`
}

// parallelList parses --parallel: a comma-separated list of sequence counts.
func parallelList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 || v > maxParallel {
			return nil, fmt.Errorf("--parallel: %q is not a list of sequence counts from 1 to %d", s, maxParallel)
		}
		out = append(out, v)
	}
	return out, nil
}

// runParallel is bench with --parallel: for each model, thread count,
// depth, prompt length, generated length and sequence count, one batched
// test (parallelOne).
func runParallel(c *cli.Context, files []string, prompts, gens, depths, threads []int, reps int, format string, ctk, ctv model.CacheType) error {
	npl, err := parallelList(c.String("parallel"))
	if err != nil {
		return err
	}
	// Aggregate decode speed is the row's figure: without generated tokens
	// there is nothing to report.
	var ns []int
	for _, n := range gens {
		if n > 0 {
			ns = append(ns, n)
		}
	}
	if len(ns) == 0 {
		return fmt.Errorf("--parallel: -n must include a generated length above 0")
	}
	out := c.App.Writer
	var results []parallelResult
	for _, file := range files {
		lm, err := loadModel(file)
		if err != nil {
			return err
		}
		info := describe(lm.m, file)
		for _, t := range threads {
			for _, d := range depths {
				for _, p := range prompts {
					for _, n := range ns {
						for _, np := range npl {
							r, err := parallelOne(lm.m, info, model.Options{Threads: t, CacheTypeK: ctk, CacheTypeV: ctv}, np, p, n, d, reps)
							if err != nil {
								lm.Close()
								return err
							}
							results = append(results, r)
							if format == "md" {
								// The header waits for the first row, so that an error
								// (a prompt past the context) leaves no empty table.
								if len(results) == 1 {
									fmt.Fprintf(out, "| model | threads | PP | TG | B | N_KV | T_PP s | S_PP t/s | T_TG s | S_TG t/s | T s | S t/s |\n")
									fmt.Fprintf(out, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
								}
								pp := strconv.Itoa(p)
								if d > 0 {
									pp += fmt.Sprintf(" @ d%d", d)
								}
								if ctk != model.CacheF16 || ctv != model.CacheF16 {
									pp += fmt.Sprintf(" kv %s/%s", ctk, ctv)
								}
								fmt.Fprintf(out, "| %s | %d | %s | %d | %d | %d | %.3f | %.2f ± %.2f | %.3f | %.2f ± %.2f | %.3f | %.2f |\n",
									r.ModelType, t, pp, n, np, r.NKV, r.TPP, r.SpeedPP, r.StddevPP,
									r.TTG, r.AvgTs, r.StddevTs, r.T, r.Speed)
							}
						}
					}
				}
			}
		}
		lm.Close()
	}
	if format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	}
	return nil
}

// parallelOne times one batched test reps times after a shorter warm-up.
// Token ids are random, as in the other tests, and so are the decoded ones:
// every step still asks for each sequence's logits, as a real decode does.
// The depth (context evaluated before the prompt) is evaluated again before
// each run, untimed.
func parallelOne(m *model.Model, info benchResult, o model.Options, np, p, n, d, reps int) (parallelResult, error) {
	seqCtx := d + p + n
	if seqCtx > m.CtxTrain {
		return parallelResult{}, fmt.Errorf("--parallel: -d %d + -p %d + -n %d is more than the model's context %d", d, p, n, m.CtxTrain)
	}
	// The session's batch is capped at its context, so its first sequence
	// gets at least a batch's worth: the N prompts go through in 512-token
	// forward passes, as llama-batched-bench's default micro-batch does.
	o.Ctx, o.Batch = min(max(seqCtx, 512), m.CtxTrain), 512
	s, err := m.NewSession(o)
	if err != nil {
		return parallelResult{}, err
	}
	defer s.Close()
	seqs := []*model.Seq{s.Seq()}
	for len(seqs) < np {
		q, err := s.NewSeq(seqCtx)
		if err != nil {
			return parallelResult{}, err
		}
		seqs = append(seqs, q)
	}
	rng := rand.New(rand.NewPCG(uint64(p*1000+np), uint64(n+d)))
	chunks := make([]model.Chunk, np)
	// fill evaluates k random tokens of every sequence in one step.
	fill := func(k int, logits bool) error {
		for i, q := range seqs {
			toks := make([]int, k)
			for j := range toks {
				toks[j] = rng.IntN(m.Vocab)
			}
			chunks[i] = model.Chunk{Seq: q, Tokens: toks, Logits: logits}
		}
		return s.Step(chunks, nil)
	}
	run := func(steps int) (pp, tg time.Duration, err error) {
		for _, q := range seqs {
			q.Reset()
		}
		if d > 0 {
			if err := fill(d, false); err != nil {
				return 0, 0, err
			}
		}
		start := time.Now()
		if p > 0 {
			if err := fill(p, true); err != nil {
				return 0, 0, err
			}
		}
		pp = time.Since(start)
		start = time.Now()
		for i := 0; i < steps; i++ {
			if err := fill(1, true); err != nil {
				return 0, 0, err
			}
		}
		return pp, time.Since(start), nil
	}
	// Warm-up: pages the weights in and sizes the buffers of both kinds of
	// step, without a whole run's decode.
	if _, _, err := run(min(n, 4)); err != nil {
		return parallelResult{}, err
	}
	r := parallelResult{benchResult: info, NParallel: np, NKV: np * seqCtx}
	r.NThreads, r.NPrompt, r.NGen, r.NDepth = o.Threads, p, n, d
	r.TypeK, r.TypeV = o.CacheTypeK.String(), o.CacheTypeV.String()
	r.TestTime = time.Now().UTC().Format(time.RFC3339)
	var tpp, ttg float64
	for i := 0; i < reps; i++ {
		pp, tg, err := run(n)
		if err != nil {
			return parallelResult{}, err
		}
		tpp += pp.Seconds()
		ttg += tg.Seconds()
		if p > 0 {
			r.SamplesPPTs = append(r.SamplesPPTs, float64(np*p)/pp.Seconds())
		}
		r.SamplesNs = append(r.SamplesNs, tg.Nanoseconds())
		r.SamplesTs = append(r.SamplesTs, float64(np*n)/tg.Seconds())
	}
	r.AvgNs, r.StddevNs = meanSD64(r.SamplesNs)
	r.AvgTs, r.StddevTs = meanSD(r.SamplesTs)
	if p > 0 {
		r.SpeedPP, r.StddevPP = meanSD(r.SamplesPPTs)
	}
	r.TPP, r.TTG = tpp/float64(reps), ttg/float64(reps)
	r.T = r.TPP + r.TTG
	r.Speed = float64(np*(p+n)) / r.T
	return r, nil
}
