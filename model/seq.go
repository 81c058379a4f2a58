package model

import (
	"errors"
	"fmt"
)

// ErrClosedSeq: a sequence was used after Close, or with a session other
// than its own.
var ErrClosedSeq = errors.New("sequence closed or of another session")

// Seq is one sequence of a Session: its position and its own KV cache (a
// ring for each sliding-window layer, as for the first sequence). A Seq is
// used through its Session (Step) and shares its lack of concurrency
// safety.
type Seq struct {
	s     *Session
	ctx   int
	pos   int
	cache *kvCache
}

// NewSeq adds a sequence with a context of ctx tokens (0: the session's).
// Its KV cache is allocated now, sized as a session's of that context.
func (s *Session) NewSeq(ctx int) (*Seq, error) {
	if ctx < 0 || ctx > s.ctx {
		return nil, fmt.Errorf("model: %w: sequence context %d outside [0, %d]", ErrBadOptions, ctx, s.ctx)
	}
	if ctx == 0 {
		ctx = s.ctx
	}
	q := s.newSeq(ctx)
	s.extra = append(s.extra, q)
	return q, nil
}

// seqs lists the session's open sequences, the first one first.
func (s *Session) seqs() []*Seq {
	return append([]*Seq{s.seq0}, s.extra...)
}

// Close releases the sequence's KV cache; it cannot be used afterwards. The
// session's first sequence is released with the session instead (Close on
// it only resets it).
func (q *Seq) Close() {
	s := q.s
	if q == s.seq0 {
		q.Reset()
		return
	}
	for i, o := range s.extra {
		if o == q {
			s.extra = append(s.extra[:i], s.extra[i+1:]...)
			break
		}
	}
	q.cache, q.s = nil, nil
}

// Pos is the number of tokens evaluated so far (the next token's position).
func (q *Seq) Pos() int { return q.pos }

// Ctx is the sequence's context size.
func (q *Seq) Ctx() int { return q.ctx }

// Reset forgets every evaluated token.
func (q *Seq) Reset() { q.pos = 0 }

// Truncate forgets the tokens from position n on, so evaluation continues
// at n. A sliding-window ring that has wrapped past what position n needs
// refuses with ErrCannotRewind.
func (q *Seq) Truncate(n int) error {
	if q.cache == nil {
		return fmt.Errorf("model: truncate: %w", ErrClosedSeq)
	}
	if n < 0 || n > q.pos {
		return fmt.Errorf("model: cannot truncate to %d tokens, %d evaluated", n, q.pos)
	}
	if err := q.cache.checkTruncate(&q.s.m.Config, q.pos, n); err != nil {
		return err
	}
	q.pos = n
	return nil
}

// KVBytes is the memory of the sequence's KV cache of the sliding-window
// layers and of the global layers.
func (q *Seq) KVBytes() (sliding, global int) {
	if q.cache == nil {
		return 0, 0
	}
	return q.cache.bytes(true), q.cache.bytes(false)
}

// A Chunk is tokens of one sequence, evaluated at its next positions.
type Chunk struct {
	Seq    *Seq
	Tokens []int
	// Logits asks for the logits after the chunk's last token.
	Logits bool
}

// Step evaluates the chunks, each sequence at most once, in one forward
// pass (several when together they exceed the session's batch size): every
// matrix is read once for the rows of all sequences, while attention stays
// within each sequence. fn is called, in chunk order, with the index of each
// chunk that asked for logits and the Vocab logits after its last token (fn
// must not keep the slice). Step checks every chunk first and evaluates
// nothing if one is invalid (no tokens, a token out of range, past its
// sequence's context, a closed or foreign sequence, a sequence twice).
func (s *Session) Step(chunks []Chunk, fn func(chunk int, logits []float32)) error {
	s.stepSeen = s.stepSeen[:0]
	for i, ch := range chunks {
		q := ch.Seq
		if q == nil || q.s != s || q.cache == nil {
			return fmt.Errorf("model: chunk %d: %w", i, ErrClosedSeq)
		}
		for _, o := range s.stepSeen {
			if o == q {
				return fmt.Errorf("model: chunk %d: %w: a sequence appears twice in one step", i, ErrBadOptions)
			}
		}
		s.stepSeen = append(s.stepSeen, q)
		if err := s.check(i, q, ch.Tokens); err != nil {
			return err
		}
	}
	if fn == nil {
		fn = func(int, []float32) {}
	}
	s.begin()
	for i, ch := range chunks {
		toks := ch.Tokens
		for len(toks) > 0 {
			room := s.batch - len(s.tokens)
			if room == 0 {
				s.forward(fn)
				s.begin()
				room = s.batch
			}
			n := min(room, len(toks))
			s.add(ch.Seq, toks[:n], ch.Logits && n == len(toks), i)
			toks = toks[n:]
		}
	}
	if len(s.tokens) > 0 {
		s.forward(fn)
	}
	return nil
}
