package generate

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/exaone-go/exaone/tokenizer"
	"github.com/exaone-go/exaone/tokenizer/chat"
)

// parsed is a parse's output with adjacent pieces of one kind merged, so
// that outputs of differently split inputs compare equal.
type parsed struct {
	Reasoning, Text string
	Calls           []string // name + " " + arguments
	Order           string   // kinds in order, merged: r, t, c
}

func (p *parsed) add(e event) {
	kind := "t"
	switch {
	case e.call != nil:
		kind = "c"
		p.Calls = append(p.Calls, e.call.Name+" "+string(e.call.Arguments))
	case e.reasoning != "":
		kind = "r"
		p.Reasoning += e.reasoning
	default:
		p.Text += e.text
	}
	if kind == "c" || !strings.HasSuffix(p.Order, kind) {
		p.Order += kind
	}
}

func parseAll(pieces []string, think bool) parsed {
	p := newParser(think, false)
	var out parsed
	for _, s := range pieces {
		for _, e := range p.push(s) {
			out.add(e)
		}
	}
	for _, e := range p.flush() {
		out.add(e)
	}
	return out
}

var parseCases = []struct {
	name  string
	think bool
	in    string
	want  parsed
}{
	{"reasoning then answer", true, "Let me think.\n</think>\n\nThe answer.",
		parsed{Reasoning: "Let me think.", Text: "The answer.", Order: "rt"}},
	{"reasoning never closed", true, "still thinking \n",
		parsed{Reasoning: "still thinking", Order: "r"}},
	{"reasoning with a tag-like text", true, "a </thin b\n</think>\nok",
		parsed{Reasoning: "a </thin b", Text: "ok", Order: "rt"}},
	{"multi-byte reasoning", true, "생각 중…\n</think>\n\n답은 42입니다.",
		parsed{Reasoning: "생각 중…", Text: "답은 42입니다.", Order: "rt"}},
	{"reasoning then a call", true, "I should call f.\n</think>\n\n<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>",
		parsed{Reasoning: "I should call f.", Calls: []string{"f {}"}, Order: "rc"}},
	{"plain answer", false, "23 plus 19 is 42.",
		parsed{Text: "23 plus 19 is 42.", Order: "t"}},
	{"inner whitespace kept, trailing dropped", false, "a\n\nb  \n",
		parsed{Text: "a\n\nb", Order: "t"}},
	{"one call", false, `<tool_call>{"name": "get_weather", "arguments": {"location": "Kyoto"}}</tool_call>`,
		parsed{Calls: []string{`get_weather {"location":"Kyoto"}`}, Order: "c"}},
	{"two calls", false, "<tool_call>{\"name\": \"a\", \"arguments\": {\"x\": 1}}</tool_call>\n<tool_call>{\"name\": \"b\"}</tool_call>",
		parsed{Calls: []string{`a {"x":1}`, "b {}"}, Order: "cc"}},
	{"text around a call", false, "Checking.\n<tool_call>{\"name\": \"a\", \"arguments\": \"raw\"}</tool_call>\nDone.",
		parsed{Text: "Checking.Done.", Calls: []string{`a "raw"`}, Order: "tct"}},
	{"malformed: name not a string", false, `<tool_call>{"name": 1}</tool_call>`,
		parsed{Text: `<tool_call>{"name": 1}</tool_call>`, Order: "t"}},
	{"malformed: not JSON", false, `x <tool_call>get_weather(Kyoto)</tool_call>`,
		parsed{Text: `x<tool_call>get_weather(Kyoto)</tool_call>`, Order: "t"}},
	{"malformed: text after the object", false, `<tool_call>{"name": "a"} and more</tool_call>`,
		parsed{Text: `<tool_call>{"name": "a"} and more</tool_call>`, Order: "t"}},
	{"malformed: no name", false, `<tool_call>{"arguments": {}}</tool_call>`,
		parsed{Text: `<tool_call>{"arguments": {}}</tool_call>`, Order: "t"}},
	{"malformed: unterminated", false, `<tool_call>{"name": "a", "argu`,
		parsed{Text: `<tool_call>{"name": "a", "argu`, Order: "t"}},
	{"partial tag at the end is text", false, "see <tool_ca",
		parsed{Text: "see <tool_ca", Order: "t"}},
	{"model opens reasoning itself", false, "<think>\nhmm\n</think>\n\nok",
		parsed{Reasoning: "hmm", Text: "ok", Order: "rt"}},
	{"<think> after the answer began is text", false, "ok <think> x",
		parsed{Text: "ok <think> x", Order: "t"}},
	{"a stray </think> in the answer is dropped", false, "Moses led Israel. ¿Qué?</think>\n\nHe was a prophet — «el profeta».",
		parsed{Text: "Moses led Israel. ¿Qué?\n\nHe was a prophet — «el profeta».", Order: "t"}},
}

