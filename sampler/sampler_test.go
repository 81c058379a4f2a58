package sampler

import (
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
)

// ln turns weights into logits whose softmax is weights/sum(weights), so the
// expected distributions below are plain fractions worked out by hand.
func ln(w ...float64) []float32 {
	l := make([]float32, len(w))
	for i, x := range w {
		l[i] = float32(math.Log(x))
	}
	return l
}

// off is Params with every stage disabled and temperature 1.
func off() Params {
	return Params{Temperature: 1, TopK: 0, TopP: 1, MinP: 0, RepeatPenalty: 1, RepeatLastN: 64}
}

// dist returns the normalised distribution the final draw would use.
func dist(s *Sampler, logits []float32) map[int]float64 {
	c, w := s.distribution(s.penalize(logits))
	var total float64
	for _, x := range w {
		total += x
	}
	m := map[int]float64{}
	for i, x := range c {
		if w[i] > 0 {
			m[int(x.id)] = w[i] / total
		}
	}
	return m
}

func checkDist(t *testing.T, name string, got, want map[int]float64) {
	t.Helper()
	for id, p := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("%s: token %d has p=%.6f, want excluded (got %v, want %v)", name, id, p, got, want)
		}
	}
	for id, p := range want {
		g, ok := got[id]
		if !ok {
			t.Errorf("%s: token %d missing, want p=%.6f (got %v)", name, id, p, got)
			continue
		}
		if math.Abs(g-p) > 1e-6 {
			t.Errorf("%s: token %d p=%.6f, want %.6f", name, id, g, p)
		}
	}
}

func TestDefaultParams(t *testing.T) {
	want := Params{Temperature: 0.8, TopK: 40, TopP: 0.95, MinP: 0.05, RepeatPenalty: 1, RepeatLastN: 64}
	if got := DefaultParams(); !reflect.DeepEqual(got, want) { // LogitBias makes Params incomparable
		t.Fatalf("DefaultParams() = %+v, want %+v", got, want)
	}
}

func TestTemperature(t *testing.T) {
	l := ln(1, 2, 3, 4)
	p := off()
	checkDist(t, "T=1", dist(New(p), l), map[int]float64{0: .1, 1: .2, 2: .3, 3: .4})
	p.Temperature = 0.5 // weights squared: 1,4,9,16 of 30
	checkDist(t, "T=0.5", dist(New(p), l), map[int]float64{0: 1. / 30, 1: 4. / 30, 2: 9. / 30, 3: 16. / 30})
	p.Temperature = 2 // square roots
	r := 1 + math.Sqrt2 + math.Sqrt(3) + 2
	checkDist(t, "T=2", dist(New(p), l), map[int]float64{0: 1 / r, 1: math.Sqrt2 / r, 2: math.Sqrt(3) / r, 3: 2 / r})
}

func TestTopK(t *testing.T) {
	l := ln(1, 2, 3, 4, 5)
	p := off()
	p.TopK = 2
	checkDist(t, "k=2", dist(New(p), l), map[int]float64{4: 5. / 9, 3: 4. / 9})
	p.TopK = 1
	checkDist(t, "k=1", dist(New(p), l), map[int]float64{4: 1})
	p.TopK = 9 // larger than the vocabulary: no-op
	checkDist(t, "k=9", dist(New(p), l), map[int]float64{0: 1. / 15, 1: 2. / 15, 2: 3. / 15, 3: 4. / 15, 4: 5. / 15})
	// Ties at the cut go to the lowest ids.
	p.TopK = 2
	checkDist(t, "ties", dist(New(p), []float32{0, 1, 1, 1, 0}), map[int]float64{1: .5, 2: .5})
	// The winner comes late in the scan and must displace the heap root.
	p.TopK = 3
	checkDist(t, "late", dist(New(p), ln(1, 1, 1, 1, 1, 1, 2, 1, 4)),
		map[int]float64{8: 4. / 7, 6: 2. / 7, 0: 1. / 7})
}

