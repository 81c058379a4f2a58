package webui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
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

// backend is a fake OpenAI-compatible API for what a real model cannot be
// made to produce on demand: markdown with code, HTML in the reply, an
// HTTP error, an error in the middle of a stream, a stream without usage,
// an API key (TestChatPage drives the real server). It streams scripted
// deltas chosen by the last user message, slowly when asked, and stops
// when the request is cancelled.
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

// apiLog records the requests that reach a site, fake backend or real
// server, with each response and whether its context was cancelled (the
// client went away) by the time the site returned.
type apiLog struct {
	mu    sync.Mutex
	calls []*apiCall
	added chan struct{} // a value per call
	// pace, when set, holds each flush of a chat stream back this long: a
	// slow link, so that the page sees a fast model's tokens arrive apart
	// and a long reply lasts long enough to be stopped by a click.
	pace time.Duration
}

type apiCall struct {
	path     string
	auth     string
	req      chatRequest
	body     bytes.Buffer  // the response, read after done
	done     chan struct{} // closed when the backend returned
	canceled bool          // read after done
}

// recorder copies a response into its call and paces its flushes.
type recorder struct {
	http.ResponseWriter
	c    *apiCall
	pace time.Duration
}

func (w *recorder) Write(p []byte) (int, error) {
	w.c.body.Write(p)
	return w.ResponseWriter.Write(p)
}

