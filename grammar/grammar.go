// Package grammar constrains generation to JSON documents: any JSON value,
// or the documents a JSON Schema (a subset, see CompileSchema) accepts.
//
// A Grammar is compiled once per request into a pushdown automaton over
// bytes. A Vocab indexes a tokenizer's token bytes in a trie once and is
// shared read-only by all requests. Each generation walks its own State:
// Mask says which tokens keep the output a valid prefix of an accepted
// document (walking the vocabulary trie against the automaton, so a rejected
// byte prunes every token that shares the prefix), Accept advances it.
//
// The automaton is deliberately narrower than the schema where that keeps it
// deterministic and small: only declared properties are written, in the
// schema's order (optional ones may be skipped); enum and const values in
// their compact encoding; whitespace runs of at most MaxWhitespace bytes and
// only between tokens of the document (never before or after it); strings
// as valid UTF-8 without \u surrogate escapes; numbers with at most 15
// integer digits and 2 exponent digits, and, where bounded, at most 12
// integer and 6 fraction digits and no exponent; values nested at most
// MaxDepth deep. Every document it accepts is valid JSON that the schema
// accepts; not every such document is reachable.
package grammar

import (
	"errors"
	"fmt"
	"slices"
	"sync"
)

// MaxDepth bounds the nesting of values (containers, keys and scalars
// count one level each), so hostile schemas or outputs cannot grow the
// stack without bound.
const MaxDepth = 64

// MaxWhitespace bounds a run of whitespace bytes between tokens of the
// document, so a model cannot emit spaces forever.
const MaxWhitespace = 20

var (
	// ErrUnsupported reports a schema feature the compiler does not
	// implement; the schema is refused rather than run unconstrained.
	ErrUnsupported = errors.New("unsupported schema feature")
	// ErrInvalidSchema reports a schema that is not valid JSON Schema, or
	// one that no document can satisfy.
	ErrInvalidSchema = errors.New("invalid schema")
	// ErrRejected reports bytes or a token the grammar does not allow at
	// the current state.
	ErrRejected = errors.New("not allowed by the grammar")
)

// SchemaError names where in a schema compilation failed. Err is
// ErrUnsupported or ErrInvalidSchema.
type SchemaError struct {
	Pointer string // JSON pointer of the offending subschema ("" is the root)
	Feature string // the keyword or construct
	Detail  string
	Err     error
}

func (e *SchemaError) Error() string {
	p := e.Pointer
	if p == "" {
		p = "/"
	}
	if e.Detail == "" {
		return fmt.Sprintf("grammar: %v %q at %s", e.Err, e.Feature, p)
	}
	return fmt.Sprintf("grammar: %v %q at %s: %s", e.Err, e.Feature, p, e.Detail)
}

func (e *SchemaError) Unwrap() error { return e.Err }

func unsupported(ptr, feature, detail string) error {
	return &SchemaError{Pointer: ptr, Feature: feature, Detail: detail, Err: ErrUnsupported}
}

func invalid(ptr, feature, detail string) error {
	return &SchemaError{Pointer: ptr, Feature: feature, Detail: detail, Err: ErrInvalidSchema}
}

// Grammar is a compiled automaton. It is read-only and safe to share
// between goroutines.
type Grammar struct {
	nodes []node
	root  int32 // a kRoot node
}

// JSON returns the grammar of any JSON value.
func JSON() *Grammar {
	jsonOnce.Do(func() {
		var err error
		if jsonGrammar, err = CompileSchema([]byte("true")); err != nil {
			panic("grammar: the any-value grammar does not compile: " + err.Error())
		}
	})
	return jsonGrammar
}

var (
	jsonOnce    sync.Once
	jsonGrammar *Grammar
)

// Enclose returns a grammar of prefix, then a document of g, then suffix,
// the two as literal bytes with no whitespace around the document: the
// shape of a tool call, <tool_call>{...}</tool_call>. The enclosure takes
// one level of MaxDepth, so a g whose documents all need every level is
// refused (ErrUnsupported).
func (g *Grammar) Enclose(prefix, suffix string) (*Grammar, error) {
	if prefix == "" && suffix == "" {
		return g, nil
	}
	doc := g.nodes[g.root].child
	h := g.nodes[doc].height
	if int(h)+1 > MaxDepth {
		return nil, unsupported("", "schema", fmt.Sprintf("every document nests deeper than %d levels inside the enclosure", MaxDepth-1))
	}
	// Nodes are read-only once compiled, so the copy shares their slices.
	e := &Grammar{nodes: slices.Clip(slices.Clone(g.nodes))}
	add := func(n node) int32 {
		n.done, n.firstDone = true, true
		e.nodes = append(e.nodes, n)
		return int32(len(e.nodes) - 1)
	}
	var parts []int32
	if prefix != "" {
		l := literal([]string{prefix}, nil)
		l.height = 1
		parts = append(parts, add(l))
	}
	parts = append(parts, doc)
	if suffix != "" {
		l := literal([]string{suffix}, nil)
		l.height = 1
		parts = append(parts, add(l))
	}
	seq := add(node{kind: kSeq, alts: parts, height: h + 1})
	e.root = add(node{kind: kRoot, child: seq, height: h + 1})
	return e, nil
}

