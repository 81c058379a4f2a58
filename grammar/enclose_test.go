package grammar

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// Random walks through an enclosed tool-call grammar always give the
// prefix, a document the schema accepts and the suffix; the mask matches
// brute force on the real vocabulary at every step.
func TestEncloseWalks(t *testing.T) {
	g, err := CompileSchema([]byte(testSchemas["tools"]))
	if err != nil {
		t.Fatal(err)
	}
	e, err := g.Enclose("<tool_call>", "</tool_call>")
	if err != nil {
		t.Fatal(err)
	}
	val := validator(t, testSchemas["tools"])
	rng := rand.New(rand.NewPCG(5, 5))
	for range 200 {
		out := walk(t, e, rng, 60)
		doc, ok := bytes.CutPrefix(out, []byte("<tool_call>"))
		if doc, ok = bytes.CutSuffix(doc, []byte("</tool_call>")); !ok {
			t.Fatalf("walk %q is not enclosed", out)
		}
		if err := validate(val, doc); err != nil {
			t.Fatalf("walk %q: %v", out, err)
		}
	}

	tokens, eos := realTokens(t)
	v := NewVocab(tokens, eos)
	var mask []uint64
	for run := range 4 {
		s := e.Start()
		var out []byte
		for step := 0; ; step++ {
			mask = s.Mask(v, mask)
			if want := bruteMask(s, tokens, eos); fmt.Sprint(mask) != fmt.Sprint(want) {
				t.Fatalf("run %d after %q: mask differs from brute force", run, out)
			}
			ids := maskIDs(mask)
			id := ids[rng.IntN(len(ids))]
			if step > 30 {
				id = preferClosing(rng, ids, tokens, eos)
			}
			if step > 400 {
				t.Fatalf("no end: %q", out)
			}
			if err := s.AcceptToken(v, id); err != nil {
				t.Fatal(err)
			}
			if id == eos {
				break
			}
			out = append(out, tokens[id]...)
		}
		doc, ok := bytes.CutPrefix(out, []byte("<tool_call>"))
		if doc, ok = bytes.CutSuffix(doc, []byte("</tool_call>")); !ok || validate(val, doc) != nil {
			t.Fatalf("run %d: %q", run, out)
		}
	}
}

func TestEncloseBoundaries(t *testing.T) {
	num, err := CompileSchema([]byte(`{"type": "integer"}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		prefix, suffix, in string
		ok, canEnd, done   bool
	}{
		{"<a>", "</a>", "<a>12</a>", true, true, true},
		{"<a>", "</a>", "<a>12", true, false, false},
		{"<a>", "</a>", "<a> 12", false, false, false},
		{"<a>", "</a>", "<a>12 </a>", false, false, false},
		{"<a>", "</a>", "12</a>", false, false, false},
		{"<a>", "</a>", "<a>12</a>1", false, false, false},
		{"<a>", "", "<a>12", true, true, false}, // a number may go on
		{"", "!", "12!", true, true, true},
		{"", "!", "12", true, false, false},
	} {
		g, err := num.Enclose(c.prefix, c.suffix)
		if err != nil {
			t.Fatal(err)
		}
		s := g.Start()
		err = s.Accept([]byte(c.in))
		if (err == nil) != c.ok {
			t.Errorf("%q%q: Accept(%q) = %v", c.prefix, c.suffix, c.in, err)
			continue
		}
		if err == nil && (s.CanEnd() != c.canEnd || s.Done() != c.done) {
			t.Errorf("%q%q after %q: CanEnd %v Done %v, want %v %v", c.prefix, c.suffix, c.in, s.CanEnd(), s.Done(), c.canEnd, c.done)
		}
	}
	if g, _ := num.Enclose("", ""); g != num {
		t.Error("an empty enclosure is not the grammar itself")
	}
	// A schema whose documents need every level leaves none for the enclosure.
	deep := strings.Repeat(`{"type":"array","minItems":1,"items":`, MaxDepth-1) + `{"type":"null"}` + strings.Repeat("}", MaxDepth-1)
	g, err := CompileSchema([]byte(deep))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Enclose("<", ">"); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("deep schema enclosed: %v", err)
	}
}
