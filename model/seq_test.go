package model_test

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/exaone-go/exaone/asm"
	"github.com/exaone-go/exaone/model"
)

// seqPlan is one sequence's part in TestMixedBatch: it joins at step join,
// evaluates the reference ids in chunks of prefill tokens until position
// decodeAt, then one token per step; at step rewindAt it goes back rewind
// tokens (and evaluates them again); at step leave it is closed.
type seqPlan struct {
	join, prefill, decodeAt int
	rewindAt, rewind        int
	leave                   int
}

// TestMixedBatch evaluates several sequences of the reference ids in shared
// forward passes, joining, rewinding and leaving at different steps, with a
// batch smaller than the prompts (so chunks split across passes) and
// sliding windows crossed many times, on every kernel path. Each sequence's
// logits must equal those of the same sequence evaluated alone (float
// weights: also the transformers references within the usual bound).
func TestMixedBatch(t *testing.T) {
	defer asm.SetPath(asm.Path())
	plans := []seqPlan{
		{join: 0, prefill: 1, decodeAt: 0, leave: -1},                            // decodes from the start
		{join: 3, prefill: 23, decodeAt: 69, rewindAt: 90, rewind: 5, leave: -1}, // long prompt in chunks, then a regeneration
		{join: 7, prefill: 7, decodeAt: 40, leave: 60},                           // leaves mid-way
		{join: 61, prefill: 50, decodeAt: 100, leave: -1},                        // joins when the third leaves
	}
	paths := asm.Paths() // the generic path last
	// bounds are TestEveryKernelPath's: mean and max |next-token log-prob
	// error| against transformers.
	bounds := map[string][2]float64{"q8_0": {0.025, 0.2}, "q4_0": {0.2, 1.2}, "q4_k_m": {0.2, 1.2}}
	for _, name := range []string{"tiny-hybrid-kjv", "tiny-global-kjv"} {
		r := refs(t, name)
		presets := []string{"f32", "q8_0", "q4_0", "q4_k_m"}
		if name == "tiny-global-kjv" {
			presets = presets[:2] // the hybrid has the sliding layers too
		}
		for _, preset := range presets {
			for _, path := range paths {
				// The pure-Go path is slow: one file is enough to show it.
				if (testing.Short() && path != paths[0]) || (path == "generic" && name+preset != "tiny-hybrid-kjvq4_k_m") {
					continue
				}
				// -short (the arm64 run under emulation) keeps the quantized
				// hybrid files: the best path's quantized kernels on sliding
				// and global layers.
				if testing.Short() && (name != "tiny-hybrid-kjv" || preset == "f32") {
					continue
				}
				if err := asm.SetPath(path); err != nil {
					t.Fatal(err)
				}
				label := fmt.Sprintf("%s/%s/%s", name, preset, path)
				m := open(t, name, preset)
				alone := soloLogits(t, m, r.IDs)
				s := session(t, m, model.Options{Ctx: 256, Batch: 16, Threads: 2})
				res := mixedRun(t, label, s, plans, r.IDs, alone, r.NextTokenLogprob)
				t.Logf("%s: max |logit - alone| %.3g; next-token log-prob error mean %.3g max %.3g", label, res.worst, res.lpSum/float64(res.lpN), res.lpMax)
				// Every row is quantized and multiplied on its own, so a
				// sequence's logits in the batch are those it gets alone,
				// bit for bit, where the kernels equal the references (the
				// generic and NEON paths, and float weights everywhere).
				// The amd64 SIMD paths apply block scales in another order
				// in their batch kernels (the int8 tiles) than in the
				// one-row ones: there the bound of the quantized files
				// against transformers holds in the batch as alone.
				if preset == "f32" || path == "generic" || runtime.GOARCH != "amd64" {
					if res.worst != 0 {
						t.Errorf("%s: logits in the mixed batch differ from alone by %.3g", label, res.worst)
					}
					continue
				}
				b := bounds[preset]
				if mean := res.lpSum / float64(res.lpN); mean > b[0] || res.lpMax > b[1] {
					t.Errorf("%s: log-prob error mean %.3g max %.3g above %g / %g", label, mean, res.lpMax, b[0], b[1])
				}
			}
		}
	}
}

