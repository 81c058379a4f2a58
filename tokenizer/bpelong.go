package tokenizer

import "math"

// Long words (50 MB of "a" is one pre-token) are merged window by window so
// that the merge buffers stay bounded; the ids are the same as from one bpe
// call over the whole word.
//
// Why windows give the same result: when no merge produces a token that an
// earlier-ranked merge consumes (every trained BPE has this property,
// checked in New), the heap pops ranks in nondecreasing order. Merge a
// window of the word the same way and call a symbol clean while its history
// is the one the whole-word run gives it. Only the symbol just left of the
// first dirty one can stop being clean, and only at a rank where it could
// merge with its right neighbour. That neighbour is, in the whole-word run,
// some token spelling the text that follows, whatever the window holds, so
// the earliest such rank is known: the lowest rank of a merge (left, y)
// over the tokens y that are prefixes of the text there. Symbols left of
// the first dirty one when the window is done are final, and the boundary
// after them is one the whole-word run never merges across, so the next
// window starts there.

// longWindow is the bytes of a long word merged at a time. Words up to this
// length take the plain path.
const longWindow = 16 << 10

// longInfo is what the windowed path needs beyond the merge table.
type longInfo struct {
	ok     bool             // the vocabulary allows windows (see above)
	maxLen int              // longest token a merge can produce, in bytes
	raw    map[string]int32 // bytes of each byte token and merge product
}

// initLong decides whether long words can be merged in windows: every byte
// must have its own one-byte token, and ranks must grow along derivations.
func (t *Tokenizer) initLong() {
	for b := range 256 {
		id := t.byteID[b]
		if id < 0 || len(t.pieces[id]) != 1 {
			return
		}
	}
	made := map[int32]int32{} // token -> highest rank of a merge making it
	for _, m := range t.merges {
		if r, ok := made[m.id]; !ok || m.rank > r {
			made[m.id] = m.rank
		}
	}
	li := longInfo{ok: true, maxLen: 1, raw: make(map[string]int32, len(made)+256)}
	for k, m := range t.merges {
		l, r := int32(k>>32), int32(uint32(k))
		if rl, ok := made[l]; ok && rl >= m.rank {
			return
		}
		if rr, ok := made[r]; ok && rr >= m.rank {
			return
		}
	}
	for id := range made {
		p := t.pieces[id]
		if prev, dup := li.raw[string(p)]; dup && prev != id {
			return // two tokens spell the same bytes: y would be ambiguous
		}
		li.raw[string(p)] = id
		li.maxLen = max(li.maxLen, len(p))
	}
	for b := range 256 {
		p := t.pieces[t.byteID[b]]
		if prev, dup := li.raw[string(p)]; dup && prev != t.byteID[b] {
			return
		}
		li.raw[string(p)] = t.byteID[b]
	}
	t.long = li
}

// rightRisk is the lowest rank at which a symbol of token x, followed by
// the text word[q:], can merge with the token that starts there.
func (t *Tokenizer) rightRisk(x int32, word string, q int) int32 {
	risk := int32(math.MaxInt32)
	for n := 1; n <= t.long.maxLen && q+n <= len(word); n++ {
		y, ok := t.long.raw[word[q:q+n]]
		if !ok {
			continue
		}
		if m, ok := t.merges[pairKey(x, y)]; ok && m.rank < risk {
			risk = m.rank
		}
	}
	return risk
}

// bpeLong merges word in windows of window bytes (growing one that yields
// nothing final) and appends its ids to out.
func (t *Tokenizer) bpeLong(word string, window int, s *bpeScratch, out []int) []int {
	for start := 0; start < len(word); {
		end := min(len(word), start+window)
		var done int
		out, done = t.bpeWindow(word, start, end, s, out)
		if done == start {
			window *= 2
			continue
		}
		start = done
	}
	return out
}

// bpeWindow merges word[start:end] and appends the ids of its final
// symbols to out; it returns out and where the final symbols end.
func (t *Tokenizer) bpeWindow(word string, start, end int, s *bpeScratch, out []int) ([]int, int) {
	syms := s.syms[:0]
	for i := start; i < end; i++ {
		syms = append(syms, symbol{id: t.byteID[word[i]], prev: int32(len(syms)) - 1, next: int32(len(syms)) + 1})
	}
	n := int32(len(syms))
	syms[n-1].next = -1
	s.heap = s.heap[:0]
	for i := int32(0); i+1 < n; i++ {
		if m, ok := t.merges[pairKey(syms[i].id, syms[i+1].id)]; ok {
			s.push(candidate{m.rank, i, syms[i].id, syms[i+1].id})
		}
	}
	// dirty is the first symbol that may differ from the whole-word run
	// (n: none); lastSym is the symbol before it, riskOf/riskID cache
	// rightRisk for that symbol and token.
	dirty, lastSym := n, n-1
	riskOf, riskID, risk := int32(-1), int32(-1), int32(0)
	// advance marks dirty every symbol that the whole-word run may have
	// merged to its right before the merge of rank k at symbol pos: pairs
	// pop by rank, then leftmost first.
	advance := func(k, pos int32) {
		for lastSym >= 0 {
			x := syms[lastSym].id
			if riskOf != lastSym || riskID != x {
				riskOf, riskID = lastSym, x
				risk = t.rightRisk(x, word, start+int(dirty))
			}
			if risk > k || risk == k && lastSym > pos {
				return
			}
			dirty, lastSym = lastSym, syms[lastSym].prev
		}
	}
	for len(s.heap) > 0 {
		c := s.pop()
		a := &syms[c.pos]
		if a.dead || a.next < 0 || a.id != c.left || syms[a.next].id != c.rght {
			continue
		}
		if c.pos <= lastSym {
			advance(c.rank, c.pos)
		}
		m := t.merges[pairKey(c.left, c.rght)]
		if a.next == lastSym {
			lastSym = c.pos // the merged symbol takes its place
		}
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
	if end < len(word) {
		advance(math.MaxInt32-1, n)
	} else {
		dirty = n // the word ends here: nothing follows to merge with
	}
	var ids int
	for i := int32(0); i >= 0 && i < dirty; i = syms[i].next {
		ids++
	}
	out = reserve(out, ids, len(word)-start)
	for i := int32(0); i >= 0 && i < dirty; i = syms[i].next {
		out = append(out, int(syms[i].id))
	}
	s.syms = syms
	return out, start + int(dirty)
}

// reserve makes room for n more ids in out when rest bytes of text are
// left, each giving at most one id. A long text of one letter fills the
// usual estimate (a third of its bytes) and would then grow by quarters,
// allocating twice its final size on the way; half the bytes left covers
// the one-letter case in one step.
func reserve(out []int, n, rest int) []int {
	if cap(out)-len(out) >= n {
		return out
	}
	grow := max(n, min(rest, max(rest/2, cap(out)/4)))
	next := make([]int, len(out), len(out)+grow)
	copy(next, out)
	return next
}
