package model

import (
	"errors"
	"fmt"
	"math"
	"runtime"

	"github.com/exaone-go/exaone/asm"
	"github.com/exaone-go/exaone/quant"
)

// Options configure a Session. Zero values pick the defaults; negative
// values are refused.
type Options struct {
	// Ctx is the context size in tokens; 0 = the model's training context,
	// capped at DefaultCtxCap. It may not exceed the training context.
	Ctx int
	// Batch is the most tokens evaluated in one forward pass; 0 = 512.
	Batch int
	// Threads is the number of worker threads; 0 = DefaultThreads(). It is
	// capped at runtime.NumCPU(): the workers poll between parallel loops,
	// so more threads than CPUs only wait on each other. Session.Threads
	// reports the count in use.
	Threads int
	// KVF32 keeps the KV cache in f32 instead of f16.
	KVF32 bool
}

// DefaultCtxCap caps the default context (Options.Ctx 0), as the command
// does. The cache of a global layer is reserved for the whole context up
// front: 2 (keys, values) x KVHeads x HeadDim x 2 bytes (f16) per token per
// layer, so EXAONE-4.0-1.2B (30 global layers, 8 KV heads of 64) takes
// 60 KiB per token: 240 MiB at 4096 tokens, 3.75 GiB at its 65536-token
// training context. Session.KVBytes reports a session's figure.
const DefaultCtxCap = 4096

// maxCtx bounds a model's context_length: larger values are not a real
// model's, and the cache and score buffers are sized from it.
const maxCtx = 1 << 24

// Errors that callers tell apart with errors.Is; the returned errors wrap
// them with the numbers involved.
var (
	// ErrBadOptions: a field of Options is out of range.
	ErrBadOptions = errors.New("bad session options")
	// ErrContextFull: Eval or EvalFrom would go past the context size.
	ErrContextFull = errors.New("context full")
	// ErrCannotRewind: Truncate asked for more tokens back than a
	// sliding-window ring still holds; Reset and evaluate again instead.
	ErrCannotRewind = errors.New("cannot rewind the sliding-window cache")
	// ErrBadToken: a token id is outside the vocabulary.
	ErrBadToken = errors.New("token id out of range")
)

// Session is one sequence being evaluated: its position, KV cache, worker
// pool and every scratch buffer, allocated once so evaluating tokens
// allocates nothing in steady state. A Session is not safe for concurrent
// use.
type Session struct {
	m     *Model
	ctx   int
	batch int
	pos   int
	cache *kvCache
	pool  *pool

	// activations of the tokens in flight, batch rows each
	x, q, k, v, att, ao, gate, up, down, xn []float32
	logits                                  []float32
	act                                     actBuf
	cos, sin                                []float32 // batch x HeadDim/2
	scores                                  [][]float32

	mm   matmulTask
	prep prepTask
	attn attnTask

	// the per-token steps between the matmuls, as parallel loops over
	// the batch's tokens (of layer li, batch starting at pos0)
	li, pos0                                 int
	qkTask, attnOutTask, ffnTask, ffnOutTask rowTask
}

// rowTask runs f over the tokens [lo, hi) of the batch.
type rowTask struct{ f func(lo, hi int) }

func (t *rowTask) run(lo, hi, _ int) { t.f(lo, hi) }

// tokenGrain is the tokens per chunk of the per-token loops.
const tokenGrain = 8

// logitRows is how many rows the LM head multiplies at once when every
// position's logits are wanted.
const logitRows = 16

