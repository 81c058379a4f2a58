package generate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/exaone-go/exaone/model"
)

// ErrClosed: the Batch was closed; its sessions generate nothing more.
var ErrClosed = errors.New("generate: the batch is closed")

// BatchOptions size a Batch; the zero value is one slot with the defaults
// of Options.
type BatchOptions struct {
	// Slots is the number of sessions, the requests generated at once;
	// 0 means 1.
	Slots int
	// Ctx is each slot's context in tokens (its own KV cache): 0 means
	// the model's training context, capped at DefaultCtx.
	Ctx int
	// Threads is the number of worker threads of the one pool that runs
	// every step; 0 = model.DefaultThreads().
	Threads int
	// Batch is the most tokens one forward pass evaluates; 0 = 512. A
	// step with more (rare: many slots and a prompt chunk) takes several.
	Batch int
	// Chunk is the most prompt tokens a step evaluates while other slots
	// are generating (chunked prefill): a long prompt is read in chunks,
	// each step still giving every generating slot its next token. The
	// loop reads fewer (down to 8) when a chunk would add more than one
	// decode step's time, as it measures them, so that a new prompt at
	// most doubles the time between the streams' tokens. With no slot
	// generating, a step reads up to Batch prompt tokens. 0 =
	// DefaultChunk; at most Batch.
	Chunk int
	// CacheTypeK and CacheTypeV are the element types of the keys and
	// values in the KV caches (zero: f16).
	CacheTypeK, CacheTypeV model.CacheType
}

// DefaultChunk is BatchOptions.Chunk's default: the most prompt tokens
// that ride along with the generating slots' tokens in one step. A step's
// time grows with its rows, so this bounds how much a new prompt delays
// the tokens of the streams already running, at the cost of reading long
// prompts in more steps.
const DefaultChunk = 64

// outDepth is how many sampled tokens a request's consumer may lag behind
// before its sequence sits out steps (one more place is kept for the
// request's final error, so the loop never blocks on a send).
const outDepth = 4

// Batch runs several Sessions in shared forward passes (continuous
// batching): one decoder session, so one worker pool and one set of
// scratch buffers, with one sequence (KV cache) per slot. Sessions returns
// the slots' Sessions, used as standalone ones: Generate, prefix reuse,
// stop strings, grammars and cancellation work the same, but a Generate
// does not evaluate anything itself: it hands its prompt to the batch's
// loop and receives sampled tokens.
//
// The loop steps while any slot has work. Each step is one forward pass
// (model.Session.Step) holding the next token of every generating slot
// and a chunk of prompt tokens of the slots reading a prompt, the oldest
// request first: up to Chunk tokens, fewer if the steps' measured times
// say that so many would more than double the step. A prompt of several
// chunks is read over several steps, so a long prompt never stalls the
// other streams. After the pass each
// slot whose logits came back samples its next token with its own request's
// sampler (and grammar) in the loop, and the token goes to the slot's
// Generate, which turns it into output. Requests join and leave between
// steps: a finished, cancelled or failed request leaves its slot's place
// to the others at once.
//
// Close stops the loop and frees the caches; a Batch's Sessions need no
// Close of their own. The methods of a Batch are safe for concurrent use;
// each of its Sessions serves one Generate at a time.
type Batch struct {
	m        *Model
	s        *model.Session
	sessions []*Session
	batch    int // tokens per step with no slot generating
	chunk    int // prompt tokens per step while slots generate

	mu       sync.Mutex
	incoming []*job // submitted, not yet admitted by the loop
	closed   bool
	kick     chan struct{} // wakes the loop when it waits for work
	done     chan struct{} // closed when the loop has ended

	// Owned by the loop.
	jobs     []*job // admitted, in arrival order
	chunks   []model.Chunk
	stepJobs []*job
	onLogits func(chunk int, logits []float32)
	hook     func() // tests: called before each step (set under mu)
	// Moving averages of a step of generated tokens alone and of what a
	// prompt token adds to a step, for chunkBudget.
	decodeTime, tokenTime time.Duration

	steps, tokens, seqs atomic.Int64
}

