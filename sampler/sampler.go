// Package sampler picks the next token from a vector of logits with the
// sampler chain of llama.cpp's command-line tools, so that settings carried
// over from llama.cpp or ollama behave the same:
//
//	[grammar mask] -> logit bias -> penalties -> top-k -> top-p -> min-p -> temperature ->
//	softmax -> draw
//
// Top-p and min-p look at the distribution before temperature, as in
// llama.cpp; temperature only reshapes what survives the truncations.
// A temperature <= 0 is greedy decoding (argmax after penalties).
//
// Whatever the logits hold (NaN, +-Inf) and whatever the Params, Sample
// returns an id in [0, len(logits)): NaN logits are never chosen, and
// invalid Params (see Validate) degrade rather than fail.
//
// A Sampler owns its scratch buffers and random stream: use one per
// generation stream, from one goroutine at a time.
package sampler

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
)

// Params are the sampling settings, named and defaulted as llama.cpp's flags.
type Params struct {
	// Temperature divides the logits of the surviving candidates.
	// <= 0 (or NaN) means greedy: argmax of the penalised logits, ties to
	// the lowest id.
	Temperature float32
	// TopK keeps the K most likely tokens; <= 0 (or >= vocabulary) disables.
	TopK int
	// TopP keeps the smallest most-likely prefix whose probability mass
	// reaches TopP (at least one token); >= 1 disables.
	TopP float32
	// MinP keeps tokens whose probability is at least MinP times the
	// probability of the most likely token; <= 0 disables.
	MinP float32
	// RepeatPenalty divides positive and multiplies non-positive logits of
	// tokens seen in the window; 1 (or <= 0, which would be meaningless) is off.
	RepeatPenalty float32
	// RepeatLastN is the penalty window in accepted tokens; 0 disables all
	// penalties, -1 uses every token accepted since New or Reset.
	RepeatLastN int
	// PresencePenalty is subtracted once from every token seen in the window;
	// FrequencyPenalty is subtracted once per occurrence.
	PresencePenalty, FrequencyPenalty float32
	// Seed seeds the PCG stream of the final draw. DefaultParams leaves it 0:
	// a command that wants llama.cpp's "random by default" must pick one.
	Seed uint64
	// LogitBias is added to the logits of its token ids before any other
	// stage, as llama.cpp's --logit-bias. A bias of -Inf bans a token:
	// ignoring end-of-sequence (llama.cpp's --ignore-eos) is a bias of -Inf
	// on the EOS id (see Ban). Ids outside the logits given to Sample are
	// skipped; ValidateVocab reports them. New copies the map.
	LogitBias map[int]float32
}

// Ban returns a copy of p whose LogitBias (a new map) also holds -Inf for
// each id, so they are never sampled while any other token can be: p.Ban(eos)
// is --ignore-eos.
func (p Params) Ban(ids ...int) Params {
	b := make(map[int]float32, len(p.LogitBias)+len(ids))
	for id, v := range p.LogitBias {
		b[id] = v
	}
	for _, id := range ids {
		b[id] = float32(math.Inf(-1))
	}
	p.LogitBias = b
	return p
}

