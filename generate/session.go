package generate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/exaone-go/exaone/model"
	"github.com/exaone-go/exaone/sampler"
	"github.com/exaone-go/exaone/tokenizer"
)

// Options size a Session; the zero value is a sensible default.
type Options struct {
	// Ctx is the context in tokens: the prompt and the reply together. 0
	// means the model's training context, capped at DefaultCtx; more than
	// the training context is an error.
	Ctx int
	// Batch is the most prompt tokens evaluated in one forward pass (and
	// so the granularity at which a long prompt can be cancelled); 0 = 512.
	Batch int
	// Threads is the number of worker threads; 0 = model.DefaultThreads().
	Threads int
	// CacheTypeK and CacheTypeV are the element types of the keys and
	// the values in the KV cache (model.Options); the zero value is f16.
	CacheTypeK, CacheTypeV model.CacheType
	// Turns, if set, is held around each forward pass. Sessions that share
	// one take turns token by token instead of running their worker
	// threads at once on the same cores (a server's slots, say).
	Turns sync.Locker
}

// DefaultCtx caps the default context. The KV cache costs, per token,
// 2 x layers x KV heads x head size x 2 bytes (f16): 64 KiB for the 1.2B,
// 256 KiB for the 32B's global layers (its sliding layers keep only the
// window), so a full 64K context would take 4 GiB for the 1.2B alone.
const DefaultCtx = model.DefaultCtxCap

// Session is one conversation: a decoder session (its KV cache, scratch
// buffers and worker threads) and the tokens in its cache, so that a
// request extending the previous one evaluates only the new tokens. A
// Session serves one Generate at a time; use one per concurrent stream.
type Session struct {
	m     *Model
	s     *model.Session
	turns sync.Locker
	batch int
	past  []int // tokens in the KV cache, in position order
}

// NewSession allocates a session: its KV cache (see DefaultCtx for the
// cost) and its worker threads, which run until Close.
func (m *Model) NewSession(o Options) (*Session, error) {
	if o.Batch == 0 {
		o.Batch = 512
	}
	s, err := m.dec.NewSession(model.Options{Ctx: o.Ctx, Batch: o.Batch, Threads: o.Threads, CacheTypeK: o.CacheTypeK, CacheTypeV: o.CacheTypeV})
	if err != nil {
		return nil, err
	}
	return &Session{m: m, s: s, turns: o.Turns, batch: o.Batch}, nil
}

// Close stops the session's worker threads and frees its cache.
func (s *Session) Close() { s.s.Close() }

// Ctx is the session's context size in tokens.
func (s *Session) Ctx() int { return s.s.Ctx() }

// Cached is the number of tokens in the KV cache.
func (s *Session) Cached() int { return len(s.past) }

// Decoder is the underlying decoder session.
func (s *Session) Decoder() *model.Session { return s.s }

// Reset forgets the cached tokens.
func (s *Session) Reset() {
	s.s.Reset()
	s.past = s.past[:0]
}

