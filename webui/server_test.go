package webui

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/exaone-go/exaone/convert"
	"github.com/exaone-go/exaone/convert/fixture"
	"github.com/exaone-go/exaone/generate"
	"github.com/exaone-go/exaone/server"
)

// pace is how long each streamed chunk is held back on its way to the
// browser (see apiLog.pace): tiny-chat writes its few tokens faster than a
// page can show them apart, and the default model's endless reply must
// still be going when the stop button is clicked.
const pace = 40 * time.Millisecond

// TestChatPage drives the page in headless Chromium against the real
// server, composed with the page as `exaone serve` composes them, with one
// slot: tiny-chat for the conversation (its answers are checked against
// the transformers references), the embedded default model for a reply
// long enough to be stopped.
func TestChatPage(t *testing.T) {
	ctx := browser(t) // skips first where there is no browser
	path := filepath.Join(t.TempDir(), "tiny-chat.gguf")
	// bf16: the weights the references were computed from.
	if err := convert.ConvertDir(fixture.ModelDir("tiny-chat"), path, convert.Options{Type: "bf16", Name: "tiny-chat"}); err != nil {
		t.Fatal(err)
	}
	t.Run("conversation", func(t *testing.T) { testConversation(t, ctx, loadModel(t, path)) })
	t.Run("stop", func(t *testing.T) {
		t.Setenv("EXAONE_CACHE", t.TempDir()) // converted there, not in the user's cache
		testStop(t, ctx, loadModel(t, ""))
	})
}

func loadModel(t *testing.T, path string) *generate.Model {
	t.Helper()
	m, err := generate.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// realTab serves m as `exaone serve -np 1 --metrics` does, the page at /,
// and opens a tab on it.
func realTab(t *testing.T, browserCtx context.Context, m *generate.Model) *tab {
	t.Helper()
	srv, err := server.New(m, server.Options{Slots: 1, Threads: 1, Ctx: 1024, Metrics: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // before the model closes, after the listener
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	tb := newTab(t, browserCtx, With(srv))
	tb.api.pace = pace
	tb.do(chromedp.Navigate(tb.srv.URL + "/"))
	name := filepath.Base(m.Path()) // the server's name for it, with no --alias
	tb.wait(`document.getElementById("model-name").textContent === `+strconv.Quote(name), "the model name in the header")
	return tb
}

// question is the last user message of a tiny-chat reference conversation.
func question(t *testing.T, c *fixture.ChatCase) string {
	t.Helper()
	msgs, err := c.ChatMessages()
	if err != nil {
		t.Fatal(err)
	}
	return msgs[len(msgs)-1].Content
}

// split cuts a tiny-chat reference continuation into the reasoning and the
// answer the page must show, independently of the server's parser.
func split(t *testing.T, c *fixture.ChatCase) (reasoning, answer string) {
	t.Helper()
	reasoning, answer, _, err := c.Expected()
	if err != nil {
		t.Fatal(err)
	}
	return reasoning, answer
}

// stream is what the server sent a chat completion call: the non-empty
// reasoning and content deltas, in order, and the usage.
type stream struct {
	reasoning, content []string
	usage              struct{ PromptTokens, CompletionTokens int }
}

func streamOf(t *testing.T, c *apiCall) stream {
	t.Helper()
	var st stream
	sc := bufio.NewScanner(bytes.NewReader(c.body.Bytes()))
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		var ch struct {
			Choices []struct {
				Delta struct {
					Content          string `json:"content"`
					ReasoningContent string `json:"reasoning_content"`
				} `json:"delta"`
			} `json:"choices"`
			Usage *struct {
				PromptTokens     int `json:"prompt_tokens"`
				CompletionTokens int `json:"completion_tokens"`
			} `json:"usage"`
		}
		if err := json.Unmarshal([]byte(data), &ch); err != nil {
			t.Fatalf("event %q: %v", data, err)
		}
		for _, c := range ch.Choices {
			if c.Delta.ReasoningContent != "" {
				st.reasoning = append(st.reasoning, c.Delta.ReasoningContent)
			}
			if c.Delta.Content != "" {
				st.content = append(st.content, c.Delta.Content)
			}
		}
		if ch.Usage != nil {
			st.usage.PromptTokens, st.usage.CompletionTokens = ch.Usage.PromptTokens, ch.Usage.CompletionTokens
		}
	}
	return st
}

// busySlots reads llamacpp:requests_processing from the server's /metrics.
func (tb *tab) busySlots() int {
	tb.t.Helper()
	res, err := http.Get(tb.srv.URL + "/metrics")
	if err != nil {
		tb.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for line := range strings.Lines(string(body)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "llamacpp:requests_processing "); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				tb.t.Fatalf("/metrics: %q", line)
			}
			return n
		}
	}
	tb.t.Fatalf("/metrics (%d) has no llamacpp:requests_processing:\n%s", res.StatusCode, body)
	return 0
}

