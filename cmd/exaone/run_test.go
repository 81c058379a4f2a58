package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/exaone-go/exaone/convert/fixture"
	"github.com/exaone-go/exaone/generate"
	"github.com/exaone-go/exaone/tokenizer"
	"github.com/exaone-go/exaone/tokenizer/chat"
)

// defaultTokenizer is the embedded model's tokenizer, as run loads it
// (from the converted GGUF).
func defaultTokenizer(t *testing.T) *tokenizer.Tokenizer {
	t.Helper()
	t.Setenv("EXAONE_CACHE", cacheDir)
	lm, err := loadModel("")
	if err != nil {
		t.Fatal(err)
	}
	defer lm.Close()
	return lm.tk
}

// Greedy decoding of the embedded model from the reference prompt's text
// continues with the text of transformers' greedy ids.
func TestRunGreedyMatchesTransformers(t *testing.T) {
	refs, err := fixture.Refs("tiny-hybrid-kjv")
	if err != nil {
		t.Fatal(err)
	}
	tk := defaultTokenizer(t)
	prompt := tk.Decode(refs.Greedy.Prompt)
	if ids := tk.Encode(prompt, true); !slices.Equal(ids, refs.Greedy.Prompt) {
		t.Fatalf("the prompt text does not tokenize back to the reference ids: %v", ids)
	}
	want := tk.Decode(refs.Greedy.Generated)
	r := exaone(t, "", "run", "--temp", "0", "-n", "160", "-t", "1", "--verbose", "-p", prompt)
	r.ok(t)
	got, ok := strings.CutPrefix(r.stdout, prompt)
	if !ok {
		t.Fatalf("the prompt is not echoed first:\n%q", r.stdout)
	}
	if got = strings.TrimSuffix(got, "\n"); got != want {
		t.Errorf("continuation differs from transformers'\n got %q\nwant %q", got, want)
	}
	if !strings.Contains(r.stderr, "generation: 160 tokens") || !strings.Contains(r.stderr, "[ Prompt: ") {
		t.Errorf("stats missing or wrong:\n%s", r.stderr)
	}
}

var genRE = regexp.MustCompile(`generation: (\d+) tokens in [0-9.]+ ms \([0-9.]+ t/s\), stopped by (.*)`)

// Interactive chat through pipes: two turns (the second one a multi-line
// message), /clear, a third turn, /exit.
func TestRunInteractive(t *testing.T) {
	in := "Who was Moses?\n" +
		"And who was \\\nAaron?\n" +
		"/clear\n" +
		"In the beginning\n" +
		"/exit\n" +
		"never read\n"
	const n = 24
	r := exaone(t, in, "run", "-i", "--temp", "0", "-n", strconv.Itoa(n), "-t", "1", "--verbose")
	r.ok(t)
	parts := strings.Split(r.stdout, "> ")
	// Five prompts: three messages, /clear and /exit; "never read" is not.
	if len(parts) != 6 || parts[0] != "" {
		t.Fatalf("want 5 prompts, transcript:\n%s", r.stdout)
	}
	replies := []string{parts[1], parts[2], parts[4]}
	for i, rep := range replies {
		if strings.TrimSpace(rep) == "" {
			t.Errorf("reply %d is empty; transcript:\n%s", i+1, r.stdout)
		}
	}
	if parts[3] != "[conversation cleared]\n" {
		t.Errorf("after /clear: %q", parts[3])
	}
	if parts[5] != "" {
		t.Errorf("output after /exit: %q", parts[5])
	}
	gens := genRE.FindAllStringSubmatch(r.stderr, -1)
	if len(gens) != 3 {
		t.Fatalf("want 3 generations in the log:\n%s", r.stderr)
	}
	for i, g := range gens {
		k, _ := strconv.Atoi(g[1])
		switch {
		case g[2] == "end of turn" && k >= 1 && k <= n:
		case g[2] == "token limit (-n)" && k == n:
		default:
			t.Errorf("reply %d: %d tokens, stopped by %s", i+1, k, g[2])
		}
	}
	if c := strings.Count(r.stderr, "[ Prompt: "); c != 3 {
		t.Errorf("%d stats footers, want 3", c)
	}
}

