package grammar

import (
	"bytes"
	"slices"
	"unicode/utf8"
)

// maxPlainRunes is the longest token (in code points) Mask treats as plain
// string content without walking it.
const maxPlainRunes = 32

// Vocab is a tokenizer's vocabulary indexed for Mask: a trie of the token
// bytes in preorder. Build it once per tokenizer; it is read-only and safe to
// share between goroutines and grammars.
type Vocab struct {
	n      int
	eos    int
	tokens [][]byte

	// Trie nodes in preorder; node 0 is the root. The subtree of node i
	// is i..end[i]-1; toks[tokStart[i]:tokStart[i+1]] end at node i.
	b        []byte
	depth    []int32
	end      []int32
	special  []bool // the subtree holds a token that is not plain
	tokStart []int32
	toks     []int32
	maxDepth int

	// plain marks tokens that are complete, escape-free string content
	// (valid UTF-8, no '"', '\' or control bytes, at most maxPlainRunes
	// code points); plainUpTo[r] those of them with at most r code points.
	plain     []uint64
	plainUpTo [maxPlainRunes + 1][]uint64
}

// NewVocab indexes tokens, the bytes of each token id. A nil or empty entry
// marks a token Mask never allows (control and other special tokens); eos
// is the end-of-sequence id (or -1), allowed only where the document can
// end. The token slices are kept: do not modify them.
func NewVocab(tokens [][]byte, eos int) *Vocab {
	words := (len(tokens) + 63) / 64
	v := &Vocab{n: len(tokens), eos: eos, tokens: tokens, plain: make([]uint64, words)}
	if eos < 0 || eos >= len(tokens) {
		v.eos = -1
	}
	var runes []uint8
	runes = make([]uint8, len(tokens))
	ids := make([]int32, 0, len(tokens))
	for id, t := range tokens {
		if len(t) == 0 || id == v.eos {
			continue
		}
		ids = append(ids, int32(id))
		if r := plainRunes(t); r > 0 {
			v.plain[id>>6] |= 1 << (id & 63)
			runes[id] = uint8(r)
		}
	}
	for r := range v.plainUpTo {
		m := make([]uint64, words)
		for id, n := range runes {
			if n > 0 && int(n) <= r {
				m[id>>6] |= 1 << (id & 63)
			}
		}
		v.plainUpTo[r] = m
	}
	slices.SortStableFunc(ids, func(a, b int32) int { return bytes.Compare(tokens[a], tokens[b]) })

	v.b = append(v.b, 0)
	v.depth = append(v.depth, 0)
	v.end = append(v.end, 0)
	v.special = append(v.special, false)
	v.tokStart = append(v.tokStart, 0)
	path := []int32{0}
	var prev []byte
	for _, id := range ids {
		t := tokens[id]
		l := 0
		for l < len(prev) && l < len(t) && prev[l] == t[l] {
			l++
		}
		for d := len(prev); d > l; d-- {
			v.end[path[d]] = int32(len(v.b))
		}
		path = path[:l+1]
		for d := l; d < len(t); d++ {
			path = append(path, int32(len(v.b)))
			v.b = append(v.b, t[d])
			v.depth = append(v.depth, int32(d+1))
			v.end = append(v.end, 0)
			v.special = append(v.special, false)
			v.tokStart = append(v.tokStart, int32(len(v.toks)))
		}
		// Tokens arrive sorted, so each ends at the newest node.
		v.toks = append(v.toks, id)
		if runes[id] == 0 {
			for _, p := range path {
				v.special[p] = true
			}
		}
		v.maxDepth = max(v.maxDepth, len(t))
		prev = t
	}
	for d := len(prev); d >= 0; d-- {
		v.end[path[d]] = int32(len(v.b))
	}
	v.tokStart = append(v.tokStart, int32(len(v.toks)))
	return v
}

// plainRunes returns the code point count of a plain token, or 0.
func plainRunes(t []byte) int {
	for _, c := range t {
		if c < 0x20 || c == '"' || c == '\\' {
			return 0
		}
	}
	if !utf8.Valid(t) {
		return 0
	}
	if n := utf8.RuneCount(t); n <= maxPlainRunes {
		return n
	}
	return 0
}

// Size is the number of token ids.
func (v *Vocab) Size() int { return v.n }

// Mask writes to dst a bitset over v's token ids (bit id%64 of word id/64)
// of the tokens Accept would take now, with the end-of-sequence token set
// where CanEnd; it reuses dst when it is long enough and returns it.
//
// The vocabulary trie is walked against the automaton: a byte the grammar
// rejects prunes every token that shares the prefix. Inside a string, plain
// tokens are taken from a precomputed set and only the rest are walked.
func (s *State) Mask(v *Vocab, dst []uint64) []uint64 {
	words := (v.n + 63) / 64
	if cap(dst) < words {
		dst = make([]uint64, words)
	}
	dst = dst[:words]
	clear(dst)
	if s.ended {
		return dst
	}
	if v.eos >= 0 && s.CanEnd() {
		dst[v.eos>>6] |= 1 << (v.eos & 63)
	}
	if s.Done() {
		return dst
	}
	fast := false
	if f := &s.m.ar[s.top]; f.ph == 1 {
		if n := &s.m.g.nodes[f.node]; n.kind == kString {
			fast = true
			src := v.plain
			if n.maxN >= 0 && n.maxN-f.a < maxPlainRunes {
				src = v.plainUpTo[n.maxN-f.a]
			}
			for i, w := range src {
				dst[i] |= w
			}
		}
	}
	if cap(s.tops) < v.maxDepth+1 {
		s.tops = make([]int32, v.maxDepth+1)
		s.marks = make([]int32, v.maxDepth+1)
	}
	tops, marks := s.tops[:v.maxDepth+1], s.marks[:v.maxDepth+1]
	m := &s.m
	n0 := len(m.ar)
	tops[0], marks[0] = s.top, int32(n0)
	for i := int32(1); i < int32(len(v.b)); {
		if fast && !v.special[i] {
			i = v.end[i]
			continue
		}
		d := v.depth[i]
		m.ar = m.ar[:marks[d-1]]
		t := m.step(tops[d-1], v.b[i])
		if t < 0 {
			i = v.end[i]
			continue
		}
		tops[d], marks[d] = t, int32(len(m.ar))
		for _, id := range v.toks[v.tokStart[i]:v.tokStart[i+1]] {
			dst[id>>6] |= 1 << (id & 63)
		}
		i++
	}
	m.ar = m.ar[:n0]
	return dst
}