// Validate reports the first setting out of range, in one line naming it as
// the command-line flag does. Temperature 0 (and below, for New) is greedy,
// as in llama.cpp, but Validate refuses a negative one as a likely mistake.
func (p Params) Validate() error {
	bad := func(v float32) bool { return math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) }
	switch {
	case bad(p.Temperature) || p.Temperature < 0:
		return fmt.Errorf("sampler: --temp %g must be a finite number >= 0 (0 is greedy)", p.Temperature)
	case p.TopK < 0:
		return fmt.Errorf("sampler: --top-k %d must be >= 0 (0 disables it)", p.TopK)
	case !(p.TopP >= 0 && p.TopP <= 1):
		return fmt.Errorf("sampler: --top-p %g must be in [0, 1] (1 disables it)", p.TopP)
	case !(p.MinP >= 0 && p.MinP <= 1):
		return fmt.Errorf("sampler: --min-p %g must be in [0, 1] (0 disables it)", p.MinP)
	case bad(p.RepeatPenalty) || p.RepeatPenalty <= 0:
		return fmt.Errorf("sampler: --repeat-penalty %g must be a finite number > 0 (1 disables it)", p.RepeatPenalty)
	case p.RepeatLastN < -1:
		return fmt.Errorf("sampler: --repeat-last-n %d must be >= -1 (-1: every token, 0: off)", p.RepeatLastN)
	case bad(p.PresencePenalty):
		return fmt.Errorf("sampler: --presence-penalty %g must be a finite number", p.PresencePenalty)
	case bad(p.FrequencyPenalty):
		return fmt.Errorf("sampler: --frequency-penalty %g must be a finite number", p.FrequencyPenalty)
	}
	for _, b := range sortedBias(p.LogitBias) {
		if math.IsNaN(float64(b.v)) {
			return fmt.Errorf("sampler: --logit-bias %d: bias is NaN", b.id)
		}
	}
	return nil
}

// ValidateVocab is Validate plus a check that every LogitBias id is a token
// of a vocabulary of n tokens.
func (p Params) ValidateVocab(n int) error {
	if err := p.Validate(); err != nil {
		return err
	}
	for _, b := range sortedBias(p.LogitBias) {
		if b.id < 0 || b.id >= n {
			return fmt.Errorf("sampler: --logit-bias %d: token id out of range (vocabulary %d)", b.id, n)
		}
	}
	return nil
}

// bias is one LogitBias entry.
type bias struct {
	id int
	v  float32
}

// sortedBias lists m by id, so that Validate's first error and the order
// biases are applied in do not follow map iteration.
func sortedBias(m map[int]float32) []bias {
	b := make([]bias, 0, len(m))
	for id, v := range m {
		b = append(b, bias{id, v})
	}
	slices.SortFunc(b, func(x, y bias) int { return x.id - y.id })
	return b
}

// DefaultParams returns llama.cpp's defaults (temp 0.8, top-k 40, top-p 0.95,
// min-p 0.05, repeat penalty 1.0 over the last 64 tokens, no presence or
// frequency penalty).
func DefaultParams() Params {
	return Params{
		Temperature:   0.8,
		TopK:          40,
		TopP:          0.95,
		MinP:          0.05,
		RepeatPenalty: 1,
		RepeatLastN:   64,
	}
}

// Greedy returns settings that always pick the most likely token: no
// penalties, temperature 0. (The zero Params is not valid: a repeat
// penalty of 0 means nothing.)
func Greedy() Params {
	return Params{RepeatPenalty: 1}
}

// candidate is a token still in the running, with its (penalised) logit.
type candidate struct {
	id    int32
	logit float32
	w     float64 // un-tempered softmax weight, filled where top-p needs it
}

// Sampler applies the chain of Params to logits. The zero value is not usable;
// call New.
type Sampler struct {
	p    Params
	rng  *rand.Rand
	bias []bias // p.LogitBias by id

	// hist holds accepted tokens, oldest first. With a positive window it is
	// trimmed back to the window once it reaches twice the window, so Accept
	// neither grows without bound nor shifts on every call.
	hist []int32

	// Scratch reused across calls so that Sample does not allocate once warm.
	pen   []float32   // penalised copy of the caller's logits
	win   []int32     // sorted copy of the penalty window, to count repeats
	cands []candidate // surviving candidates
	w     []float64   // final unnormalised weights of cands

	mask []uint64 // the allowed tokens during SampleMasked
}

// seedStream fills the second half of PCG's 128-bit state; any constant
// works, it only has to stay fixed so that a seed replays.
const seedStream = 0x9e3779b97f4a7c15

