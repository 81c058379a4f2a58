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
