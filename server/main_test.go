package server_test

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exaone-go/exaone/convert"
	"github.com/exaone-go/exaone/convert/fixture"
	"github.com/exaone-go/exaone/generate"
	"github.com/exaone-go/exaone/server"
	"github.com/exaone-go/exaone/tokenizer/chat"
)

// tinyChat is the tiny-chat fixture converted to GGUF (bf16, so its weights
// are exactly the ones the references were computed from).
var tinyChat string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "exaone-server-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tinyChat = filepath.Join(dir, "tiny-chat-bf16.gguf")
	if err := convert.ConvertDir(fixture.ModelDir("tiny-chat"), tinyChat, convert.Options{Type: "bf16", Name: "tiny-chat"}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if shared != nil {
		shared.Close()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// chatCase is one reference conversation of the tiny-chat fixture, with the
// greedy continuation transformers computed in float64.
type chatCase struct {
	Name      string            `json:"name"`
	Messages  []json.RawMessage `json:"messages"`
	Tools     []json.RawMessage `json:"tools"`
	Think     bool              `json:"enable_thinking"`
	Prompt    string            `json:"prompt"`
	PromptIDs []int             `json:"prompt_ids"`
	Generated []int             `json:"generated"`
	Text      string            `json:"text"`
}

var (
	casesOnce sync.Once
	cases     map[string]*chatCase
	casesErr  error
)

func refCases(t testing.TB) map[string]*chatCase {
	t.Helper()
	casesOnce.Do(func() {
		f, err := os.Open(filepath.Join(fixture.Root(), "testdata", "models", "tiny-chat", "refs.json.gz"))
		if err != nil {
			casesErr = err
			return
		}
		defer f.Close()
		z, err := gzip.NewReader(f)
		if err != nil {
			casesErr = err
			return
		}
		var v struct{ Cases []*chatCase }
		if casesErr = json.NewDecoder(z).Decode(&v); casesErr != nil {
			return
		}
		cases = map[string]*chatCase{}
		for _, c := range v.Cases {
			cases[c.Name] = c
		}
	})
	if casesErr != nil {
		t.Fatal(casesErr)
	}
	return cases
}

// expected splits a reference continuation into what the server must
// return, written independently of the engine's parser: reasoning before
// "</think>", then answer text and tool calls.
func expected(t testing.TB, c *chatCase) (reasoning, text string, calls []chat.ToolCall) {
	t.Helper()
	s := strings.TrimSuffix(c.Text, "[|endofturn|]")
	if c.Think {
		r, rest, ok := strings.Cut(s, "</think>")
		if !ok {
			t.Fatalf("%s: reference reasons without closing </think>", c.Name)
		}
		reasoning, s = strings.TrimSpace(r), strings.TrimLeft(rest, "\n")
	}
	for {
		before, rest, ok := strings.Cut(s, "<tool_call>")
		if !ok {
			text += s
			break
		}
		text += before
		body, after, ok := strings.Cut(rest, "</tool_call>")
		if !ok {
			t.Fatalf("%s: unterminated call in the reference", c.Name)
		}
		var v struct {
			Name      string          `json:"name"`
			Arguments json.RawMessage `json:"arguments"`
		}
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatalf("%s: reference call %q: %v", c.Name, body, err)
		}
		calls = append(calls, chat.ToolCall{Name: v.Name, Arguments: v.Arguments})
		s = after
	}
	return reasoning, strings.TrimSpace(text), calls
}

var (
	modelOnce sync.Once
	shared    *generate.Model
	modelErr  error
)

// chatModel is tiny-chat, loaded once: servers share the read-only model.
func chatModel(t testing.TB) *generate.Model {
	t.Helper()
	modelOnce.Do(func() { shared, modelErr = generate.Load(tinyChat) })
	if modelErr != nil {
		t.Fatal(modelErr)
	}
	return shared
}

// newServer starts a Server on a loopback httptest server; both stop at
// the end of the test.
func newServer(t testing.TB, o server.Options) (*server.Server, *httptest.Server) {
	t.Helper()
	if o.Threads == 0 {
		o.Threads = 1
	}
	if o.Ctx == 0 {
		o.Ctx = 1024
	}
	s, err := server.New(chatModel(t), o)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		ts.Close()
	})
	return s, ts
}

func jsonEqual(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	p, _ := json.Marshal(x)
	q, _ := json.Marshal(y)
	return string(p) == string(q)
}