// A one-shot chat turn prints only the reply and stops at the end of turn
// or -n.
func TestRunChatTurn(t *testing.T) {
	r := exaone(t, "", "run", "--chat", "-sys", "You answer briefly.", "-p", "Who was Moses?", "--temp", "0", "-n", "30", "-t", "1", "--verbose")
	r.ok(t)
	if strings.TrimSpace(r.stdout) == "" || strings.Contains(r.stdout, "Who was Moses?") || strings.Contains(r.stdout, "[|") {
		t.Errorf("reply: %q", r.stdout)
	}
	if !genRE.MatchString(r.stderr) {
		t.Errorf("no generation stats:\n%s", r.stderr)
	}
}

// -j constrains a chat reply to the schema, at temperature 1 too.
func TestRunJSONSchema(t *testing.T) {
	dir := t.TempDir()
	schema := `{"type":"object","properties":{"name":{"type":"string","maxLength":20},"age":{"type":"integer","minimum":1,"maximum":120}},"required":["name","age"],"additionalProperties":false}`
	file := filepath.Join(dir, "schema.json")
	if err := os.WriteFile(file, []byte(schema), 0o644); err != nil {
		t.Fatal(err)
	}
	for seed, arg := range []string{schema, file, schema} {
		r := exaone(t, "", "run", "--chat", "-p", "Who was Moses?", "--temp", "1", "-s", strconv.Itoa(seed), "-n", "300", "-t", "1", "-j", arg)
		r.ok(t)
		var v struct {
			Name *string
			Age  *int
		}
		dec := json.NewDecoder(strings.NewReader(r.stdout))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil || v.Name == nil || v.Age == nil || *v.Age < 1 || *v.Age > 120 || len([]rune(*v.Name)) > 20 {
			t.Fatalf("-j %s: output %q: %v", arg, r.stdout, err)
		}
	}
}

// Bad input ends with one line on stderr and a non-zero status.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	notGGUF := write("notgguf.gguf", []byte("this is not a model\n"))
	empty := write("empty.txt", nil)
	blank := write("blank.txt", []byte(" \n\t\n"))
	binary := write("binary.txt", []byte("abc\x00\x01\x02def"))
	badUTF8 := write("latin1.txt", []byte("caf\xe9 au lait\n"))
	other := otherArchGGUF(t, dir)
	long := strings.Repeat("And God said, Let there be light: and there was light. ", 20)

	cases := []struct {
		name string
		args []string
		want string // a piece of the message
	}{
		{"no such model", []string{"run", "-m", filepath.Join(dir, "missing.gguf"), "-p", "x"}, "no such file"},
		{"not a GGUF", []string{"run", "-m", notGGUF, "-p", "x"}, "not a GGUF"},
		{"another architecture", []string{"run", "-m", other, "-p", "x"}, "llama"},
		{"directory as model", []string{"run", "-m", dir, "-p", "x"}, "directory"},
		{"empty prompt file", []string{"run", "-f", empty}, "empty"},
		{"blank prompt file", []string{"run", "-f", blank}, "empty"},
		{"binary prompt file", []string{"run", "-f", binary}, "binary"},
		{"invalid UTF-8 prompt file", []string{"run", "-f", badUTF8}, "UTF-8"},
		{"missing prompt file", []string{"run", "-f", filepath.Join(dir, "nope.txt")}, "no such file"},
		{"empty prompt", []string{"run", "-p", ""}, "empty"},
		{"unsupported schema feature", []string{"run", "-p", "x", "-j", `{"type":"string","pattern":"a+"}`}, `unsupported schema feature "pattern"`},
		{"missing schema file", []string{"run", "-p", "x", "--json-schema", filepath.Join(dir, "nope.json")}, "no such file"},
		{"flag after the prompt", []string{"run", "And God said", "-n", "5"}, "put flags first"},
		{"prompt longer than the context", []string{"run", "-c", "32", "-p", long}, "longer than the context"},
		{"perplexity: no such model", []string{"perplexity", "-m", filepath.Join(dir, "missing.gguf"), "-f", evalText()}, "no such file"},
		{"perplexity: binary text", []string{"perplexity", "-f", binary}, "binary"},
		{"perplexity: text too short", []string{"perplexity", "-f", write("short.txt", []byte("In the beginning God created the heaven and the earth.\n"))}, "at least"},
		{"perplexity: not a base file", []string{"perplexity", "--kl-divergence", "--kl-divergence-base", notGGUF}, "not a file written by"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := exaone(t, "", c.args...)
			if r.code == 0 {
				t.Fatalf("exit status 0; stdout %q", r.stdout)
			}
			msg := strings.TrimSuffix(r.stderr, "\n")
			if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "exaone: ") {
				t.Errorf("want one line \"exaone: ...\", got:\n%s", r.stderr)
			}
			if !strings.Contains(msg, c.want) {
				t.Errorf("message %q does not mention %q", msg, c.want)
			}
			for _, bad := range []string{"goroutine", "panic"} {
				if strings.Contains(r.stdout+r.stderr, bad) {
					t.Errorf("output mentions %q", bad)
				}
			}
		})
	}
}