// New returns a Sampler for p with an empty history and the RNG seeded from
// p.Seed.
func New(p Params) *Sampler {
	s := &Sampler{p: p, rng: rand.New(rand.NewPCG(p.Seed, seedStream)), bias: sortedBias(p.LogitBias)}
	if p.LogitBias != nil {
		s.p.LogitBias = make(map[int]float32, len(p.LogitBias))
		for _, b := range s.bias {
			s.p.LogitBias[b.id] = b.v
		}
	}
	if p.RepeatLastN > 0 {
		s.hist = make([]int32, 0, 2*p.RepeatLastN)
	}
	return s
}

// Params returns the settings the Sampler was built with (LogitBias is the
// Sampler's own copy: do not modify it).
func (s *Sampler) Params() Params { return s.p }

// Accept records a token (of the prompt or generated) for the penalties.
func (s *Sampler) Accept(token int) {
	n := s.p.RepeatLastN
	if n == 0 {
		return // penalties disabled: nothing will ever read the history
	}
	if n > 0 && len(s.hist) >= 2*n {
		s.hist = s.hist[:copy(s.hist, s.hist[len(s.hist)-(n-1):])]
	}
	s.hist = append(s.hist, int32(token))
}

// Reset forgets the accepted tokens (a new chat). The RNG stream carries on
// rather than restarting, so a cleared chat does not replay the same draws;
// to replay a seed from the start, make a new Sampler.
func (s *Sampler) Reset() { s.hist = s.hist[:0] }

// Sample returns the id of the next token, in [0, len(logits)); it reads but
// never modifies logits. NaN logits count as -Inf and are never chosen;
// +Inf logits share the draw evenly. When no logit is above -Inf the result
// is the lowest id (greedy) or drawn evenly among the -Inf ones, and when
// every logit is NaN it is 0. With no logits at all it returns -1.
func (s *Sampler) Sample(logits []float32) int {
	if len(logits) == 0 {
		return -1
	}
	logits = s.penalize(logits)
	if !(s.p.Temperature > 0) {
		return argmax(logits)
	}
	c, w := s.distribution(logits)
	return int(c[s.draw(w)].id)
}

// SampleMasked is Sample over the tokens whose bits are set in mask (bit
// id%64 of word id/64; ids past the mask are not allowed): the others count
// as -Inf before any other stage, as llama.cpp applies a grammar first. It
// reads but never modifies logits or mask, and never returns a token outside
// the mask: when no allowed token has a logit above -Inf (all banned by
// LogitBias, say) it returns the lowest allowed id. With no allowed token it
// returns -1; a nil mask is Sample.
func (s *Sampler) SampleMasked(logits []float32, mask []uint64) int {
	if mask == nil {
		return s.Sample(logits)
	}
	first := -1
	for w, m := range mask {
		if m != 0 {
			first = w*64 + bits.TrailingZeros64(m)
			break
		}
	}
	if first < 0 || first >= len(logits) {
		return -1
	}
	s.mask = mask
	t := s.Sample(logits)
	s.mask = nil
	if t < 0 || t>>6 >= len(mask) || mask[t>>6]>>(t&63)&1 == 0 {
		return first
	}
	return t
}

// maskInto copies src to dst with the tokens mask leaves out set to -Inf,
// a word of the mask at a time (whole words are the common case).
func maskInto(dst, src []float32, mask []uint64) {
	ninf := float32(math.Inf(-1))
	for lo := 0; lo < len(src); lo += 64 {
		hi := min(lo+64, len(src))
		var m uint64
		if w := lo >> 6; w < len(mask) {
			m = mask[w]
		}
		switch m {
		case 0:
			for i := lo; i < hi; i++ {
				dst[i] = ninf
			}
		case ^uint64(0):
			copy(dst[lo:hi], src[lo:hi])
		default:
			for i := lo; i < hi; i++ {
				if m>>(i-lo)&1 != 0 {
					dst[i] = src[i]
				} else {
					dst[i] = ninf
				}
			}
		}
	}
}

// penaltiesOn reports whether any penalty would change a logit.
func (s *Sampler) penaltiesOn() bool {
	p := s.p
	return p.RepeatLastN != 0 &&
		((p.RepeatPenalty > 0 && p.RepeatPenalty != 1) || p.FrequencyPenalty != 0 || p.PresencePenalty != 0)
}