// NewSession allocates the cache and buffers for a context of opts.Ctx.
// Invalid options are an error wrapping ErrBadOptions; an invalid
// EXAONE_KERNELS setting is reported too.
func (m *Model) NewSession(opts Options) (*Session, error) {
	if err := asm.Err(); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	switch {
	case opts.Ctx < 0:
		return nil, fmt.Errorf("model: %w: context size %d is negative", ErrBadOptions, opts.Ctx)
	case opts.Batch < 0:
		return nil, fmt.Errorf("model: %w: batch size %d is negative", ErrBadOptions, opts.Batch)
	case opts.Threads < 0:
		return nil, fmt.Errorf("model: %w: thread count %d is negative", ErrBadOptions, opts.Threads)
	case opts.Ctx > m.CtxTrain:
		return nil, fmt.Errorf("model: %w: context size %d exceeds the model's training context %d", ErrBadOptions, opts.Ctx, m.CtxTrain)
	}
	if opts.Ctx == 0 {
		opts.Ctx = min(m.CtxTrain, DefaultCtxCap)
	}
	if opts.Batch == 0 {
		opts.Batch = 512
	}
	if opts.Threads == 0 {
		opts.Threads = DefaultThreads()
	}
	opts.Threads = min(opts.Threads, runtime.NumCPU())
	b := min(opts.Batch, opts.Ctx)
	c := &m.Config
	qd, kvd := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	s := &Session{
		m: m, ctx: opts.Ctx, batch: b,
		cache: newKVCache(c, opts.Ctx, opts.Batch, !opts.KVF32),
		pool:  newPool(opts.Threads),
		x:     make([]float32, b*c.Embd),
		q:     make([]float32, b*qd), k: make([]float32, b*kvd), v: make([]float32, b*kvd),
		att: make([]float32, b*qd), ao: make([]float32, b*c.Embd),
		gate: make([]float32, b*c.FF), up: make([]float32, b*c.FF), down: make([]float32, b*c.Embd),
		logits: make([]float32, logitRows*m.Vocab),
		cos:    make([]float32, b*c.HeadDim/2), sin: make([]float32, b*c.HeadDim/2),
		scores: make([][]float32, opts.Threads),
	}
	for i := range s.scores {
		s.scores[i] = make([]float32, opts.Ctx*(c.Heads/c.KVHeads))
	}
	s.act.init(max(b, logitRows), max(c.Embd, c.FF))
	s.xn = make([]float32, max(b, logitRows)*c.Embd)
	s.attn.s = s
	s.qkTask.f, s.attnOutTask.f, s.ffnTask.f, s.ffnOutTask.f = s.qkRows, s.attnOutRows, s.ffnRows, s.ffnOutRows
	return s, nil
}

// Close stops the session's worker threads.
func (s *Session) Close() { s.pool.close() }

// Threads is the number of worker threads in use (Options.Threads after
// defaulting and capping).
func (s *Session) Threads() int { return s.pool.threads }

// Pos is the number of tokens evaluated so far (the next token's position).
func (s *Session) Pos() int { return s.pos }

// Ctx is the context size.
func (s *Session) Ctx() int { return s.ctx }

// Model returns the model the session runs.
func (s *Session) Model() *Model { return s.m }

// Reset forgets every evaluated token.
func (s *Session) Reset() { s.pos = 0 }

// Truncate forgets the tokens from position n on, so evaluation continues
// at n (regenerating a reply, say).
func (s *Session) Truncate(n int) error {
	if n < 0 || n > s.pos {
		return fmt.Errorf("model: cannot truncate to %d tokens, %d evaluated", n, s.pos)
	}
	if err := s.cache.checkTruncate(&s.m.Config, s.pos, n); err != nil {
		return err
	}
	s.pos = n
	return nil
}

// KVBytes is the memory of the KV cache of the sliding-window layers and of
// the global layers.
func (s *Session) KVBytes() (sliding, global int) {
	return s.cache.bytes(true), s.cache.bytes(false)
}

func (s *Session) check(tokens []int) error {
	if len(tokens) == 0 {
		return fmt.Errorf("model: no tokens to evaluate")
	}
	if s.pos+len(tokens) > s.ctx {
		return fmt.Errorf("model: %w: %d tokens evaluated + %d new > context size %d", ErrContextFull, s.pos, len(tokens), s.ctx)
	}
	for _, t := range tokens {
		if t < 0 || t >= s.m.Vocab {
			return fmt.Errorf("model: %w: %d (vocabulary %d)", ErrBadToken, t, s.m.Vocab)
		}
	}
	return nil
}

// Eval evaluates tokens at the next positions and returns the logits
// predicting the token after the last one: exactly Vocab values. The slice
// is reused by the next call.
func (s *Session) Eval(tokens []int) ([]float32, error) {
	if err := s.check(tokens); err != nil {
		return nil, err
	}
	for len(tokens) > 0 {
		n := min(len(tokens), s.batch)
		last := n == len(tokens)
		s.forward(tokens[:n], last, 0, nil)
		tokens = tokens[n:]
	}
	return s.logits[:s.m.Vocab:s.m.Vocab], nil
}

