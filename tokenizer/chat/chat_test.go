package chat

import (
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/exaone-go/exaone/tokenizer"
)

type chatCase struct {
	Name           string            `json:"name"`
	Messages       []Message         `json:"messages"`
	Tools          []json.RawMessage `json:"tools"`
	EnableThinking *bool             `json:"enable_thinking"`
	Text           string            `json:"text"`
	IDs            []int             `json:"ids"`
}

func loadCases(t *testing.T, path, field string) []chatCase {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var cases []chatCase
	if err := json.Unmarshal(doc[field], &cases); err != nil {
		t.Fatalf("%s: %s: %v", path, field, err)
	}
	return cases
}

func render(t *testing.T, c chatCase) string {
	t.Helper()
	opts := Options{AddGenerationPrompt: true, EnableThinking: c.EnableThinking != nil && *c.EnableThinking}
	got, err := Render(c.Messages, c.Tools, opts)
	if err != nil {
		t.Fatalf("%s: %v", c.Name, err)
	}
	return got
}

// The nine conversations the official template rendered: same text, and
// the same ids once tokenized.
func TestReferenceChats(t *testing.T) {
	cases := loadCases(t, "../../testdata/tokenizer/tokenizer_refs.json", "chat")
	if len(cases) != 9 {
		t.Fatalf("%d chat cases, want 9", len(cases))
	}
	tk, err := tokenizer.FromFile("../../testdata/tokenizer")
	if err != nil {
		t.Fatal(err)
	}
	if !Detect(tk.ChatTemplate()) {
		t.Error("Detect does not recognise the EXAONE 4 template")
	}
	for _, c := range cases {
		got := render(t, c)
		if got != c.Text {
			t.Errorf("%s:\n got %q\nwant %q", c.Name, got, c.Text)
		}
		if ids := tk.Encode(got, true); !slices.Equal(ids, c.IDs) {
			t.Errorf("%s: ids\n got %v\nwant %v", c.Name, ids, c.IDs)
		}
	}
}

func TestDetect(t *testing.T) {
	for _, tmpl := range []string{"", "{% for m in messages %}<|im_start|>{{ m.role }}{% endfor %}",
		"[|system|][|user|][|assistant|][|endofturn|]" /* EXAONE 3.5: no thinking */} {
		if Detect(tmpl) {
			t.Errorf("Detect(%q) = true", tmpl)
		}
	}
}

// More conversations rendered from the official template by jinja2 with
// transformers' settings (testdata/gen_extra_chat.py): several tools, JSON
// escapes and Python float formatting, tool calls in both shapes and with
// string arguments, grouped tool results, a later system turn, Python's
// strip, thinking stripped from earlier turns, no generation prompt.
func TestExtraChats(t *testing.T) {
	b, err := os.ReadFile("testdata/extra_chat.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Chat []struct {
			chatCase
			AddGenerationPrompt bool `json:"add_generation_prompt"`
		} `json:"chat"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Chat) < 6 {
		t.Fatalf("%d extra cases, want 6", len(doc.Chat))
	}
	for _, c := range doc.Chat {
		opts := Options{AddGenerationPrompt: c.AddGenerationPrompt, EnableThinking: c.EnableThinking != nil && *c.EnableThinking}
		got, err := Render(c.Messages, c.Tools, opts)
		if err != nil {
			t.Errorf("%s: %v", c.Name, err)
			continue
		}
		if got != c.Text {
			t.Errorf("%s:\n got %q\nwant %q", c.Name, got, c.Text)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	if _, err := Render([]Message{{Role: "narrator", Content: "x"}}, nil, Options{}); err == nil {
		t.Error("unknown role accepted")
	}
	if _, err := Render([]Message{{Role: "user"}}, []json.RawMessage{json.RawMessage(`{"a": `)}, Options{}); err == nil {
		t.Error("malformed tool JSON accepted")
	}
	bad := Message{Role: "assistant", ToolCalls: []ToolCall{{Name: "f", Arguments: json.RawMessage(`{"a" 1}`)}}}
	if _, err := Render([]Message{bad}, nil, Options{}); err == nil {
		t.Error("malformed tool-call arguments accepted")
	}
}

func TestToolCallJSON(t *testing.T) {
	var m Message
	in := `{"role": "assistant", "content": null, "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": {"b": 1, "a": 2}}}]}`
	if err := json.Unmarshal([]byte(in), &m); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back Message
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.ToolCalls) != 1 || back.ToolCalls[0].Name != "f" || string(back.ToolCalls[0].Arguments) != `{"b":1,"a":2}` {
		t.Errorf("tool call did not survive JSON: %s", out)
	}
}