// TestMixedBatchKVQ8 is TestMixedBatch with a q8_0 KV cache, on f32
// weights: each sequence's logits in the mixed batch must equal those it
// gets alone (with the same cache) bit for bit, on every kernel path (the
// first only with -short).
func TestMixedBatchKVQ8(t *testing.T) {
	defer asm.SetPath(asm.Path())
	plans := []seqPlan{
		{join: 0, prefill: 1, decodeAt: 0, leave: -1},
		{join: 3, prefill: 23, decodeAt: 69, rewindAt: 90, rewind: 5, leave: -1},
		{join: 7, prefill: 7, decodeAt: 40, leave: 60},
		{join: 61, prefill: 50, decodeAt: 100, leave: -1},
	}
	q8 := model.Options{Ctx: 256, CacheTypeK: model.CacheQ8_0, CacheTypeV: model.CacheQ8_0}
	for _, name := range []string{"tiny-hybrid-kjv", "tiny-global-kjv"} {
		r := refs(t, name)
		m := open(t, name, "f32")
		for i, path := range asm.Paths() {
			// The pure-Go path is slow: one file is enough to show it.
			if (testing.Short() && i > 0) || (path == "generic" && name != "tiny-hybrid-kjv") {
				continue
			}
			if err := asm.SetPath(path); err != nil {
				t.Fatal(err)
			}
			label := fmt.Sprintf("%s/f32/kv=q8_0/%s", name, path)
			o := q8
			o.Threads = 1
			alone := soloLogitsOpts(t, m, r.IDs, o)
			o.Batch, o.Threads = 16, 2
			s := session(t, m, o)
			res := mixedRun(t, label, s, plans, r.IDs, alone, r.NextTokenLogprob)
			t.Logf("%s: max |logit - alone| %.3g; next-token log-prob error mean %.3g max %.3g", label, res.worst, res.lpSum/float64(res.lpN), res.lpMax)
			if res.worst != 0 {
				t.Errorf("%s: logits in the mixed batch differ from alone by %.3g", label, res.worst)
			}
		}
	}
}

// soloLogits evaluates ids one at a time in a fresh session and returns the
// logits after each.
func soloLogits(t *testing.T, m *model.Model, ids []int) [][]float32 {
	t.Helper()
	return soloLogitsOpts(t, m, ids, model.Options{Ctx: 256, Threads: 1})
}

// soloLogitsOpts is soloLogits with a session of options o.
func soloLogitsOpts(t *testing.T, m *model.Model, ids []int, o model.Options) [][]float32 {
	t.Helper()
	s := session(t, m, o)
	out := make([][]float32, len(ids))
	for i, id := range ids {
		l, err := s.Eval([]int{id})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = append([]float32(nil), l...)
	}
	return out
}

type mixedResult struct {
	worst        float64 // max |logit - alone|
	lpSum, lpMax float64 // next-token log-prob error against the references
	lpN          int
}

// mixedRun drives the plans step by step and compares each sequence's
// logits with alone and its next-token log-probabilities with refLP.
func mixedRun(t *testing.T, label string, s *model.Session, plans []seqPlan, ids []int, alone [][]float32, refLP []float64) mixedResult {
	t.Helper()
	type live struct {
		p      seqPlan
		seq    *model.Seq
		done   bool
		joined bool
	}
	ls := make([]*live, len(plans))
	for i, p := range plans {
		ls[i] = &live{p: p}
	}
	var res mixedResult
	seen := make([]int, len(plans))
	var chunks []model.Chunk
	var owner []int
	for step := 0; ; step++ {
		chunks, owner = chunks[:0], owner[:0]
		active := false
		for i, l := range ls {
			if l.done || step < l.p.join {
				if !l.done {
					active = true
				}
				continue
			}
			active = true
			if !l.joined {
				var err error
				if i == 0 {
					l.seq = s.Seq()
				} else if l.seq, err = s.NewSeq(0); err != nil {
					t.Fatal(err)
				}
				l.joined = true
			}
			if step == l.p.leave {
				l.seq.Close()
				l.done = true
				continue
			}
			if step == l.p.rewindAt && l.p.rewind > 0 {
				if err := l.seq.Truncate(l.seq.Pos() - l.p.rewind); err != nil {
					t.Fatalf("%s: step %d: %v", label, step, err)
				}
			}
			pos := l.seq.Pos()
			if pos == len(ids) {
				l.done = true
				continue
			}
			n := 1
			if pos < l.p.decodeAt {
				n = min(l.p.prefill, l.p.decodeAt-pos)
			}
			n = min(n, len(ids)-pos)
			chunks = append(chunks, model.Chunk{Seq: l.seq, Tokens: ids[pos : pos+n], Logits: true})
			owner = append(owner, i)
		}
		if !active {
			break
		}
		if len(chunks) == 0 {
			continue
		}
		err := s.Step(chunks, func(c int, lg []float32) {
			i := owner[c]
			p := ls[i].seq.Pos() - 1 // after the step, the chunk's last position
			seen[i]++
			for j, v := range lg {
				res.worst = math.Max(res.worst, math.Abs(float64(v-alone[p][j])))
			}
			if p+1 < len(ids) {
				e := math.Abs(logProb(lg, ids[p+1]) - refLP[p])
				res.lpSum, res.lpMax, res.lpN = res.lpSum+e, math.Max(res.lpMax, e), res.lpN+1
			}
		})
		if err != nil {
			t.Fatalf("%s: step %d: %v", label, step, err)
		}
	}
	for i, l := range ls {
		if !l.joined || seen[i] == 0 {
			t.Errorf("%s: sequence %d never evaluated", label, i)
		}
	}
	return res
}

