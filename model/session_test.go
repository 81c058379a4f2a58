package model_test

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/exaone-go/exaone/asm"
	"github.com/exaone-go/exaone/model"
	"github.com/exaone-go/exaone/sampler"
)

// Sampling with every truncation off reads every logit Eval hands out: on
// each kernel path, over many seeds, the logits must be one vocabulary row
// and every sampled id a token of the vocabulary (rows of padding once made
// it sample ids past the vocabulary).
func TestSampleInRangeEveryPath(t *testing.T) {
	defer asm.SetPath(asm.Path())
	m := open(t, "tiny-hybrid-kjv", "q8_0")
	p := sampler.Params{Temperature: 1, TopK: 0, TopP: 1, MinP: 0, RepeatPenalty: 1}
	for _, path := range asm.Paths() {
		if err := asm.SetPath(path); err != nil {
			t.Fatal(err)
		}
		s := session(t, m, model.Options{Ctx: 128, Threads: 2})
		for seed := range uint64(8) {
			p.Seed = seed
			smp := sampler.New(p)
			s.Reset()
			logits, err := s.Eval([]int{1, 200, 300, 400})
			for step := 0; step < 25 && err == nil; step++ {
				if len(logits) != m.Vocab {
					t.Fatalf("%s: Eval returned %d logits, vocabulary %d", path, len(logits), m.Vocab)
				}
				tok := smp.Sample(logits)
				if tok < 0 || tok >= m.Vocab {
					t.Fatalf("%s: seed %d step %d: sampled id %d outside the vocabulary %d", path, seed, step, tok, m.Vocab)
				}
				logits, err = s.Eval([]int{tok})
			}
			if err != nil {
				t.Fatalf("%s: seed %d: %v", path, seed, err)
			}
		}
	}
}