// window returns the accepted tokens the penalties look at.
func (s *Sampler) window() []int32 {
	n := s.p.RepeatLastN
	if n < 0 || len(s.hist) <= n {
		return s.hist
	}
	return s.hist[len(s.hist)-n:]
}

// penalize returns logits with the mask of SampleMasked, the logit biases
// and then the penalties applied: the caller's slice when there is nothing
// to do, otherwise a scratch copy.
func (s *Sampler) penalize(logits []float32) []float32 {
	pen := s.penaltiesOn() && len(s.window()) != 0
	if !pen && len(s.bias) == 0 && s.mask == nil {
		return logits
	}
	if s.mask != nil {
		s.pen = slices.Grow(s.pen[:0], len(logits))[:len(logits)]
		maskInto(s.pen, logits, s.mask)
	} else {
		s.pen = append(s.pen[:0], logits...)
	}
	for _, b := range s.bias {
		if b.id >= 0 && b.id < len(s.pen) {
			s.pen[b.id] += b.v
		}
	}
	if !pen {
		return s.pen
	}
	// Counting by sorting the window needs no vocabulary-sized table.
	s.win = append(s.win[:0], s.window()...)
	slices.Sort(s.win)
	rp := s.p.RepeatPenalty
	repeat := rp > 0 && rp != 1
	for i := 0; i < len(s.win); {
		t := s.win[i]
		j := i + 1
		for j < len(s.win) && s.win[j] == t {
			j++
		}
		count := j - i
		i = j
		if t < 0 || int(t) >= len(s.pen) {
			continue // not a token of this vocabulary
		}
		v := s.pen[t]
		if repeat {
			if v > 0 {
				v /= rp
			} else {
				v *= rp
			}
		}
		v -= float32(count)*s.p.FrequencyPenalty + s.p.PresencePenalty
		s.pen[t] = v
	}
	return s.pen
}

// argmax returns the index of the largest logit, the lowest on ties; NaN
// never wins, and all-NaN/-Inf input yields 0.
func argmax(logits []float32) int {
	best, bi := float32(math.Inf(-1)), 0
	i := 0
	// New maxima are rare after the first few hundred tokens, so test eight
	// at a time with one well-predicted branch (about 1.7x the plain loop).
	for ; i+8 <= len(logits); i += 8 {
		if anyAbove(logits[i:i+8:i+8], best) {
			for j, v := range logits[i : i+8 : i+8] {
				if v > best {
					best, bi = v, i+j
				}
			}
		}
	}
	for ; i < len(logits); i++ {
		if v := logits[i]; v > best {
			best, bi = v, i
		}
	}
	return bi
}

// anyAbove reports whether some element of s (len 8) is > x; NaN is not.
func anyAbove(s []float32, x float32) bool {
	return s[0] > x || s[1] > x || s[2] > x || s[3] > x ||
		s[4] > x || s[5] > x || s[6] > x || s[7] > x
}

// distribution runs top-k, top-p, min-p and temperature, returning the
// surviving candidates and their unnormalised weights (same order).
func (s *Sampler) distribution(logits []float32) ([]candidate, []float64) {
	n := len(logits)
	k := s.p.TopK
	topP := s.p.TopP < 1
	minP := s.p.MinP > 0
	var c []candidate
	if k > 0 && k < n {
		c = s.topK(logits, k) // sorted: the cuts below walk it in order
		if topP {
			c = topPCut(c, s.p.TopP)
		}
		if minP {
			c = minPCut(c, s.p.MinP)
		}
	} else {
		// No top-k: avoid sorting the vocabulary. Top-p and min-p both keep
		// a best-first prefix, and min-p's threshold depends only on the top
		// logit, so min-p goes first as a filter and top-p then selects its
		// prefix by mass without ordering it; intersecting two prefixes does
		// not depend on the order they are taken in.
		var z float64
		c, z = s.collect(logits, minP, topP)
		if topP {
			c = nucleus(c, z, s.p.TopP)
		}
	}
	return c, s.temper(c)
}

