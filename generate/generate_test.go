package generate_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/exaone-go/exaone/convert/fixture"
	"github.com/exaone-go/exaone/generate"
	"github.com/exaone-go/exaone/model"
	"github.com/exaone-go/exaone/sampler"
	"github.com/exaone-go/exaone/tokenizer/chat"
)

func greedy() *sampler.Params { p := sampler.Greedy(); return &p }

func request(t testing.TB, c *chatCase) *generate.Request {
	t.Helper()
	msgs, err := c.ChatMessages()
	if err != nil {
		t.Fatal(err)
	}
	return &generate.Request{Messages: msgs, Tools: c.Tools, Think: c.Think, Sampling: greedy()}
}

// TestReferences generates every tiny-chat reference conversation greedily
// and checks the prompt's tokens, the sampled tokens and the parsed output
// against transformers' float64 continuation, streamed and whole.
func TestReferences(t *testing.T) {
	m := chatModel(t)
	for _, c := range refCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			req := request(t, c)
			ids, err := m.Tokens(req)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids, c.PromptIDs) {
				t.Fatalf("prompt tokens differ from the reference rendering:\n got %v\nwant %v", ids, c.PromptIDs)
			}
			s := newSession(t, generate.Options{Ctx: 1024, Threads: 1})
			var streamed generate.Result
			res, err := s.Generate(context.Background(), req, func(ch generate.Chunk) error {
				streamed.Text += ch.Text
				streamed.Reasoning += ch.Reasoning
				if ch.ToolCall != nil {
					streamed.ToolCalls = append(streamed.ToolCalls, *ch.ToolCall)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Tokens, c.Generated) {
				t.Fatalf("tokens differ from transformers' greedy continuation:\n got %v\nwant %v", res.Tokens, c.Generated)
			}
			reasoning, text, calls := expected(t, c)
			if res.Reasoning != reasoning || res.Text != text {
				t.Errorf("reasoning %q text %q, want %q and %q", res.Reasoning, res.Text, reasoning, text)
			}
			if len(res.ToolCalls) != len(calls) {
				t.Fatalf("tool calls %+v, want %+v", res.ToolCalls, calls)
			}
			for i := range calls {
				if res.ToolCalls[i].Name != calls[i].Name || !jsonEqual(res.ToolCalls[i].Arguments, calls[i].Arguments) {
					t.Errorf("call %d: %s(%s), want %s(%s)", i, res.ToolCalls[i].Name, res.ToolCalls[i].Arguments, calls[i].Name, calls[i].Arguments)
				}
			}
			if streamed.Text != res.Text || streamed.Reasoning != res.Reasoning || len(streamed.ToolCalls) != len(res.ToolCalls) {
				t.Errorf("streamed output differs from the result: %+v vs %+v", streamed, res)
			}
			want := generate.StopEndOfTurn
			if len(calls) > 0 {
				want = generate.StopToolCalls
			}
			if res.Stop != want {
				t.Errorf("stop %v, want %v", res.Stop, want)
			}
			if res.PromptTime <= 0 || res.GenerateTime <= 0 {
				t.Errorf("timings: prompt %v, generation %v", res.PromptTime, res.GenerateTime)
			}
			if res.PromptTokens != len(c.PromptIDs) || res.CachedTokens != 0 || res.GeneratedTokens != len(c.Generated) {
				t.Errorf("counts prompt %d cached %d generated %d, want %d 0 %d", res.PromptTokens, res.CachedTokens, res.GeneratedTokens, len(c.PromptIDs), len(c.Generated))
			}
		})
	}
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && deepEqual(x, y)
}

func deepEqual(x, y any) bool {
	a, _ := json.Marshal(x)
	b, _ := json.Marshal(y)
	return string(a) == string(b)
}