// TestParserSplits parses each case whole, split at every point into two
// pieces, at random points into many, and byte by byte: every way of
// streaming the text must give the same output.
func TestParserSplits(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range parseCases {
		t.Run(c.name, func(t *testing.T) {
			check := func(how string, pieces []string) {
				t.Helper()
				got := parseAll(pieces, c.think)
				if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", c.want) {
					t.Fatalf("%s %q:\n got %#v\nwant %#v", how, pieces, got, c.want)
				}
			}
			check("whole", []string{c.in})
			for i := 1; i < len(c.in); i++ {
				check("split", []string{c.in[:i], c.in[i:]})
			}
			bytes := make([]string, len(c.in))
			for i := 0; i < len(c.in); i++ {
				bytes[i] = c.in[i : i+1]
			}
			check("bytes", bytes)
			for range 20 {
				var pieces []string
				for s := c.in; s != ""; {
					n := min(len(s), 1+rng.IntN(6))
					pieces, s = append(pieces, s[:n]), s[n:]
				}
				check("random", pieces)
			}
		})
	}
}

func TestStopFilter(t *testing.T) {
	for _, c := range []struct {
		in, stop []string
		out, hit string
	}{
		{[]string{"hello wor", "ld and more"}, []string{"world"}, "hello ", "world"},
		{[]string{"a", "b", "c"}, []string{"bc", "abx"}, "a", "bc"},
		{[]string{"ab", "x"}, []string{"bc", "abx"}, "", "abx"},
		{[]string{"no stop here"}, []string{"xyz"}, "no stop here", ""},
		{[]string{"ends with x", "y"}, []string{"xyz"}, "ends with xy", ""},
		{[]string{"한국", "어"}, []string{"국어"}, "한", "국어"},
	} {
		f := stopFilter{stops: c.stop}
		var out, hit string
		for _, s := range c.in {
			o, h := f.push(s)
			out += o
			if h != "" {
				hit = h
				break
			}
		}
		if hit == "" {
			out += f.flush()
		}
		if out != c.out || hit != c.hit {
			t.Errorf("%q with stops %q: out %q hit %q, want %q %q", c.in, c.stop, out, hit, c.out, c.hit)
		}
	}
}

// TestGenTokens streams text through the token-level stage one byte-level
// token per byte, so tokens end inside multi-byte characters and inside
// tags spelled in ordinary tokens, and with the tags as their control
// tokens: both must parse as the text does.
func TestGenTokens(t *testing.T) {
	tk, err := tokenizer.FromFile("../testdata/tokenizer/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	byteTok := func(b byte) int {
		id, ok := tk.TokenID(tokenizer.ByteLevelEncode([]byte{b}))
		if !ok {
			t.Fatalf("no token for byte %#x", b)
		}
		return id
	}
	tags := map[int]string{}
	tagIDs := map[string]int{}
	for _, tag := range []string{tagThinkOpen, tagThinkClose, tagCallOpen, tagCallClose} {
		id, ok := tk.TokenID(tag)
		if !ok {
			t.Fatalf("no %s token", tag)
		}
		tags[id], tagIDs[tag] = tag, id
	}
	for _, c := range parseCases {
		for _, asControl := range []bool{false, true} {
			var ids []int
			rest := c.in
			for rest != "" {
				matched := false
				if asControl {
					for tag, id := range tagIDs {
						if strings.HasPrefix(rest, tag) {
							ids, rest, matched = append(ids, id), rest[len(tag):], true
							break
						}
					}
				}
				if !matched {
					ids, rest = append(ids, byteTok(rest[0])), rest[1:]
				}
			}
			ids = append(ids, tk.EOS()) // control, not a tag: never text
			var res Result
			var streamed parsed
			var text, reasoning strings.Builder
			g := gen{res: &res, dec: tk.NewStreamDecoder(), tk: tk, tags: tags, parser: newParser(c.think, false), text: &text, reasoning: &reasoning,
				fn: func(ch Chunk) error {
					switch {
					case ch.ToolCall != nil:
						streamed.add(event{call: ch.ToolCall})
					case ch.Reasoning != "":
						streamed.add(event{reasoning: ch.Reasoning})
					default:
						if !isValidText(ch.Text) {
							t.Errorf("%s: chunk %q splits a character", c.name, ch.Text)
						}
						streamed.add(event{text: ch.Text})
					}
					return nil
				}}
			for _, id := range ids {
				if _, err := g.token(id); err != nil {
					t.Fatal(err)
				}
			}
			if err := g.finish(); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprintf("%#v", streamed) != fmt.Sprintf("%#v", c.want) {
				t.Errorf("%s (tags as control tokens: %v):\n got %#v\nwant %#v", c.name, asControl, streamed, c.want)
			}
			if res.Text != c.want.Text || res.Reasoning != c.want.Reasoning || len(res.ToolCalls) != len(c.want.Calls) {
				t.Errorf("%s: result %q %q %v differs from the stream", c.name, res.Reasoning, res.Text, res.ToolCalls)
			}
		}
	}
}