// waitBusy polls /metrics until n slots are busy.
func (tb *tab) waitBusy(n int, what string) {
	tb.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := tb.busySlots()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			tb.t.Fatalf("%s: %d busy slots after 10 s, want %d", what, got, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// testConversation asks tiny-chat a plain question and, with the thinking
// switch on, one it reasons about, at temperature 0.
func testConversation(t *testing.T, browserCtx context.Context, m *generate.Model) {
	refs, err := fixture.ChatCases()
	if err != nil {
		t.Fatal(err)
	}
	plain, thinking := refs["plain"], refs["plain_thinking"]
	_, plainWant := split(t, plain)
	reasoningWant, thinkingWant := split(t, thinking)

	tb := realTab(t, browserCtx, m)
	// No system prompt: the references have none.
	tb.do(
		chromedp.Click(chromedp.ID("settings-toggle")),
		chromedp.SetValue(chromedp.ID("temperature"), "0"),
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

	tb.say(question(t, plain))
	if got := tb.reply(1); got != plainWant {
		t.Errorf("answer %q, want the reference %q", got, plainWant)
	}
	c := tb.api.chat(t, 1)
	st := streamOf(t, c)
	if len(st.content) < 3 || strings.TrimSpace(strings.Join(st.content, "")) != plainWant {
		t.Errorf("the server streamed %q: want %q in several chunks", st.content, plainWant)
	}
	var partial []string
	for _, s := range evalJS[[]string](tb, `window.seen`) {
		if s != "" && s != plainWant && !slices.Contains(partial, s) {
			partial = append(partial, s)
		}
	}
	if len(partial) < 2 {
		t.Errorf("the answer showed %d partial states %q before the whole: want it streamed in several chunks", len(partial), partial)
	}
	// The stats line says what the server counted: the reference prompt's
	// tokens, and the reply's.
	stats := evalJS[string](tb, `document.querySelector(".msg.assistant .stats").textContent`)
	if st.usage.PromptTokens != len(plain.PromptIDs) || st.usage.CompletionTokens < len(st.content) ||
		!strings.HasPrefix(stats, fmt.Sprintf("%d prompt tokens · %d tokens · ", len(plain.PromptIDs), st.usage.CompletionTokens)) ||
		!strings.Contains(stats, " tok/s") {
		t.Errorf("stats %q for usage %+v: want the reference prompt's %d tokens, the reply's and the speed", stats, st.usage, len(plain.PromptIDs))
	}
	r := c.req
	if len(r.Messages) != 1 || r.Messages[0].Role != "user" || r.Messages[0].Content != question(t, plain) {
		t.Errorf("request messages %+v, want the question alone", r.Messages)
	}
	if r.Model != filepath.Base(m.Path()) || !r.Stream || r.StreamOptions == nil || !r.StreamOptions.IncludeUsage {
		t.Errorf("request model %q, stream %v, stream_options %+v", r.Model, r.Stream, r.StreamOptions)
	}
	if r.Temperature == nil || *r.Temperature != 0 || r.TopP == nil || *r.TopP != 0.9 || r.MaxTokens == nil || *r.MaxTokens != 64 {
		t.Errorf("request temperature %v, top_p %v, max_tokens %v; want 0, 0.9, 64", r.Temperature, r.TopP, r.MaxTokens)
	}
	if e := r.ChatTemplateKwargs.EnableThinking; e == nil || *e {
		t.Errorf("request enable_thinking %v, want false with the switch off", e)
	}

	// Thinking: the reasoning comes folded, apart from the answer. The
	// reference asks the question alone; after the first exchange tiny-chat
	// answers it the same, word for word.
	tb.do(chromedp.Click(chromedp.ID("thinking")))
	tb.say(question(t, thinking))
	if got := tb.reply(2); got != thinkingWant {
		t.Errorf("answer with thinking %q, want the reference %q (the reasoning apart)", got, thinkingWant)
	}
	second := `document.querySelectorAll(".msg.assistant")[1]`
	if th := evalJS[string](tb, second+`.querySelector("details.reasoning .thoughts").textContent`); th != reasoningWant {
		t.Errorf("reasoning shown as %q, want the reference %q", th, reasoningWant)
	}
	if open := evalJS[bool](tb, second+`.querySelector("details.reasoning").open`); open {
		t.Error("the reasoning is unfolded; want it folded")
	}
	if n := evalJS[int](tb, second+`.querySelectorAll("details").length`); n != 1 {
		t.Errorf("%d reasoning blocks, want 1", n)
	}
	c = tb.api.chat(t, 2)
	if st := streamOf(t, c); len(st.reasoning) < 3 || len(st.content) < 3 {
		t.Errorf("the server streamed reasoning %q and answer %q: want each in several chunks", st.reasoning, st.content)
	}
	if e := c.req.ChatTemplateKwargs.EnableThinking; e == nil || !*e {
		t.Errorf("request enable_thinking %v, want true with the switch on", e)
	}
	// The history carries the answer, not the reasoning.
	if ms := c.req.Messages; len(ms) != 3 || ms[1].Role != "assistant" || ms[1].Content != plainWant {
		t.Errorf("second request messages %+v: want the question, the first answer, the second question", ms)
	}

	// The screenshot for the README: this conversation, with the
	// reasoning folded and the stats lines.
	shot, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(shot)); err != nil || cfg.Width != 900 {
		t.Errorf("screenshot: %v, %d px wide; want a 900 px PNG", err, cfg.Width)
	}
	if *screenshotOut != "" {
		if err := os.WriteFile(*screenshotOut, shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if n := tb.busySlots(); n != 0 {
		t.Errorf("%d slots busy after the replies ended", n)
	}
	tb.checkOwnOrigin("/", "/style.css", "/app.js", "/v1/models", "/v1/chat/completions")
}

// testStop stops the default model, which in chat writes until it is cut,
// and checks that its one slot is free again: the next message is answered.
func testStop(t *testing.T, browserCtx context.Context, m *generate.Model) {
	tb := realTab(t, browserCtx, m)
	tb.do(
		chromedp.Click(chromedp.ID("settings-toggle")),
		chromedp.SetValue(chromedp.ID("max-tokens"), "512"), // some 20 s at the pace
		chromedp.Click(chromedp.ID("settings-toggle")),
	)
	tb.say("And God said")
	first := `document.querySelectorAll(".msg.assistant")[0]`
	tb.wait(first+`?.querySelector(".answer").textContent.length > 0`, "the long reply to begin")
	if n := tb.busySlots(); n != 1 {
		t.Errorf("%d busy slots while the reply streams, want 1", n)
	}
	if !evalJS[bool](tb, `document.getElementById("send").hidden && !document.getElementById("stop").hidden`) {
		t.Error("while streaming: want Stop shown and Send hidden")
	}
	tb.do(chromedp.Click(chromedp.ID("stop")))
	c := tb.api.chat(t, 1)
	if !c.canceled {
		t.Error("the server finished the long reply: the stop button did not cancel the request")
	}
	if st := streamOf(t, c); len(st.content) >= 512 {
		t.Errorf("the server streamed %d pieces: the reply ran to max tokens", len(st.content))
	}
	tb.wait(first+`.querySelector(".stats")?.textContent.includes("stopped")`, "the stopped reply's note")
	partialText := evalJS[string](tb, first+`.querySelector(".answer").textContent`)
	if !evalJS[bool](tb, `!document.getElementById("send").hidden && document.getElementById("stop").hidden`) {
		t.Error("after stop: want Send shown and Stop hidden")
	}
	tb.waitBusy(0, "after stop")

	// With its one slot free, the server answers the next message, cut
	// at max tokens since this model does not end its turns.
	tb.do(
		chromedp.Click(chromedp.ID("settings-toggle")),
		chromedp.SetValue(chromedp.ID("max-tokens"), "8"),
		chromedp.Click(chromedp.ID("settings-toggle")),
	)
	tb.say("And the evening and the morning")
	if got := tb.reply(2); got == "" {
		t.Error("no answer after a stopped reply")
	}
	if stats := evalJS[string](tb, `document.querySelectorAll(".msg.assistant")[1].querySelector(".stats").textContent`); !strings.Contains(stats, "8 tokens") || !strings.Contains(stats, "cut at max tokens") {
		t.Errorf("stats of the next reply %q: want 8 tokens, cut at max tokens", stats)
	}
	c = tb.api.chat(t, 2)
	if c.canceled {
		t.Error("the next reply was cancelled")
	}
	if ms := c.req.Messages; len(ms) != 3 || strings.TrimSpace(ms[1].Content) != strings.TrimSpace(partialText) {
		t.Errorf("after stop the history is %+v: want the stopped part in it", ms)
	}
	tb.waitBusy(0, "after the next reply")
	tb.checkOwnOrigin("/", "/style.css", "/app.js", "/v1/models", "/v1/chat/completions")
}
