package webui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fake backend's scripted answers, which the browser test looks for.
const (
	fakeModel     = "fake-exaone-4.0"
	fakeReasoning = "The user asks for a sum. Two and two make four."
	fakeHTML      = `Careful: <img src=x onerror="document.title='pwned'"> and <b>bold</b>`
)

// fakeAnswer is streamed in these pieces, so the page gets several chunks.
var fakeAnswer = []string{
	"Read it whole with ", "`os.ReadFile`", ":\n\n",
	"```go\n", "data, err := os.ReadFile(\"notes.txt\")\n", "```\n\n",
	"It returns the bytes ", "and an error.",
}

var fakeSum = []string{"Two and two ", "make ", "four."}

// backend is the OpenAI-compatible API the page talks to. This one is a
// fake written for the test: it streams scripted deltas chosen by the last
// user message, slowly when asked, and stops when the request is cancelled.
// The real server on the tiny model can take its place here; the checks
// of exact texts, the stats figures, the "refuse" and "break" errors and
// the slow reply (long enough to be stopped) assume this script.
func backend(t *testing.T) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"object":"list","data":[{"id":%q,"object":"model","owned_by":"test"}]}`, fakeModel)
	})
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		var req chatRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) == 0 || !req.Stream {
			apiError(w, 400, "the fake backend wants a streamed chat request")
			return
		}
		last := req.Messages[len(req.Messages)-1].Content
		think := req.ChatTemplateKwargs.EnableThinking != nil && *req.ChatTemplateKwargs.EnableThinking

		var pieces []delta
		pause := 60 * time.Millisecond
		switch {
		case strings.Contains(last, "refuse"):
			apiError(w, 503, "the fake backend refused: all slots are busy")
			return
		case strings.Contains(last, "break"):
			pieces = []delta{{"content", "Half an ans"}, {"error", "the stream broke"}}
		case strings.Contains(last, "slow"):
			pause = 50 * time.Millisecond
			for range 400 { // 20 s unless stopped
				pieces = append(pieces, delta{"content", "and so on "})
			}
		case strings.Contains(last, "html"):
			pieces = []delta{{"content", fakeHTML[:20]}, {"content", fakeHTML[20:]}}
		case strings.Contains(last, "2+2"):
			if think {
				for _, w := range strings.SplitAfter(fakeReasoning, " ") {
					pieces = append(pieces, delta{"reasoning_content", w})
				}
			}
			for _, s := range fakeSum {
				pieces = append(pieces, delta{"content", s})
			}
		default:
			for _, s := range fakeAnswer {
				pieces = append(pieces, delta{"content", s})
			}
		}

		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		for i, p := range pieces {
			if i > 0 {
				select {
				case <-r.Context().Done():
					return // the client went away: free the "slot"
				case <-time.After(pause):
				}
			}
			if p.field == "error" {
				event(w, map[string]any{"error": map[string]any{"message": p.text, "type": "server_error", "code": 500}})
				return
			}
			event(w, chunk(map[string]any{p.field: p.text}, nil))
		}
		event(w, chunk(map[string]any{}, "stop"))
		// "quiet": a server that sends no usage.
		if req.StreamOptions != nil && req.StreamOptions.IncludeUsage && !strings.Contains(last, "quiet") {
			c := chunk(nil, nil)
			c["choices"] = []any{}
			c["usage"] = map[string]any{
				"prompt_tokens": 20, "completion_tokens": 12, "total_tokens": 32,
				"prompt_tokens_details": map[string]any{"cached_tokens": 8},
			}
			c["timings"] = map[string]any{
				"prompt_n": 20, "prompt_ms": 57.1, "predicted_n": 12, "predicted_ms": 285.7, "predicted_per_second": 42.0,
			}
			event(w, c)
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
	})
	return mux
}

type delta struct{ field, text string }

func chunk(d map[string]any, finish any) map[string]any {
	return map[string]any{
		"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": fakeModel,
		"choices": []any{map[string]any{"index": 0, "delta": d, "finish_reason": finish}},
	}
}

func event(w http.ResponseWriter, v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(w, "data: %s\n\n", b)
	http.NewResponseController(w).Flush()
}

func apiError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": "server_error", "code": status}})
}

// requireKey answers 401 to requests without the key, as `exaone serve
// --api-key` does; the model list stays public there, as in llama-server.
func requireKey(key string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/models" && r.Header.Get("Authorization") != "Bearer "+key {
			apiError(w, http.StatusUnauthorized, "invalid API key")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// chatRequest is what the test reads of the page's requests.
type chatRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
	Stream        bool `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Temperature        *float64 `json:"temperature"`
	TopP               *float64 `json:"top_p"`
	MaxTokens          *int     `json:"max_tokens"`
	ChatTemplateKwargs struct {
		EnableThinking *bool `json:"enable_thinking"`
	} `json:"chat_template_kwargs"`
}

// apiLog records the API calls that reach the backend, whatever the
// backend is, and whether each one's context was cancelled (the client
// went away) by the time the backend returned.
type apiLog struct {
	mu    sync.Mutex
	calls []*apiCall
	added chan struct{} // a value per call
}

type apiCall struct {
	path     string
	auth     string
	req      chatRequest
	done     chan struct{} // closed when the backend returned
	canceled bool          // read after done
}

func newAPILog() *apiLog { return &apiLog{added: make(chan struct{}, 1000)} }

func (l *apiLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		c := &apiCall{path: r.URL.Path, auth: r.Header.Get("Authorization"), done: make(chan struct{})}
		if r.URL.Path == "/v1/chat/completions" {
			json.Unmarshal(body, &c.req)
		}
		l.mu.Lock()
		l.calls = append(l.calls, c)
		l.mu.Unlock()
		l.added <- struct{}{}
		defer close(c.done)
		h.ServeHTTP(w, r)
		c.canceled = r.Context().Err() != nil
	})
}

// chats returns the chat completion calls so far.
func (l *apiLog) chats() []*apiCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []*apiCall
	for _, c := range l.calls {
		if c.path == "/v1/chat/completions" {
			out = append(out, c)
		}
	}
	return out
}

// chat waits for the n-th (from 1) chat completion call to be finished by
// the backend and returns it.
func (l *apiLog) chat(t *testing.T, n int) *apiCall {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		if cs := l.chats(); len(cs) >= n {
			select {
			case <-cs[n-1].done:
				return cs[n-1]
			case <-ctx.Done():
				t.Fatalf("chat call %d: the backend did not return within 10 s", n)
			}
		}
		select {
		case <-l.added:
		case <-ctx.Done():
			t.Fatalf("chat call %d never came (%d so far)", n, len(l.chats()))
		}
	}
}
