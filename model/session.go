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
	// CacheTypeK and CacheTypeV are the element types of the keys and
	// of the values in the KV cache (llama.cpp's --cache-type-k and
	// --cache-type-v); the zero value is f16. CacheQ8_0 needs a head
	// dimension that is a multiple of 32.
	CacheTypeK, CacheTypeV CacheType
}

// DefaultCtxCap caps the default context (Options.Ctx 0), as the command
// does. The cache of a global layer is reserved for the whole context up
// front: 2 (keys, values) x KVHeads x HeadDim x 2 bytes (f16) per token per
// layer, so EXAONE-4.0-1.2B (30 global layers, 8 KV heads of 64) takes
// 60 KiB per token: 240 MiB at 4096 tokens, 3.75 GiB at its 65536-token
// training context (q8_0 keys and values: 34 bytes per 32 values, 0.53 of
// that). Session.KVBytes reports a session's figure.
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

// Session evaluates tokens: it holds the worker pool and every scratch
// buffer, allocated once so evaluating tokens allocates nothing in steady
// state, and one or more sequences (Seq), each with its own position and KV
// cache. Eval, EvalAll and EvalFrom run the session's first sequence;
// Step evaluates tokens of several sequences in one forward pass, so the
// weights are read once for all of them. A Session is not safe for
// concurrent use.
type Session struct {
	m     *Model
	ctx   int
	batch int
	kt    CacheType // of the keys
	vt    CacheType // of the values
	seq0  *Seq
	extra []*Seq // sequences added by NewSeq
	pool  *pool

	// the tokens in flight: id, sequence and position of each row, and
	// the rows whose logits are wanted (with the caller's tag for each)
	tokens           []int
	rowSeq           []*Seq
	rowPos           []int
	wantRow, wantTag []int
	stepSeen         []*Seq

	// activations of the tokens in flight, batch rows each
	x, q, k, v, att, ao, gate, up, down, xn []float32
	logits                                  []float32
	act                                     asm.Activations // the input of the matmuls
	cos, sin                                []float32       // batch x HeadDim/2
	scores                                  [][]float32
	kq8                                     []byte   // q8_0 keys: each row's keys in Q8_0 (batch x KVHeads)
	qq8                                     [][]byte // q8_0 keys: a query group in Q8_0, per worker

	mm         matmulTask
	prepTask   rowTask    // prepRows
	prepLayout quant.Type // of the matrix prepRows prepares the input for
	attn       attnTask

	// the per-token steps between the matmuls, as parallel loops over
	// the batch's tokens (of layer li)
	li                                       int
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
	for _, t := range []CacheType{opts.CacheTypeK, opts.CacheTypeV} {
		switch {
		case t >= numCacheTypes:
			return nil, fmt.Errorf("model: %w: unknown cache type %d", ErrBadOptions, t)
		case t == CacheQ8_0 && m.HeadDim%quant.QK != 0:
			return nil, fmt.Errorf("model: %w: cache type q8_0 needs a head dimension that is a multiple of %d (the model's is %d)", ErrBadOptions, quant.QK, m.HeadDim)
		}
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
		m: m, ctx: opts.Ctx, batch: b, kt: opts.CacheTypeK, vt: opts.CacheTypeV,
		pool:   newPool(opts.Threads),
		tokens: make([]int, 0, b), rowSeq: make([]*Seq, 0, b), rowPos: make([]int, 0, b),
		wantRow: make([]int, 0, b), wantTag: make([]int, 0, b),
		x: make([]float32, b*c.Embd),
		q: make([]float32, b*qd), k: make([]float32, b*kvd), v: make([]float32, b*kvd),
		att: make([]float32, b*qd), ao: make([]float32, b*c.Embd),
		gate: make([]float32, b*c.FF), up: make([]float32, b*c.FF), down: make([]float32, b*c.Embd),
		logits: make([]float32, logitRows*m.Vocab),
		cos:    make([]float32, b*c.HeadDim/2), sin: make([]float32, b*c.HeadDim/2),
		scores: make([][]float32, opts.Threads),
	}
	for i := range s.scores {
		s.scores[i] = make([]float32, opts.Ctx*(c.Heads/c.KVHeads))
	}
	if s.kt == CacheQ8_0 {
		s.kq8 = make([]byte, b*c.KVHeads*CacheQ8_0.bytesPer(c.HeadDim))
		s.qq8 = make([][]byte, opts.Threads)
		for i := range s.qq8 {
			s.qq8[i] = make([]byte, (c.Heads/c.KVHeads)*CacheQ8_0.bytesPer(c.HeadDim))
		}
	}
	s.xn = make([]float32, max(b, logitRows)*c.Embd)
	s.attn.s = s
	s.qkTask.f, s.attnOutTask.f, s.ffnTask.f, s.ffnOutTask.f, s.prepTask.f = s.qkRows, s.attnOutRows, s.ffnRows, s.ffnOutRows, s.prepRows
	s.seq0 = s.newSeq(opts.Ctx)
	return s, nil
}

