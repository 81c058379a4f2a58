package generate

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/exaone-go/exaone/tokenizer/chat"
)

// The tags of EXAONE 4's output format. The model writes them as single
// control tokens, but they are matched as text so that a model (or a
// tokenizer) that spells them in ordinary tokens is understood the same.
const (
	tagThinkOpen  = "<think>"
	tagThinkClose = "</think>"
	tagCallOpen   = "<tool_call>"
	tagCallClose  = "</tool_call>"
)

// space is the whitespace trimmed around reasoning, answers and calls: the
// model's separators (one set, so that every way of splitting the text
// trims alike).
const space = " \t\r\n"

// event is one piece of parsed output; exactly one field is set.
type event struct {
	text, reasoning string
	call            *chat.ToolCall
}

// stopFilter cuts the generated text at the first stop string. Text that
// could still turn out to be the start of a stop string is held back until
// the next piece decides it.
type stopFilter struct {
	stops []string
	held  string
}

// push adds text and returns what is safe to pass on; hit is the stop
// string found (the text before it is returned, everything after dropped).
func (f *stopFilter) push(s string) (out, hit string) {
	if len(f.stops) == 0 {
		return s, ""
	}
	buf := f.held + s
	first, which := -1, ""
	for _, st := range f.stops {
		if i := strings.Index(buf, st); i >= 0 && (first < 0 || i < first) {
			first, which = i, st
		}
	}
	if first >= 0 {
		f.held = ""
		return buf[:first], which
	}
	keep := 0
	for _, st := range f.stops {
		keep = max(keep, overlap(buf, st))
	}
	f.held = buf[len(buf)-keep:]
	return buf[:len(buf)-keep], ""
}

// flush returns the held-back text at the end of generation.
func (f *stopFilter) flush() string {
	s := f.held
	f.held = ""
	return s
}

// overlap is the length of the longest proper prefix of tag that ends s.
func overlap(s, tag string) int {
	for n := min(len(s), len(tag)-1); n > 0; n-- {
		if strings.HasSuffix(s, tag[:n]) {
			return n
		}
	}
	return 0
}

// parser splits the model's text into reasoning, answer text and tool
// calls. EXAONE 4 reasons inside <think>...</think>, but with thinking on
// the prompt already opens the block, so the model only ever writes the
// closing tag: the parser then starts in the reasoning state. Tool calls are
// <tool_call>{"name": ..., "arguments": ...}</tool_call>, one or several per
// turn; a call that does not parse is passed on as text, tags included.
type parser struct {
	state     int
	buf       string // text not yet passed on: a possible partial tag, held whitespace, or a call's body
	sawAnswer bool   // answer text other than whitespace was passed on
	trimLead  bool   // drop whitespace at the start of the reasoning or answer
	raw       bool   // no structure: everything is text
	// A grammar constrains the answer: plain, a document, is passed on as
	// text with no tags looked for (a string may hold "<tool_call>");
	// oneCall, <tool_call>...</tool_call>, is held whole and read at flush
	// (a string argument may hold "</tool_call>").
	plain, oneCall bool
	out            []event
}

const (
	stAnswer = iota
	stReasoning
	stCall
)

func newParser(reasoning, raw bool) *parser {
	p := &parser{raw: raw}
	if reasoning && !raw {
		p.state, p.trimLead = stReasoning, true
	}
	return p
}

// push parses more text and returns the events it completes. The slice is
// reused by the next call.
func (p *parser) push(s string) []event {
	p.out = p.out[:0]
	if p.raw {
		if s != "" {
			p.out = append(p.out, event{text: s})
		}
		return p.out
	}
	p.buf += s
	for p.step() {
	}
	return p.out
}