// EvalAll evaluates tokens and calls fn with the logits after each of them,
// in order, Vocab values each (fn must not keep the slice).
func (s *Session) EvalAll(tokens []int, fn func(i int, logits []float32)) error {
	return s.EvalFrom(tokens, 0, fn)
}

// EvalFrom evaluates tokens and calls fn with the logits after each of
// tokens[first:] (perplexity scores only part of a chunk, and the LM head is
// the largest matrix).
func (s *Session) EvalFrom(tokens []int, first int, fn func(i int, logits []float32)) error {
	if err := s.check(tokens); err != nil {
		return err
	}
	start := s.pos
	for done := 0; done < len(tokens); {
		n := min(len(tokens)-done, s.batch)
		want := done+n > first
		base := done
		s.forward(tokens[done:done+n], want, start+first, func(i int, l []float32) { fn(base+i, l) })
		done += n
	}
	return nil
}

// forward runs one batch through the decoder, following the EXAONE 4 layer
// (no pre-norm; per-head QK RMSNorm; RoPE on RoPE layers; sliding or global
// causal attention; RMSNorm on each sublayer's output before the residual
// add). If want is true, the logits of the last token (or, with each set,
// of every token) are computed.
func (s *Session) forward(tokens []int, want bool, wantFrom int, each func(int, []float32)) {
	m, c := s.m, &s.m.Config
	n, d := len(tokens), c.Embd
	qd := c.Heads * c.HeadDim
	pos0 := s.pos

	// Token embeddings (not scaled).
	for i, t := range tokens {
		quant.Dequantize(m.TokEmbd.Layout, s.x[i*d:(i+1)*d], m.TokEmbd.Row(t))
	}
	s.ropeTables(pos0, n)

	for li := range m.Layers {
		L := &m.Layers[li]

		// Attention: projections straight from the residual stream.
		s.setInput(s.x, n, d)
		s.matmuls(n, s.q, L.Wq, s.k, L.Wk, s.v, L.Wv)
		// Per-head RMSNorm of q and k, RoPE on RoPE layers, k and v
		// into the cache (qkRows).
		s.li, s.pos0 = li, pos0
		s.pool.parallel(n, tokenGrain, &s.qkTask)
		// Causal attention, sliding or global (attnTask).
		s.attn.layer, s.attn.pos0 = li, pos0
		s.pool.parallel(n*c.KVHeads, 1, &s.attn)
		s.setInput(s.att, n, qd)
		s.matmul(s.ao, L.Wo, n)
		// x += RMSNorm(Wo attn) (attnOutRows).
		s.pool.parallel(n, tokenGrain, &s.attnOutTask)

		// SwiGLU feed-forward: gate = silu(Wgate x) * (Wup x) (ffnRows),
		// then x += RMSNorm(Wdown gate) (ffnOutRows).
		s.setInput(s.x, n, d)
		s.matmuls(n, s.gate, L.Wgate, s.up, L.Wup, nil, nil)
		s.pool.parallel(n, tokenGrain, &s.ffnTask)
		s.setInput(s.gate, n, c.FF)
		s.matmul(s.down, L.Wdown, n)
		s.pool.parallel(n, tokenGrain, &s.ffnOutTask)
	}
	s.pos += n

	if !want {
		return
	}
	// Final norm and LM head, for the last token or for each from the
	// first wanted one, a group of rows per matmul.
	first := n - 1
	if each != nil {
		first = max(0, wantFrom-pos0)
	}
	for lo := first; lo < n; lo += logitRows {
		hi := min(lo+logitRows, n)
		for i := lo; i < hi; i++ {
			rmsNorm(s.xn[(i-lo)*d:(i-lo+1)*d], s.x[i*d:(i+1)*d], m.OutputNorm, c.Eps)
		}
		s.setInput(s.xn, hi-lo, d)
		s.matmul(s.logits, m.Output, hi-lo)
		if each != nil {
			for i := lo; i < hi; i++ {
				each(i, s.logits[(i-lo)*m.Vocab:(i-lo+1)*m.Vocab:(i-lo+1)*m.Vocab])
			}
		}
	}
}