func (s *Session) newSeq(ctx int) *Seq {
	return &Seq{s: s, ctx: ctx, cache: newKVCache(&s.m.Config, ctx, s.batch, s.kt, s.vt)}
}

// Close stops the session's worker threads.
func (s *Session) Close() { s.pool.close() }

// Threads is the number of worker threads in use (Options.Threads after
// defaulting and capping).
func (s *Session) Threads() int { return s.pool.threads }

// CacheTypes are the element types of the keys and the values in the KV
// cache (Options.CacheTypeK and CacheTypeV).
func (s *Session) CacheTypes() (k, v CacheType) { return s.kt, s.vt }

// Seq returns the session's first sequence, the one Eval, EvalAll and
// EvalFrom run.
func (s *Session) Seq() *Seq { return s.seq0 }

// Pos is the number of tokens the first sequence has evaluated (the next
// token's position).
func (s *Session) Pos() int { return s.seq0.pos }

// Ctx is the context size.
func (s *Session) Ctx() int { return s.ctx }

// Batch is the most tokens one forward pass evaluates (Options.Batch after
// defaulting, at most the context size).
func (s *Session) Batch() int { return s.batch }

// Model returns the model the session runs.
func (s *Session) Model() *Model { return s.m }

// Reset forgets every token the first sequence evaluated.
func (s *Session) Reset() { s.seq0.Reset() }

// Truncate forgets the first sequence's tokens from position n on, so
// evaluation continues at n (regenerating a reply, say).
func (s *Session) Truncate(n int) error { return s.seq0.Truncate(n) }

// KVBytes is the memory of the KV cache of the sliding-window layers and of
// the global layers, over the session's open sequences.
func (s *Session) KVBytes() (sliding, global int) {
	for _, q := range s.seqs() {
		sliding += q.cache.bytes(true)
		global += q.cache.bytes(false)
	}
	return sliding, global
}

// check validates tokens for sequence q, of chunk chunk of a Step (or -1).
func (s *Session) check(chunk int, q *Seq, tokens []int) error {
	err := s.checkTokens(q, tokens)
	switch {
	case err == nil:
		return nil
	case chunk < 0:
		return fmt.Errorf("model: %w", err)
	}
	return fmt.Errorf("model: chunk %d: %w", chunk, err)
}

func (s *Session) checkTokens(q *Seq, tokens []int) error {
	if len(tokens) == 0 {
		return errors.New("no tokens to evaluate")
	}
	if q.pos+len(tokens) > q.ctx {
		return fmt.Errorf("%w: %d tokens evaluated + %d new > context size %d", ErrContextFull, q.pos, len(tokens), q.ctx)
	}
	for _, t := range tokens {
		if t < 0 || t >= s.m.Vocab {
			return fmt.Errorf("%w: %d (vocabulary %d)", ErrBadToken, t, s.m.Vocab)
		}
	}
	return nil
}