// job is one Generate on a slot, as the loop sees it.
type job struct {
	s   *Session
	ids []int // the prompt
	p   *picker
	// next is how many prompt tokens the cache holds; once it reaches
	// len(ids) the slot generates, evaluating one[0] each step.
	next     int
	one      [1]int
	pk       picked // this step's sampled token, if any
	hasPick  bool
	out      chan picked   // to Generate, outDepth+1 places
	released chan struct{} // closed when the loop no longer touches the job or its slot
	quit     bool          // Generate is done with it (under Batch.mu)
	cached   int           // prompt tokens reused from the cache (set on admission)
}

// BatchStats are a Batch's counters since NewBatch.
type BatchStats struct {
	// Steps is the number of steps (forward passes, unless a step held
	// more than Batch tokens).
	Steps int64
	// Tokens is the number of tokens evaluated, prompt and reply.
	Tokens int64
	// Sequences is the sum over the steps of the slots each one held:
	// Sequences / Steps is the mean batch width.
	Sequences int64
}

// NewBatch allocates a Batch of o.Slots sessions: one KV cache each (see
// DefaultCtx for the cost), one decoder session with o.Threads worker
// threads, and the loop's goroutine, which runs until Close. Options that
// cannot work are an error wrapping model.ErrBadOptions.
func (m *Model) NewBatch(o BatchOptions) (*Batch, error) {
	switch {
	case o.Slots < 0:
		return nil, fmt.Errorf("generate: %w: %d slots", model.ErrBadOptions, o.Slots)
	case o.Chunk < 0:
		return nil, fmt.Errorf("generate: %w: prompt chunk of %d tokens", model.ErrBadOptions, o.Chunk)
	}
	if o.Slots == 0 {
		o.Slots = 1
	}
	if o.Batch == 0 {
		o.Batch = 512
	}
	if o.Chunk == 0 {
		o.Chunk = DefaultChunk
	}
	s, err := m.dec.NewSession(model.Options{Ctx: o.Ctx, Batch: o.Batch, Threads: o.Threads, CacheTypeK: o.CacheTypeK, CacheTypeV: o.CacheTypeV})
	if err != nil {
		return nil, err
	}
	b := &Batch{
		m: m, s: s,
		batch: s.Batch(), chunk: min(o.Chunk, s.Batch()),
		kick: make(chan struct{}, 1), done: make(chan struct{}),
	}
	for i := range o.Slots {
		q := s.Seq()
		if i > 0 {
			if q, err = s.NewSeq(0); err != nil {
				s.Close()
				return nil, err
			}
		}
		b.sessions = append(b.sessions, &Session{m: m, s: s, batch: o.Batch, b: b, q: q})
	}
	b.onLogits = b.logits
	go b.loop()
	return b, nil
}

// Sessions are the batch's slots.
func (b *Batch) Sessions() []*Session { return append([]*Session(nil), b.sessions...) }

// Threads is the number of worker threads in use.
func (b *Batch) Threads() int { return b.s.Threads() }

// Chunk is the most prompt tokens a step evaluates while slots generate
// (BatchOptions.Chunk after defaulting).
func (b *Batch) Chunk() int { return b.chunk }

// Stats returns the batch's counters.
func (b *Batch) Stats() BatchStats {
	return BatchStats{Steps: b.steps.Load(), Tokens: b.tokens.Load(), Sequences: b.seqs.Load()}
}

// Close ends the generations in progress (their Generate returns
// ErrClosed), stops the loop and frees the caches and worker threads.
func (b *Batch) Close() {
	b.mu.Lock()
	first := !b.closed
	b.closed = true
	b.mu.Unlock()
	b.poke()
	<-b.done
	if first {
		b.s.Close()
	}
}

// poke wakes the loop if it waits for work.
func (b *Batch) poke() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// submit hands a prompt to the loop.
func (b *Batch) submit(s *Session, ids []int, p *picker) (*job, error) {
	j := &job{s: s, ids: ids, p: p, out: make(chan picked, outDepth+1), released: make(chan struct{})}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, ErrClosed
	}
	b.incoming = append(b.incoming, j)
	b.mu.Unlock()
	b.poke()
	return j, nil
}

// leave takes the job out of the batch, at the next step's start if the
// loop still runs it, and waits until the loop no longer touches the slot.
func (b *Batch) leave(j *job) {
	b.mu.Lock()
	j.quit = true
	b.mu.Unlock()
	b.poke()
	<-j.released
}

