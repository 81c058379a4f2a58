package generate_test

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/exaone-go/exaone/convert"
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
	tinyChat = filepath.Join(dir, "tiny-chat-bf16.gguf")
	if err := convert.ConvertDir(fixture.ModelDir("tiny-chat"), tinyChat, convert.Options{Type: "bf16", Name: "tiny-chat"}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// chatCase is one reference conversation of the tiny-chat fixture, with the
// greedy continuation transformers computed in float64.
type chatCase struct {
	Name      string            `json:"name"`
	Messages  []chat.Message    `json:"messages"`
	Tools     []json.RawMessage `json:"tools"`
	Think     bool              `json:"enable_thinking"`
	Prompt    string            `json:"prompt"`
	PromptIDs []int             `json:"prompt_ids"`
	Generated []int             `json:"generated"`
	Text      string            `json:"text"`
	MinMargin float64           `json:"min_margin"`
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
