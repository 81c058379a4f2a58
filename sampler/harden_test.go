package sampler

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// hostileLogits returns n logits of which some are NaN, +Inf or -Inf, by
// the mix of kind: 0 finite, 1 some NaN, 2 all NaN, 3 all -Inf, 4 NaN and
// -Inf only, 5 one +Inf among NaN, 6 every special value.
func hostileLogits(rng *rand.Rand, n, kind int) []float32 {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	l := make([]float32, n)
	for i := range l {
		v := float32(rng.NormFloat64() * 3)
		switch kind {
		case 1:
			if rng.IntN(3) == 0 {
				v = nan
			}
		case 2:
			v = nan
		case 3:
			v = -inf
		case 4:
			v = []float32{nan, -inf}[rng.IntN(2)]
		case 5:
			v = nan
		case 6:
			v = []float32{v, nan, inf, -inf}[rng.IntN(4)]
		}
		l[i] = v
	}
	if kind == 5 {
		l[rng.IntN(n)] = inf
	}
	return l
}

// hostileParams returns settings, valid or not, that exercise every stage.
func hostileParams(rng *rand.Rand) Params {
	f := []float32{0, 0.05, 0.5, 0.95, 1, 2, -1, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 1e-30}
	pick := func() float32 { return f[rng.IntN(len(f))] }
	p := Params{
		Temperature: pick(), TopK: []int{0, 1, 3, 40, -5, 1 << 20}[rng.IntN(6)], TopP: pick(), MinP: pick(),
		RepeatPenalty: pick(), RepeatLastN: []int{0, -1, 4, 64}[rng.IntN(4)],
		PresencePenalty: pick(), FrequencyPenalty: pick(), Seed: rng.Uint64(),
	}
	if rng.IntN(3) == 0 {
		p.LogitBias = map[int]float32{rng.IntN(70) - 5: pick(), rng.IntN(70): pick(), 1 << 40: 1}
	}
	return p
}

// Sample returns an id of the vocabulary whatever the logits and settings
// hold, and never one whose logit is NaN while another is not.
func TestSampleAlwaysInRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 20000 {
		n := []int{1, 2, 7, 8, 9, 64}[rng.IntN(6)]
		kind := rng.IntN(7)
		l := hostileLogits(rng, n, kind)
		p := hostileParams(rng)
		s := New(p)
		for range rng.IntN(10) {
			s.Accept(rng.IntN(n+4) - 2)
		}
		orig := slices.Clone(l)
		got := s.Sample(l)
		if got < 0 || got >= n {
			t.Fatalf("iter %d: %+v, logits %v: sampled %d, outside [0, %d)", iter, p, l, got, n)
		}
		if !slices.EqualFunc(l, orig, func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }) {
			t.Fatalf("iter %d: Sample modified the logits", iter)
		}
		// Without biases or penalties the logits are used as given: a token
		// above -Inf, where there is one, must win over NaN and -Inf.
		if p.LogitBias == nil && p.RepeatLastN == 0 && !(l[got] > float32(math.Inf(-1))) &&
			slices.ContainsFunc(l, func(v float32) bool { return v > float32(math.Inf(-1)) }) {
			t.Fatalf("iter %d: %+v, logits %v: sampled %d, logit %g", iter, p, l, got, l[got])
		}
	}
}

// NaN logits are never chosen, by greedy or by a draw, whatever the
// truncation stages; an infinite temperature must not draw banned tokens.
func TestNaNLogits(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, p := range []Params{off(), DefaultParams(), {Temperature: 0}, {Temperature: 1, TopK: 2}, {Temperature: 1, TopP: 0.5}, {Temperature: 1, MinP: 0.5}} {
		s := New(p)
		for range 100 {
			if got := s.Sample([]float32{nan, nan, 0.5, nan, 0.1, nan, nan, nan, nan, nan}); got != 2 && got != 4 {
				t.Fatalf("%+v: drew %d, a NaN logit", p, got)
			}
			if got := s.Sample([]float32{nan, nan, nan, nan, nan, nan, nan, nan, nan}); got != 0 {
				t.Fatalf("%+v: all NaN: got %d, want 0", p, got)
			}
		}
	}
	for _, temp := range []float32{inf, nan} {
		p := off()
		p.Temperature = temp
		s := New(p)
		for range 100 {
			got := s.Sample([]float32{-inf, 0, 0, -inf, nan})
			if temp == inf && got != 1 && got != 2 {
				t.Fatalf("temperature %g: drew %d, a -Inf or NaN logit", temp, got)
			}
			if temp != inf && got != 1 { // NaN temperature: greedy
				t.Fatalf("temperature %g: got %d, want greedy 1", temp, got)
			}
		}
	}
	if got := New(off()).Sample(nil); got != -1 {
		t.Fatalf("no logits: got %d, want -1", got)
	}
}

