package sampler

import (
	"math"
	"math/rand/v2"
	"testing"
)

// randomMask sets each of n bits with probability p, whole words at times,
// as grammar masks are (all of a string's plain tokens, one key's token).
func randomMask(rng *rand.Rand, n int, p float64) []uint64 {
	m := make([]uint64, (n+63)/64)
	for w := range m {
		switch rng.IntN(4) {
		case 0:
			m[w] = ^uint64(0)
		case 1:
		default:
			for b := range 64 {
				if rng.Float64() < p {
					m[w] |= 1 << b
				}
			}
		}
	}
	return m
}

// SampleMasked draws exactly what Sample draws from the same logits with the
// disallowed ones set to -Inf by hand, for every chain of settings.
func TestSampleMaskedIsSampleOfMaskedLogits(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	l := benchLogits(1000)
	for _, p := range benchParams() {
		for seed := range uint64(40) {
			mask := randomMask(rng, len(l), 0.05)
			mask[len(mask)-1] &= 1<<(len(l)%64) - 1
			byHand := append([]float32(nil), l...)
			for i := range byHand {
				if mask[i>>6]>>(i&63)&1 == 0 {
					byHand[i] = float32(math.Inf(-1))
				}
			}
			pp := p.p
			pp.Seed = seed
			a, b := New(pp), New(pp)
			for i := range 30 {
				a.Accept(i * 13)
				b.Accept(i * 13)
			}
			for range 5 {
				x, y := a.SampleMasked(l, mask), b.Sample(byHand)
				if x != y {
					t.Fatalf("%s seed %d: SampleMasked %d, Sample of masked logits %d", p.name, seed, x, y)
				}
				if mask[x>>6]>>(x&63)&1 == 0 {
					t.Fatalf("%s seed %d: token %d outside the mask", p.name, seed, x)
				}
				a.Accept(x)
				b.Accept(y)
			}
		}
	}
}

func TestSampleMaskedEdges(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	for _, p := range benchParams() {
		s := New(p.p.Ban(5, 6))
		l := []float32{9, 8, 7, 6, 5, 4, 3, -inf, nan}
		// Only banned, -Inf and NaN tokens allowed: the lowest allowed id.
		if got := s.SampleMasked(l, []uint64{1<<5 | 1<<6 | 1<<7 | 1<<8}); got != 5 {
			t.Errorf("%s: all allowed banned: got %d, want 5", p.name, got)
		}
		if got := s.SampleMasked(l, []uint64{0}); got != -1 {
			t.Errorf("%s: empty mask: got %d, want -1", p.name, got)
		}
		// Bits past the logits do not count as allowed.
		if got := s.SampleMasked(l[:4], []uint64{1 << 10}); got != -1 {
			t.Errorf("%s: mask past the logits: got %d, want -1", p.name, got)
		}
		// A mask shorter than the logits leaves the rest out.
		if got := s.SampleMasked(append(make([]float32, 64), inf), []uint64{1 << 3}); got != 3 {
			t.Errorf("%s: short mask: got %d, want 3", p.name, got)
		}
		if got := s.SampleMasked([]float32{1, 2, 30}, []uint64{0b011}); got != 1 && p.p.Temperature <= 0 {
			t.Errorf("%s: greedy masked: got %d, want 1", p.name, got)
		}
	}
}

func TestSampleMaskedNoModifyNoAlloc(t *testing.T) {
	l := benchLogits(4096)
	orig := append([]float32(nil), l...)
	mask := randomMask(rand.New(rand.NewPCG(3, 3)), len(l), 0.1)
	morig := append([]uint64(nil), mask...)
	for _, p := range benchParams() {
		s := New(p.p)
		for i := range 100 {
			s.Accept(i * 7)
		}
		s.SampleMasked(l, mask)
		if a := testing.AllocsPerRun(50, func() { s.Accept(s.SampleMasked(l, mask)) }); a != 0 {
			t.Errorf("%s: %.1f allocations per SampleMasked", p.name, a)
		}
		for i := range l {
			if l[i] != orig[i] {
				t.Fatalf("%s: SampleMasked modified logits[%d]", p.name, i)
			}
		}
		for i := range mask {
			if mask[i] != morig[i] {
				t.Fatalf("%s: SampleMasked modified the mask", p.name)
			}
		}
	}
}

// BenchmarkSampleMasked is the sampler's share of a constrained step over
// 102,400 logits: a string's mask (most tokens) and a key's (a few).
func BenchmarkSampleMasked(b *testing.B) {
	l := benchLogits(102400)
	rng := rand.New(rand.NewPCG(4, 4))
	for _, m := range []struct {
		name string
		mask []uint64
	}{{"dense", randomMask(rng, len(l), 0.9)}, {"sparse", func() []uint64 {
		m := make([]uint64, len(l)/64)
		m[100] = 0b1011
		return m
	}()}} {
		for _, p := range benchParams()[:2] {
			b.Run(m.name+"/"+p.name, func(b *testing.B) {
				s := New(p.p)
				b.ReportAllocs()
				for b.Loop() {
					s.Accept(s.SampleMasked(l, m.mask))
				}
			})
		}
	}
}