func isValidText(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

func TestParseCall(t *testing.T) {
	for body, want := range map[string]*chat.ToolCall{
		`{"name": "f", "arguments": {"b": [1, 2], "a": "x"}}`: {Name: "f", Arguments: json.RawMessage(`{"b":[1,2],"a":"x"}`)},
		` {"arguments": {"n": 1e400}, "name": "g"} `:          {Name: "g", Arguments: json.RawMessage(`{"n":1e400}`)},
		`{"name": "f", "arguments": null}`:                    {Name: "f", Arguments: json.RawMessage(`{}`)},
		`{"name": ""}`:                                        nil,
		`null`:                                                nil,
		`[{"name": "f"}]`:                                     nil,
		`{"name": "f"}{"name": "g"}`:                          nil,
		``:                                                    nil,
	} {
		got, ok := parseCall(body)
		if want == nil {
			if ok {
				t.Errorf("%q parsed as %+v, want malformed", body, got)
			}
			continue
		}
		if !ok || got.Name != want.Name || string(got.Arguments) != string(want.Arguments) {
			t.Errorf("%q: %+v %v, want %s(%s)", body, got, ok, want.Name, want.Arguments)
		}
	}
}

// FuzzParser: any text, split anywhere, parses without panicking to the
// same output as the whole text, and nothing but tags, whitespace and the
// call bodies turned into tool calls is lost.
func FuzzParser(f *testing.F) {
	for _, c := range parseCases {
		f.Add(c.in, c.think, uint8(3))
	}
	f.Fuzz(func(t *testing.T, in string, think bool, step uint8) {
		n := 1 + int(step%16)
		var pieces []string
		for s := in; s != ""; {
			k := min(len(s), n)
			pieces, s = append(pieces, s[:k]), s[k:]
		}
		whole, split := parseAll([]string{in}, think), parseAll(pieces, think)
		if fmt.Sprintf("%#v", whole) != fmt.Sprintf("%#v", split) {
			t.Fatalf("split into %d-byte pieces:\n got %#v\nwant %#v", n, split, whole)
		}
		if len(whole.Calls) == 0 {
			// Every non-space byte of the output came from the input, in order.
			strip := func(s string) string {
				for _, tag := range []string{tagThinkOpen, tagThinkClose} {
					s = strings.ReplaceAll(s, tag, "")
				}
				return strings.Join(strings.Fields(s), "")
			}
			got, src := strip(whole.Reasoning+whole.Text), strip(in)
			if len(got) > len(src) {
				t.Fatalf("output %q longer than its input %q", got, src)
			}
		}
	})
}

// Under a grammar the parser looks for no tags in the answer: a document's
// strings may hold them, and a constrained call is read whole at the end.
func TestParserConstrained(t *testing.T) {
	for _, c := range []struct {
		name           string
		think, oneCall bool
		in             string
		want           parsed
	}{
		{"document with tags in a string", false, false, `{"a": "<tool_call>x</think><think>"}`,
			parsed{Text: `{"a": "<tool_call>x</think><think>"}`, Order: "t"}},
		{"document after reasoning", true, false, "hmm <tool_call>\n</think>\n[1, \"</tool_call>\"]",
			parsed{Reasoning: "hmm <tool_call>", Text: `[1, "</tool_call>"]`, Order: "rt"}},
		{"call with a closing tag in an argument", false, true, `<tool_call>{"name": "f", "arguments": {"s": "</tool_call>"}}</tool_call>`,
			parsed{Calls: []string{`f {"s":"</tool_call>"}`}, Order: "c"}},
		{"call after reasoning", true, true, `why</think><tool_call>{"name": "f", "arguments": {}}</tool_call>`,
			parsed{Reasoning: "why", Calls: []string{`f {}`}, Order: "rc"}},
		{"cut call stays text", false, true, `<tool_call>{"name": "f"`,
			parsed{Text: `<tool_call>{"name": "f"`, Order: "t"}},
	} {
		// Every split into two pieces parses alike.
		for i := range len(c.in) + 1 {
			p := newParser(c.think, false)
			p.plain, p.oneCall = !c.oneCall, c.oneCall
			var out parsed
			for _, s := range []string{c.in[:i], c.in[i:]} {
				for _, e := range p.push(s) {
					out.add(e)
				}
			}
			for _, e := range p.flush() {
				out.add(e)
			}
			if fmt.Sprint(out) != fmt.Sprint(c.want) {
				t.Fatalf("%s split at %d: %+v, want %+v", c.name, i, out, c.want)
			}
		}
	}
}
