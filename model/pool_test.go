package model

import (
	"sync/atomic"
	"testing"
	"time"
)

// countTask counts how often each unit runs and checks worker ids.
type countTask struct {
	t       *testing.T
	threads int
	hits    []atomic.Int32
}

func (c *countTask) run(lo, hi, worker int) {
	if worker < 0 || worker >= c.threads {
		c.t.Errorf("worker %d out of range [0, %d)", worker, c.threads)
	}
	for u := lo; u < hi; u++ {
		c.hits[u].Add(1)
	}
}

// TestPoolRunsEachUnitOnce runs loops of many sizes and grains on pools of
// 1-4 threads, with pauses longer than the polling time between some of
// them so the helpers park and are woken, and checks every unit ran
// exactly once per loop.
func TestPoolRunsEachUnitOnce(t *testing.T) {
	for threads := 1; threads <= 4; threads++ {
		p := newPool(threads)
		for i, n := range []int{1, 2, 3, 7, 16, 33, 100, 1000, 4097} {
			for _, grain := range []int{1, 3, 16, 5000} {
				c := &countTask{t: t, threads: threads, hits: make([]atomic.Int32, n)}
				if i%3 == 0 {
					time.Sleep(spinFor + time.Millisecond)
				}
				p.parallel(n, grain, c)
				for u := range c.hits {
					if h := c.hits[u].Load(); h != 1 {
						t.Fatalf("threads %d, n %d, grain %d: unit %d ran %d times", threads, n, grain, u, h)
					}
				}
			}
		}
		p.close()
	}
}

// A loop started right after the pool is made, before its helpers' goroutines
// first run, must still be joined by them (it hung once), and run every unit
// exactly once.
func TestPoolFirstLoop(t *testing.T) {
	for i := 0; i < 200; i++ {
		p := newPool(3)
		c := &countTask{t: t, threads: 3, hits: make([]atomic.Int32, 64)}
		p.parallel(64, 1, c)
		p.close()
		for u := range c.hits {
			if h := c.hits[u].Load(); h != 1 {
				t.Fatalf("round %d: unit %d ran %d times", i, u, h)
			}
		}
	}
}