// EvalFrom's callback gets exactly one row of vocabulary logits too.
func TestEvalFromRowLength(t *testing.T) {
	m := open(t, "tiny-global-random", "q8_0")
	s := session(t, m, model.Options{Ctx: 64, Threads: 1})
	calls := 0
	err := s.EvalFrom(make([]int, 40), 3, func(i int, l []float32) {
		calls++
		if len(l) != m.Vocab {
			t.Fatalf("position %d: %d logits, vocabulary %d", i, len(l), m.Vocab)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 37 {
		t.Fatalf("%d callbacks, want 37", calls)
	}
}

// Bad options are errors wrapping ErrBadOptions, never panics or
// out-of-memory kills.
func TestBadOptions(t *testing.T) {
	m := open(t, "tiny-hybrid-random", "q8_0")
	for _, o := range []model.Options{
		{Threads: -1}, {Batch: -1}, {Ctx: -1},
		{Ctx: 2147483647}, {Ctx: m.CtxTrain + 1},
	} {
		s, err := m.NewSession(o)
		if err == nil {
			s.Close()
			t.Errorf("%+v: accepted", o)
			continue
		}
		if !errors.Is(err, model.ErrBadOptions) {
			t.Errorf("%+v: %v does not wrap ErrBadOptions", o, err)
		}
		t.Log(err)
	}
	_, err := m.NewSession(model.Options{Ctx: m.CtxTrain + 1})
	if want := []string{"4097", "4096"}; err == nil || !strings.Contains(err.Error(), want[0]) || !strings.Contains(err.Error(), want[1]) {
		t.Errorf("context above the training context: %v does not name both %v", err, want)
	}
}

// The default context is the training context capped at DefaultCtxCap.
func TestDefaultContext(t *testing.T) {
	for _, train := range []uint32{1000, 1 << 20} {
		path := rewriteKVs(t, "tiny-global-random", map[string]any{"exaone4.context_length": train})
		m, err := model.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		s := session(t, m, model.Options{Threads: 1})
		if want := min(int(train), model.DefaultCtxCap); s.Ctx() != want {
			t.Errorf("training context %d: default context %d, want %d", train, s.Ctx(), want)
		}
	}
}

// Threads are capped at the CPUs the process can use (the pool polls, so
// more threads than CPUs only wait on each other) and Threads reports the
// count in use.
func TestThreadsCapped(t *testing.T) {
	m := open(t, "tiny-global-random", "q8_0")
	s := session(t, m, model.Options{Ctx: 64, Threads: 1000})
	if s.Threads() != runtime.NumCPU() {
		t.Errorf("Threads() = %d with 1000 asked, want %d CPUs", s.Threads(), runtime.NumCPU())
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Eval(make([]int, 20))
		for i := 0; i < 8 && err == nil; i++ {
			_, err = s.Eval([]int{i})
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("8 tokens with 1000 threads asked did not finish in 60 s")
	}
	if s1 := session(t, m, model.Options{Ctx: 64, Threads: 1}); s1.Threads() != 1 {
		t.Errorf("Threads() = %d with 1 asked", s1.Threads())
	}
}

// The sentinel errors of Eval, EvalFrom and Truncate.
func TestSentinelErrors(t *testing.T) {
	m := open(t, "tiny-hybrid-random", "q8_0") // sliding window 16
	s := session(t, m, model.Options{Ctx: 64, Batch: 4, Threads: 1})
	if _, err := s.Eval(make([]int, 60)); err != nil {
		t.Fatal(err)
	}
	_, err := s.Eval(make([]int, 5))
	if !errors.Is(err, model.ErrContextFull) || !strings.Contains(err.Error(), "64") {
		t.Errorf("Eval past the context: %v", err)
	}
	err = s.EvalFrom(make([]int, 5), 0, func(int, []float32) {})
	if !errors.Is(err, model.ErrContextFull) {
		t.Errorf("EvalFrom past the context: %v", err)
	}
	for _, bad := range []int{-1, m.Vocab, m.Vocab + 100} {
		if _, err := s.Eval([]int{bad}); !errors.Is(err, model.ErrBadToken) {
			t.Errorf("token %d: %v", bad, err)
		}
		if err := s.EvalFrom([]int{0, bad}, 0, func(int, []float32) {}); !errors.Is(err, model.ErrBadToken) {
			t.Errorf("EvalFrom token %d: %v", bad, err)
		}
	}
	// A ring of 16+4 slots holds 4 positions more than the window.
	if err := s.Truncate(50); !errors.Is(err, model.ErrCannotRewind) {
		t.Errorf("rewinding 10 tokens of a window-16 ring with batch 4: %v", err)
	}
	if err := s.Truncate(57); err != nil {
		t.Errorf("rewinding 3 tokens: %v", err)
	}
	if err := s.Truncate(58); err == nil {
		t.Error("truncating forward succeeded")
	}
}

// A ring no larger than the context never wraps: any rewind works, and a
// huge window costs no more than the context.
func TestRingCappedAtContext(t *testing.T) {
	m := open(t, "tiny-hybrid-random", "q8_0") // window 16
	s := session(t, m, model.Options{Ctx: 16, Batch: 512, Threads: 1})
	g := session(t, m, model.Options{Ctx: 16, Threads: 1, Batch: 1})
	sl, gl := s.KVBytes()
	_, gl1 := g.KVBytes()
	var nSliding, nGlobal int
	for _, b := range m.Sliding {
		if b {
			nSliding++
		} else {
			nGlobal++
		}
	}
	if sl*nGlobal != gl*nSliding || gl != gl1 {
		t.Errorf("ctx 16: sliding layers %d bytes (%d layers), global %d (%d layers): a ring must not outgrow the context", sl, nSliding, gl, nGlobal)
	}
	if _, err := s.Eval(make([]int, 16)); err != nil {
		t.Fatal(err)
	}
	if err := s.Truncate(1); err != nil {
		t.Errorf("rewinding inside a ring that never wrapped: %v", err)
	}

	// sliding_window 0xFFFFFFFF: the ring is the context's size.
	path := rewriteKVs(t, "tiny-hybrid-random", map[string]any{"exaone4.attention.sliding_window": uint32(0xFFFFFFFF)})
	big, err := model.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer big.Close()
	bs := session(t, big, model.Options{Ctx: 64, Threads: 1})
	if sl, _ := bs.KVBytes(); sl > 64*nSliding*2*2*m.KVHeads*m.HeadDim {
		t.Errorf("window 0xFFFFFFFF: sliding cache %d bytes at context 64", sl)
	}
	if _, err := bs.Eval(make([]int, 30)); err != nil {
		t.Fatal(err)
	}
}