// TestStepRefusesBadChunks checks that an invalid chunk makes Step evaluate
// nothing and name the chunk.
func TestStepRefusesBadChunks(t *testing.T) {
	m := open(t, "tiny-hybrid-kjv", "q8_0")
	s := session(t, m, model.Options{Ctx: 64, Threads: 1})
	other := session(t, m, model.Options{Ctx: 64, Threads: 1})
	a := s.Seq()
	b, err := s.NewSeq(32)
	if err != nil {
		t.Fatal(err)
	}
	closed, _ := s.NewSeq(0)
	closed.Close()
	foreign := other.Seq()
	if _, err := s.NewSeq(65); !errors.Is(err, model.ErrBadOptions) {
		t.Errorf("NewSeq(65) on a 64-token session: %v, want ErrBadOptions", err)
	}
	cases := []struct {
		name   string
		chunks []model.Chunk
		want   error
	}{
		{"empty", []model.Chunk{{Seq: a, Tokens: []int{1}}, {Seq: b}}, nil},
		{"bad token", []model.Chunk{{Seq: a, Tokens: []int{1}}, {Seq: b, Tokens: []int{-1}}}, model.ErrBadToken},
		{"past context", []model.Chunk{{Seq: a, Tokens: []int{1}}, {Seq: b, Tokens: make([]int, 33)}}, model.ErrContextFull},
		{"twice", []model.Chunk{{Seq: a, Tokens: []int{1}}, {Seq: a, Tokens: []int{2}}}, model.ErrBadOptions},
		{"closed", []model.Chunk{{Seq: a, Tokens: []int{1}}, {Seq: closed, Tokens: []int{2}}}, model.ErrClosedSeq},
		{"foreign", []model.Chunk{{Seq: a, Tokens: []int{1}}, {Seq: foreign, Tokens: []int{2}}}, model.ErrClosedSeq},
		{"nil", []model.Chunk{{Seq: a, Tokens: []int{1}}, {Tokens: []int{2}}}, model.ErrClosedSeq},
	}
	for _, c := range cases {
		err := s.Step(c.chunks, nil)
		if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if a.Pos() != 0 || b.Pos() != 0 {
			t.Fatalf("%s: a refused step evaluated tokens (positions %d, %d)", c.name, a.Pos(), b.Pos())
		}
	}
	if err := closed.Truncate(0); !errors.Is(err, model.ErrClosedSeq) {
		t.Errorf("Truncate on a closed sequence: %v", err)
	}
}

// TestStepAllocatesNothing: a decode step of several sequences allocates
// nothing once the session is warm.
func TestStepAllocatesNothing(t *testing.T) {
	for _, preset := range []string{"q4_0", "q4_k_m", "bf16"} {
		stepAllocs(t, preset)
	}
}

func stepAllocs(t *testing.T, preset string) {
	m := open(t, "tiny-hybrid-kjv", preset)
	s := session(t, m, model.Options{Ctx: 256, Threads: 2})
	chunks := []model.Chunk{{Seq: s.Seq(), Tokens: []int{1, 2, 3}, Logits: true}}
	for range 3 {
		q, err := s.NewSeq(0)
		if err != nil {
			t.Fatal(err)
		}
		chunks = append(chunks, model.Chunk{Seq: q, Tokens: []int{4, 5}, Logits: true})
	}
	sum := float32(0)
	fn := func(c int, l []float32) { sum += l[c] }
	if err := s.Step(chunks, fn); err != nil {
		t.Fatal(err)
	}
	toks := make([][]int, len(chunks))
	for i := range chunks {
		toks[i] = []int{10 + i}
		chunks[i].Tokens = toks[i]
	}
	allocs := testing.AllocsPerRun(40, func() {
		if err := s.Step(chunks, fn); err != nil {
			t.Fatal(err)
		}
		for i := range toks {
			toks[i][0]++
		}
	})
	if allocs != 0 {
		t.Errorf("%s: %.1f allocations per step of %d sequences", preset, allocs, len(chunks))
	}
}
