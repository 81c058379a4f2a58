package grammar

// Node kinds.
const (
	kRoot    = iota // the document: one value, then nothing
	kObject         // declared properties in order, or a map of string keys
	kArray          // items, minItems, maxItems
	kString         // minLength, maxLength (code points)
	kNumber         // integer or number, bounds
	kLiteral        // a sorted set of byte strings (enum, const, true, keys)
	kUnion          // alternatives told apart by their first byte
	kSeq            // alts in order (Enclose: literal prefix, document, suffix)
)

// Limits on numbers: 15 integer digits keep magnitudes exact in int64 and
// float64 (so bounds compare exactly); 2 exponent digits keep every number
// inside float64's range so decoders do not fail on it.
const (
	maxIntDigits        = 15
	maxBoundedIntDigits = 12 // with 6 fraction digits, within int64
	maxBoundedFrac      = 6
	maxFracDigits       = 20
	maxExpDigits        = 2
)

type prop struct {
	name     string
	node     int32
	required bool
}

type node struct {
	kind uint8
	ptr  string // JSON pointer for error messages
	done bool   // compiled (not a placeholder for a $ref still compiling)

	child int32 // kRoot: the document's schema

	// kObject
	props  []prop
	keys   []int32 // literal node of the keys allowed at position i
	canEnd []bool  // no required property at or after position i
	mapKey int32   // map mode: the key string node, or -1 for declared properties
	mapVal int32
	isMap  bool
	tagged bool // alts are objects told apart by their first property
	// height is the fewest levels of nesting a value of this node needs,
	// itself included.
	height int32
	// need, for an object's key set, is the height of each key's value.
	need    []int32
	item    int32 // kArray
	minN    int32 // kArray minItems, kString minLength
	maxN    int32 // kArray maxItems, kString maxLength; -1 = unbounded
	integer bool  // kNumber

	// kNumber bounds, in units of 10^-frac (see intFeasible)
	bounded            bool
	lo, hi             int64
	scale              int64 // 10^frac
	frac               int32
	lits               []string // kLiteral, sorted
	litVal             []int32  // value passed to the parent (key index)
	alts               []int32  // kUnion
	dispatch           *[256]int16
	first              [4]uint64
	firstDone, firstOn bool
}

// frame is one level of the automaton's stack. Frames live in an arena and
// are never modified in place: a step appends the frames it changes, so a
// walk over the vocabulary trie backtracks by truncating the arena.
type frame struct {
	parent int32
	node   int32
	v      int64 // kNumber: magnitude of the integer part
	a      int32 // position / count / literal range start
	b      int32 // second counter / literal range end
	c      int32 // kLiteral: bytes matched; kString: UTF-8 or \u state
	ph     uint8
	ws     uint8
	depth  uint8
	neg    bool
}

type machine struct {
	g  *Grammar
	ar []frame
}

func (m *machine) put(f frame) int32 {
	m.ar = append(m.ar, f)
	return int32(len(m.ar) - 1)
}

func (m *machine) initFrame(n int32, parent int32, depth uint8) frame {
	f := frame{parent: parent, node: n, depth: depth}
	if nd := &m.g.nodes[n]; nd.kind == kLiteral {
		f.b = int32(len(nd.lits))
	}
	return f
}

// Step outcomes.
const (
	rReject  = iota
	rOK      // consumed; frame updated
	rDone    // consumed; the value is complete and closed
	rPass    // not consumed; the value is complete: hand the byte to the parent
	rPush    // not consumed; frame updated, child value starts with this byte
	rReplace // not consumed; union resolved to an alternative
)

