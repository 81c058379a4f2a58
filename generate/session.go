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
	// threads at once on the same cores. (A Batch does better for
	// concurrent streams: one forward pass for all of them.)
	Turns sync.Locker
}

// DefaultCtx caps the default context. The KV cache costs, per token,
// 2 x layers x KV heads x head size x 2 bytes (f16): 64 KiB for the 1.2B,
// 256 KiB for the 32B's global layers (its sliding layers keep only the
// window), so a full 64K context would take 4 GiB for the 1.2B alone.
const DefaultCtx = model.DefaultCtxCap

// Session is one conversation: a decoder sequence (its KV cache) and the
// tokens in that cache, so that a request extending the previous one
// evaluates only the new tokens. A standalone Session (Model.NewSession)
// has its own decoder session: scratch buffers and worker threads. A
// Session of a Batch shares the batch's, and its forward passes are the
// batch's steps. A Session serves one Generate at a time; use one per
// concurrent stream.
type Session struct {
	m     *Model
	s     *model.Session
	turns sync.Locker
	batch int
	past  []int // tokens in the KV cache, in position order

	// A Batch's session: its batch and its sequence of the batch's
	// decoder session.
	b *Batch
	q *model.Seq
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

// Close stops the session's worker threads and frees its cache. A Batch's
// sessions are freed by Batch.Close: for them Close does nothing.
func (s *Session) Close() {
	if s.b == nil {
		s.s.Close()
	}
}

// Ctx is the session's context size in tokens.
func (s *Session) Ctx() int { return s.seq().Ctx() }

// KVBytes is the memory of the session's KV cache (its sequence's, for a
// Batch's session).
func (s *Session) KVBytes() int {
	sliding, global := s.seq().KVBytes()
	return sliding + global
}

// Cached is the number of tokens in the KV cache.
func (s *Session) Cached() int { return len(s.past) }

// Decoder is the underlying decoder session; a Batch's sessions share the
// batch's, which only the batch may use while it runs.
func (s *Session) Decoder() *model.Session { return s.s }

// Reset forgets the cached tokens.
func (s *Session) Reset() {
	if s.b == nil {
		s.s.Reset()
	}
	// A Batch's sequence is rewound by its next request, in the batch's
	// loop, since other sequences' steps may be running.
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
// ErrBadRequest one. A Session of a Batch evaluates in the batch's shared
// steps; a closed Batch's Sessions return ErrClosed.
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

	// The penalties look at the whole prompt, as llama.cpp's sampler has
	// seen every prompt token.
	smp := sampler.New(params)
	for _, t := range ids {
		smp.Accept(t)
	}
	p := &picker{m: s.m, smp: smp, eos: eos, ignoreEOS: req.IgnoreEOS, maxTokens: req.MaxTokens}
	g := &gen{
		fn:     fn,
		res:    &res,
		dec:    tk.NewStreamDecoder(),
		tk:     tk,
		tags:   s.m.tags,
		raw:    req.Prompt != "",
		stop:   stopFilter{stops: req.Stop},
		parser: newParser(req.Think, req.Prompt != ""),
	}
	if gram != nil {
		p.cons = s.m.newConstraint(gram, req)
		g.parser.plain, g.parser.oneCall = !p.cons.call, p.cons.call
	}
	var text, reasoning strings.Builder
	g.text, g.reasoning = &text, &reasoning
	if s.b != nil {
		err = s.generateBatched(ctx, ids, p, g)
	} else {
		err = s.generate(ctx, ids, p, g)
	}
	if err != nil {
		return res, err
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

// generate runs a standalone session's generation: the prompt, then one
// forward pass per token, in the caller's goroutine.
func (s *Session) generate(ctx context.Context, ids []int, p *picker, g *gen) error {
	res := g.res
	start := time.Now()
	logits, cached, err := s.feed(ctx, ids)
	res.CachedTokens = cached
	res.PromptTime = time.Since(start)
	if err != nil {
		if ctx.Err() != nil {
			res.Stop = StopCancelled
		}
		return err
	}
	start = time.Now()
	defer func() { res.GenerateTime = time.Since(start) }()
	for {
		if err := ctx.Err(); err != nil {
			g.finish()
			res.Stop = StopCancelled
			return err
		}
		pk := p.pick(logits, len(s.past) >= s.Ctx())
		if end, err := g.take(pk); end || err != nil {
			return err
		}
		if logits, err = s.eval([]int{pk.tok}); err != nil {
			return err
		}
	}
}

// feed brings the KV cache to ids and returns the logits after the last one
// and how many tokens were reused. The common prefix with what is cached is
// kept when the cache can be rewound to it (a sliding-window ring may no
// longer hold the positions; then everything is evaluated again).
func (s *Session) feed(ctx context.Context, ids []int) ([]float32, int, error) {
	k := s.rewind(ids)
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

// rewind keeps the longest prefix of ids that the cache holds and can be
// rewound to, at least one token short of ids (the last one is evaluated
// again for its logits), and returns its length.
func (s *Session) rewind(ids []int) int {
	k := 0
	for k < len(ids) && k < len(s.past) && ids[k] == s.past[k] {
		k++
	}
	if k == len(ids) {
		k--
	}
	q := s.seq()
	if q.Pos() > k {
		if err := q.Truncate(k); err != nil {
			q.Reset()
			k = 0
		}
	}
	s.past = s.past[:k]
	return k
}

// seq is the session's decoder sequence.
func (s *Session) seq() *model.Seq {
	if s.q != nil {
		return s.q
	}
	return s.s.Seq()
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

// picked is a sampled token and what follows from it, decided where the
// logits are: whether the generation ends after it, and why.
type picked struct {
	tok  int  // -1: sampling failed (err) or the batch ended the request
	eot  bool // the end of the turn: ends the generation before any text
	done bool // the generation ends after this token (stop says why)
	stop StopReason
	err  error // with tok >= 0: the grammar refused the token's text
}

// picker samples one request's tokens: the sampler chain, the grammar
// mask and the limits that end a generation on the token alone.
type picker struct {
	m         *Model
	smp       *sampler.Sampler
	cons      *constraint
	eos       int
	ignoreEOS bool
	maxTokens int
	n         int // tokens sampled
}

// pick samples the token after logits; full says that no token fits after
// the cached ones (the context is full).
func (p *picker) pick(logits []float32, full bool) picked {
	var tok int
	if c := p.cons; c != nil && c.active {
		var err error
		if tok, err = c.sample(p.smp, logits); err != nil {
			return picked{tok: -1, done: true, err: err}
		}
	} else {
		tok = p.smp.Sample(logits)
	}
	p.smp.Accept(tok)
	p.n++
	c := p.cons
	// Under a grammar the end of turn comes only where the document is
	// complete, so it ends the output even with IgnoreEOS.
	if tok == p.eos && (!p.ignoreEOS || c != nil && c.active) {
		return picked{tok: tok, eot: true, done: true, stop: StopEndOfTurn}
	}
	if c != nil {
		if !c.active {
			if err := c.watch(p.m.tokenBytes(tok)); err != nil {
				return picked{tok: tok, done: true, err: err}
			}
		} else if c.st.Done() {
			return picked{tok: tok, done: true, stop: StopEndOfTurn} // nothing may follow the document
		}
	}
	if p.maxTokens > 0 && p.n >= p.maxTokens {
		return picked{tok: tok, done: true, stop: StopLength} // no need to evaluate a token nothing will follow
	}
	if full {
		return picked{tok: tok, done: true, stop: StopContextFull}
	}
	return picked{tok: tok}
}

// take passes a picked token on as output; end reports that the generation
// is over (Result.Stop set unless err).
func (g *gen) take(pk picked) (end bool, err error) {
	res := g.res
	if pk.tok < 0 {
		g.finish()
		return true, pk.err
	}
	res.Tokens = append(res.Tokens, pk.tok)
	res.GeneratedTokens++
	if pk.eot {
		res.Stop = StopEndOfTurn
		return true, nil
	}
	// A stop string in the token's text wins over the limits.
	if hit, err := g.token(pk.tok); err != nil {
		res.Stop = StopCancelled
		return true, err
	} else if hit {
		res.Stop = StopString
		return true, nil
	}
	if pk.err != nil {
		g.finish()
		return true, pk.err
	}
	if pk.done {
		res.Stop = pk.stop
	}
	return pk.done, nil
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