func (w *recorder) Flush() {
	time.Sleep(w.pace)
	http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

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
		pace := time.Duration(0)
		if c.path == "/v1/chat/completions" {
			pace = l.pace
		}
		h.ServeHTTP(&recorder{ResponseWriter: w, c: c, pace: pace}, r)
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

// TestChatPageFakeBackend drives the page against the fake backend.
func TestChatPageFakeBackend(t *testing.T) {
	ctx := browser(t)
	t.Run("conversation", func(t *testing.T) { testFakeConversation(t, ctx) })
	t.Run("api-key", func(t *testing.T) { testAPIKey(t, ctx) })
}

func testFakeConversation(t *testing.T, browserCtx context.Context) {
	tb := newTab(t, browserCtx, With(backend(t)))
	tb.do(chromedp.Navigate(tb.srv.URL + "/"))
	tb.wait(`document.getElementById("model-name").textContent === "`+fakeModel+`"`, "the model name in the header")

	// Settings go into the request.
	tb.do(
		chromedp.Click(chromedp.ID("settings-toggle")),
		chromedp.SetValue(chromedp.ID("system"), "Answer briefly."),
		chromedp.SetValue(chromedp.ID("temperature"), "0.3"),
		chromedp.SetValue(chromedp.ID("top-p"), "0.9"),
		chromedp.SetValue(chromedp.ID("max-tokens"), "64"),
		chromedp.Click(chromedp.ID("settings-toggle")),
	)

	// Every state the answer goes through, to see it arrive in pieces.
	evalJS[chromedp.Void](tb, `window.seen = [];
		new MutationObserver(() => {
			const a = document.querySelector(".msg.assistant:last-of-type .answer");
			if (a) window.seen.push(a.textContent);
		}).observe(document.getElementById("messages"), {childList: true, subtree: true, characterData: true});`)

	// Shift+Enter is a new line, Enter sends.
	tb.do(
		chromedp.SendKeys(chromedp.ID("input"), "How do I read a file in Go?"),
		chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierShift)),
		chromedp.SendKeys(chromedp.ID("input"), "The whole file."),
		enter,
	)
	want := strings.Join(fakeAnswer, "")
	got := tb.reply(1)
	// Two paragraphs around a code block, one code span: no markup left.
	if wantText := `Read it whole with os.ReadFile:data, err := os.ReadFile("notes.txt")It returns the bytes and an error.`; got != wantText {
		t.Errorf("answer %q, want %q", got, wantText)
	}
	seen := evalJS[[]string](tb, `window.seen`)
	var partial []string
	for _, s := range seen {
		if s != "" && s != got && !slices.Contains(partial, s) {
			partial = append(partial, s)
		}
	}
	if len(partial) < 2 { // the 8 pieces may meet in one read on a busy machine, but not all
		t.Errorf("the answer showed %d partial states %q before the whole: want it streamed in several chunks", len(partial), partial)
	}
	if code := evalJS[string](tb, `document.querySelector(".msg.assistant .answer pre code").textContent`); code != `data, err := os.ReadFile("notes.txt")` {
		t.Errorf("fenced block shown as %q", code)
	}
	if span := evalJS[string](tb, `document.querySelector(".msg.assistant .answer p code").textContent`); span != "os.ReadFile" {
		t.Errorf("code span shown as %q", span)
	}
	if stats := evalJS[string](tb, `document.querySelector(".msg.assistant .stats").textContent`); !strings.Contains(stats, "20 prompt tokens (8 cached)") ||
		!strings.Contains(stats, "12 tokens") || !strings.Contains(stats, "42.0 tok/s") {
		t.Errorf("stats %q: want the usage and timings of the last chunk", stats)
	}
	if v := evalJS[string](tb, `document.getElementById("input").value`); v != "" {
		t.Errorf("the input box kept %q after sending", v)
	}
	c := tb.api.chat(t, 1)
	r := c.req
	if len(r.Messages) != 2 || r.Messages[0].Role != "system" || r.Messages[0].Content != "Answer briefly." ||
		r.Messages[1].Role != "user" || r.Messages[1].Content != "How do I read a file in Go?\nThe whole file." {
		t.Errorf("request messages %+v, want the system prompt and the two-line message", r.Messages)
	}
	if !r.Stream || r.StreamOptions == nil || !r.StreamOptions.IncludeUsage || r.Model != fakeModel {
		t.Errorf("request stream %v, stream_options %+v, model %q", r.Stream, r.StreamOptions, r.Model)
	}
	if r.Temperature == nil || *r.Temperature != 0.3 || r.TopP == nil || *r.TopP != 0.9 || r.MaxTokens == nil || *r.MaxTokens != 64 {
		t.Errorf("request temperature %v, top_p %v, max_tokens %v; want 0.3, 0.9, 64", r.Temperature, r.TopP, r.MaxTokens)
	}
	if e := r.ChatTemplateKwargs.EnableThinking; e == nil || *e {
		t.Errorf("request enable_thinking %v, want false with the switch off", e)
	}

	// Model text (and the user's) with HTML in it is shown as text.
	tb.say("Some html please: <img src=x onerror=alert(1)>")
	if got := tb.reply(2); got != fakeHTML {
		t.Errorf("HTML from the model shown as %q, want the text %q", got, fakeHTML)
	}
	if n := evalJS[int](tb, `document.querySelectorAll("#messages img, #messages b").length`); n != 0 {
		t.Errorf("%d elements made from message text", n)
	}
	if !evalJS[bool](tb, `[...document.querySelectorAll(".msg.user")].pop().textContent.includes("<img src=x onerror=alert(1)>")`) {
		t.Error("the user's HTML is not shown as text")
	}
	if title := evalJS[string](tb, `document.title`); title != "exaone chat" {
		t.Errorf("title %q: the model's onerror ran", title)
	}

	// Errors: an HTTP error status and an error chunk in the stream show
	// their message, and the failed message goes back in the box.
	tb.say("Please refuse.")
	tb.wait(`document.querySelectorAll(".msg.error").length === 1`, "the error of the refused request")
	if msg := evalJS[string](tb, `document.querySelector(".msg.error .error-text").textContent`); msg != "the fake backend refused: all slots are busy" {
		t.Errorf("HTTP error shown as %q", msg)
	}
	if v := evalJS[string](tb, `document.getElementById("input").value`); v != "Please refuse." {
		t.Errorf("input box %q after the error, want the failed message back", v)
	}
	evalJS[chromedp.Void](tb, `document.getElementById("input").value = ""`)
	tb.say("Now break.")
	tb.wait(`document.querySelectorAll(".msg.error").length === 2`, "the error of the broken stream")
	if msg := evalJS[string](tb, `[...document.querySelectorAll(".msg.error .error-text")].pop().textContent`); msg != "the stream broke" {
		t.Errorf("stream error shown as %q", msg)
	}
	evalJS[chromedp.Void](tb, `document.getElementById("input").value = ""`)
	// The failed turns are out of the history.
	tb.say("And now?")
	tb.reply(3)
	if r := tb.api.chat(t, 5).req; len(r.Messages) != 6 || r.Messages[2].Content != want || r.Messages[5].Content != "And now?" || r.Messages[4].Role != "assistant" {
		t.Errorf("after two failed turns the history is %+v", r.Messages)
	}

	// Without usage or timings the reply still gets its time.
	tb.say("Be quiet.")
	tb.reply(4)
	if stats := evalJS[string](tb, `[...document.querySelectorAll(".stats")].pop().textContent`); !regexp.MustCompile(`^\d+\.\d s$`).MatchString(stats) {
		t.Errorf("stats without usage %q, want the time taken", stats)
	}

	// New chat in the middle of a reply cancels it and starts from the
	// system prompt alone, at once.
	tb.say("Something slow.")
	tb.wait(`document.querySelectorAll(".msg.assistant").length === 7 && [...document.querySelectorAll(".answer")].pop().textContent.length > 0`, "the slow reply to begin")
	tb.do(chromedp.Click(chromedp.ID("new-chat")))
	if n := evalJS[int](tb, `document.querySelectorAll(".msg").length`); n != 0 {
		t.Errorf("new chat left %d messages", n)
	}
	tb.say("Hi")
	tb.reply(1)
	if !tb.api.chat(t, 7).canceled {
		t.Error("new chat did not cancel the reply being streamed")
	}
	if r := tb.api.chat(t, 8).req; len(r.Messages) != 2 || r.Messages[1].Content != "Hi" {
		t.Errorf("new chat's request %+v, want the system prompt and Hi", r.Messages)
	}

	tb.checkOwnOrigin("/", "/style.css", "/app.js", "/v1/models", "/v1/chat/completions")
}

