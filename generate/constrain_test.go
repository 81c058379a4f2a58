package generate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/exaone-go/exaone/generate"
	"github.com/exaone-go/exaone/grammar"
	"github.com/exaone-go/exaone/sampler"
	"github.com/exaone-go/exaone/tokenizer/chat"
)

// Schemas the tiny models never satisfy on their own: nested objects,
// arrays, enums, bounded integers and numbers, $ref.
var structuredSchemas = map[string]string{
	"person": `{"type": "object", "properties": {
		"name": {"type": "string", "maxLength": 12},
		"age": {"type": "integer", "minimum": 18, "maximum": 99},
		"role": {"enum": ["admin", "user", "guest"]},
		"address": {"type": "object", "properties": {
			"city": {"type": "string", "minLength": 1, "maxLength": 10},
			"zip": {"type": "integer", "minimum": 10000, "maximum": 99999}
		}, "required": ["city", "zip"], "additionalProperties": false}
	}, "required": ["name", "age", "role", "address"], "additionalProperties": false}`,
	"list": `{"type": "array", "minItems": 2, "maxItems": 4, "items": {
		"type": "object", "properties": {
			"id": {"type": "integer", "minimum": -5, "maximum": 5},
			"score": {"type": "number", "minimum": 0, "maximum": 1},
			"ok": {"type": "boolean"}
		}, "required": ["id", "ok"], "additionalProperties": false}}`,
	"union": `{"$ref": "#/$defs/item", "$defs": {"item": {"anyOf": [
		{"type": "string", "maxLength": 8},
		{"type": "array", "items": {"enum": [1, 2, "three", null]}, "maxItems": 3},
		{"type": "null"}
	]}}}`,
	"tags": `{"type": "object", "properties": {
		"tags": {"type": "array", "items": {"type": "string", "maxLength": 6}, "minItems": 1, "maxItems": 3},
		"level": {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 4}
	}, "required": ["tags"], "additionalProperties": false}`,
}

