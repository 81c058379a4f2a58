package generate_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exaone-go/exaone/generate"
	"github.com/exaone-go/exaone/grammar"
	"github.com/exaone-go/exaone/model"
	"github.com/exaone-go/exaone/tokenizer/chat"
)

func newBatch(t testing.TB, o generate.BatchOptions) *generate.Batch {
	t.Helper()
	b, err := chatModel(t).NewBatch(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// streamed collects a generation's chunks.
type streamed struct {
	mu        sync.Mutex
	text      strings.Builder
	reasoning strings.Builder
	calls     []chat.ToolCall
	chunks    int
}

func (s *streamed) add(c generate.Chunk) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chunks++
	s.text.WriteString(c.Text)
	s.reasoning.WriteString(c.Reasoning)
	if c.ToolCall != nil {
		s.calls = append(s.calls, *c.ToolCall)
	}
}

// checkCase compares a greedy generation of reference case c with
// transformers' continuation: tokens, parsed output, stop, streamed chunks.
func checkCase(t *testing.T, c *chatCase, res generate.Result, st *streamed) {
	t.Helper()
	if !slices.Equal(res.Tokens, c.Generated) {
		t.Errorf("%s: tokens differ from transformers' greedy continuation:\n got %v\nwant %v", c.Name, res.Tokens, c.Generated)
		return
	}
	reasoning, text, calls := expected(t, c)
	if res.Reasoning != reasoning || res.Text != text || len(res.ToolCalls) != len(calls) {
		t.Errorf("%s: reasoning %q text %q calls %+v, want %q %q %+v", c.Name, res.Reasoning, res.Text, res.ToolCalls, reasoning, text, calls)
	}
	want := generate.StopEndOfTurn
	if len(calls) > 0 {
		want = generate.StopToolCalls
	}
	if res.Stop != want || res.PromptTokens != len(c.PromptIDs) || res.GeneratedTokens != len(c.Generated) {
		t.Errorf("%s: stop %v, %d prompt and %d generated tokens; want %v, %d and %d", c.Name, res.Stop, res.PromptTokens, res.GeneratedTokens, want, len(c.PromptIDs), len(c.Generated))
	}
	if st != nil && (st.text.String() != res.Text || st.reasoning.String() != res.Reasoning || len(st.calls) != len(res.ToolCalls)) {
		t.Errorf("%s: streamed output differs from the result", c.Name)
	}
}

// alone generates req on a fresh standalone session.
func alone(t *testing.T, req *generate.Request) generate.Result {
	t.Helper()
	res, err := newSession(t, generate.Options{Ctx: 1024, Threads: 1}).Generate(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestBatchReferences: every reference conversation, four at a time on a
// batch of four slots (each slot taking the next case when it is free, so
// prompts join while others generate and slots are reused), gives exactly
// transformers' greedy tokens, as each does alone.
func TestBatchReferences(t *testing.T) {
	cases := refCases(t)
	var names []string
	reqs := map[string]*generate.Request{}
	for name, c := range cases {
		names = append(names, name)
		reqs[name] = request(t, c)
	}
	sort.Strings(names)
	b := newBatch(t, generate.BatchOptions{Slots: 4, Ctx: 1024, Threads: 1, Chunk: 48})
	type outcome struct {
		res generate.Result
		st  *streamed
		err error
	}
	var mu sync.Mutex
	out := map[string]outcome{}
	work := make(chan string)
	var wg sync.WaitGroup
	for _, s := range b.Sessions() {
		wg.Go(func() {
			for name := range work {
				st := &streamed{}
				res, err := s.Generate(context.Background(), reqs[name], func(c generate.Chunk) error { st.add(c); return nil })
				mu.Lock()
				out[name] = outcome{res, st, err}
				mu.Unlock()
			}
		})
	}
	for _, name := range names {
		work <- name
	}
	close(work)
	wg.Wait()
	for _, name := range names {
		o := out[name]
		if o.err != nil {
			t.Errorf("%s: %v", name, o.err)
			continue
		}
		checkCase(t, cases[name], o.res, o.st)
	}
	st := b.Stats()
	t.Logf("%d steps, %d tokens, %.2f slots per step", st.Steps, st.Tokens, float64(st.Sequences)/float64(st.Steps))
	if st.Sequences <= st.Steps {
		t.Errorf("%d steps held %d slots in all: no step was shared", st.Steps, st.Sequences)
	}
}

// TestBatchJoin: a request that arrives while another generates has its
// prompt read in steps that carry the other's tokens, and both give what
// they give alone; a lone prompt is read in one step.
func TestBatchJoin(t *testing.T) {
	cases := refCases(t)
	long := request(t, cases["plain"])
	long.IgnoreEOS, long.MaxTokens = true, 60
	want := alone(t, long)

	b := newBatch(t, generate.BatchOptions{Slots: 2, Ctx: 1024, Threads: 1})
	log := logSteps(b)
	ss := b.Sessions()
	waitA := streamAfter(ss[0], long, 5)
	c := cases["hello"]
	st := &streamed{}
	resB, errB := ss[1].Generate(context.Background(), request(t, c), func(ch generate.Chunk) error { st.add(ch); return nil })
	resA, errA := waitA()
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if !slices.Equal(resA.Tokens, want.Tokens) {
		t.Errorf("the first request's tokens with another joining:\n got %v\nwant %v", resA.Tokens, want.Tokens)
	}
	checkCase(t, c, resB, st)

	steps := log.all()
	if len(steps) == 0 || len(steps[0]) != 1 || steps[0][0] != (generate.StepRow{Slot: 0, Tokens: resA.PromptTokens}) {
		t.Errorf("first step %v, want slot 0's whole prompt of %d tokens", steps[0], resA.PromptTokens)
	}
	joined, shared := false, 0
	for _, rows := range steps {
		if slices.Contains(rows, generate.StepRow{Slot: 0, Tokens: 1, Decode: true}) {
			for _, r := range rows {
				joined = joined || r.Slot == 1 && !r.Decode
			}
			if slices.Contains(rows, generate.StepRow{Slot: 1, Tokens: 1, Decode: true}) {
				shared++
			}
		}
	}
	if !joined || shared < len(c.Generated)-1 {
		t.Errorf("joined %v, %d steps generated both (want %d)", joined, shared, len(c.Generated)-1)
	}
}

// TestBatchChunkedPrefill: a long prompt arriving while another request
// streams is read Chunk tokens per step, and every one of those steps
// also gives the streaming request its next token.
func TestBatchChunkedPrefill(t *testing.T) {
	streamReq := request(t, refCases(t)["plain"])
	streamReq.IgnoreEOS, streamReq.MaxTokens = true, 120
	longReq := &generate.Request{Prompt: strings.Repeat("And God said, Let there be light: and there was light. ", 25), MaxTokens: 4, Sampling: greedy()}
	wantStream, wantLong := alone(t, streamReq), alone(t, longReq)
	const chunk = 16
	if wantLong.PromptTokens < 10*chunk {
		t.Fatalf("the long prompt is only %d tokens", wantLong.PromptTokens)
	}

	b := newBatch(t, generate.BatchOptions{Slots: 2, Ctx: 1024, Threads: 1, Chunk: chunk})
	log := logSteps(b)
	ss := b.Sessions()
	waitS := streamAfter(ss[0], streamReq, 3)
	resL, errL := ss[1].Generate(context.Background(), longReq, nil)
	resS, errS := waitS()
	if errS != nil || errL != nil {
		t.Fatal(errS, errL)
	}
	if !slices.Equal(resS.Tokens, wantStream.Tokens) || !slices.Equal(resL.Tokens, wantLong.Tokens) {
		t.Errorf("tokens in the batch differ from alone:\n%v\n%v\nwant\n%v\n%v", resS.Tokens, resL.Tokens, wantStream.Tokens, wantLong.Tokens)
	}

	prefill, alongside, read := 0, 0, 0
	for _, rows := range log.all() {
		for _, r := range rows {
			if r.Slot != 1 || r.Decode {
				continue
			}
			prefill++
			read += r.Tokens
			if r.Tokens > chunk {
				t.Errorf("a step read %d prompt tokens while the other slot generated (chunk %d)", r.Tokens, chunk)
			}
			if slices.Contains(rows, generate.StepRow{Slot: 0, Tokens: 1, Decode: true}) {
				alongside++
			}
		}
	}
	need := (resL.PromptTokens + chunk - 1) / chunk
	t.Logf("a %d-token prompt read in %d steps, %d of them with the stream's token", resL.PromptTokens, prefill, alongside)
	if read != resL.PromptTokens || prefill < need || alongside < need-outLag {
		t.Errorf("%d prompt tokens read in %d steps, %d of them giving the stream a token; want %d in at least %d, all but %d with a token", read, prefill, alongside, resL.PromptTokens, need, outLag)
	}
}

// stepLog records the rows of every step of a batch.
type stepLog struct {
	mu    sync.Mutex
	steps [][]generate.StepRow
}

func logSteps(b *generate.Batch) *stepLog {
	l := &stepLog{}
	generate.OnStep(b, func(rows []generate.StepRow) {
		l.mu.Lock()
		l.steps = append(l.steps, rows)
		l.mu.Unlock()
	})
	return l
}

// all returns the steps so far.
func (l *stepLog) all() [][]generate.StepRow {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.steps)
}

// streamAfter starts req on s in the background and returns once it has
// streamed n chunks; wait returns its result when it ends.
func streamAfter(s *generate.Session, req *generate.Request, n int) (wait func() (generate.Result, error)) {
	started := make(chan struct{})
	var res generate.Result
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		k := 0
		res, err = s.Generate(context.Background(), req, func(generate.Chunk) error {
			if k++; k == n {
				close(started)
			}
			return nil
		})
	}()
	select {
	case <-started:
	case <-done: // ended before n chunks; wait reports it
	}
	return func() (generate.Result, error) {
		<-done
		return res, err
	}
}

// outLag is how many steps a streaming request may sit out in the tests:
// its consumer (the test's goroutine) may fall behind the loop for a few
// tokens on a loaded machine.
const outLag = 4

// TestBatchCancel: a request cancelled mid-stream leaves the batch and the
// others go on unaffected; its slot is usable again. A long prompt
// cancelled while it is read stops at a step boundary.
func TestBatchCancel(t *testing.T) {
	cases := refCases(t)
	reqA := request(t, cases["plain"])
	reqA.IgnoreEOS, reqA.MaxTokens = true, 40
	wantA := alone(t, reqA)
	reqB := request(t, cases["hello"])
	reqB.IgnoreEOS, reqB.MaxTokens = true, 200
	c := cases["multi_turn"]
	reqC := request(t, c)

	b := newBatch(t, generate.BatchOptions{Slots: 3, Ctx: 1024, Threads: 1, Chunk: 8})
	ss := b.Sessions()
	var wg sync.WaitGroup
	var resA, resB, resC generate.Result
	var errA, errB, errC error
	stC := &streamed{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wg.Go(func() { resA, errA = ss[0].Generate(context.Background(), reqA, nil) })
	wg.Go(func() {
		n := 0
		resB, errB = ss[1].Generate(ctx, reqB, func(generate.Chunk) error {
			if n++; n == 2 {
				cancel()
			}
			return nil
		})
	})
	wg.Go(func() {
		resC, errC = ss[2].Generate(context.Background(), reqC, func(ch generate.Chunk) error { stC.add(ch); return nil })
	})
	wg.Wait()
	if !errors.Is(errB, context.Canceled) || resB.Stop != generate.StopCancelled || resB.GeneratedTokens > 3 {
		t.Errorf("cancelled at its second chunk: %v, stop %v after %d tokens", errB, resB.Stop, resB.GeneratedTokens)
	}
	if errA != nil || !slices.Equal(resA.Tokens, wantA.Tokens) {
		t.Errorf("beside a cancelled request: %v\n got %v\nwant %v", errA, resA.Tokens, wantA.Tokens)
	}
	if errC != nil {
		t.Fatal(errC)
	}
	checkCase(t, c, resC, stC)

	// The cancelled slot serves the next request as a fresh one would.
	res, err := ss[1].Generate(context.Background(), reqC, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkCase(t, c, res, nil)

	// Cancelled while its prompt is read, 8 tokens a step beside a
	// generating slot: it stops at a step boundary, the cache holding the
	// chunks read.
	ctx, cancel = context.WithCancel(context.Background())
	longReq := &generate.Request{Prompt: strings.Repeat("And God said, Let there be light. ", 40), Sampling: greedy()}
	var mu sync.Mutex
	seen := 0
	generate.OnStep(b, func(rows []generate.StepRow) {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range rows {
			if r.Slot == 1 && !r.Decode {
				if seen++; seen == 2 {
					cancel()
				} else if seen > 2 {
					time.Sleep(20 * time.Millisecond) // let the cancelled request leave
				}
			}
		}
	})
	// Slot 0 generates until the long prompt's request has returned, so
	// every step reading that prompt has a decoding slot beside it however
	// the goroutines are scheduled.
	reqLong := *reqA
	reqLong.MaxTokens = 600
	wantLong := alone(t, &reqLong)
	ctxA, cancelA := context.WithCancel(context.Background())
	defer cancelA()
	first := make(chan struct{})
	wg.Go(func() {
		var once sync.Once
		resA, errA = ss[0].Generate(ctxA, &reqLong, func(generate.Chunk) error {
			once.Do(func() { close(first) })
			return nil
		})
	})
	<-first // slot 0 generates when the long prompt comes
	res, err = ss[1].Generate(ctx, longReq, nil)
	cancelA()
	wg.Wait()
	if !errors.Is(err, context.Canceled) || res.GeneratedTokens != 0 {
		t.Errorf("prompt cancelled mid-way: %v, %d tokens generated", err, res.GeneratedTokens)
	}
	if n := ss[1].Cached() - res.CachedTokens; n%8 != 0 || n < 16 || n >= res.PromptTokens-res.CachedTokens {
		t.Errorf("prompt cancelled mid-way: %d of %d new prompt tokens read, want whole 8-token chunks, at least 2, short of the prompt", n, res.PromptTokens-res.CachedTokens)
	}
	if !errors.Is(errA, context.Canceled) || len(resA.Tokens) == 0 || !slices.Equal(resA.Tokens, wantLong.Tokens[:len(resA.Tokens)]) {
		t.Errorf("beside a prompt cancelled mid-way: %v after %d tokens\n got %v\nwant a prefix of %v", errA, len(resA.Tokens), resA.Tokens, wantLong.Tokens)
	}
}

// TestBatchStops: stop strings, token limits and a full context end a
// batch session's generation as a standalone one's.
func TestBatchStops(t *testing.T) {
	c := refCases(t)["plain"] // "23 plus 19 is 42.[|endofturn|]"
	b := newBatch(t, generate.BatchOptions{Slots: 2, Ctx: len(c.PromptIDs) + 4, Threads: 1})
	s := b.Sessions()[0]
	req := request(t, c)
	req.MaxTokens = 3
	res, err := s.Generate(context.Background(), req, nil)
	if err != nil || res.Stop != generate.StopLength || !slices.Equal(res.Tokens, c.Generated[:3]) {
		t.Errorf("max 3 tokens: %v, stop %v, tokens %v", err, res.Stop, res.Tokens)
	}
	req = request(t, c)
	req.Stop = []string{" 19"}
	res, err = s.Generate(context.Background(), req, nil)
	if err != nil || res.Stop != generate.StopString || res.Text != "23 plus" {
		t.Errorf("stop string: %v, stop %v, text %q", err, res.Stop, res.Text)
	}
	res, err = s.Generate(context.Background(), request(t, c), nil)
	if err != nil || res.Stop != generate.StopContextFull || !slices.Equal(res.Tokens, c.Generated[:5]) {
		t.Errorf("full context: %v, stop %v, tokens %v", err, res.Stop, res.Tokens)
	}
	req = request(t, c)
	req.Messages = append(req.Messages, chat.Message{Role: "assistant", Content: "42"}, chat.Message{Role: "user", Content: "And 2 plus 2?"})
	if _, err := s.Generate(context.Background(), req, nil); !errors.Is(err, generate.ErrContextFull) {
		t.Errorf("prompt longer than the context: %v, want ErrContextFull", err)
	}
	if _, err := s.Generate(context.Background(), &generate.Request{}, nil); !errors.Is(err, generate.ErrBadRequest) {
		t.Errorf("empty request: %v, want ErrBadRequest", err)
	}
}

// TestBatchSampling: seeded sampling under a grammar, on four slots at
// once, draws the tokens each seed draws alone: each slot's sampler and
// grammar state are its own.
func TestBatchSampling(t *testing.T) {
	g, err := grammar.CompileSchema([]byte(structuredSchemas["person"]))
	if err != nil {
		t.Fatal(err)
	}
	val := schemaValidator(t, structuredSchemas["person"])
	const seeds = 8
	reqs := make([]*generate.Request, seeds)
	want := make([]generate.Result, seeds)
	for i := range reqs {
		reqs[i] = &generate.Request{
			Messages: []chat.Message{{Role: "user", Content: "Describe a person as JSON."}},
			Grammar:  g, Sampling: temp1(uint64(i)), MaxTokens: 300,
		}
		want[i] = alone(t, reqs[i])
	}
	b := newBatch(t, generate.BatchOptions{Slots: 4, Ctx: 1024, Threads: 1})
	got := make([]generate.Result, seeds)
	errs := make([]error, seeds)
	var wg sync.WaitGroup
	for k, s := range b.Sessions() {
		wg.Go(func() {
			for i := k; i < seeds; i += 4 {
				got[i], errs[i] = s.Generate(context.Background(), reqs[i], nil)
			}
		})
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil || !slices.Equal(got[i].Tokens, want[i].Tokens) || got[i].Text != want[i].Text {
			t.Errorf("seed %d: %v\n got %q\nwant %q", i, errs[i], got[i].Text, want[i].Text)
		} else if err := validJSON(val, got[i].Text); err != nil {
			t.Errorf("seed %d: %q: %v", i, got[i].Text, err)
		}
	}
}

// TestBatchClose: closing a batch ends the generations in progress with
// ErrClosed, and later ones fail the same way.
func TestBatchClose(t *testing.T) {
	b, err := chatModel(t).NewBatch(generate.BatchOptions{Slots: 2, Ctx: 1024, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	req := request(t, refCases(t)["plain"])
	req.IgnoreEOS = true
	s := b.Sessions()[0]
	started := make(chan struct{})
	var once sync.Once
	done := make(chan error)
	go func() {
		_, err := s.Generate(context.Background(), req, func(generate.Chunk) error {
			once.Do(func() { close(started) })
			return nil
		})
		done <- err
	}()
	<-started
	b.Close()
	if err := <-done; !errors.Is(err, generate.ErrClosed) {
		t.Errorf("generation in progress: %v, want ErrClosed", err)
	}
	if _, err := b.Sessions()[1].Generate(context.Background(), req, nil); !errors.Is(err, generate.ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
	b.Close() // twice is fine
}

func TestBatchBadOptions(t *testing.T) {
	for _, o := range []generate.BatchOptions{{Slots: -1}, {Chunk: -1}, {Threads: -1}, {Ctx: 1 << 30}, {Batch: -2}} {
		b, err := chatModel(t).NewBatch(o)
		if !errors.Is(err, model.ErrBadOptions) {
			t.Errorf("%+v: %v, want model.ErrBadOptions", o, err)
		}
		if b != nil {
			b.Close()
		}
	}
}