// generateBatched runs a Batch session's generation: the loop evaluates
// and samples, this goroutine turns the tokens into output.
func (s *Session) generateBatched(ctx context.Context, ids []int, p *picker, g *gen) (err error) {
	res := g.res
	if err := ctx.Err(); err != nil {
		res.Stop = StopCancelled
		return err
	}
	start := time.Now()
	j, err := s.b.submit(s, ids, p)
	if err != nil {
		return err
	}
	prompt := true
	defer func() {
		s.b.leave(j)
		res.CachedTokens = j.cached // the loop's, visible once it let go
		if prompt {
			res.PromptTime = time.Since(start)
		} else {
			res.GenerateTime = time.Since(start)
		}
	}()
	for {
		var pk picked
		select {
		case pk = <-j.out:
			s.b.poke() // a place is free: the slot may step again
		case <-ctx.Done():
		}
		if err := ctx.Err(); err != nil {
			if !prompt {
				g.finish()
			}
			res.Stop = StopCancelled
			return err
		}
		if prompt {
			prompt = false
			res.PromptTime = time.Since(start)
			start = time.Now()
			if pk.tok < 0 {
				prompt = true // nothing generated: the time was the prompt's
				return pk.err
			}
		}
		if end, err := g.take(pk); end || err != nil {
			return err
		}
	}
}

// loop steps until Close.
func (b *Batch) loop() {
	defer close(b.done)
	for b.wait() {
		b.step()
	}
}

// wait admits new requests and lets go of those Generate is done with,
// until some slot can step; false once the batch is closed.
func (b *Batch) wait() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	var gathered time.Duration
	for {
		arrived := len(b.incoming) > 0
		for i, j := range b.incoming {
			b.incoming[i] = nil
			if j.quit {
				close(j.released)
				continue
			}
			// Rewinding the slot's sequence is safe here: no step runs.
			j.cached = j.s.rewind(j.ids)
			j.next = j.cached
			b.jobs = append(b.jobs, j)
		}
		b.incoming = b.incoming[:0]
		b.drop(func(j *job) bool { return j.quit || b.closed }, ErrClosed)
		if b.closed {
			return false
		}
		// Requests sent together arrive a moment apart. While no slot
		// generates, no stream waits on the next step, so it waits a
		// little for the others: their prompts are then read in one step
		// instead of in chunks beside the first one's tokens.
		if arrived && gathered < maxGather && !b.generating() {
			b.mu.Unlock()
			t := time.NewTimer(gatherWait)
			select {
			case <-b.kick:
			case <-t.C:
			}
			t.Stop()
			b.mu.Lock()
			gathered += gatherWait
			continue
		}
		for _, j := range b.jobs {
			if j.next < len(j.ids) || len(j.out) < outDepth {
				return true
			}
		}
		b.mu.Unlock()
		<-b.kick
		b.mu.Lock()
	}
}

// gatherWait is how long a request that finds no slot generating waits
// for others sent with it, maxGather the most such waits add up to.
const (
	gatherWait = 2 * time.Millisecond
	maxGather  = 10 * time.Millisecond
)

// generating reports whether a slot is generating (reading no prompt).
func (b *Batch) generating() bool {
	for _, j := range b.jobs {
		if j.next == len(j.ids) {
			return true
		}
	}
	return false
}

// drop removes the jobs for which gone is true, telling those Generate
// still waits on (not quit) that err ended them.
func (b *Batch) drop(gone func(*job) bool, err error) {
	keep := b.jobs[:0]
	for _, j := range b.jobs {
		if !gone(j) {
			keep = append(keep, j)
			continue
		}
		if !j.quit {
			j.out <- picked{tok: -1, done: true, err: err} // its reserved place
		}
		close(j.released)
	}
	clear(b.jobs[len(keep):])
	b.jobs = keep
}

