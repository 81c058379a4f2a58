package server

import (
	"context"
	"sync"
	"time"

	"github.com/exaone-go/exaone/generate"
)

// slot is one generation stream: a session of the batch with its own KV
// cache, and the tokens that cache holds (to pick the slot that can reuse
// the most).
type slot struct {
	id       int
	sess     *generate.Session
	busy     bool
	tokens   []int
	lastUsed time.Time
}

// ticket is a request admitted to the scheduler, waiting for a slot.
type ticket struct {
	ids []int
	ch  chan *slot // receives the slot; buffered so the dispatcher never blocks
}

// scheduler hands slots to requests: an idle slot at once, else a place in
// a bounded FIFO queue. Each request then runs its generation on its slot
// in its own goroutine, and the slots' batch steps all of them together.
type scheduler struct {
	mu       sync.Mutex
	slots    []*slot
	queue    []*ticket
	maxQueue int
	closed   bool
}

// enqueue admits a request whose prompt is ids: it gets an idle slot now or
// waits in the queue, unless the queue is full (errQueueFull) or the
// scheduler is closed (errShuttingDown).
func (s *scheduler) enqueue(ids []int) (*ticket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errShuttingDown
	}
	t := &ticket{ids: ids, ch: make(chan *slot, 1)}
	if sl := s.best(ids); sl != nil {
		sl.busy = true
		t.ch <- sl
		return t, nil
	}
	if len(s.queue) >= s.maxQueue {
		return nil, errQueueFull
	}
	s.queue = append(s.queue, t)
	return t, nil
}

// wait blocks until the ticket's slot is ready or ctx ends; on ctx's end
// the ticket leaves the queue (handing back a slot given meanwhile).
func (s *scheduler) wait(ctx context.Context, t *ticket) (*slot, error) {
	select {
	case sl := <-t.ch:
		return sl, nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	for i, q := range s.queue {
		if q == t {
			s.queue = append(s.queue[:i], s.queue[i+1:]...)
			s.mu.Unlock()
			return nil, context.Cause(ctx)
		}
	}
	s.mu.Unlock()
	// Dispatched while ctx ended: give the slot back.
	s.release(<-t.ch)
	return nil, context.Cause(ctx)
}

// best is the idle slot whose cached tokens share the longest prefix with
// ids, the least recently used among equals; nil if every slot is busy.
// A prefix under a tenth of the prompt (the chat header, say) counts as
// none, as llama-server's similarity threshold: reusing it would save
// little and evict another conversation's cache. The caller holds mu.
func (s *scheduler) best(ids []int) *slot {
	var pick *slot
	bestN := -1
	for _, sl := range s.slots {
		if sl.busy {
			continue
		}
		n := commonPrefix(sl.tokens, ids)
		if n*10 < len(ids) {
			n = 0
		}
		if n > bestN || (n == bestN && sl.lastUsed.Before(pick.lastUsed)) {
			pick, bestN = sl, n
		}
	}
	return pick
}

// release frees a slot and hands idle slots to the queue's head.
func (s *scheduler) release(sl *slot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sl.busy = false
	sl.lastUsed = time.Now()
	for len(s.queue) > 0 {
		next := s.best(s.queue[0].ids)
		if next == nil {
			return
		}
		next.busy = true
		t := s.queue[0]
		s.queue = s.queue[1:]
		t.ch <- next
	}
}

// counts returns the busy slots and the waiting requests.
func (s *scheduler) counts() (busy, waiting int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sl := range s.slots {
		if sl.busy {
			busy++
		}
	}
	return busy, len(s.queue)
}

func commonPrefix(a, b []int) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
