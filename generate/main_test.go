package generate_test

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/exaone-go/exaone/convert/fixture"
	"github.com/exaone-go/exaone/generate"
	"github.com/exaone-go/exaone/tokenizer/chat"
)

// tinyChat is the tiny-chat fixture converted to GGUF (bf16, so its weights
// are exactly the ones the references were computed from).
var tinyChat string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "exaone-generate-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if tinyChat, err = fixture.ConvertTo(dir, "tiny-chat", "bf16"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
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

// expected is what Generate must return for a reference case.
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

// chatModel is tiny-chat, loaded once and shared by the tests (a Model is
// read-only, so sharing it is part of what is tested).
func chatModel(t testing.TB) *generate.Model {
	t.Helper()
	modelOnce.Do(func() { shared, modelErr = generate.Load(tinyChat) })
	if modelErr != nil {
		t.Fatal(modelErr)
	}
	return shared
}

func newSession(t testing.TB, o generate.Options) *generate.Session {
	t.Helper()
	s, err := chatModel(t).NewSession(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}
