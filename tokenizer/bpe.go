package tokenizer

// merge is the result of joining a pair of adjacent tokens.
type merge struct {
	rank int32 // lower merges first
	id   int32 // the merged token
}

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// symbol is one token of a word being merged, in a doubly linked list over
// the word's initial bytes; merged-away symbols get dead set.
type symbol struct {
	id         int32
	prev, next int32
	dead       bool
}

// candidate is a pair that may be merged: the symbol at pos with its next.
type candidate struct {
	rank int32
	pos  int32
	left int32 // token ids at push time, to detect stale entries
	rght int32
}

// bpeScratch holds buffers reused across words.
type bpeScratch struct {
	syms []symbol
	heap []candidate
}

func less(a, b candidate) bool {
	return a.rank < b.rank || (a.rank == b.rank && a.pos < b.pos)
}

func (s *bpeScratch) push(c candidate) {
	h := append(s.heap, c)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !less(h[i], h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	s.heap = h
}

func (s *bpeScratch) pop() candidate {
	h := s.heap
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && less(h[r], h[l]) {
			m = r
		}
		if !less(h[m], h[i]) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	s.heap = h
	return top
}

// bpe merges the byte tokens of one pre-token and appends the result to out.
// It always merges the lowest-ranked pair, leftmost first, which is the
// order `tokenizers` uses; a heap keeps that O(n log n) for long words.
func (t *Tokenizer) bpe(word string, s *bpeScratch, out []int) []int {
	syms := s.syms[:0]
	for i := 0; i < len(word); i++ {
		id := t.byteID[word[i]]
		if id < 0 {
			continue // byte missing from the vocab and no unknown token
		}
		syms = append(syms, symbol{id: id, prev: int32(len(syms)) - 1, next: int32(len(syms)) + 1})
	}
	if len(syms) == 0 {
		s.syms = syms
		return out
	}
	syms[len(syms)-1].next = -1
	s.heap = s.heap[:0]
	for i := 0; i+1 < len(syms); i++ {
		if m, ok := t.merges[pairKey(syms[i].id, syms[i+1].id)]; ok {
			s.push(candidate{m.rank, int32(i), syms[i].id, syms[i+1].id})
		}
	}
	for len(s.heap) > 0 {
		c := s.pop()
		a := &syms[c.pos]
		if a.dead || a.next < 0 || a.id != c.left || syms[a.next].id != c.rght {
			continue // stale: one side was merged since this was pushed
		}
		m := t.merges[pairKey(c.left, c.rght)]
		b := &syms[a.next]
		a.id = m.id
		b.dead = true
		a.next = b.next
		if a.next >= 0 {
			syms[a.next].prev = c.pos
			if m2, ok := t.merges[pairKey(a.id, syms[a.next].id)]; ok {
				s.push(candidate{m2.rank, c.pos, a.id, syms[a.next].id})
			}
		}
		if a.prev >= 0 {
			p := &syms[a.prev]
			if m2, ok := t.merges[pairKey(p.id, a.id)]; ok {
				s.push(candidate{m2.rank, a.prev, p.id, a.id})
			}
		}
	}
	for i := int32(0); i >= 0; i = syms[i].next {
		out = append(out, int(syms[i].id))
	}
	s.syms = syms
	return out
}