// Eval evaluates tokens at the first sequence's next positions and returns
// the logits predicting the token after the last one: exactly Vocab values.
// The slice is reused by the next call.
func (s *Session) Eval(tokens []int) ([]float32, error) {
	q := s.seq0
	if err := s.check(-1, q, tokens); err != nil {
		return nil, err
	}
	for len(tokens) > 0 {
		n := min(len(tokens), s.batch)
		s.begin()
		s.add(q, tokens[:n], n == len(tokens), 0)
		s.forward(nil)
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
	q := s.seq0
	if err := s.check(-1, q, tokens); err != nil {
		return err
	}
	for done := 0; done < len(tokens); {
		n := min(len(tokens)-done, s.batch)
		s.begin()
		for i := done; i < done+n; i++ {
			s.addRow(q, tokens[i], q.pos+i-done, i >= first, i)
		}
		s.forward(fn)
		q.pos += n
		done += n
	}
	return nil
}

// begin starts the rows of a forward pass.
func (s *Session) begin() {
	s.tokens, s.rowSeq, s.rowPos = s.tokens[:0], s.rowSeq[:0], s.rowPos[:0]
	s.wantRow, s.wantTag = s.wantRow[:0], s.wantTag[:0]
}

// addRow adds one token of sequence q at position pos to the pass, with its
// logits wanted (reported under tag) if want.
func (s *Session) addRow(q *Seq, tok, pos int, want bool, tag int) {
	if want {
		s.wantRow, s.wantTag = append(s.wantRow, len(s.tokens)), append(s.wantTag, tag)
	}
	s.tokens, s.rowSeq, s.rowPos = append(s.tokens, tok), append(s.rowSeq, q), append(s.rowPos, pos)
}

// add adds tokens of q at its next positions and advances it, with the
// logits after the last token wanted (reported under tag) if want.
func (s *Session) add(q *Seq, tokens []int, want bool, tag int) {
	for i, t := range tokens {
		s.addRow(q, t, q.pos+i, want && i == len(tokens)-1, tag)
	}
	q.pos += len(tokens)
}

// forward runs the pass's rows through the decoder, following the EXAONE 4
// layer (no pre-norm; per-head QK RMSNorm; RoPE on RoPE layers; sliding or
// global causal attention, each row within its own sequence; RMSNorm on
// each sublayer's output before the residual add), then the final norm and
// LM head for the wanted rows: fn gets each one's logits with its tag, or,
// with fn nil, the last wanted row's logits stay in s.logits.
func (s *Session) forward(fn func(tag int, logits []float32)) {
	m, c := s.m, &s.m.Config
	n, d := len(s.tokens), c.Embd
	qd := c.Heads * c.HeadDim

	// Token embeddings (not scaled).
	for i, t := range s.tokens {
		quant.Dequantize(m.TokEmbd.Layout, s.x[i*d:(i+1)*d], m.TokEmbd.Row(t))
	}
	s.ropeTables()

	for li := range m.Layers {
		L := &m.Layers[li]

		// Attention: projections straight from the residual stream.
		s.act.Set(s.x, n, d)
		s.matmuls(s.q, L.Wq, s.k, L.Wk, s.v, L.Wv)
		// Per-head RMSNorm of q and k, RoPE on RoPE layers, k and v
		// into each row's sequence's cache (qkRows).
		s.li = li
		s.pool.parallel(n, tokenGrain, &s.qkTask)
		// Causal attention, sliding or global (attnTask).
		s.attn.layer = li
		s.pool.parallel(n*c.KVHeads, 1, &s.attn)
		s.act.Set(s.att, n, qd)
		s.matmul(s.ao, L.Wo)
		// x += RMSNorm(Wo attn) (attnOutRows).
		s.pool.parallel(n, tokenGrain, &s.attnOutTask)

		// SwiGLU feed-forward: gate = silu(Wgate x) * (Wup x) (ffnRows),
		// then x += RMSNorm(Wdown gate) (ffnOutRows).
		s.act.Set(s.x, n, d)
		s.matmuls(s.gate, L.Wgate, s.up, L.Wup, nil, nil)
		s.pool.parallel(n, tokenGrain, &s.ffnTask)
		s.act.Set(s.gate, n, c.FF)
		s.matmul(s.down, L.Wdown)
		s.pool.parallel(n, tokenGrain, &s.ffnOutTask)
	}

	// Final norm and LM head for the wanted rows, a group per matmul.
	for lo := 0; lo < len(s.wantRow); lo += logitRows {
		hi := min(lo+logitRows, len(s.wantRow))
		for j := lo; j < hi; j++ {
			i := s.wantRow[j]
			rmsNorm(s.xn[(j-lo)*d:(j-lo+1)*d], s.x[i*d:(i+1)*d], m.OutputNorm, c.Eps)
		}
		s.act.Set(s.xn, hi-lo, d)
		s.matmul(s.logits, m.Output)
		if fn == nil {
			// Eval: the last wanted row's logits go first.
			if k := hi - lo - 1; k > 0 {
				copy(s.logits[:m.Vocab], s.logits[k*m.Vocab:(k+1)*m.Vocab])
			}
			continue
		}
		for j := lo; j < hi; j++ {
			fn(s.wantTag[j], s.logits[(j-lo)*m.Vocab:(j-lo+1)*m.Vocab:(j-lo+1)*m.Vocab])
		}
	}
}

// qkRows applies the per-head QK RMSNorm and RoPE to the queries and keys
// of tokens [lo, hi) of layer s.li and stores their keys and values.
func (s *Session) qkRows(lo, hi int) {
	c, L, li := &s.m.Config, &s.m.Layers[s.li], s.li
	qd, kvd, hd := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim, c.HeadDim
	kqb := 0 // a key's Q8_0 bytes, when the keys are q8_0
	if s.kt == CacheQ8_0 {
		kqb = CacheQ8_0.bytesPer(hd)
	}
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
			kq := s.kq8[(i*c.KVHeads+h)*kqb : (i*c.KVHeads+h+1)*kqb]
			s.rowSeq[i].cache.store(li, h, s.rowPos[i], kh, s.v[i*kvd+h*hd:i*kvd+(h+1)*hd], kq)
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

// ropeTables fills cos/sin of every RoPE pair for each row's position.
// The angle is formed in float32 as transformers does.
func (s *Session) ropeTables() {
	half := len(s.m.invFreq)
	for i, pos := range s.rowPos {
		p := float32(pos)
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
