package model

import (
	"runtime"
	"sync"
	"sync/atomic"

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

// pool is a fixed set of goroutines that split each parallel loop into
// chunks handed out through an atomic counter. The caller works too, as
// worker 0. Which worker computes a unit never changes its result, so
// output is independent of the thread count.
type pool struct {
	threads int
	wake    []chan struct{}
	done    sync.WaitGroup

	// the loop being run
	t     task
	n     int
	grain int
	next  atomic.Int64
}

func newPool(threads int) *pool {
	if threads < 1 {
		threads = 1
	}
	p := &pool{threads: threads, wake: make([]chan struct{}, threads)}
	for w := 1; w < threads; w++ {
		p.wake[w] = make(chan struct{}, 1)
		go p.worker(w)
	}
	return p
}

func (p *pool) worker(w int) {
	for range p.wake[w] {
		p.drain(w)
		p.done.Done()
	}
}

func (p *pool) drain(w int) {
	for {
		lo := int(p.next.Add(int64(p.grain))) - p.grain
		if lo >= p.n {
			return
		}
		p.t.run(lo, min(lo+p.grain, p.n), w)
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
	p.t, p.n, p.grain = t, n, grain
	p.next.Store(0)
	helpers := min(p.threads-1, (n+grain-1)/grain-1)
	p.done.Add(helpers)
	for w := 1; w <= helpers; w++ {
		p.wake[w] <- struct{}{}
	}
	p.drain(0)
	p.done.Wait()
	p.t = nil
}

// close stops the workers.
func (p *pool) close() {
	for w := 1; w < p.threads; w++ {
		close(p.wake[w])
	}
}