func TestValidate(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	good := []Params{DefaultParams(), off(), {RepeatPenalty: 1}, {Temperature: 0, TopP: 0, MinP: 1, RepeatPenalty: 0.5, RepeatLastN: -1},
		DefaultParams().Ban(2), {RepeatPenalty: 1, LogitBias: map[int]float32{5: inf, 6: -3}}}
	for _, p := range good {
		if err := p.Validate(); err != nil {
			t.Errorf("%+v: %v", p, err)
		}
		if err := p.ValidateVocab(10); err != nil {
			t.Errorf("%+v: %v", p, err)
		}
	}
	bad := []struct {
		flag string
		set  func(*Params)
	}{
		{"--temp", func(p *Params) { p.Temperature = nan }},
		{"--temp", func(p *Params) { p.Temperature = -0.1 }},
		{"--temp", func(p *Params) { p.Temperature = inf }},
		{"--top-k", func(p *Params) { p.TopK = -5 }},
		{"--top-p", func(p *Params) { p.TopP = 2 }},
		{"--top-p", func(p *Params) { p.TopP = -0.1 }},
		{"--top-p", func(p *Params) { p.TopP = nan }},
		{"--min-p", func(p *Params) { p.MinP = 2 }},
		{"--min-p", func(p *Params) { p.MinP = nan }},
		{"--min-p", func(p *Params) { p.MinP = -1 }},
		{"--repeat-penalty", func(p *Params) { p.RepeatPenalty = 0 }},
		{"--repeat-penalty", func(p *Params) { p.RepeatPenalty = -1 }},
		{"--repeat-penalty", func(p *Params) { p.RepeatPenalty = nan }},
		{"--repeat-last-n", func(p *Params) { p.RepeatLastN = -2 }},
		{"--presence-penalty", func(p *Params) { p.PresencePenalty = nan }},
		{"--frequency-penalty", func(p *Params) { p.FrequencyPenalty = -inf }},
		{"--logit-bias", func(p *Params) { p.LogitBias = map[int]float32{3: nan} }},
	}
	for _, b := range bad {
		p := DefaultParams()
		b.set(&p)
		err := p.Validate()
		if err == nil || !strings.Contains(err.Error(), b.flag) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %+v: got %v", b.flag, p, err)
		}
	}
	for _, id := range []int{-1, 10, 1 << 40} {
		p := DefaultParams().Ban(id)
		if err := p.Validate(); err != nil {
			t.Errorf("bias on %d without a vocabulary: %v", id, err)
		}
		if err := p.ValidateVocab(10); err == nil || !strings.Contains(err.Error(), "--logit-bias") {
			t.Errorf("bias on %d, vocabulary 10: got %v", id, err)
		}
	}
}

func TestLogitBias(t *testing.T) {
	l := ln(1, 2, 3, 4) // p = .1 .2 .3 .4
	p := off()
	p.LogitBias = map[int]float32{0: float32(math.Log(2)), 3: float32(math.Inf(-1)), 99: 5, -1: 5}
	s := New(p)
	p.LogitBias[1] = 100 // the Sampler keeps its own copy
	checkDist(t, "bias", dist(s, l), map[int]float64{0: 2. / 7, 1: 2. / 7, 2: 3. / 7})
	// The bias comes before the penalties: token 0's 2x, then the repeat
	// penalty halves its logit.
	p = off()
	p.LogitBias, p.RepeatPenalty = map[int]float32{0: 2}, 2
	s = New(p)
	s.Accept(0)
	pen := s.penalize([]float32{1, 0})
	if pen[0] != 1.5 || pen[1] != 0 {
		t.Errorf("bias then penalty: %v, want [1.5 0]", pen)
	}
	// Ban: the EOS id is never drawn, even when it dominates, and greedy
	// takes the next best.
	eos := 3
	logits := []float32{0, 1, 0.5, 30}
	for _, q := range []Params{DefaultParams(), off(), {Temperature: 0}} {
		s := New(q.Ban(eos))
		for range 200 {
			if got := s.Sample(logits); got == eos {
				t.Fatalf("%+v: drew the banned id", q)
			}
		}
		if logits[eos] != 30 {
			t.Fatal("Sample modified the caller's logits")
		}
	}
	if got := New(Params{}.Ban(eos)).Sample(logits); got != 1 {
		t.Errorf("greedy with EOS banned: %d, want 1", got)
	}
	// Ban leaves the receiver's map alone.
	base := Params{LogitBias: map[int]float32{1: 2}}
	_ = base.Ban(3)
	if len(base.LogitBias) != 1 {
		t.Errorf("Ban modified the receiver's map: %v", base.LogitBias)
	}
}

// FuzzSample feeds arbitrary logits (as float32 bit patterns, so NaN
// payloads and infinities come up) through every chain.
func FuzzSample(f *testing.F) {
	f.Add([]byte{0, 0, 0xc0, 0x7f, 0, 0, 0x80, 0x7f, 0, 0, 0x80, 0xff, 0, 0, 0, 0}, uint8(0), uint64(1))
	f.Fuzz(func(t *testing.T, b []byte, mode uint8, seed uint64) {
		n := len(b) / 4
		if n == 0 || n > 4096 {
			return
		}
		l := make([]float32, n)
		for i := range l {
			l[i] = math.Float32frombits(uint32(b[4*i]) | uint32(b[4*i+1])<<8 | uint32(b[4*i+2])<<16 | uint32(b[4*i+3])<<24)
		}
		p := hostileParams(rand.New(rand.NewPCG(seed, uint64(mode))))
		s := New(p)
		s.Accept(int(mode) % n)
		if got := s.Sample(l); got < 0 || got >= n {
			t.Fatalf("%+v: sampled %d outside [0, %d)", p, got, n)
		}
	})
}