// A prompt on standard input (not a terminal) is completed as raw text; at
// a full context generation stops with a message.
func TestRunStdinFullContext(t *testing.T) {
	r := exaone(t, "And God said\n", "run", "-c", "24", "--ignore-eos", "--temp", "0", "-t", "1", "--verbose")
	r.ok(t)
	if !strings.HasPrefix(r.stdout, "And God said") || len(r.stdout) <= len("And God said\n") {
		t.Errorf("stdout %q", r.stdout)
	}
	if !strings.Contains(r.stderr, "[context full") || !strings.Contains(r.stderr, "stopped by full context") {
		t.Errorf("no full-context message:\n%s", r.stderr)
	}
	// 3 prompt tokens + 21 generated fill 24 positions; the last one is
	// sampled from the logits of position 23 and never evaluated.
	if !strings.Contains(r.stderr, "generation: 22 tokens") {
		t.Errorf("want 22 tokens generated:\n%s", r.stderr)
	}
}

// The reply writer shows the reasoning in a <think> block or hides it, and
// writes tool calls in the model's notation.
func TestReplyWriter(t *testing.T) {
	call := &chat.ToolCall{Name: "add", Arguments: json.RawMessage(`{"a":1}`)}
	chunks := []generate.Chunk{{Reasoning: "Moses led Israel."}, {Reasoning: " ¿Qué?"}, {Text: "He was a prophet."}, {ToolCall: call}}
	for _, c := range []struct {
		think, hide bool
		chunks      []generate.Chunk
		want        string
	}{
		{true, false, chunks, "<think>\nMoses led Israel. ¿Qué?\n</think>\n\nHe was a prophet.<tool_call>{\"name\": \"add\", \"arguments\": {\"a\":1}}</tool_call>"},
		{true, true, chunks, "He was a prophet.<tool_call>{\"name\": \"add\", \"arguments\": {\"a\":1}}</tool_call>"},
		// Reasoning mode with an answer but no reasoning still shows the block.
		{true, false, chunks[2:3], "<think>\n\n</think>\n\nHe was a prophet."},
		{false, false, chunks[2:3], "He was a prophet."},
	} {
		var out strings.Builder
		w := &replyWriter{out: &out, think: c.think, hide: c.hide}
		for _, ch := range c.chunks {
			if err := w.chunk(ch); err != nil {
				t.Fatal(err)
			}
		}
		if out.String() != c.want {
			t.Errorf("think %v hide %v:\n got %q\nwant %q", c.think, c.hide, out.String(), c.want)
		}
	}
}

// ollama's form: run MODEL PROMPT.
func TestRunModelArgument(t *testing.T) {
	t.Setenv("EXAONE_CACHE", cacheDir)
	lm, err := loadModel("")
	if err != nil {
		t.Fatal(err)
	}
	path := lm.path
	lm.Close()
	r := exaone(t, "", "run", "--temp", "0", "-n", "8", "-t", "1", "--verbose", path, "And", "God", "said")
	r.ok(t)
	if !strings.HasPrefix(r.stdout, "And God said") || !strings.Contains(r.stderr, "generation: 8 tokens") {
		t.Errorf("stdout %q\nstderr %s", r.stdout, r.stderr)
	}
}