func TestTopP(t *testing.T) {
	l := ln(1, 2, 3, 4) // p = .1 .2 .3 .4
	p := off()
	p.TopP = 0.65 // .4+.3 = .7 reaches it
	checkDist(t, "p=.65", dist(New(p), l), map[int]float64{3: 4. / 7, 2: 3. / 7})
	p.TopP = 0.75 // needs .4+.3+.2
	checkDist(t, "p=.75", dist(New(p), l), map[int]float64{3: 4. / 9, 2: 3. / 9, 1: 2. / 9})
	p.TopP = 0 // keeps at least one
	checkDist(t, "p=0", dist(New(p), l), map[int]float64{3: 1})
	// Top-p sees the un-tempered distribution: at T=0.5 the tempered top
	// token alone has 16/30 > .5, but the cut is made on .4, .7.
	p.TopP, p.Temperature = 0.5, 0.5
	checkDist(t, "p=.5 T=.5", dist(New(p), l), map[int]float64{3: 16. / 25, 2: 9. / 25})
	// After top-k, top-p renormalises over the k survivors:
	// k=3 leaves 4,3,2 of 9 -> .444, .778: p=.7 keeps two.
	p.TopK, p.TopP, p.Temperature = 3, 0.7, 1
	checkDist(t, "k=3 p=.7", dist(New(p), l), map[int]float64{3: 4. / 7, 2: 3. / 7})
}

func TestMinP(t *testing.T) {
	l := ln(1, 2, 3, 4, 10) // pmax = 10/20
	p := off()
	p.MinP = 0.25 // keeps weight >= 2.5
	checkDist(t, "minp=.25", dist(New(p), l), map[int]float64{2: 3. / 17, 3: 4. / 17, 4: 10. / 17})
	// Min-p too sees the un-tempered distribution; on tempered weights
	// (square roots) every token would pass .25.
	p.Temperature = 2
	r := math.Sqrt(3) + 2 + math.Sqrt(10)
	checkDist(t, "minp=.25 T=2", dist(New(p), l), map[int]float64{2: math.Sqrt(3) / r, 3: 2 / r, 4: math.Sqrt(10) / r})
	p.Temperature, p.MinP = 1, 2 // above 1: still the top token
	checkDist(t, "minp=2", dist(New(p), l), map[int]float64{4: 1})
	p.TopK = 3 // same cut through the top-k path
	checkDist(t, "minp=2 k=3", dist(New(p), l), map[int]float64{4: 1})
	// The threshold is inclusive: at min-p 1 (threshold = max exactly) tokens
	// tied with the top survive, on both paths.
	p.MinP = 1
	for _, k := range []int{0, 3} {
		p.TopK = k
		checkDist(t, "minp=1 ties", dist(New(p), []float32{1, 3, 3, 2}), map[int]float64{1: .5, 2: .5})
	}
}

func TestPenalties(t *testing.T) {
	l := []float32{2, -1, 0.5, 0, 3}
	p := off()
	p.RepeatPenalty = 2
	s := New(p)
	for _, tok := range []int{0, 1, 1, 99, -5} { // out-of-vocabulary ids are ignored
		s.Accept(tok)
	}
	got := s.penalize(l)
	want := []float32{1, -2, 0.5, 0, 3} // 2/2, -1*2
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("repeat: got %v, want %v", got, want)
		}
	}
	if l[0] != 2 || l[1] != -1 {
		t.Fatalf("penalize modified the caller's logits: %v", l)
	}

	p.FrequencyPenalty, p.PresencePenalty = 0.5, 0.25
	s = New(p)
	for _, tok := range []int{0, 1, 1} {
		s.Accept(tok)
	}
	got = s.penalize(l)
	// id0: 2/2 - 1*.5 - .25 = .25; id1: -1*2 - 2*.5 - .25 = -3.25
	want = []float32{0.25, -3.25, 0.5, 0, 3}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("repeat+freq+presence: got %v, want %v", got, want)
		}
	}

	// Window: only the last 2 accepted tokens (1, 1) count.
	p.RepeatLastN = 2
	s = New(p)
	for _, tok := range []int{0, 1, 1} {
		s.Accept(tok)
	}
	got = s.penalize(l)
	want = []float32{2, -3.25, 0.5, 0, 3}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("window 2: got %v, want %v", got, want)
		}
	}
	// The window survives many trims of the history buffer.
	for i := range 1000 {
		s.Accept(i % 3)
	}
	s.Accept(4)
	s.Accept(2) // window = [4, 2]
	got = s.penalize(l)
	want = []float32{2, -1, 0.25 - 0.75, 0, 1.5 - 0.75}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("window after trims: got %v, want %v", got, want)
		}
	}

	// -1: the whole history; 0: penalties off.
	p.RepeatLastN = -1
	s = New(p)
	s.Accept(0)
	for range 500 {
		s.Accept(3)
	}
	if got = s.penalize(l); got[0] != 0.25 || got[3] != -250-0.25 {
		t.Fatalf("whole history: got %v", got)
	}
	p.RepeatLastN = 0
	s = New(p)
	s.Accept(0)
	if got = s.penalize(l); got[0] != 2 {
		t.Fatalf("RepeatLastN 0 should disable penalties: got %v", got)
	}

	// Reset clears the history.
	p.RepeatLastN = 64
	s = New(p)
	s.Accept(0)
	s.Reset()
	if got = s.penalize(l); got[0] != 2 {
		t.Fatalf("after Reset: got %v", got)
	}
}