// better orders candidates best first: higher logit, then lower id, so every
// selection and sort is deterministic.
func better(a, b candidate) int {
	switch {
	case a.logit > b.logit:
		return -1
	case a.logit < b.logit:
		return 1
	}
	return int(a.id) - int(b.id)
}

// worse reports whether a ranks below b (the heap order of topK).
func worse(a, b candidate) bool {
	return a.logit < b.logit || (a.logit == b.logit && a.id > b.id)
}

func clean(v float32) float32 {
	if v != v {
		return float32(math.Inf(-1)) // NaN must never be chosen or poison sums
	}
	return v
}

// topK selects the k best logits with a size-k heap whose root is the worst
// kept: one comparison per token for the bulk of the vocabulary, instead of
// sorting all of it. The result is sorted best first.
func (s *Sampler) topK(logits []float32, k int) []candidate {
	h := s.cands[:0]
	for i := range k {
		h = append(h, candidate{id: int32(i), logit: clean(logits[i])})
	}
	for i := k/2 - 1; i >= 0; i-- {
		siftDown(h, i)
	}
	root := h[0].logit
	// Ids rise through the scan, so a tie with the root would lose on id:
	// only strictly larger logits get in (NaN compares false and stays out).
	i := k
	push := func(i int, v float32) {
		h[0] = candidate{id: int32(i), logit: v}
		siftDown(h, 0)
		root = h[0].logit
	}
	for ; i+8 <= len(logits); i += 8 {
		if anyAbove(logits[i:i+8:i+8], root) { // as in argmax: rare once warm
			for j, v := range logits[i : i+8 : i+8] {
				if v > root {
					push(i+j, v)
				}
			}
		}
	}
	for ; i < len(logits); i++ {
		if v := logits[i]; v > root {
			push(i, v)
		}
	}
	slices.SortFunc(h, better)
	s.cands = h
	return h
}