func schemaValidator(t testing.TB, schema string) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(schema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// validJSON parses doc strictly and validates it.
func validJSON(s *jsonschema.Schema, doc string) error {
	if !json.Valid([]byte(doc)) {
		return errors.New("not JSON")
	}
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
	if err != nil {
		return err
	}
	return s.Validate(v)
}

// temp1 is plain sampling at temperature 1: no truncation, so every token
// the mask allows can be drawn.
func temp1(seed uint64) *sampler.Params {
	return &sampler.Params{Temperature: 1, TopP: 1, RepeatPenalty: 1, RepeatLastN: 64, Seed: seed}
}

func TestSchemaOutputsValidate(t *testing.T) {
	s := newSession(t, generate.Options{Ctx: 1024, Threads: 1})
	for name, schema := range structuredSchemas {
		t.Run(name, func(t *testing.T) {
			g, err := grammar.CompileSchema([]byte(schema))
			if err != nil {
				t.Fatal(err)
			}
			val := schemaValidator(t, schema)
			for seed := range uint64(30) {
				var chunks strings.Builder
				res, err := s.Generate(context.Background(), &generate.Request{
					Messages: []chat.Message{{Role: "user", Content: "Describe a person as JSON."}},
					Grammar:  g, Sampling: temp1(seed), MaxTokens: 600,
				}, func(c generate.Chunk) error {
					if c.Reasoning != "" || c.ToolCall != nil {
						t.Errorf("seed %d: chunk %+v besides text", seed, c)
					}
					chunks.WriteString(c.Text)
					return nil
				})
				if err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
				if res.Stop != generate.StopEndOfTurn || chunks.String() != res.Text {
					t.Fatalf("seed %d: stop %v, text %q, chunks %q", seed, res.Stop, res.Text, chunks.String())
				}
				if err := validJSON(val, res.Text); err != nil {
					t.Fatalf("seed %d: %q: %v", seed, res.Text, err)
				}
				if seed < 2 {
					t.Logf("seed %d: %s", seed, res.Text)
				}
			}
		})
	}
}

func TestSchemaAfterThinking(t *testing.T) {
	s := newSession(t, generate.Options{Ctx: 1024, Threads: 1})
	g, err := grammar.CompileSchema([]byte(structuredSchemas["tags"]))
	if err != nil {
		t.Fatal(err)
	}
	val := schemaValidator(t, structuredSchemas["tags"])
	answered := 0
	for seed := range uint64(30) {
		var order []string
		res, err := s.Generate(context.Background(), &generate.Request{
			Messages: []chat.Message{{Role: "user", Content: "What is 2 + 2? Answer with tags."}},
			Think:    true, Grammar: g, Sampling: temp1(seed), MaxTokens: 400,
		}, func(c generate.Chunk) error {
			switch {
			case c.Reasoning != "":
				order = append(order, "reasoning")
			case c.Text != "":
				order = append(order, "text")
			}
			return nil
		})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if res.Stop == generate.StopLength && res.Text == "" {
			continue // still reasoning: unconstrained, nothing to check
		}
		answered++
		if res.Stop != generate.StopEndOfTurn || res.Reasoning == "" {
			t.Fatalf("seed %d: stop %v, reasoning %q", seed, res.Stop, res.Reasoning)
		}
		if i := strings.Index(strings.Join(order, " "), "text"); i < 0 || strings.Contains(strings.Join(order, " ")[i:], "reasoning") {
			t.Fatalf("seed %d: chunks in order %v", seed, order)
		}
		if err := validJSON(val, res.Text); err != nil {
			t.Fatalf("seed %d: answer %q after reasoning %q: %v", seed, res.Text, res.Reasoning, err)
		}
	}
	t.Logf("%d of 30 seeds finished reasoning and answered", answered)
	if answered < 10 {
		t.Fatalf("only %d of 30 seeds answered", answered)
	}
}

var weatherTools = []json.RawMessage{
	json.RawMessage(`{"type": "function", "function": {"name": "get_weather", "parameters": {
		"type": "object", "properties": {
			"city": {"type": "string", "maxLength": 12},
			"unit": {"enum": ["celsius", "fahrenheit"]},
			"days": {"type": "integer", "minimum": 1, "maximum": 7}
		}, "required": ["city", "unit"], "additionalProperties": false}}}`),
	json.RawMessage(`{"type": "function", "function": {"name": "add", "parameters": {
		"type": "object", "properties": {"a": {"$ref": "#/$defs/n"}, "b": {"$ref": "#/$defs/n"}},
		"required": ["a", "b"], "additionalProperties": false,
		"$defs": {"n": {"type": "integer", "minimum": -100, "maximum": 100}}}}}`),
	json.RawMessage(`{"type": "function", "function": {"name": "now"}}`),
}

// toolValidators validate each tool's arguments with its own schema.
func toolValidators(t testing.TB) map[string]*jsonschema.Schema {
	out := map[string]*jsonschema.Schema{}
	for _, raw := range weatherTools {
		var v struct {
			Function struct {
				Name       string          `json:"name"`
				Parameters json.RawMessage `json:"parameters"`
			} `json:"function"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		p := string(v.Function.Parameters)
		if p == "" {
			p = `{"type": "object", "maxProperties": 0}`
		}
		out[v.Function.Name] = schemaValidator(t, p)
	}
	return out
}

func TestToolChoiceRequired(t *testing.T) {
	s := newSession(t, generate.Options{Ctx: 1024, Threads: 1})
	vals := toolValidators(t)
	seen := map[string]int{}
	for _, choice := range []string{"required", "add"} {
		for seed := range uint64(30) {
			var calls int
			res, err := s.Generate(context.Background(), &generate.Request{
				Messages: []chat.Message{{Role: "user", Content: "Hello!"}},
				Tools:    weatherTools, ToolChoice: choice, Sampling: temp1(seed), MaxTokens: 300,
				Think: seed%3 == 0,
			}, func(c generate.Chunk) error {
				if c.ToolCall != nil {
					calls++
				}
				if c.Text != "" {
					t.Errorf("%s seed %d: text %q", choice, seed, c.Text)
				}
				return nil
			})
			if err != nil {
				t.Fatalf("%s seed %d: %v", choice, seed, err)
			}
			if res.Stop == generate.StopLength && seed%3 == 0 && len(res.ToolCalls) == 0 {
				continue // still reasoning
			}
			if res.Stop != generate.StopToolCalls || len(res.ToolCalls) != 1 || calls != 1 {
				t.Fatalf("%s seed %d: stop %v, calls %+v, text %q", choice, seed, res.Stop, res.ToolCalls, res.Text)
			}
			tc := res.ToolCalls[0]
			val, ok := vals[tc.Name]
			if !ok || choice != "required" && tc.Name != choice {
				t.Fatalf("%s seed %d: call of %q", choice, seed, tc.Name)
			}
			if err := validJSON(val, string(tc.Arguments)); err != nil {
				t.Fatalf("%s seed %d: %s(%s): %v", choice, seed, tc.Name, tc.Arguments, err)
			}
			seen[tc.Name]++
		}
	}
	t.Logf("calls: %v", seen)
}

func TestConstraintErrors(t *testing.T) {
	s := newSession(t, generate.Options{Ctx: 256, Threads: 1})
	msgs := []chat.Message{{Role: "user", Content: "Hi"}}
	bad := json.RawMessage(`{"type": "function", "function": {"name": "when", "parameters": {"type": "object", "properties": {"at": {"type": "string", "format": "date-time"}}}}}`)
	for _, c := range []struct {
		req  generate.Request
		want []string
		feat bool
	}{
		{generate.Request{Messages: msgs, Tools: []json.RawMessage{weatherTools[0], bad}, ToolChoice: "required"}, []string{"tools[1].function.parameters", `"format"`}, true},
		{generate.Request{Messages: msgs, Tools: weatherTools, ToolChoice: "nope"}, []string{`no tool named "nope"`}, false},
		{generate.Request{Messages: msgs, ToolChoice: "required"}, []string{"without tools"}, false},
		{generate.Request{Messages: msgs, Tools: weatherTools, ToolChoice: "required", Grammar: grammar.JSON()}, []string{"grammar"}, false},
	} {
		_, err := s.Generate(context.Background(), &c.req, nil)
		if !errors.Is(err, generate.ErrBadRequest) || c.feat != errors.Is(err, grammar.ErrUnsupported) {
			t.Errorf("%+v: %v", c.want, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not name %s", err, w)
			}
		}
	}
}

// A raw prompt under a grammar: the tags are control tokens that never
// reach a raw completion's text, so they are never allowed in it either.
func TestSchemaRawPrompt(t *testing.T) {
	s := newSession(t, generate.Options{Ctx: 512, Threads: 1})
	schema := `{"type": "array", "items": {"type": "string", "maxLength": 20}, "minItems": 1, "maxItems": 3}`
	g, err := grammar.CompileSchema([]byte(schema))
	if err != nil {
		t.Fatal(err)
	}
	val := schemaValidator(t, schema)
	for seed := range uint64(10) {
		res, err := s.Generate(context.Background(), &generate.Request{Prompt: "And God said", Grammar: g, Sampling: temp1(seed), MaxTokens: 300}, nil)
		if err != nil || res.Stop != generate.StopEndOfTurn {
			t.Fatalf("seed %d: %v %v", seed, res.Stop, err)
		}
		if err := validJSON(val, res.Text); err != nil {
			t.Fatalf("seed %d: %q: %v", seed, res.Text, err)
		}
		// The text is exactly the sampled tokens' bytes.
		var b bytes.Buffer
		for _, id := range res.Tokens {
			b.Write(chatModel(t).Tokenizer().TokenBytes(id))
		}
		if b.String() != res.Text+"[|endofturn|]" && b.String() != res.Text {
			t.Fatalf("seed %d: text %q from tokens %q", seed, res.Text, b.String())
		}
	}
}

func ExampleToolCallGrammar() {
	g, err := generate.ToolCallGrammar([]json.RawMessage{json.RawMessage(`{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}}}`)}, "required")
	if err != nil {
		fmt.Println(err)
		return
	}
	st := g.Start()
	fmt.Println(st.Accept([]byte(`<tool_call>{"name":"f","arguments":{"x":1}}</tool_call>`)), st.Done())
	fmt.Println(g.Start().Accept([]byte(`<tool_call>{"name":"g"`)) != nil)
	// Output:
	// <nil> true
	// true
}
