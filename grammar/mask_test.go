package grammar

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/exaone-go/exaone/tokenizer"
)

var (
	tokOnce  sync.Once
	tokVocab [][]byte
	tokEOS   int
	tokErr   error
)

// realTokens loads the test tokenizer's token bytes, special tokens nil.
func realTokens(t testing.TB) ([][]byte, int) {
	tokOnce.Do(func() {
		tk, err := tokenizer.FromFile("../testdata/tokenizer/tokenizer.json")
		if err != nil {
			tokErr = err
			return
		}
		tokVocab = make([][]byte, tk.VocabSize())
		for id := range tokVocab {
			if !tk.IsControl(id) && tk.TokenType(id) != tokenizer.TypeUserDefined {
				tokVocab[id] = tk.TokenBytes(id)
			}
		}
		tokEOS = tk.EOS()
	})
	if tokErr != nil {
		t.Fatal(tokErr)
	}
	return tokVocab, tokEOS
}

// bruteMask tries every token's bytes from a copy of the state.
func bruteMask(s *State, tokens [][]byte, eos int) []uint64 {
	m := make([]uint64, (len(tokens)+63)/64)
	for id, t := range tokens {
		ok := false
		if id == eos {
			ok = s.CanEnd()
		} else if len(t) > 0 {
			// Accept byte by byte, as Accept does, then undo.
			n0, top := len(s.m.ar), s.top
			for _, c := range t {
				if top = s.m.step(top, c); top < 0 {
					break
				}
			}
			ok = top >= 0
			s.m.ar = s.m.ar[:n0]
		}
		if ok {
			m[id>>6] |= 1 << (id & 63)
		}
	}
	return m
}

func maskIDs(m []uint64) []int {
	var ids []int
	for i, w := range m {
		for b := range 64 {
			if w>>b&1 != 0 {
				ids = append(ids, i*64+b)
			}
		}
	}
	return ids
}

// TestMaskMatchesBruteForce follows random token-level generations on the
// real test vocabulary and compares Mask with trying every token at each
// step; each generation ends with the end-of-sequence token, and the output
// is then valid for the schema.
func TestMaskMatchesBruteForce(t *testing.T) {
	tokens, eos := realTokens(t)
	v := NewVocab(tokens, eos)
	if v.Size() != len(tokens) {
		t.Fatalf("Size %d, want %d", v.Size(), len(tokens))
	}
	states := 0
	for _, name := range []string{"any", "person", "tree", "enum", "types", "map", "oneOf", "tools", "short", "negative"} {
		t.Run(name, func(t *testing.T) {
			g, err := CompileSchema([]byte(testSchemas[name]))
			if err != nil {
				t.Fatal(err)
			}
			val := validator(t, testSchemas[name])
			rng := rand.New(rand.NewPCG(3, uint64(len(name))))
			var mask []uint64
			for run := range 8 {
				s := g.Start()
				var out []byte
				for step := 0; ; step++ {
					mask = s.Mask(v, mask)
					states++
					if want := bruteMask(s, tokens, eos); fmt.Sprint(mask) != fmt.Sprint(want) {
						t.Fatalf("run %d after %q: mask %v, brute force %v", run, out, maskIDs(mask), maskIDs(want))
					}
					ids := maskIDs(mask)
					if len(ids) == 0 {
						t.Fatalf("no token allowed after %q", out)
					}
					id := ids[rng.IntN(len(ids))]
					if step > 30 {
						// Finish: prefer EOS, then tokens that close values.
						id = preferClosing(rng, ids, tokens, eos)
					}
					if step > 400 {
						t.Fatalf("generation does not finish: %q", out)
					}
					if err := s.AcceptToken(v, id); err != nil {
						t.Fatalf("masked token %d %q rejected after %q: %v", id, tokens[id], out, err)
					}
					if id == eos {
						break
					}
					out = append(out, tokens[id]...)
				}
				if err := validate(val, out); err != nil {
					t.Fatalf("output %q: %v", out, err)
				}
			}
		})
	}
	t.Logf("%d states compared", states)
}

