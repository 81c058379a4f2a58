package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

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
	if tinyChat, err = fixture.ConvertTo(dir, "tiny-chat", "bf16"); err != nil {
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

// chatCase is one reference conversation of the tiny-chat fixture.
type chatCase = fixture.ChatCase

func refCases(t testing.TB) map[string]*chatCase {
	t.Helper()
	cases, err := fixture.ChatCases()
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

// expected is what the server must return for a reference case.
func expected(t testing.TB, c *chatCase) (reasoning, text string, calls []chat.ToolCall) {
	t.Helper()
	reasoning, text, calls, err := c.Expected()
	if err != nil {
		t.Fatal(err)
	}
	return reasoning, text, calls
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