func testAPIKey(t *testing.T, browserCtx context.Context) {
	const key = "s3cret-key"
	tb := newTab(t, browserCtx, With(requireKey(key, backend(t))))
	tb.do(chromedp.Navigate(tb.srv.URL + "/"))
	tb.wait(`document.getElementById("model-name").textContent === "`+fakeModel+`"`, "the model name, which needs no key")
	tb.say("Hello")
	tb.wait(`document.getElementById("key-dialog").open`, "the page to ask for the key")
	tb.do(chromedp.SendKeys(chromedp.ID("key-input"), "wrong\n"))
	tb.wait(`document.getElementById("key-dialog").open && !document.getElementById("key-error").hidden`, "the page to say the key was refused")
	tb.do(chromedp.SendKeys(chromedp.ID("key-input"), key+"\n"))
	tb.reply(1)
	var auths []string
	for _, c := range tb.api.chats() {
		auths = append(auths, c.auth)
	}
	// The same message, sent again with each key.
	if want := []string{"", "Bearer wrong", "Bearer " + key}; !slices.Equal(auths, want) {
		t.Errorf("chat requests' Authorization %q, want %q", auths, want)
	}
	if n := evalJS[int](tb, `document.querySelectorAll(".msg.user").length`); n != 1 {
		t.Errorf("%d user messages shown, want the one", n)
	}

	// Asked once: after a reload the stored key goes with the first request.
	tb.do(chromedp.Reload())
	tb.wait(`document.getElementById("model-name").textContent === "`+fakeModel+`"`, "the model name after a reload")
	tb.say("Hello again")
	tb.reply(1)
	if evalJS[bool](tb, `document.getElementById("key-dialog").open`) {
		t.Error("the page asked for the key again after a reload")
	}
	if c := tb.api.chat(t, 4); c.auth != "Bearer "+key {
		t.Errorf("after a reload the chat request's Authorization is %q", c.auth)
	}
	tb.checkOwnOrigin("/", "/v1/models", "/v1/chat/completions")
}