// step consumes what it can of buf and reports whether to go on.
func (p *parser) step() bool {
	if p.trimLead && p.state != stCall {
		p.buf = strings.TrimLeft(p.buf, space)
		if p.buf == "" {
			return false
		}
		p.trimLead = false
	}
	if p.state == stAnswer && p.plain {
		p.answer(p.buf)
		p.buf = ""
		return false
	}
	if p.state == stAnswer && p.oneCall {
		return false
	}
	switch p.state {
	case stReasoning:
		if i := strings.Index(p.buf, tagThinkClose); i >= 0 {
			p.reason(strings.TrimRight(p.buf[:i], space))
			p.buf = p.buf[i+len(tagThinkClose):]
			p.state, p.trimLead = stAnswer, true
			return true
		}
		// Hold back a partial tag and trailing whitespace: whitespace
		// right before </think> is not part of the reasoning.
		keep := overlap(p.buf, tagThinkClose)
		body := p.buf[:len(p.buf)-keep]
		trimmed := strings.TrimRight(body, space)
		p.reason(trimmed)
		p.buf = p.buf[len(trimmed):]
		return false
	case stCall:
		i := strings.Index(p.buf, tagCallClose)
		if i < 0 {
			return false
		}
		body := p.buf[:i]
		p.buf = p.buf[i+len(tagCallClose):]
		p.state = stAnswer
		if tc, ok := parseCall(body); ok {
			p.out = append(p.out, event{call: tc})
			p.trimLead = true
		} else {
			p.answer(tagCallOpen + body + tagCallClose)
		}
		return true
	}
	call := strings.Index(p.buf, tagCallOpen)
	if !p.sawAnswer {
		if think := strings.Index(p.buf, tagThinkOpen); think >= 0 && (call < 0 || think < call) && strings.Trim(p.buf[:think], space) == "" {
			// The model opened a reasoning block itself, before any answer.
			p.buf = p.buf[think+len(tagThinkOpen):]
			p.state, p.trimLead = stReasoning, true
			return true
		}
	}
	// A stray </think> outside reasoning is the control token leaking:
	// drop it.
	if i := strings.Index(p.buf, tagThinkClose); i >= 0 && (call < 0 || i < call) {
		p.answer(p.buf[:i])
		p.buf = p.buf[i+len(tagThinkClose):]
		return true
	}
	if call >= 0 {
		p.answer(strings.TrimRight(p.buf[:call], space))
		p.buf = p.buf[call+len(tagCallOpen):]
		p.state = stCall
		return true
	}
	// Hold back a partial tag and trailing whitespace: whitespace before a
	// call, between calls or at the end is not part of the answer.
	keep := max(overlap(p.buf, tagCallOpen), overlap(p.buf, tagThinkClose))
	if !p.sawAnswer {
		keep = max(keep, overlap(p.buf, tagThinkOpen))
	}
	body := strings.TrimRight(p.buf[:len(p.buf)-keep], space)
	p.answer(body)
	p.buf = p.buf[len(body):]
	return false
}

func (p *parser) reason(s string) {
	if s != "" {
		p.out = append(p.out, event{reasoning: s})
	}
}

func (p *parser) answer(s string) {
	if s == "" {
		return
	}
	if strings.Trim(s, space) != "" {
		p.sawAnswer = true
	}
	p.out = append(p.out, event{text: s})
}

// flush ends the text: what was held back is passed on as it stands (an
// unterminated call as text, tags included), except trailing whitespace.
func (p *parser) flush() []event {
	p.out = p.out[:0]
	switch p.state {
	case stReasoning:
		p.reason(strings.TrimRight(p.buf, space))
	case stCall:
		p.answer(strings.TrimRight(tagCallOpen+p.buf, space))
	default:
		if p.oneCall {
			body, ok := strings.CutPrefix(p.buf, tagCallOpen)
			if body, ok2 := strings.CutSuffix(body, tagCallClose); ok && ok2 {
				if tc, ok := parseCall(body); ok {
					p.out = append(p.out, event{call: tc})
					break
				}
			}
		}
		p.answer(strings.TrimRight(p.buf, space))
	}
	p.buf = ""
	p.state = stAnswer
	return p.out
}

// parseCall reads a call's body: one JSON object with a non-empty string
// "name" and optional "arguments" (any JSON value, {} when absent or null:
// the template lets the model write a bare value), and nothing else.
func parseCall(body string) (*chat.ToolCall, bool) {
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var v struct {
		Name      *string         `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	}
	if err := dec.Decode(&v); err != nil || v.Name == nil || *v.Name == "" {
		return nil, false
	}
	if strings.TrimSpace(body[dec.InputOffset():]) != "" {
		return nil, false // text after the object
	}
	args := v.Arguments
	if len(args) == 0 || string(args) == "null" {
		args = json.RawMessage("{}")
	}
	var c bytes.Buffer
	if err := json.Compact(&c, args); err != nil {
		return nil, false
	}
	return &chat.ToolCall{Name: *v.Name, Arguments: json.RawMessage(c.Bytes())}, true
}