func siftDown(h []candidate, i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && worse(h[r], h[l]) {
			m = r
		}
		if !worse(h[m], h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// collect makes candidates of every token that passes min-p (all but NaN
// when min-p is off), unsorted. With wantZ it also sets their un-tempered
// weights and returns the softmax normaliser over the whole vocabulary,
// which top-p needs even for tokens min-p dropped.
func (s *Sampler) collect(logits []float32, minP, wantZ bool) ([]candidate, float64) {
	mx := clean(logits[argmax(logits)])
	thr := math.Inf(-1)
	if minP {
		thr = minPThreshold(mx, s.p.MinP)
	}
	c := s.cands[:0]
	var z float64
	for i, v := range logits {
		var w float64
		if wantZ {
			w = weight(v, mx, 1)
			z += w
		}
		// v == mx keeps the top token even when MinP > 1 puts thr above it;
		// NaN fails both tests.
		if float64(v) >= thr || v == mx {
			c = append(c, candidate{int32(i), v, w})
		}
	}
	if len(c) == 0 {
		c = append(c, candidate{0, mx, 1}) // all NaN: any answer is as good
		z = 1
	}
	s.cands = c
	return c, z
}

// nucleus returns the top-p set of c, the tokens of the shortest best-first
// prefix whose weight reaches p*z (at least one), by quickselect on mass:
// expected linear time where sorting 100k candidates costs milliseconds.
// c is reordered; the result is not sorted.
func nucleus(c []candidate, z float64, p float32) []candidate {
	target := float64(p) * z
	var acc float64 // weight of c[:lo], all in the set and short of target
	lo, hi := 0, len(c)
	for hi-lo > 16 {
		j, left := partition(c, lo, hi)
		switch {
		case j > lo && acc+left >= target: // the cut falls before the pivot
			hi = j
		case acc+left+c[j].w >= target: // at the pivot
			return c[:j+1]
		default:
			acc += left + c[j].w
			lo = j + 1
		}
	}
	slices.SortFunc(c[lo:hi], better)
	for i := lo; i < hi; i++ {
		acc += c[i].w
		if acc >= target {
			return c[:i+1]
		}
	}
	return c[:hi] // only reachable by rounding: keep what was bracketed
}

// partition splits c[lo:hi] around a median-of-three pivot into better
// (c[lo:j]), pivot (c[j]) and worse, returning j and the weight of the better
// part. better is a total order (ids break ties), so equal logits cannot
// degrade it.
func partition(c []candidate, lo, hi int) (int, float64) {
	mid, last := lo+(hi-lo)/2, hi-1
	if better(c[mid], c[lo]) < 0 {
		c[mid], c[lo] = c[lo], c[mid]
	}
	if better(c[last], c[lo]) < 0 {
		c[last], c[lo] = c[lo], c[last]
	}
	if better(c[last], c[mid]) < 0 {
		c[last], c[mid] = c[mid], c[last]
	}
	c[mid], c[last] = c[last], c[mid]
	pv := c[last]
	j := lo
	var left float64
	for i := lo; i < last; i++ {
		if better(c[i], pv) < 0 {
			left += c[i].w
			c[i], c[j] = c[j], c[i]
			j++
		}
	}
	c[j], c[last] = c[last], c[j]
	return j, left
}

// minPThreshold is the lowest logit min-p keeps: p >= minP*pmax is
// logit >= max + ln(minP), which needs no softmax.
func minPThreshold(mx float32, minP float32) float64 {
	return float64(mx) + math.Log(float64(minP))
}

// weight is exp((l-mx)/T) as a float64, the unnormalised softmax term. With an
// infinite maximum the exponent is undefined; the limit is an even split among
// the tokens at that maximum.
func weight(l, mx float32, invT float64) float64 {
	if math.IsInf(float64(mx), 0) {
		if l == mx {
			return 1
		}
		return 0
	}
	if l != l {
		return 0
	}
	w := math.Exp((float64(l) - float64(mx)) * invT)
	if w != w {
		return 0 // -Inf x 0 with an infinite or NaN temperature
	}
	return w
}

// topPCut keeps the shortest prefix of the best-first candidates whose
// probability (softmax over c) reaches p, at least one.
func topPCut(c []candidate, p float32) []candidate {
	mx := c[0].logit
	var z float64
	for _, x := range c {
		z += weight(x.logit, mx, 1)
	}
	target := float64(p) * z
	var cum float64
	for i, x := range c {
		cum += weight(x.logit, mx, 1)
		if cum >= target {
			return c[:i+1]
		}
	}
	return c
}

// minPCut keeps the best-first candidates at or above the min-p threshold,
// always the first.
func minPCut(c []candidate, minP float32) []candidate {
	thr := minPThreshold(c[0].logit, minP)
	for i := 1; i < len(c); i++ {
		if float64(c[i].logit) < thr {
			return c[:i]
		}
	}
	return c
}

// temper returns the softmax weights of c at the temperature (unnormalised).
func (s *Sampler) temper(c []candidate) []float64 {
	mx := c[0].logit
	for _, x := range c[1:] {
		if x.logit > mx {
			mx = x.logit // c is unsorted when no truncation asked for order
		}
	}
	invT := 1 / float64(s.p.Temperature)
	w := s.w[:0]
	for _, x := range c {
		w = append(w, weight(x.logit, mx, invT))
	}
	s.w = w
	return w
}

// draw picks an index with probability w[i]/sum(w).
func (s *Sampler) draw(w []float64) int {
	var total float64
	for _, x := range w {
		total += x
	}
	u := s.rng.Float64() * total
	var cum float64
	last := 0 // also the answer when no weight is positive
	for i, x := range w {
		if x == 0 {
			continue
		}
		cum += x
		last = i
		if u < cum {
			return i
		}
	}
	return last // rounding left u at the very top: the last possible token
}