// TestChain runs every stage at once on a vocabulary of 8, worked by hand:
//
//	weights   16 8 6 5 4 3 2 .5   (logits = ln w)
//	history   ids 0 and 7, repeat penalty 2: ln16/2 = ln4, -ln2*2 = ln.25
//	          -> 4 8 6 5 4 3 2 .25
//	top-k 4   ids 1 2 3 0 (8 6 5 4; id0 beats id4's tie on id)  sum 23
//	top-p .8  cum 8/23=.35 14/23=.61 19/23=.83 -> ids 1 2 3
//	min-p .7  keep w >= .7*8 = 5.6 -> ids 1 2
//	T .5      weights squared 64 36 -> .64 .36
func TestChain(t *testing.T) {
	l := ln(16, 8, 6, 5, 4, 3, 2, .5)
	p := Params{Temperature: 0.5, TopK: 4, TopP: 0.8, MinP: 0.7, RepeatPenalty: 2, RepeatLastN: 64}
	s := New(p)
	s.Accept(0)
	s.Accept(7)
	checkDist(t, "chain", dist(s, l), map[int]float64{1: .64, 2: .36})

	// Without top-k, top-p runs over all 8 (sum 32.25): cum .25 .43 .59 .71
	// .84 -> ids 1 2 3 0 4; min-p .7 still leaves ids 1 2.
	s.p.TopK = 0
	checkDist(t, "chain k=0", dist(s, l), map[int]float64{1: .64, 2: .36})
	// With min-p .45 (keep w >= 3.6) top-p is the tighter cut: ids 1 2 3 0 4
	// at T=1 -> 8 6 5 4 4 of 27.
	s.p.MinP, s.p.Temperature = 0.45, 1
	checkDist(t, "chain k=0 minp=.45", dist(s, l), map[int]float64{1: 8. / 27, 2: 6. / 27, 3: 5. / 27, 0: 4. / 27, 4: 4. / 27})
	// And min-p the tighter one: min-p .6 keeps w >= 4.8 -> 8 6 5 of 19.
	s.p.MinP = 0.6
	checkDist(t, "chain k=0 minp=.6", dist(s, l), map[int]float64{1: 8. / 19, 2: 6. / 19, 3: 5. / 19})
}

// TestDraw checks the final draw against a known distribution with a
// chi-square test (fixed seed, so deterministic; a biased or off-by-one draw
// fails it by a wide margin).
func TestDraw(t *testing.T) {
	cases := []struct {
		name string
		p    Params
		l    []float32
		hist []int
		want map[int]float64
	}{
		{"temperature", off(), ln(1, 2, 3, 4), nil, map[int]float64{0: .1, 1: .2, 2: .3, 3: .4}},
		{"chain", Params{Temperature: 1, TopK: 4, TopP: 0.99, MinP: 0.3, RepeatPenalty: 2, RepeatLastN: 64},
			ln(16, 8, 6, 5, 4, 3, 2, .5), []int{0, 7},
			map[int]float64{1: 8. / 23, 2: 6. / 23, 3: 5. / 23, 0: 4. / 23}},
	}
	const n = 20000
	for _, tc := range cases {
		tc.p.Seed = 12345
		s := New(tc.p)
		for _, h := range tc.hist {
			s.Accept(h)
		}
		counts := map[int]int{}
		for range n {
			counts[s.Sample(tc.l)]++
		}
		var chi2 float64
		for id := range counts {
			if _, ok := tc.want[id]; !ok {
				t.Fatalf("%s: drew token %d outside the support %v", tc.name, id, tc.want)
			}
		}
		for id, p := range tc.want {
			e := p * n
			d := float64(counts[id]) - e
			chi2 += d * d / e
		}
		// 99.9th percentile of chi-square with 3 degrees of freedom.
		if chi2 > 16.27 {
			t.Errorf("%s: chi2 = %.2f over 3 dof, counts %v, want %v", tc.name, chi2, counts, tc.want)
		}
	}
}