// Generate evaluates the request's prompt, reusing the longest prefix it
// shares with what the session has cached, and samples the reply, calling
// fn (if not nil) with each piece of output as soon as it is complete:
// text never ends inside a UTF-8 character, a tag or a possible stop
// string, and a tool call arrives whole.
//
// It returns when the turn ends, a limit is reached, ctx is cancelled
// (checked between prompt batches and between tokens) or fn returns an
// error; in the last two cases the Result, with Stop == StopCancelled,
// holds what was generated and the error is ctx's or fn's. A prompt longer
// than the context is an ErrContextFull error; a bad request an
// ErrBadRequest one.
func (s *Session) Generate(ctx context.Context, req *Request, fn func(Chunk) error) (res Result, err error) {
	ids, err := s.m.Tokens(req)
	if err != nil {
		return res, err
	}
	params := sampler.DefaultParams()
	if req.Sampling != nil {
		params = *req.Sampling
	} else {
		params.Seed = rand.Uint64()
	}
	tk := s.m.tk
	eos := tk.EOS()
	if req.IgnoreEOS && eos >= 0 {
		params = params.Ban(eos)
	}
	if err := params.ValidateVocab(s.m.dec.Vocab); err != nil {
		return res, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	gram, err := req.constraint()
	if err != nil {
		return res, err
	}
	res.PromptTokens = len(ids)
	if len(ids) > s.Ctx() {
		return res, fmt.Errorf("%w: the prompt is %d tokens, longer than the context size %d", ErrContextFull, len(ids), s.Ctx())
	}

	start := time.Now()
	logits, cached, err := s.feed(ctx, ids)
	res.CachedTokens = cached
	res.PromptTime = time.Since(start)
	if err != nil {
		if ctx.Err() != nil {
			res.Stop = StopCancelled
		}
		return res, err
	}

	// The penalties look at the whole prompt, as llama.cpp's sampler has
	// seen every prompt token.
	smp := sampler.New(params)
	for _, t := range ids {
		smp.Accept(t)
	}
	g := gen{
		fn:     fn,
		res:    &res,
		dec:    tk.NewStreamDecoder(),
		tk:     tk,
		tags:   s.m.tags,
		raw:    req.Prompt != "",
		stop:   stopFilter{stops: req.Stop},
		parser: newParser(req.Think, req.Prompt != ""),
	}
	var cons *constraint
	if gram != nil {
		cons = s.m.newConstraint(gram, req)
		g.parser.plain, g.parser.oneCall = !cons.call, cons.call
	}
	var text, reasoning strings.Builder
	g.text, g.reasoning = &text, &reasoning
	start = time.Now()
	defer func() { res.GenerateTime = time.Since(start) }()
	for {
		if err := ctx.Err(); err != nil {
			g.finish()
			res.Stop = StopCancelled
			return res, err
		}
		var tok int
		if cons != nil && cons.active {
			if tok, err = cons.sample(smp, logits); err != nil {
				g.finish()
				return res, err
			}
		} else {
			tok = smp.Sample(logits)
		}
		smp.Accept(tok)
		res.Tokens = append(res.Tokens, tok)
		res.GeneratedTokens++
		// Under a grammar the end of turn comes only where the document
		// is complete, so it ends the output even with IgnoreEOS.
		if tok == eos && (!req.IgnoreEOS || cons != nil && cons.active) {
			res.Stop = StopEndOfTurn
			break
		}
		if hit, err := g.token(tok); err != nil {
			res.Stop = StopCancelled
			return res, err
		} else if hit {
			res.Stop = StopString
			break
		}
		if cons != nil {
			if !cons.active {
				if err := cons.watch(s.m.tokenBytes(tok)); err != nil {
					g.finish()
					return res, err
				}
			} else if cons.st.Done() {
				res.Stop = StopEndOfTurn // nothing may follow the document
				break
			}
		}
		if req.MaxTokens > 0 && res.GeneratedTokens >= req.MaxTokens {
			res.Stop = StopLength
			break // no need to evaluate a token nothing will follow
		}
		if len(s.past) >= s.Ctx() {
			res.Stop = StopContextFull
			break
		}
		if logits, err = s.eval([]int{tok}); err != nil {
			return res, err
		}
	}
	if err := g.finish(); err != nil {
		res.Stop = StopCancelled
		return res, err
	}
	if res.Stop == StopEndOfTurn && len(res.ToolCalls) > 0 {
		res.Stop = StopToolCalls
	}
	return res, nil
}

// feed brings the KV cache to ids and returns the logits after the last one
// and how many tokens were reused. The common prefix with what is cached is
// kept when the cache can be rewound to it (a sliding-window ring may no
// longer hold the positions; then everything is evaluated again).
func (s *Session) feed(ctx context.Context, ids []int) ([]float32, int, error) {
	k := 0
	for k < len(ids) && k < len(s.past) && ids[k] == s.past[k] {
		k++
	}
	if k == len(ids) {
		k-- // the last token is evaluated again for its logits
	}
	if k < len(s.past) {
		if err := s.s.Truncate(k); err != nil {
			s.s.Reset()
			k = 0
		}
		s.past = s.past[:k]
	}
	var logits []float32
	for done := k; done < len(ids); {
		if err := ctx.Err(); err != nil {
			return nil, k, err
		}
		n := min(len(ids)-done, s.batch)
		var err error
		if logits, err = s.eval(ids[done : done+n]); err != nil {
			return nil, k, err
		}
		done += n
	}
	return logits, k, nil
}

// eval evaluates tokens after the cached ones and records them.
func (s *Session) eval(tokens []int) ([]float32, error) {
	if s.turns != nil {
		s.turns.Lock()
		defer s.turns.Unlock()
	}
	logits, err := s.s.Eval(tokens)
	if err != nil {
		// The session's state is unknown: start from nothing next time.
		s.Reset()
		return nil, err
	}
	s.past = append(s.past, tokens...)
	return logits[:s.m.dec.Vocab], nil
}

// gen turns sampled tokens into chunks: UTF-8 assembly, stop strings, then
// the reasoning/answer/tool-call parser.
type gen struct {
	fn              func(Chunk) error
	res             *Result
	dec             *tokenizer.StreamDecoder
	tk              *tokenizer.Tokenizer
	tags            map[int]string
	stop            stopFilter
	parser          *parser
	raw             bool // a raw completion: control tokens are never text, tags included
	text, reasoning *strings.Builder
	stopped         bool
}

// token adds a sampled token; hit reports a stop string.
func (g *gen) token(tok int) (hit bool, err error) {
	var piece string
	if tag, ok := g.tags[tok]; ok && !g.raw {
		piece = g.dec.Flush() + tag
	} else if g.tk.IsControl(tok) {
		return false, nil // never part of the text
	} else {
		piece = g.dec.Add(tok)
	}
	out, which := g.stop.push(piece)
	if err := g.emit(g.parser.push(out)); err != nil {
		return false, err
	}
	if which != "" {
		g.res.StopString = which
		g.stopped = true
		return true, g.emit(g.parser.flush())
	}
	return false, nil
}

// finish passes on everything held back.
func (g *gen) finish() error {
	if g.stopped {
		g.collect()
		return nil
	}
	g.stopped = true
	out, _ := g.stop.push(g.dec.Flush())
	err := g.emit(g.parser.push(out + g.stop.flush()))
	if err == nil {
		err = g.emit(g.parser.flush())
	}
	g.collect()
	return err
}

func (g *gen) collect() {
	g.res.Text, g.res.Reasoning = g.text.String(), g.reasoning.String()
}

func (g *gen) emit(evs []event) error {
	for _, e := range evs {
		var c Chunk
		switch {
		case e.call != nil:
			g.res.ToolCalls = append(g.res.ToolCalls, *e.call)
			c.ToolCall = e.call
		case e.reasoning != "":
			g.reasoning.WriteString(e.reasoning)
			c.Reasoning = e.reasoning
		default:
			g.text.WriteString(e.text)
			c.Text = e.text
		}
		if g.fn != nil {
			if err := g.fn(c); err != nil {
				return err
			}
		}
	}
	g.collect()
	return nil
}