// qkRows applies the per-head QK RMSNorm and RoPE to the queries and keys
// of tokens [lo, hi) of layer s.li and stores their keys and values.
func (s *Session) qkRows(lo, hi int) {
	c, L, li := &s.m.Config, &s.m.Layers[s.li], s.li
	qd, kvd, hd := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim, c.HeadDim
	for i := lo; i < hi; i++ {
		for h := 0; h < c.Heads; h++ {
			qh := s.q[i*qd+h*hd : i*qd+(h+1)*hd]
			rmsNorm(qh, qh, L.QNorm, c.Eps)
			if c.Rope[li] {
				s.rope(qh, i)
			}
		}
		for h := 0; h < c.KVHeads; h++ {
			kh := s.k[i*kvd+h*hd : i*kvd+(h+1)*hd]
			rmsNorm(kh, kh, L.KNorm, c.Eps)
			if c.Rope[li] {
				s.rope(kh, i)
			}
			s.cache.store(li, h, s.pos0+i, kh, s.v[i*kvd+h*hd:i*kvd+(h+1)*hd])
		}
	}
}

// attnOutRows adds the normed attention output of tokens [lo, hi) to the
// residual stream.
func (s *Session) attnOutRows(lo, hi int) {
	c, L, d := &s.m.Config, &s.m.Layers[s.li], s.m.Config.Embd
	for i := lo; i < hi; i++ {
		addNorm(s.x[i*d:(i+1)*d], s.ao[i*d:(i+1)*d], L.PostAttnNorm, c.Eps)
	}
}

// ffnRows applies SwiGLU's gate to tokens [lo, hi).
func (s *Session) ffnRows(lo, hi int) {
	ff := s.m.Config.FF
	asm.SiLUMul(s.gate[lo*ff:hi*ff], s.up[lo*ff:hi*ff])
}

// ffnOutRows adds the normed feed-forward output of tokens [lo, hi) to the
// residual stream.
func (s *Session) ffnOutRows(lo, hi int) {
	c, L, d := &s.m.Config, &s.m.Layers[s.li], s.m.Config.Embd
	for i := lo; i < hi; i++ {
		addNorm(s.x[i*d:(i+1)*d], s.down[i*d:(i+1)*d], L.PostFFNNorm, c.Eps)
	}
}

// ropeTables fills cos/sin of every RoPE pair for positions pos0..pos0+n-1.
// The angle is formed in float32 as transformers does.
func (s *Session) ropeTables(pos0, n int) {
	half := len(s.m.invFreq)
	for i := 0; i < n; i++ {
		p := float32(pos0 + i)
		for j, f := range s.m.invFreq {
			a := float64(p * f)
			s.cos[i*half+j] = float32(math.Cos(a))
			s.sin[i*half+j] = float32(math.Sin(a))
		}
	}
}

// rope rotates x (one head of token i of the batch) in NEOX layout: element
// j pairs with j+HeadDim/2.
func (s *Session) rope(x []float32, i int) {
	half := len(x) / 2
	cs, sn := s.cos[i*half:(i+1)*half], s.sin[i*half:(i+1)*half]
	for j := 0; j < half; j++ {
		a, b := x[j], x[j+half]
		x[j] = a*cs[j] - b*sn[j]
		x[j+half] = b*cs[j] + a*sn[j]
	}
}

// rmsNorm sets dst = x / sqrt(mean(x^2) + eps) * w (dst may alias x).
func rmsNorm(dst, x, w []float32, eps float32) {
	var ss float64
	for _, v := range x {
		ss += float64(v) * float64(v)
	}
	scale := float32(1 / math.Sqrt(ss/float64(len(x))+float64(eps)))
	for i, v := range x {
		dst[i] = v * scale * w[i]
	}
}

// addNorm adds RMSNorm(y) to the residual x.
func addNorm(x, y, w []float32, eps float32) {
	var ss float64
	for _, v := range y {
		ss += float64(v) * float64(v)
	}
	scale := float32(1 / math.Sqrt(ss/float64(len(y))+float64(eps)))
	for i, v := range y {
		x[i] += v * scale * w[i]
	}
}