func TestDeterminism(t *testing.T) {
	l := make([]float32, 1000) // flat: every draw is informative
	run := func(seed uint64, n int) []int {
		p := DefaultParams()
		p.TopK, p.TopP, p.MinP, p.Seed = 0, 1, 0, seed
		s := New(p)
		out := make([]int, n)
		for i := range out {
			out[i] = s.Sample(l)
		}
		return out
	}
	a, b, c := run(7, 200), run(7, 200), run(8, 200)
	same := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed diverged at draw %d: %d vs %d", i, a[i], b[i])
		}
		if a[i] == c[i] {
			same++
		}
	}
	if same > 10 {
		t.Fatalf("seeds 7 and 8 agree on %d of 200 draws over 1000 tokens", same)
	}

	// Reset keeps the RNG stream: draws after it continue the sequence.
	p := DefaultParams()
	p.TopK, p.TopP, p.MinP, p.Seed = 0, 1, 0, 7
	s := New(p)
	for i := range 100 {
		s.Sample(l)
		s.Accept(i)
	}
	s.Reset()
	long := run(7, 200)
	for i := 100; i < 200; i++ {
		if got := s.Sample(l); got != long[i] {
			t.Fatalf("after Reset draw %d = %d, want %d (stream continued)", i, got, long[i])
		}
	}
}

func TestGreedy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	p := DefaultParams()
	p.Temperature = 0
	s := New(p)
	for range 200 {
		l := make([]float32, 1+rng.IntN(3000))
		for i := range l {
			l[i] = float32(rng.NormFloat64() * 4)
		}
		want := 0
		for i := range l {
			if l[i] > l[want] {
				want = i
			}
		}
		if got := s.Sample(l); got != want {
			t.Fatalf("greedy = %d, argmax = %d", got, want)
		}
	}
	// Ties go to the lowest id; negative temperature is greedy too.
	p.Temperature = -1
	if got := New(p).Sample([]float32{0, 3, 1, 3}); got != 1 {
		t.Fatalf("greedy tie: got %d, want 1", got)
	}
	// Penalties apply before the argmax (as llama.cpp): 3/2 < 2.
	p.RepeatPenalty = 2
	s = New(p)
	s.Accept(1)
	if got := s.Sample([]float32{0, 3, 2}); got != 2 {
		t.Fatalf("greedy with penalty: got %d, want 2", got)
	}
}

// ref is a direct, slow transcription of the chain (full sort, probability
// form of min-p) to cross-check the optimised paths on random input.
func ref(p Params, hist []int, logits []float32) map[int]float64 {
	l := append([]float32(nil), logits...)
	if p.RepeatLastN != 0 {
		win := hist
		if p.RepeatLastN > 0 && len(win) > p.RepeatLastN {
			win = win[len(win)-p.RepeatLastN:]
		}
		count := map[int]int{}
		for _, t := range win {
			count[t]++
		}
		for t, c := range count {
			if p.RepeatPenalty > 0 {
				if l[t] > 0 {
					l[t] /= p.RepeatPenalty
				} else {
					l[t] *= p.RepeatPenalty
				}
			}
			l[t] -= float32(c)*p.FrequencyPenalty + p.PresencePenalty
		}
	}
	ids := make([]int, len(l))
	for i := range ids {
		ids[i] = i
	}
	sort.SliceStable(ids, func(a, b int) bool { return l[ids[a]] > l[ids[b]] })
	if p.TopK > 0 && p.TopK < len(ids) {
		ids = ids[:p.TopK]
	}
	probs := func() []float64 {
		pr := make([]float64, len(ids))
		var z float64
		for i, id := range ids {
			pr[i] = math.Exp(float64(l[id]) - float64(l[ids[0]]))
			z += pr[i]
		}
		for i := range pr {
			pr[i] /= z
		}
		return pr
	}
	if p.TopP < 1 {
		var cum float64
		for i, q := range probs() {
			cum += q
			if cum >= float64(p.TopP) {
				ids = ids[:i+1]
				break
			}
		}
	}
	if p.MinP > 0 {
		pr := probs()
		n := 1
		for n < len(ids) && pr[n] >= float64(p.MinP)*pr[0] {
			n++
		}
		ids = ids[:n]
	}
	out := map[int]float64{}
	var z float64
	for _, id := range ids {
		z += math.Exp(float64(l[id]) / float64(p.Temperature))
	}
	for _, id := range ids {
		out[id] = math.Exp(float64(l[id])/float64(p.Temperature)) / z
	}
	return out
}

func TestAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 3300 {
		// Small vocabularies stress the cuts; from trial 3000 on, larger ones
		// without top-k run the quickselect of nucleus through many rounds.
		n := 1 + rng.IntN(60)
		topK := rng.IntN(n+5) - 2
		if trial >= 3000 {
			n, topK = 100+rng.IntN(3000), rng.IntN(2)-1
		}
		l := make([]float32, n)
		for i := range l {
			l[i] = float32(rng.IntN(24))/4 - 3 // quarters: plenty of ties
		}
		p := Params{
			Temperature:   []float32{0.3, 0.8, 1, 1.7}[rng.IntN(4)],
			TopK:          topK,
			TopP:          []float32{1, 0.95, 0.5, 0.2, 0.77, 0}[rng.IntN(6)],
			MinP:          []float32{0, 0.05, 0.13, 0.6}[rng.IntN(4)],
			RepeatPenalty: []float32{1, 1.1, 1.5}[rng.IntN(3)],
			RepeatLastN:   []int{0, 3, 64, -1}[rng.IntN(4)],
		}
		if rng.IntN(2) == 0 {
			p.FrequencyPenalty, p.PresencePenalty = 0.2, 0.3
		}
		s := New(p)
		var hist []int
		for range rng.IntN(20) {
			h := rng.IntN(n)
			hist = append(hist, h)
			s.Accept(h)
		}
		got, want := dist(s, l), ref(p, hist, l)
		if len(got) != len(want) {
			t.Fatalf("trial %d %+v hist %v logits %v:\n got %v\nwant %v", trial, p, hist, l, got, want)
		}
		for id, q := range want {
			if math.Abs(got[id]-q) > 1e-9 {
				t.Fatalf("trial %d %+v: token %d got %v want %v", trial, p, id, got[id], q)
			}
		}
	}
}

func TestEdgeCases(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	for _, p := range []Params{DefaultParams(), off(), {Temperature: 1, TopK: 0, TopP: 0.9, MinP: 0.1, RepeatPenalty: 1}} {
		s := New(p)
		if got := s.Sample([]float32{5}); got != 0 {
			t.Fatalf("%+v: single token: got %d", p, got)
		}
		for range 50 {
			if got := s.Sample([]float32{-inf, -inf, -inf}); got < 0 || got > 2 {
				t.Fatalf("%+v: all -Inf: got %d", p, got)
			}
			if got := s.Sample([]float32{nan, 1, inf, nan, 2}); got != 2 {
				t.Fatalf("%+v: +Inf logit must win: got %d", p, got)
			}
			if got := s.Sample([]float32{nan, -inf, 0, nan}); got != 2 {
				t.Fatalf("%+v: NaN must never be drawn: got %d", p, got)
			}
		}
	}
}

func TestNoModifyNoAlloc(t *testing.T) {
	l := benchLogits(4096)
	orig := append([]float32(nil), l...)
	for _, p := range benchParams() {
		s := New(p.p)
		for i := range 100 {
			s.Accept(i * 7)
		}
		s.Sample(l) // warm the scratch buffers
		if a := testing.AllocsPerRun(50, func() { s.Accept(s.Sample(l)) }); a != 0 {
			t.Errorf("%s: %.1f allocations per Sample", p.name, a)
		}
		for i := range l {
			if l[i] != orig[i] {
				t.Fatalf("%s: Sample modified logits[%d]", p.name, i)
			}
		}
	}
}

func benchLogits(n int) []float32 {
	rng := rand.New(rand.NewPCG(9, 9))
	l := make([]float32, n)
	for i := range l {
		l[i] = float32(rng.NormFloat64() * 3)
	}
	return l
}

type namedParams struct {
	name string
	p    Params
}

func benchParams() []namedParams {
	d := DefaultParams()
	greedy := d
	greedy.Temperature = 0
	pen := d
	pen.RepeatPenalty, pen.FrequencyPenalty, pen.PresencePenalty = 1.1, 0.1, 0.1
	noK := d
	noK.TopK = 0
	sorted := d
	sorted.TopK, sorted.MinP = 0, 0
	pure := d
	pure.TopK, pure.TopP, pure.MinP = 0, 1, 0
	return []namedParams{{"default", d}, {"greedy", greedy}, {"penalties", pen},
		{"topk0", noK}, {"topk0-minp0", sorted}, {"temperature-only", pure}, {"ban", d.Ban(2)}}
}

func BenchmarkSample(b *testing.B) {
	l := benchLogits(102400)
	for _, p := range benchParams() {
		b.Run(p.name, func(b *testing.B) {
			s := New(p.p)
			for i := range 64 {
				s.Accept(i * 1601)
			}
			b.ReportAllocs()
			for b.Loop() {
				s.Accept(s.Sample(l))
			}
		})
	}
}