// step evaluates one token of every generating slot whose consumer keeps
// up, and a budget of prompt tokens, in one forward pass, then samples the
// slots whose logits came back.
func (b *Batch) step() {
	b.chunks, b.stepJobs = b.chunks[:0], b.stepJobs[:0]
	generating := 0
	for _, j := range b.jobs {
		if j.next == len(j.ids) && len(j.out) < outDepth {
			b.chunks = append(b.chunks, model.Chunk{Seq: j.s.q, Tokens: j.one[:], Logits: true})
			b.stepJobs = append(b.stepJobs, j)
			generating++
		}
	}
	budget := b.batch
	if generating > 0 {
		budget = chunkBudget(b.decodeTime, b.tokenTime, b.chunk)
	}
	prompt := 0
	for _, j := range b.jobs {
		rest := len(j.ids) - j.next
		if rest == 0 || budget == 0 {
			continue
		}
		n := min(rest, budget)
		b.chunks = append(b.chunks, model.Chunk{Seq: j.s.q, Tokens: j.ids[j.next : j.next+n], Logits: n == rest})
		b.stepJobs = append(b.stepJobs, j)
		budget -= n
		prompt += n
	}
	if b.hook != nil {
		b.hook()
	}
	start := time.Now()
	err := b.s.Step(b.chunks, b.onLogits)
	b.learn(generating, prompt, time.Since(start))
	if err != nil {
		// Step checks every chunk before evaluating any, so this is a bug;
		// the slots start from nothing next time.
		for _, j := range b.stepJobs {
			j.s.past = j.s.past[:0]
			j.s.q.Reset()
		}
		b.drop(func(j *job) bool { return slices.Contains(b.stepJobs, j) }, err)
		return
	}
	n := 0
	for i, ch := range b.chunks {
		j := b.stepJobs[i]
		j.s.past = append(j.s.past, ch.Tokens...)
		if j.next < len(j.ids) {
			j.next += len(ch.Tokens)
		}
		n += len(ch.Tokens)
	}
	b.steps.Add(1)
	b.tokens.Add(int64(n))
	b.seqs.Add(int64(len(b.chunks)))

	// The requests that end leave before their last token is sent, so
	// that their Generate finds the slot released.
	keep := b.jobs[:0]
	for _, j := range b.jobs {
		if j.hasPick && j.pk.done {
			close(j.released)
			continue
		}
		keep = append(keep, j)
	}
	for _, j := range b.stepJobs {
		if !j.hasPick {
			continue
		}
		j.hasPick = false
		j.one[0] = j.pk.tok
		j.out <- j.pk // there is room: checked when the step was planned
	}
	clear(b.jobs[len(keep):])
	b.jobs = keep
}

// learn updates the step-time estimates with a step of generating tokens
// and prompt tokens that took d.
func (b *Batch) learn(generating, prompt int, d time.Duration) {
	const keep = 0.75 // the weight of the past in the moving averages
	avg := func(old, x time.Duration) time.Duration {
		if old == 0 {
			return x
		}
		return time.Duration(keep*float64(old) + (1-keep)*float64(x))
	}
	switch {
	case prompt == 0 && generating > 0:
		b.decodeTime = avg(b.decodeTime, d)
	case prompt >= minChunk && generating > 0 && b.decodeTime > 0:
		b.tokenTime = avg(b.tokenTime, max(d-b.decodeTime, 0)/time.Duration(prompt))
	}
}

// minChunk is the fewest prompt tokens a step reads beside generating
// slots (unless BatchOptions.Chunk is smaller): fewer rows than the tiled
// GEMM's minimum cost more per token.
const minChunk = 8

// chunkBudget is how many prompt tokens a step beside generating slots
// reads: as many as add about one decode step's time (so that a chunk at
// most doubles the gap between the streams' tokens), from the moving
// averages of a decode step's time and a prompt token's, within
// [minChunk, most]; most until both are measured.
func chunkBudget(decode, token time.Duration, most int) int {
	if decode <= 0 || token <= 0 {
		return most
	}
	return max(min(int(decode/token), most), min(minChunk, most))
}

// logits samples the token after chunk i's logits, during the step.
func (b *Batch) logits(i int, logits []float32) {
	j := b.stepJobs[i]
	j.pk, j.hasPick = b.pick(j, logits), true
}

// pick samples one slot's next token. A panic in sampling ends that
// request with an error instead of the whole server's process, as a
// handler's panic would in net/http.
func (b *Batch) pick(j *job, logits []float32) (pk picked) {
	defer func() {
		if r := recover(); r != nil {
			pk = picked{tok: -1, done: true, err: fmt.Errorf("generate: sampling failed: %v", r)}
		}
	}()
	q := j.s.q
	return j.p.pick(logits, q.Pos() >= q.Ctx())
}