func preferClosing(rng *rand.Rand, ids []int, tokens [][]byte, eos int) int {
	var best []int
	for _, id := range ids {
		if id == eos {
			return id
		}
		t := tokens[id]
		if len(t) == 1 && (t[0] == '"' || t[0] == ']' || t[0] == '}' || t[0] >= '0' && t[0] <= '9') {
			best = append(best, id)
		}
	}
	if len(best) == 0 {
		for _, id := range ids {
			if t := tokens[id]; len(t) > 0 && t[0] != '[' && t[0] != '{' && t[0] != ',' && !isWS(t[0]) {
				best = append(best, id)
			}
		}
	}
	if len(best) == 0 {
		best = ids
	}
	return best[rng.IntN(len(best))]
}

func TestMaskSpecialTokens(t *testing.T) {
	tokens, eos := realTokens(t)
	v := NewVocab(tokens, eos)
	s := JSON().Start()
	m := s.Mask(v, nil)
	for id, tok := range tokens {
		if len(tok) == 0 && m[id>>6]>>(id&63)&1 != 0 {
			t.Fatalf("special token %d allowed at the start", id)
		}
	}
	if err := s.Accept([]byte(`{"a":[]}`)); err != nil {
		t.Fatal(err)
	}
	m = s.Mask(v, m)
	if ids := maskIDs(m); len(ids) != 1 || ids[0] != eos {
		t.Fatalf("complete document allows %v, want only EOS %d", ids, eos)
	}
	if err := s.AcceptToken(v, eos); err != nil {
		t.Fatal(err)
	}
	if err := s.AcceptToken(v, eos); err == nil {
		t.Fatal("second EOS accepted")
	}
	if err := JSON().Start().AcceptToken(v, 8); err == nil {
		t.Fatal("special token accepted")
	}
	if err := JSON().Start().AcceptToken(v, -1); err == nil {
		t.Fatal("token -1 accepted")
	}
}

// Inside strings Mask takes plain tokens from precomputed sets, bounded by
// maxLength; this checks the bound at every remaining length.
func TestMaskStringLengths(t *testing.T) {
	tokens, eos := realTokens(t)
	v := NewVocab(tokens, eos)
	g, err := CompileSchema([]byte(`{"type":"string","maxLength":40}`))
	if err != nil {
		t.Fatal(err)
	}
	s := g.Start()
	_ = s.Accept([]byte(`"`))
	var m []uint64
	for i := 0; i <= 40; i++ {
		m = s.Mask(v, m)
		if want := bruteMask(s, tokens, eos); fmt.Sprint(m) != fmt.Sprint(want) {
			t.Fatalf("%d code points in: mask differs from brute force", i)
		}
		if err := s.Accept([]byte("é")); err != nil && i < 40 {
			t.Fatal(err)
		}
	}
}

func FuzzJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5e3,"x\u00e9"]}`, `[true,false,null]`, `"\"`, `-0.0`, `{"":{}}`, "\"\xe2\x82\xac\""} {
		f.Add([]byte(s))
	}
	g := JSON()
	f.Fuzz(func(t *testing.T, data []byte) {
		s := g.Start()
		// The longest accepted prefix must be a JSON prefix; whole
		// documents must be valid JSON.
		for i := range data {
			if s.Accept(data[i:i+1]) != nil {
				data = data[:i]
				break
			}
		}
		if s.CanEnd() && !json.Valid(data) {
			t.Fatalf("accepted %q, which is not valid JSON", data)
		}
	})
}

func FuzzCompileSchema(f *testing.F) {
	for _, s := range testSchemas {
		f.Add([]byte(s), []byte(`{"a":1}`))
	}
	f.Add([]byte(`{"$ref":"#/$defs/a","$defs":{"a":{"anyOf":[{"$ref":"#/$defs/b"}]},"b":{"$ref":"#/$defs/a"}}}`), []byte(`1`))
	f.Fuzz(func(t *testing.T, schema, doc []byte) {
		g, err := CompileSchema(schema)
		if err != nil {
			return
		}
		s := g.Start()
		if s.Accept(doc) == nil && s.CanEnd() && !json.Valid(doc) {
			t.Fatalf("schema %q accepts %q, which is not valid JSON", schema, doc)
		}
		// A short random walk exercises every reachable transition kind.
		rng := rand.New(rand.NewPCG(uint64(len(schema)), uint64(len(doc))))
		s = g.Start()
		for range 64 {
			a := allowedBytes(s)
			if len(a) == 0 {
				break
			}
			if err := s.Accept([]byte{a[rng.IntN(len(a))]}); err != nil {
				t.Fatal(err)
			}
		}
	})
}