func isWS(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// step feeds byte c to the stack whose top is frame t and returns the new
// top, or -1 if c is not allowed.
func (m *machine) step(t int32, c byte) int32 {
	for {
		f := m.ar[t]
		res, val, child := m.stepFrame(&f, c)
		switch res {
		case rOK:
			return m.put(f)
		case rDone:
			return m.pop(f.parent, val)
		case rPass:
			t = m.pop(f.parent, val)
		case rPush:
			// A value is begun only where it can be finished within
			// MaxDepth, so no output can reach a state with no way out.
			if int(f.depth)+int(m.g.nodes[child].height) > MaxDepth {
				return -1
			}
			p := m.put(f)
			t = m.put(m.initFrame(child, p, f.depth+1))
		case rReplace:
			if int(f.depth)+int(m.g.nodes[child].height)-1 > MaxDepth {
				return -1
			}
			t = m.put(m.initFrame(child, f.parent, f.depth))
		default:
			return -1
		}
	}
}

// pop completes the child of frame p with val.
func (m *machine) pop(p int32, val int32) int32 {
	f := m.ar[p]
	switch m.g.nodes[f.node].kind {
	case kRoot:
		f.ph = 2
	case kObject:
		if f.ph == 2 { // key read
			f.b = val
			f.ph = 3
		} else { // value read
			if nd := &m.g.nodes[f.node]; nd.tagged {
				// The first property's value picked the alternative.
				f.node, f.a = nd.alts[val], 1
			} else if !nd.isMap {
				f.a = f.b + 1
			}
			f.ph = 6
		}
	case kArray:
		f.ph = 3
	case kSeq:
		if int(f.a) == len(m.g.nodes[f.node].alts) {
			return m.pop(f.parent, 0) // the last part closes the sequence
		}
	}
	return m.put(f)
}

func (m *machine) stepFrame(f *frame, c byte) (res int, val int32, child int32) {
	n := &m.g.nodes[f.node]
	switch n.kind {
	case kRoot:
		if f.ph == 0 {
			f.ph = 1
			return rPush, 0, n.child
		}
		return rReject, 0, 0
	case kUnion:
		a := n.dispatch[c]
		if a < 0 {
			return rReject, 0, 0
		}
		return rReplace, 0, n.alts[a]
	case kSeq:
		if int(f.a) < len(n.alts) {
			f.a++
			return rPush, 0, n.alts[f.a-1]
		}
		return rReject, 0, 0
	case kObject:
		return m.stepObject(f, n, c)
	case kArray:
		return stepArray(f, n, c)
	case kString:
		return stepString(f, n, c)
	case kNumber:
		return stepNumber(f, n, c)
	case kLiteral:
		return stepLiteral(f, n, c)
	}
	return rReject, 0, 0
}

func wsStep(f *frame) int {
	if f.ws >= MaxWhitespace {
		return rReject
	}
	f.ws++
	return rOK
}

// Object phases: 0 before '{', 1 after '{', 2 reading a key, 3 before ':',
// 4 before a value, 5 reading a value, 6 after a value, 7 after ','.
func (m *machine) stepObject(f *frame, n *node, c byte) (int, int32, int32) {
	ws := isWS(c)
	switch f.ph {
	case 0:
		if c == '{' {
			f.ph = 1
			return rOK, 0, 0
		}
	case 1, 7:
		if ws {
			return wsStep(f), 0, 0
		}
		if c == '"' {
			f.ws = 0
			if n.isMap {
				if int(f.depth)+int(m.g.nodes[n.mapVal].height) > MaxDepth {
					return rReject, 0, 0 // the value would not fit
				}
				f.ph = 2
				return rPush, 0, n.mapKey
			}
			if int(f.a) < len(n.props) {
				f.ph = 2
				return rPush, 0, n.keys[f.a]
			}
		} else if c == '}' && f.ph == 1 && (n.isMap || n.canEnd[f.a]) {
			return rDone, 0, 0
		}
	case 3:
		if ws {
			return wsStep(f), 0, 0
		}
		if c == ':' {
			f.ws = 0
			f.ph = 4
			return rOK, 0, 0
		}
	case 4:
		if ws {
			return wsStep(f), 0, 0
		}
		f.ws = 0
		f.ph = 5
		if n.isMap {
			return rPush, 0, n.mapVal
		}
		return rPush, 0, n.props[f.b].node
	case 6:
		if ws {
			return wsStep(f), 0, 0
		}
		switch c {
		case ',':
			if n.isMap || int(f.a) < len(n.props) {
				f.ws = 0
				f.ph = 7
				return rOK, 0, 0
			}
		case '}':
			if n.isMap || n.canEnd[f.a] {
				return rDone, 0, 0
			}
		}
	}
	return rReject, 0, 0
}

// Array phases: 0 before '[', 1 after '[', 2 reading an item, 3 after an
// item, 4 after ','. a counts items.
func stepArray(f *frame, n *node, c byte) (int, int32, int32) {
	ws := isWS(c)
	switch f.ph {
	case 0:
		if c == '[' {
			f.ph = 1
			return rOK, 0, 0
		}
	case 1, 4:
		if ws {
			return wsStep(f), 0, 0
		}
		if c == ']' {
			if f.ph == 1 && n.minN == 0 {
				return rDone, 0, 0
			}
			return rReject, 0, 0
		}
		if n.maxN >= 0 && f.a >= n.maxN {
			return rReject, 0, 0
		}
		f.ws = 0
		f.a++
		f.ph = 2
		return rPush, 0, n.item
	case 3:
		if ws {
			return wsStep(f), 0, 0
		}
		switch c {
		case ',':
			if n.maxN < 0 || f.a < n.maxN {
				f.ws = 0
				f.ph = 4
				return rOK, 0, 0
			}
		case ']':
			if f.a >= n.minN {
				return rDone, 0, 0
			}
		}
	}
	return rReject, 0, 0
}

// String phases: 0 before '"', 1 in the string, 2 after '\', 3 inside a
// UTF-8 sequence (b bytes left, c packs the next byte's range), 4 inside a
// \u escape (b hex digits left, c = 1 when the first was d/D). a counts
// code points.
func stepString(f *frame, n *node, c byte) (int, int32, int32) {
	switch f.ph {
	case 0:
		if c == '"' {
			f.ph = 1
			return rOK, 0, 0
		}
	case 1:
		switch {
		case c == '"':
			if f.a >= n.minN {
				return rDone, 0, 0
			}
			return rReject, 0, 0
		case c < 0x20:
			return rReject, 0, 0
		}
		if n.maxN >= 0 && f.a >= n.maxN {
			return rReject, 0, 0
		}
		switch {
		case c == '\\':
			f.ph = 2
		case c < 0x80:
		default:
			var more, lo, hi int32 = 0, 0x80, 0xBF
			switch {
			case c >= 0xC2 && c <= 0xDF:
				more = 1
			case c == 0xE0:
				more, lo = 2, 0xA0
			case c == 0xED: // no UTF-16 surrogates
				more, hi = 2, 0x9F
			case c >= 0xE1 && c <= 0xEF:
				more = 2
			case c == 0xF0:
				more, lo = 3, 0x90
			case c >= 0xF1 && c <= 0xF3:
				more = 3
			case c == 0xF4:
				more, hi = 3, 0x8F
			default:
				return rReject, 0, 0
			}
			f.ph, f.b, f.c = 3, more, lo|hi<<8
		}
		f.a++
		return rOK, 0, 0
	case 2:
		switch c {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			f.ph = 1
			return rOK, 0, 0
		case 'u':
			f.ph, f.b, f.c = 4, 4, 0
			return rOK, 0, 0
		}
	case 3:
		if int32(c) < f.c&0xFF || int32(c) > f.c>>8 {
			return rReject, 0, 0
		}
		f.b--
		f.c = 0x80 | 0xBF<<8
		if f.b == 0 {
			f.ph = 1
		}
		return rOK, 0, 0
	case 4:
		if !isHex(c) {
			return rReject, 0, 0
		}
		// A lone or paired surrogate escape would make the code point
		// count disagree with the decoded string: leave them out.
		if f.b == 4 && (c == 'd' || c == 'D') {
			f.c = 1
		} else if f.b == 3 && f.c == 1 && c > '7' {
			return rReject, 0, 0
		}
		f.b--
		if f.b == 0 {
			f.ph = 1
		}
		return rOK, 0, 0
	}
	return rReject, 0, 0
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// Number phases: 0 start, 1 after '-', 2 after a leading 0, 3 in integer
// digits, 4 after '.', 5 in fraction digits, 6 after 'e', 7 after the
// exponent's sign, 8 in exponent digits. a counts integer digits, b
// fraction or exponent digits, v is the integer part's magnitude and c the
// fraction's digits read so far (bounded numbers only).
func stepNumber(f *frame, n *node, c byte) (int, int32, int32) {
	digit := c >= '0' && c <= '9'
	d := int64(c - '0')
	switch f.ph {
	case 0:
		if c == '-' {
			if n.bounded {
				if lo, hi := n.magRange(true); lo > hi {
					return rReject, 0, 0
				}
			}
			f.neg = true
			f.ph = 1
			return rOK, 0, 0
		}
		fallthrough
	case 1:
		if !digit || n.bounded && !n.intFeasible(f.neg, d, 1) {
			return rReject, 0, 0
		}
		f.v, f.a = d, 1
		f.ph = 3
		if d == 0 {
			f.ph = 2
		}
		return rOK, 0, 0
	case 2, 3:
		if digit && f.ph == 3 {
			if f.a >= n.intDigits() || n.bounded && !n.intFeasible(f.neg, f.v*10+d, f.a+1) {
				return rReject, 0, 0
			}
			f.v = f.v*10 + d
			f.a++
			return rOK, 0, 0
		}
		switch c {
		case '.':
			if !n.integer && (!n.bounded || n.fracFeasible(f.neg, f.v, 0, 0)) {
				f.ph, f.b, f.c = 4, 0, 0
				return rOK, 0, 0
			}
			return rReject, 0, 0
		case 'e', 'E':
			if !n.integer && !n.bounded {
				f.ph = 6
				return rOK, 0, 0
			}
			return rReject, 0, 0
		}
		if n.complete(f) {
			return rPass, 0, 0
		}
	case 4, 5:
		if digit {
			if !n.bounded {
				if f.b >= maxFracDigits {
					return rReject, 0, 0
				}
			} else if f.b >= n.frac || !n.fracFeasible(f.neg, f.v, int64(f.c)*10+d, f.b+1) {
				return rReject, 0, 0
			} else {
				f.c = f.c*10 + int32(d)
			}
			f.ph = 5
			f.b++
			return rOK, 0, 0
		}
		if f.ph == 4 {
			return rReject, 0, 0
		}
		if c == 'e' || c == 'E' {
			if n.bounded {
				return rReject, 0, 0
			}
			f.ph, f.b = 6, 0
			return rOK, 0, 0
		}
		if n.complete(f) {
			return rPass, 0, 0
		}
	case 6:
		if c == '+' || c == '-' {
			f.ph = 7
			return rOK, 0, 0
		}
		fallthrough
	case 7:
		if digit {
			f.ph, f.b = 8, 1
			return rOK, 0, 0
		}
	case 8:
		if digit {
			if f.b >= maxExpDigits {
				return rReject, 0, 0
			}
			f.b++
			return rOK, 0, 0
		}
		return rPass, 0, 0
	}
	return rReject, 0, 0
}

// Bounded numbers are checked exactly in fixed point: lo and hi are the
// bounds times 10^frac, rounded inwards, and a number has at most frac
// fraction digits.

func (n *node) intDigits() int32 {
	if n.bounded && n.frac > 0 {
		return maxBoundedIntDigits
	}
	return maxIntDigits
}

// magRange is the range of scaled magnitudes a sign allows.
func (n *node) magRange(neg bool) (lo, hi int64) {
	if neg {
		return max(-n.hi, 0), -n.lo
	}
	return max(n.lo, 0), n.hi
}

func (n *node) overlaps(neg bool, low, high int64) bool {
	lo, hi := n.magRange(neg)
	return low <= hi && high >= lo
}

// intFeasible reports whether an integer part whose first k digits have
// magnitude p can still be completed (more digits, a fraction) in bounds.
func (n *node) intFeasible(neg bool, p int64, k int32) bool {
	lo, hi := n.magRange(neg)
	span := n.scale
	for j := k; j <= n.intDigits(); j++ {
		low := p * span
		if low > hi {
			return false
		}
		if low+span-1 >= lo {
			return true
		}
		if p == 0 { // no leading zeros
			return false
		}
		span *= 10
	}
	return false
}

// fracFeasible reports whether the integer part v followed by the j
// fraction digits fr can still be completed in bounds.
func (n *node) fracFeasible(neg bool, v, fr int64, j int32) bool {
	unit := pow10[n.frac-j]
	low := v*n.scale + fr*unit
	return n.overlaps(neg, low, low+unit-1)
}

var pow10 = [...]int64{1, 10, 100, 1000, 10000, 100000, 1000000}

// complete reports whether the value in f could end here without a
// closing byte (numbers and literals that may go on).
func (n *node) complete(f *frame) bool {
	switch n.kind {
	case kNumber:
		var m int64
		switch f.ph {
		case 2, 3:
			m = f.v * n.scale
		case 5:
			m = f.v*n.scale + int64(f.c)*pow10[max(n.frac-f.b, 0)]
		case 8:
			return true
		default:
			return false
		}
		return !n.bounded || n.overlaps(f.neg, m, m)
	case kLiteral:
		return len(n.lits[f.a]) == int(f.c)
	}
	return false
}

// Literal frames keep the range [a,b) of entries that match the c bytes read.
func stepLiteral(f *frame, n *node, c byte) (int, int32, int32) {
	lits := n.lits
	pos := int(f.c)
	start := int(f.a)
	complete := len(lits[start]) == pos
	if complete {
		start++
	}
	end := int(f.b)
	// Entries share their first pos bytes and are sorted, so those with
	// byte c next are contiguous.
	i, j := start, end
	for i < j {
		h := int(uint(i+j) >> 1)
		if lits[h][pos] < c {
			i = h + 1
		} else {
			j = h
		}
	}
	j = i
	fits := n.need == nil
	for j < end && lits[j][pos] == c {
		// An object key is taken only if its value fits in MaxDepth
		// (the value goes at this frame's depth).
		fits = fits || int(f.depth)+int(n.need[j])-1 <= MaxDepth
		j++
	}
	if i < j && fits {
		f.a, f.b, f.c = int32(i), int32(j), int32(pos+1)
		if j-i == 1 && len(lits[i]) == pos+1 {
			return rDone, n.litVal[i], 0
		}
		return rOK, 0, 0
	}
	if complete {
		return rPass, n.litVal[f.a], 0
	}
	return rReject, 0, 0
}
