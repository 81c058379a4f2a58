package model

import (
	"runtime"
	"sync/atomic"
	"time"

	"github.com/klauspost/cpuid/v2"
)

// DefaultThreads is the number of physical cores (what llama.cpp uses).
func DefaultThreads() int {
	if n := cpuid.CPU.PhysicalCores; n > 0 {
		return min(n, runtime.NumCPU())
	}
	return runtime.NumCPU()
}

// task is a parallel loop body over work units [lo, hi), run by the given
// worker (0..threads-1, for per-worker scratch). Tasks are pointers to
// preallocated structs so dispatching one allocates nothing.
type task interface {
	run(lo, hi, worker int)
}

// spinFor is how long an idle worker polls for the next loop before it
// parks. A decoded token is ~150 loops a few hundred microseconds apart;
// waking a parked thread costs tens of microseconds (measured 83 us on
// average on a 2-core VM), which was a third of the decode time. Polling
// keeps the helpers' cores busy between loops, as llama.cpp's threads do,
// and parking after a pause frees them when no tokens are being evaluated.
const spinFor = 2 * time.Millisecond

// yieldAfter is how long a polling goroutine waits before it starts to
// yield its P between polls, so that polling cannot starve other goroutines
// (more threads than cores, several sessions at once). Yielding from the
// first poll cost decode ~10% in scheduler locks and clock reads.
const yieldAfter = 50 * time.Microsecond

// yielder paces a polling loop: poll is called once per poll and returns
// how long the loop has been polling, measured from its 1024th poll (~1-2
// us in) every 1024 polls, so that the common short wait reads no clock.
type yielder struct {
	n     int
	start time.Time
	spent time.Duration
}

func (y *yielder) poll() time.Duration {
	y.n++
	if y.n&1023 != 0 {
		return y.spent
	}
	if y.start.IsZero() {
		y.start = time.Now()
		return 0
	}
	y.spent = time.Since(y.start)
	if y.spent > yieldAfter {
		runtime.Gosched()
	}
	return y.spent
}

// pool is a fixed set of goroutines that split each parallel loop into
// chunks of work units. The caller works too, as worker 0. Which worker
// computes a unit never changes its result, so output is independent of
// the thread count.
type pool struct {
	threads int

	// gen counts the loops started; a helper runs a loop when it sees gen
	// move. busy counts the helpers still working on the current loop.
	gen  atomic.Uint64
	busy atomic.Int64
	// A helper that stops polling sets parked and waits on wake; the
	// caller that clears parked owes it one wake-up.
	parked []atomic.Bool
	wake   []chan struct{}
	quit   atomic.Bool

	// the loop being run
	t     task
	grain int
	spans []span
}

func newPool(threads int) *pool {
	if threads < 1 {
		threads = 1
	}
	p := &pool{threads: threads, parked: make([]atomic.Bool, threads), wake: make([]chan struct{}, threads), spans: make([]span, threads)}
	for w := 1; w < threads; w++ {
		p.wake[w] = make(chan struct{}, 1)
		go p.worker(w)
	}
	return p
}

func (p *pool) worker(w int) {
	// Not p.gen.Load(): a loop may have started before this goroutine
	// first ran, and the helper must still join it.
	var seen uint64
	for {
		g := p.await(w, seen)
		if p.quit.Load() {
			return
		}
		seen = g
		p.drain(w)
		p.busy.Add(-1)
	}
}

// await returns the loop generation once it differs from seen: polling for
// spinFor, then parked until the caller wakes it.
func (p *pool) await(w int, seen uint64) uint64 {
	var y yielder
	for {
		if g := p.gen.Load(); g != seen {
			return g
		}
		if y.poll() > spinFor {
			break
		}
	}
	// Swap, not Store: the load of gen below must not be ordered before
	// parked is set, or the caller can miss the flag while this misses the
	// loop. Store then Load is ordered on real arm64 (STLR, LDAR) but not
	// under qemu's arm64 emulation on x86 hosts, where a helper parked
	// through a whole loop; an atomic read-modify-write orders it
	// everywhere.
	p.parked[w].Swap(true)
	if g := p.gen.Load(); g != seen && p.parked[w].CompareAndSwap(true, false) {
		return g // a loop started before we parked and nobody saw us park
	}
	<-p.wake[w]
	return p.gen.Load()
}

func (p *pool) drain(w int) {
	// Own span first, front to back, then the others' from their backs.
	for v := 0; v < p.threads; v++ {
		sp := &p.spans[(w+v)%p.threads]
		for {
			lo, hi, ok := sp.take(p.grain, v != 0)
			if !ok {
				break
			}
			p.t.run(lo, hi, w)
		}
	}
}

// span is a range of work units [lo, hi) packed into one word, so that its
// owner can take chunks from the front while others take from the back.
// Padded to a cache line so the spans of different workers do not share
// one.
type span struct {
	v atomic.Uint64
	_ [56]byte
}

func (s *span) set(lo, hi int) { s.v.Store(uint64(lo)<<32 | uint64(hi)) }

// take removes up to grain units from the front (or the back) of s.
func (s *span) take(grain int, back bool) (lo, hi int, ok bool) {
	for {
		v := s.v.Load()
		lo, hi = int(v>>32), int(v&0xffffffff)
		if lo >= hi {
			return 0, 0, false
		}
		if back {
			nhi := max(hi-grain, lo)
			if s.v.CompareAndSwap(v, uint64(lo)<<32|uint64(nhi)) {
				return nhi, hi, true
			}
		} else {
			nlo := min(lo+grain, hi)
			if s.v.CompareAndSwap(v, uint64(nlo)<<32|uint64(hi)) {
				return lo, nlo, true
			}
		}
	}
}

// parallel runs t over n units in chunks of grain units.
func (p *pool) parallel(n, grain int, t task) {
	if n <= 0 {
		return
	}
	grain = max(grain, 1)
	if p.threads == 1 || n <= grain {
		t.run(0, n, 0)
		return
	}
	p.t, p.grain = t, grain
	// Each worker owns a contiguous share of the units: streaming one
	// region per core reads memory faster than interleaving small chunks
	// (2 threads, one Q8_0 matrix-vector product: 45-47 GB/s in halves,
	// 39-41 GB/s in chunks of 16-128 rows). Stealing from the backs of
	// others' shares keeps a delayed worker from holding up the loop.
	for w := 0; w < p.threads; w++ {
		p.spans[w].set(n*w/p.threads, n*(w+1)/p.threads)
	}
	// Every helper joins, even when there are fewer chunks than threads:
	// the ones that find no work finish at once, and all of them keep
	// the same generation count.
	p.busy.Store(int64(p.threads - 1))
	p.gen.Add(1)
	p.wakeParked()
	p.drain(0)
	var y yielder
	for p.busy.Load() != 0 {
		y.poll()
	}
	p.t = nil
}

// wakeParked wakes the helpers that stopped polling.
func (p *pool) wakeParked() {
	for w := 1; w < p.threads; w++ {
		if p.parked[w].CompareAndSwap(true, false) {
			p.wake[w] <- struct{}{}
		}
	}
}

// close stops the workers.
func (p *pool) close() {
	p.quit.Store(true)
	p.gen.Add(1)
	p.wakeParked()
}