// State is one generation's position in a Grammar. It is not safe for
// concurrent use; Clone it to explore alternatives.
type State struct {
	m     machine
	top   int32
	ended bool // EOS accepted
	spare []frame
	tops  []int32
	marks []int32
}

// Start returns the state before the first byte of the document.
func (g *Grammar) Start() *State {
	s := &State{m: machine{g: g}}
	s.m.ar = append(s.m.ar, frame{parent: -1, node: g.root})
	return s
}

// Clone returns an independent copy of s.
func (s *State) Clone() *State {
	c := &State{m: machine{g: s.m.g}, top: s.top, ended: s.ended}
	c.m.ar = append([]frame(nil), s.m.ar...)
	return c
}

// Accept advances the state over b, the bytes of one or more tokens. If any
// byte is not allowed it returns an error wrapping ErrRejected and leaves the
// state unchanged.
func (s *State) Accept(b []byte) error {
	if s.ended {
		return fmt.Errorf("grammar: %w: the document has ended", ErrRejected)
	}
	n0 := len(s.m.ar)
	t := s.top
	for i, c := range b {
		t = s.m.step(t, c)
		if t < 0 {
			s.m.ar = s.m.ar[:n0]
			return fmt.Errorf("grammar: %w: byte %q at offset %d", ErrRejected, c, i)
		}
	}
	s.top = t
	s.compact()
	return nil
}

// AcceptToken advances the state over token id of v. The end-of-sequence
// token is accepted only where CanEnd; tokens NewVocab marked as never
// allowed are rejected.
func (s *State) AcceptToken(v *Vocab, id int) error {
	if id < 0 || id >= v.n {
		return fmt.Errorf("grammar: %w: token id %d outside the vocabulary of %d", ErrRejected, id, v.n)
	}
	if id == v.eos {
		if s.ended || !s.CanEnd() {
			return fmt.Errorf("grammar: %w: end of sequence before the document is complete", ErrRejected)
		}
		s.ended = true
		return nil
	}
	if len(v.tokens[id]) == 0 {
		return fmt.Errorf("grammar: %w: special token %d", ErrRejected, id)
	}
	return s.Accept(v.tokens[id])
}

// Done reports whether the document is complete and nothing but the end of
// the sequence can follow.
func (s *State) Done() bool {
	f := &s.m.ar[s.top]
	return f.parent < 0 && f.ph == 2
}

// CanEnd reports whether the document would be complete if the output ended
// here (a finished value, or a top-level number or literal that could also
// go on).
func (s *State) CanEnd() bool {
	if s.ended {
		return false
	}
	if s.Done() {
		return true
	}
	f := &s.m.ar[s.top]
	if f.parent < 0 || !s.m.g.nodes[f.node].complete(f) {
		return false
	}
	// Complete up to the root: every enclosing sequence is at its last part.
	for p := f.parent; s.m.ar[p].parent >= 0; p = s.m.ar[p].parent {
		pf := &s.m.ar[p]
		if n := &s.m.g.nodes[pf.node]; n.kind != kSeq || int(pf.a) != len(n.alts) {
			return false
		}
	}
	return true
}

// compact rewrites the arena to hold just the live stack, so it does not
// grow with the length of the output.
func (s *State) compact() {
	n := 0
	for t := s.top; t >= 0; t = s.m.ar[t].parent {
		n++
	}
	if cap(s.spare) < n {
		s.spare = make([]frame, n)
	}
	out := s.spare[:n]
	i := n - 1
	for t := s.top; t >= 0; t = s.m.ar[t].parent {
		out[i] = s.m.ar[t]
		out[i].parent = int32(i - 1)
		i--
	}
	s.spare = s.m.ar[:0]
	s.m.ar = out
	s.top = int32(n - 1)
}
