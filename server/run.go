package server

import (
	"context"
	"crypto/rand"
	"net/http"
	"sync"
	"time"

	"github.com/exaone-go/exaone/generate"
)

// job is one generation as an endpoint frames it.
type job struct {
	req *generate.Request
	ids []int // req's prompt tokens
	// admitted, if set, is called once the request holds a place (a slot
	// or the queue): a stream writes its headers there.
	admitted func()
	// chunk, if set, receives the output as it is generated.
	chunk func(generate.Chunk) error
	// keepAlive, if set, is called every Options.KeepAlive until the
	// first chunk, while the request waits for a slot or its prompt.
	keepAlive func() error
}

// prepare tokenizes a request and checks that its prompt fits a slot.
func (s *Server) prepare(req *generate.Request) ([]int, *apiError) {
	ids, err := s.m.Tokens(req)
	if err != nil {
		return nil, asAPIError(err)
	}
	if len(ids) > s.ctx {
		return nil, badRequest("the prompt is %d tokens, more than the context (%d tokens)", len(ids), s.ctx)
	}
	return ids, nil
}

// run admits a job, waits for a slot, generates on it and frees it. Before
// admitted is called, an error means nothing was written (answer it with
// writeError); after, started is true and the caller ends its stream with
// the error. A request whose client is gone or that Shutdown ends stops at
// the next token.
func (s *Server) run(r *http.Request, j *job) (res generate.Result, started bool, err error) {
	ctx, done, err := s.begin(r)
	if err != nil {
		return res, false, err
	}
	defer done()
	t, err := s.sched.enqueue(j.ids)
	if err != nil {
		return res, false, err
	}
	if j.admitted != nil {
		j.admitted()
	}

	// Writes to the response are serialized: keep-alives come from their
	// own goroutine until the first chunk.
	var mu sync.Mutex
	first := false
	if j.keepAlive != nil {
		stop, stopped := make(chan struct{}), make(chan struct{})
		// Joined before run returns: the caller then writes alone.
		defer func() { close(stop); <-stopped }()
		go func() {
			defer close(stopped)
			tick := time.NewTicker(s.opts.KeepAlive)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					mu.Lock()
					f := first
					if !f {
						j.keepAlive()
					}
					mu.Unlock()
					if f {
						return
					}
				}
			}
		}()
	}
	sl, err := s.sched.wait(ctx, t)
	if err != nil {
		return res, true, err
	}
	fn := func(c generate.Chunk) error {
		mu.Lock()
		defer mu.Unlock()
		first = true
		if j.chunk != nil {
			return j.chunk(c)
		}
		return nil
	}
	res, err = sl.sess.Generate(ctx, j.req, fn)
	if err != nil && ctx.Err() != nil {
		err = context.Cause(ctx) // say why: shutdown or the client
	}
	sl.tokens = append(sl.tokens[:0], j.ids...)
	sl.tokens = append(sl.tokens, res.Tokens...)
	sl.tokens = sl.tokens[:min(len(sl.tokens), sl.sess.Cached())]
	s.sched.release(sl)
	s.stats.record(&res)
	return res, true, err
}

const idChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// newID is prefix and n random letters and digits, as OpenAI's ids.
func newID(prefix string, n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = idChars[int(b[i])%len(idChars)]
	}
	return prefix + string(b)
}

// finishReason is OpenAI's name for why a generation stopped.
func finishReason(r generate.StopReason) string {
	switch r {
	case generate.StopToolCalls:
		return "tool_calls"
	case generate.StopLength, generate.StopContextFull:
		return "length"
	}
	return "stop"
}

// timings is llama-server's timings object.
type timings struct {
	CacheN              int     `json:"cache_n"`
	PromptN             int     `json:"prompt_n"`
	PromptMS            float64 `json:"prompt_ms"`
	PromptPerTokenMS    float64 `json:"prompt_per_token_ms"`
	PromptPerSecond     float64 `json:"prompt_per_second"`
	PredictedN          int     `json:"predicted_n"`
	PredictedMS         float64 `json:"predicted_ms"`
	PredictedPerTokenMS float64 `json:"predicted_per_token_ms"`
	PredictedPerSecond  float64 `json:"predicted_per_second"`
}

func timingsOf(res *generate.Result) *timings {
	t := &timings{
		CacheN:      res.CachedTokens,
		PromptN:     res.PromptTokens - res.CachedTokens,
		PromptMS:    ms(res.PromptTime),
		PredictedN:  res.GeneratedTokens,
		PredictedMS: ms(res.GenerateTime),
	}
	if t.PromptN > 0 && t.PromptMS > 0 {
		t.PromptPerTokenMS = t.PromptMS / float64(t.PromptN)
		t.PromptPerSecond = 1e3 * float64(t.PromptN) / t.PromptMS
	}
	if t.PredictedN > 0 && t.PredictedMS > 0 {
		t.PredictedPerTokenMS = t.PredictedMS / float64(t.PredictedN)
		t.PredictedPerSecond = 1e3 * float64(t.PredictedN) / t.PredictedMS
	}
	return t
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// usage is OpenAI's usage object.
type usage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	TotalTokens         int `json:"total_tokens"`
	PromptTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
}

func usageOf(res *generate.Result) *usage {
	u := &usage{PromptTokens: res.PromptTokens, CompletionTokens: res.GeneratedTokens, TotalTokens: res.PromptTokens + res.GeneratedTokens}
	u.PromptTokensDetails.CachedTokens = res.CachedTokens
	return u
}
