package generate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/exaone-go/exaone/grammar"
	"github.com/exaone-go/exaone/sampler"
)

// constraint returns the grammar the answer must follow (nil: none) and
// whether it is a tool call.
func (r *Request) constraint() (*grammar.Grammar, error) {
	switch r.ToolChoice {
	case "", "auto", "none":
		return r.Grammar, nil
	}
	if r.Grammar != nil {
		return nil, fmt.Errorf("%w: tool_choice %q and a grammar together", ErrBadRequest, r.ToolChoice)
	}
	if len(r.Tools) == 0 {
		return nil, fmt.Errorf("%w: tool_choice %q without tools", ErrBadRequest, r.ToolChoice)
	}
	return ToolCallGrammar(r.Tools, r.ToolChoice)
}

// ToolCallGrammar returns the grammar of one tool call as EXAONE 4 writes
// it, <tool_call>{"name": NAME, "arguments": ARGS}</tool_call>, with ARGS
// valid for that tool's parameters schema: of any of tools for choice
// "required", else of the tool named choice. Errors wrap ErrBadRequest and
// name the tool; a schema feature the grammar does not support is named
// too (and wraps grammar.ErrUnsupported).
func ToolCallGrammar(tools []json.RawMessage, choice string) (*grammar.Grammar, error) {
	var alts [][]byte
	for i, t := range tools {
		var v struct {
			Function struct {
				Name       string          `json:"name"`
				Parameters json.RawMessage `json:"parameters"`
			} `json:"function"`
		}
		if err := json.Unmarshal(t, &v); err != nil || v.Function.Name == "" {
			return nil, fmt.Errorf("%w: tools[%d]: expected {\"type\": \"function\", \"function\": {\"name\": ...}}", ErrBadRequest, i)
		}
		if choice != "required" && v.Function.Name != choice {
			continue
		}
		params := v.Function.Parameters
		if len(params) == 0 || string(params) == "null" {
			params = json.RawMessage(`{"type":"object","additionalProperties":false}`)
		}
		// Compiled alone first, so that an error points into this tool.
		if _, err := grammar.CompileSchema(params); err != nil {
			return nil, fmt.Errorf("%w: tools[%d].function.parameters: %w", ErrBadRequest, i, err)
		}
		ptr := fmt.Sprintf("#/anyOf/%d/properties/arguments", len(alts))
		args, err := rebaseRefs(params, ptr)
		if err != nil {
			return nil, fmt.Errorf("%w: tools[%d].function.parameters: %v", ErrBadRequest, i, err)
		}
		name, _ := json.Marshal(v.Function.Name)
		alts = append(alts, fmt.Appendf(nil, `{"type":"object","properties":{"name":{"const":%s},"arguments":%s},"required":["name","arguments"],"additionalProperties":false}`, name, args))
	}
	if len(alts) == 0 {
		return nil, fmt.Errorf("%w: tool_choice: no tool named %q", ErrBadRequest, choice)
	}
	schema := append([]byte(`{"anyOf":[`), bytes.Join(alts, []byte(","))...)
	schema = append(schema, "]}"...)
	g, err := grammar.CompileSchema(schema)
	if err == nil {
		g, err = g.Enclose(tagCallOpen, tagCallClose)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: tools: %w", ErrBadRequest, err)
	}
	return g, nil
}

// rebaseRefs rewrites the local $refs of a schema ("#/$defs/x") to point
// into the document it is embedded in at ptr, keeping everything else, key
// order included (the grammar writes properties in the schema's order).
func rebaseRefs(schema []byte, ptr string) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(schema))
	dec.UseNumber()
	var out bytes.Buffer
	// Per open container: whether the next token is an object key, and
	// whether anything was written (for commas).
	type level struct{ object, key, any bool }
	var stack []level
	ref := false // the key just written was "$ref"
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		isKey := false
		if n := len(stack); n > 0 {
			top := &stack[n-1]
			closing := tok == json.Delim('}') || tok == json.Delim(']')
			if !closing {
				if top.object {
					isKey = top.key
					top.key = !top.key
				}
				if top.any && (!top.object || isKey) {
					out.WriteByte(',')
				}
				top.any = true
				if top.object && !isKey {
					out.WriteByte(':')
				}
			}
		}
		switch t := tok.(type) {
		case json.Delim:
			out.WriteByte(byte(t))
			if t == '{' || t == '[' {
				stack = append(stack, level{object: t == '{', key: t == '{'})
			} else {
				stack = stack[:len(stack)-1]
			}
		case string:
			if ref && !isKey && strings.HasPrefix(t, "#") {
				t = ptr + strings.TrimPrefix(t, "#")
			}
			b, _ := json.Marshal(t)
			out.Write(b)
		case json.Number:
			out.WriteString(t.String())
		case bool:
			fmt.Fprint(&out, t)
		case nil:
			out.WriteString("null")
		default:
			return nil, errors.New("unexpected JSON token")
		}
		ref = isKey && tok == "$ref"
	}
	return out.Bytes(), nil
}

// constraint is a grammar applied to one generation's answer.
type constraint struct {
	v      *grammar.Vocab
	st     *grammar.State
	call   bool // a tool call (ToolChoice), not a document
	active bool // the answer has begun: masks apply
	raw    bool // a raw prompt: tags are never text, so never allowed
	tags   []int
	mask   []uint64
	tail   []byte // while reasoning: the output's last bytes, to find </think>
}

func (m *Model) newConstraint(g *grammar.Grammar, req *Request) *constraint {
	call := req.ToolChoice != "" && req.ToolChoice != "auto" && req.ToolChoice != "none"
	c := &constraint{v: m.grammarVocab(), st: g.Start(), call: call,
		active: !req.Think || req.Prompt != "", raw: req.Prompt != ""}
	for id := range m.tags {
		c.tags = append(c.tags, id)
	}
	return c
}

// sample draws a token the grammar allows and advances the grammar.
func (c *constraint) sample(smp *sampler.Sampler, logits []float32) (int, error) {
	c.mask = c.st.Mask(c.v, c.mask)
	if c.raw {
		for _, id := range c.tags {
			c.mask[id>>6] &^= 1 << (id & 63)
		}
	}
	tok := smp.SampleMasked(logits, c.mask)
	if tok < 0 {
		// Every state of the automaton has a way to finish, so this is a bug.
		return 0, errors.New("generate: the grammar allows no token")
	}
	if err := c.st.AcceptToken(c.v, tok); err != nil {
		return 0, fmt.Errorf("generate: a masked token was refused: %w", err)
	}
	return tok, nil
}

// watch follows the reasoning until </think>, which starts the answer and
// so the constraint; bytes after the tag in the same token (the tag spelled
// in ordinary tokens) are the answer's first, less leading whitespace.
func (c *constraint) watch(b []byte) error {
	c.tail = append(c.tail, b...)
	i := bytes.Index(c.tail, []byte(tagThinkClose))
	if i < 0 {
		if n := len(tagThinkClose) - 1; len(c.tail) > n {
			c.tail = append(c.tail[:0], c.tail[len(c.tail)-n:]...)
		}
		return nil
	}
	c.active = true
	rest := bytes.TrimLeft(c.tail[i+len(tagThinkClose):], " \t\r\n")
	c.tail = nil
	if len(rest) > 0 {
		if err := c.st.Accept(rest); err != nil {
			return fmt.Errorf("generate: the answer's first bytes %q came with </think> in one token and the grammar refuses them", rest)
		}
	}
	return nil
}