// TestPrefixReuse: a second turn evaluates only what follows the common
// prefix with the first turn's prompt and reply, and answers as a fresh
// session does.
func TestPrefixReuse(t *testing.T) {
	m := chatModel(t)
	s := newSession(t, generate.Options{Ctx: 1024, Threads: 1})
	req := &generate.Request{Messages: []chat.Message{{Role: "user", Content: "Reply with exactly: amen"}}, Sampling: greedy()}
	first, err := s.Generate(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids1, _ := m.Tokens(req)
	req.Messages = append(req.Messages, first.Message(), chat.Message{Role: "user", Content: "What is the capital of Japan?"})
	ids2, _ := m.Tokens(req)
	// What the cache holds after the first turn: its prompt and every
	// sampled token but the last (the end of turn, never evaluated).
	held := append(slices.Clone(ids1), first.Tokens[:len(first.Tokens)-1]...)
	common := 0
	for common < len(held) && common < len(ids2) && held[common] == ids2[common] {
		common++
	}
	// The generation prompt's final "\n\n" is one token, but followed by
	// the reply it tokenizes as two, so the reply itself is evaluated again.
	if common < len(ids1)-1 {
		t.Fatalf("the second prompt shares only %d tokens with the first turn's %d prompt tokens", common, len(ids1))
	}
	second, err := s.Generate(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if second.CachedTokens != common || second.PromptTokens != len(ids2) {
		t.Errorf("cached %d of %d prompt tokens, want %d of %d", second.CachedTokens, second.PromptTokens, common, len(ids2))
	}
	fresh := newSession(t, generate.Options{Ctx: 1024, Threads: 1})
	again, err := fresh.Generate(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Tokens, second.Tokens) || again.CachedTokens != 0 {
		t.Errorf("reused-cache reply %v (cached %d) differs from a fresh session's %v (cached %d)", second.Tokens, second.CachedTokens, again.Tokens, again.CachedTokens)
	}
	// The same request again: everything but the last prompt token is reused.
	third, err := fresh.Generate(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if third.CachedTokens != len(ids2)-1 || !slices.Equal(third.Tokens, second.Tokens) {
		t.Errorf("repeat: cached %d (want %d), tokens %v (want %v)", third.CachedTokens, len(ids2)-1, third.Tokens, second.Tokens)
	}
}

func TestStopReasons(t *testing.T) {
	c := refCases(t)["plain"] // "23 plus 19 is 42.[|endofturn|]"
	s := newSession(t, generate.Options{Ctx: 1024, Threads: 1})

	req := request(t, c)
	req.MaxTokens = 3
	res, err := s.Generate(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != generate.StopLength || res.GeneratedTokens != 3 || !slices.Equal(res.Tokens, c.Generated[:3]) {
		t.Errorf("max 3 tokens: stop %v after %d tokens %v", res.Stop, res.GeneratedTokens, res.Tokens)
	}

	req = request(t, c)
	req.Stop = []string{"nothing like this", " 19"}
	res, err = s.Generate(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != generate.StopString || res.StopString != " 19" || res.Text != "23 plus" {
		t.Errorf("stop string: stop %v %q, text %q", res.Stop, res.StopString, res.Text)
	}

	// A context that holds the prompt and 4 more tokens.
	small := newSession(t, generate.Options{Ctx: len(c.PromptIDs) + 4, Threads: 1})
	res, err = small.Generate(context.Background(), request(t, c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != generate.StopContextFull || res.GeneratedTokens != 5 || !slices.Equal(res.Tokens, c.Generated[:5]) {
		t.Errorf("full context: stop %v after %d tokens %v", res.Stop, res.GeneratedTokens, res.Tokens)
	}
	tiny := newSession(t, generate.Options{Ctx: len(c.PromptIDs) - 1, Threads: 1})
	if _, err := tiny.Generate(context.Background(), request(t, c), nil); !errors.Is(err, generate.ErrContextFull) {
		t.Errorf("prompt longer than the context: %v, want ErrContextFull", err)
	}

	// Ignoring the end of turn generates up to the limit.
	req = request(t, c)
	req.IgnoreEOS, req.MaxTokens = true, len(c.Generated)+5
	res, err = s.Generate(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != generate.StopLength || res.GeneratedTokens != req.MaxTokens || slices.Contains(res.Tokens, chatModel(t).Tokenizer().EOS()) {
		t.Errorf("ignore EOS: stop %v after %d tokens %v", res.Stop, res.GeneratedTokens, res.Tokens)
	}
}

func TestBadRequests(t *testing.T) {
	s := newSession(t, generate.Options{Ctx: 256, Threads: 1})
	user := []chat.Message{{Role: "user", Content: "hi"}}
	for name, req := range map[string]*generate.Request{
		"nothing":        {},
		"both":           {Messages: user, Prompt: "hi"},
		"raw with tools": {Prompt: "hi", Tools: []json.RawMessage{json.RawMessage(`{}`)}},
		"unknown role":   {Messages: []chat.Message{{Role: "wizard", Content: "hi"}}},
		"bad tool json":  {Messages: user, Tools: []json.RawMessage{json.RawMessage(`{`)}},
		"empty stop":     {Messages: user, Stop: []string{""}},
		"top-p 2":        {Messages: user, Sampling: &sampler.Params{TopP: 2, RepeatPenalty: 1}},
		"zero sampler":   {Messages: user, Sampling: &sampler.Params{}},
		"bias id":        {Messages: user, Sampling: &sampler.Params{RepeatPenalty: 1, LogitBias: map[int]float32{1 << 20: 1}}},
	} {
		_, err := s.Generate(context.Background(), req, nil)
		if !errors.Is(err, generate.ErrBadRequest) {
			t.Errorf("%s: %v, want ErrBadRequest", name, err)
		}
	}
}

// TestBadOptions: options that cannot work are errors the model package
// names, never a panic.
func TestBadOptions(t *testing.T) {
	m := chatModel(t)
	for _, o := range []generate.Options{{Threads: -1}, {Ctx: -5}, {Batch: -1}, {Ctx: 1 << 30}} {
		s, err := m.NewSession(o)
		if !errors.Is(err, model.ErrBadOptions) {
			t.Errorf("%+v: %v, want model.ErrBadOptions", o, err)
		}
		if s != nil {
			s.Close()
		}
	}
}

// TestCancel: cancelling stops a generation within a token, and a long
// prompt between two of its batches; the session stays usable.
func TestCancel(t *testing.T) {
	c := refCases(t)["plain"]
	s := newSession(t, generate.Options{Ctx: 1024, Batch: 8, Threads: 1})

	ctx, cancel := context.WithCancel(context.Background())
	req := request(t, c)
	req.IgnoreEOS = true
	chunks := 0
	res, err := s.Generate(ctx, req, func(generate.Chunk) error {
		chunks++
		if chunks == 2 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || res.Stop != generate.StopCancelled {
		t.Fatalf("cancelled in the callback: %v, stop %v", err, res.Stop)
	}
	// The callback cancelled while handling a token's text: no token
	// after that one may be sampled.
	if res.GeneratedTokens > 3 {
		t.Errorf("%d tokens generated after cancelling at the second chunk", res.GeneratedTokens)
	}

	// A callback error stops the generation and is returned as it is.
	boom := errors.New("client went away")
	res, err = s.Generate(context.Background(), request(t, c), func(generate.Chunk) error { return boom })
	if !errors.Is(err, boom) || res.Stop != generate.StopCancelled || res.GeneratedTokens != 1 {
		t.Errorf("callback error: %v, stop %v after %d tokens", err, res.Stop, res.GeneratedTokens)
	}

	// Cancelled before the prompt: nothing is evaluated.
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	long := &generate.Request{Prompt: strings.Repeat("And God said, Let there be light. ", 40), Sampling: greedy()}
	res, err = s.Generate(ctx, long, nil)
	if !errors.Is(err, context.Canceled) || res.Stop != generate.StopCancelled || res.GeneratedTokens != 0 {
		t.Errorf("cancelled prompt: %v, stop %v, %d tokens", err, res.Stop, res.GeneratedTokens)
	}
	if s.Cached() > res.CachedTokens+8 {
		t.Errorf("cancelled before the prompt, yet %d tokens were evaluated", s.Cached()-res.CachedTokens)
	}
	// Cancelled from another goroutine during a long prompt, while its
	// second batch runs (the turn lock is taken around each forward pass):
	// the prompt is abandoned at the next batch boundary.
	ctx, cancel = context.WithCancel(context.Background())
	passes := 0
	mid := newSession(t, generate.Options{Ctx: 1024, Batch: 8, Threads: 1, Turns: &onLock{fn: func() {
		if passes++; passes == 2 {
			go cancel()
		}
	}}})
	res, err = mid.Generate(ctx, long, nil)
	if !errors.Is(err, context.Canceled) || res.GeneratedTokens != 0 {
		t.Errorf("prompt cancelled mid-way: %v, %d tokens generated", err, res.GeneratedTokens)
	}
	if n := mid.Cached(); n%8 != 0 || n < 16 || n >= res.PromptTokens {
		t.Errorf("prompt cancelled mid-way: %d of %d prompt tokens cached, want a whole number of 8-token batches, at least 2, short of the prompt", n, res.PromptTokens)
	}
	s = mid

	// Still usable, and the cached part is reused.
	res, err = s.Generate(context.Background(), request(t, c), nil)
	if err != nil || !slices.Equal(res.Tokens, c.Generated) {
		t.Errorf("after cancellations: %v, tokens %v, want %v", err, res.Tokens, c.Generated)
	}
}

// TestLogitBias: the sampler's bias of +100 forces a token, -100 bans the
// reference's first one, and an id outside the vocabulary is a bad request.
func TestLogitBias(t *testing.T) {
	c := refCases(t)["plain"]
	s := newSession(t, generate.Options{Ctx: 256, Threads: 1})
	req := request(t, c)
	req.MaxTokens = 1
	req.Sampling.LogitBias = map[int]float32{c.Generated[0]: -100}
	res, err := s.Generate(context.Background(), req, nil)
	if err != nil || res.Tokens[0] == c.Generated[0] {
		t.Errorf("banned token %d sampled anyway: %v %v", c.Generated[0], res.Tokens, err)
	}
	forced := c.Generated[0] + 7
	req.Sampling.LogitBias = map[int]float32{forced: 100}
	if res, err = s.Generate(context.Background(), req, nil); err != nil || res.Tokens[0] != forced {
		t.Errorf("forced token %d: got %v %v", forced, res.Tokens, err)
	}
	req.Sampling.LogitBias = map[int]float32{1 << 30: 1}
	if _, err := s.Generate(context.Background(), req, nil); !errors.Is(err, generate.ErrBadRequest) {
		t.Errorf("bias outside the vocabulary: %v, want ErrBadRequest", err)
	}
}

// TestTimings: a result says how long its prompt and its reply took.
func TestTimings(t *testing.T) {
	s := newSession(t, generate.Options{Ctx: 256, Threads: 1})
	res, err := s.Generate(context.Background(), request(t, refCases(t)["plain"]), nil)
	if err != nil || res.PromptTime <= 0 || res.GenerateTime <= 0 {
		t.Errorf("prompt time %v, generate time %v (%v)", res.PromptTime, res.GenerateTime, err)
	}
}

// TestTemplateRenderings: a request's prompt tokenizes to the ids of the
// official chat template's rendering, for the nine reference conversations
// (tools, tool calls and results, system prompts, thinking on and off).
func TestTemplateRenderings(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(fixture.Root(), "testdata", "tokenizer", "tokenizer_refs.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Chat []struct {
			Name           string            `json:"name"`
			Messages       []chat.Message    `json:"messages"`
			Tools          []json.RawMessage `json:"tools"`
			EnableThinking *bool             `json:"enable_thinking"`
			Text           string            `json:"text"`
			IDs            []int             `json:"ids"`
		} `json:"chat"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Chat) != 9 {
		t.Fatalf("%d chat cases, want 9", len(doc.Chat))
	}
	m := chatModel(t) // tiny-chat has the reference tokenizer
	for _, c := range doc.Chat {
		req := &generate.Request{Messages: c.Messages, Tools: c.Tools, Think: c.EnableThinking != nil && *c.EnableThinking}
		ids, err := m.Tokens(req)
		if err != nil {
			t.Errorf("%s: %v", c.Name, err)
			continue
		}
		if !slices.Equal(ids, c.IDs) {
			t.Errorf("%s:\n got %v\nwant %v", c.Name, ids, c.IDs)
		}
	}
}

// onLock is a sync.Locker that calls fn on each Lock: Options.Turns is
// taken around every forward pass, so it counts them.
type onLock struct {
	mu sync.Mutex
	fn func()
}

func (l *onLock) Lock()   { l.mu.Lock(); l.fn() }
func (l *onLock) Unlock() { l.mu.Unlock() }
