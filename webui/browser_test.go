package webui

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

var screenshotOut = flag.String("screenshot", "", "write the page in a conversation to this PNG file (docs/chat.png)")

// chromium finds a Chromium or Chrome binary.
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser starts headless Chromium with a fresh profile, for the life of
// the test.
func browser(t *testing.T) context.Context {
	path := chromium()
	if path == "" {
		t.Skip("no chromium binary on PATH (Debian: apt-get install chromium); the chat page needs a browser to be tested")
	}
	var out syncBuffer
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // as root, in a container
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(900, 760),
		chromedp.CombinedOutput(&out),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	ctx, cancelBrowser := chromedp.NewContext(ctx)
	if err := chromedp.Do(ctx); err != nil { // start it now, to fail early
		t.Fatalf("starting %s: %v\n%s", path, err, out.String())
	}
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancel()
		if t.Failed() {
			t.Logf("browser output:\n%s", out.String())
		}
	})
	return ctx
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// tab is one browser tab on the page of one server, with every request the
// tab made and every uncaught exception of its scripts.
type tab struct {
	t   *testing.T
	ctx context.Context
	srv *httptest.Server
	api *apiLog

	mu         sync.Mutex
	requests   []string
	exceptions []string
}

// newTab serves the page and api (the OpenAI routes) the way `exaone serve`
// will, API routes first and the page at /, and opens a tab on it.
func newTab(t *testing.T, browserCtx context.Context, api http.Handler) *tab {
	tb := &tab{t: t, api: newAPILog()}
	mux := http.NewServeMux()
	mux.Handle("/v1/", tb.api.wrap(api))
	mux.Handle("/", Handler())
	tb.srv = httptest.NewServer(mux) // on 127.0.0.1
	t.Cleanup(tb.srv.Close)

	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithListener(func(ev any) {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			tb.requests = append(tb.requests, ev.Request.URL)
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			tb.exceptions = append(tb.exceptions, msg)
		}
	}))
	t.Cleanup(cancel)
	tb.ctx = ctx
	return tb
}

func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, steps...); err != nil {
		tb.t.Fatal(err)
	}
}

func evalJS[T any](tb *tab, js string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		tb.t.Fatalf("%s: %v", js, err)
	}
	return v
}

// wait polls a JavaScript condition until it holds.
func (tb *tab) wait(js, what string) {
	tb.t.Helper()
	if _, err := chromedp.Run(tb.ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		tb.t.Fatalf("waiting for %s (%s): %v", what, js, err)
	}
}

// enter presses Enter as a keyboard does: a key down whose character the
// browser drops when the page cancels the key down. (KeyEvent sends the
// character as an event of its own, which the textarea would take.)
var enter = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
		_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, input.DispatchKeyEventParams{
			Type: typ, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13,
		})
		if err != nil {
			return err
		}
	}
	return nil
})

// say types a message in the box and presses Enter.
func (tb *tab) say(msg string) {
	tb.t.Helper()
	tb.do(chromedp.SendKeys(chromedp.ID("input"), msg), enter)
}

// reply waits for n finished replies (those with a stats line; failed ones
// have none) and returns the text of the n-th one's answer.
func (tb *tab) reply(n int) string {
	tb.t.Helper()
	tb.wait(fmt.Sprintf(`document.querySelectorAll(".msg.assistant .stats").length >= %d`, n), fmt.Sprintf("reply %d", n))
	return evalJS[string](tb, fmt.Sprintf(`document.querySelectorAll(".msg.assistant .stats")[%d].parentElement.querySelector(".answer").textContent`, n-1))
}

// checkOwnOrigin fails for any request the tab made to another origin.
func (tb *tab) checkOwnOrigin(want ...string) {
	tb.t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, u := range tb.requests {
		if !strings.HasPrefix(u, tb.srv.URL+"/") {
			tb.t.Errorf("request to %s: the page may only talk to %s", u, tb.srv.URL)
		}
	}
	for _, path := range want {
		if !slices.Contains(tb.requests, tb.srv.URL+path) {
			tb.t.Errorf("no request for %s among %v", path, tb.requests)
		}
	}
	if len(tb.exceptions) > 0 {
		tb.t.Errorf("uncaught exceptions in the page: %v", tb.exceptions)
	}
}

func TestChatPage(t *testing.T) {
	ctx := browser(t)
	t.Run("conversation", func(t *testing.T) { testConversation(t, ctx) })
	t.Run("api-key", func(t *testing.T) { testAPIKey(t, ctx) })
}

func testConversation(t *testing.T, browserCtx context.Context) {
	tb := newTab(t, browserCtx, backend(t))
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

	// Thinking: the reasoning comes folded, apart from the answer.
	tb.do(chromedp.Click(chromedp.ID("thinking")))
	tb.say("What is 2+2?")
	if got := tb.reply(2); got != strings.Join(fakeSum, "") {
		t.Errorf("answer with thinking %q, want %q (the reasoning apart)", got, strings.Join(fakeSum, ""))
	}
	second := `document.querySelectorAll(".msg.assistant")[1]`
	if th := evalJS[string](tb, second+`.querySelector("details.reasoning .thoughts").textContent`); th != fakeReasoning {
		t.Errorf("reasoning shown as %q, want %q", th, fakeReasoning)
	}
	if open := evalJS[bool](tb, second+`.querySelector("details.reasoning").open`); open {
		t.Error("the reasoning is unfolded; want it folded")
	}
	if n := evalJS[int](tb, second+`.querySelectorAll("details").length`); n != 1 {
		t.Errorf("%d reasoning blocks, want 1", n)
	}
	r = tb.api.chat(t, 2).req
	if e := r.ChatTemplateKwargs.EnableThinking; e == nil || !*e {
		t.Errorf("request enable_thinking %v, want true with the switch on", e)
	}
	// The history carries the answer, not the reasoning.
	if len(r.Messages) != 4 || r.Messages[2].Role != "assistant" || r.Messages[2].Content != want {
		t.Errorf("second request messages %+v: want system, user, the first answer, user", r.Messages)
	}

	// The screenshot for the README: a conversation with code, folded
	// reasoning and the stats lines.
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
	tb.do(chromedp.Click(chromedp.ID("thinking")))

	// Stop: the fetch is aborted, the backend sees its request cancelled,
	// and the next message is answered.
	tb.say("Tell me something slow.")
	third := `document.querySelectorAll(".msg.assistant")[2]`
	tb.wait(`document.querySelectorAll(".msg.assistant").length === 3 && `+third+`.querySelector(".answer").textContent.length > 0`, "the slow reply to begin")
	tb.do(chromedp.Click(chromedp.ID("stop")))
	c = tb.api.chat(t, 3)
	if !c.canceled {
		t.Error("the backend finished the slow reply: the stop button did not cancel the request")
	}
	tb.wait(third+`.querySelector(".stats")?.textContent.includes("stopped")`, "the stopped reply's note")
	partialText := evalJS[string](tb, third+`.querySelector(".answer").textContent`)
	if !evalJS[bool](tb, `!document.getElementById("send").hidden && document.getElementById("stop").hidden`) {
		t.Error("after stop: want Send shown and Stop hidden")
	}
	tb.say("Hello again")
	if got := tb.reply(4); got == "" {
		t.Error("no answer after a stopped reply")
	}
	r = tb.api.chat(t, 4).req
	if n := len(r.Messages); n != 8 || strings.TrimSpace(r.Messages[6].Content) != strings.TrimSpace(partialText) {
		t.Errorf("after stop the history is %+v: want the stopped part in it", r.Messages)
	}

	// Model text (and the user's) with HTML in it is shown as text.
	tb.say("Some html please: <img src=x onerror=alert(1)>")
	if got := tb.reply(5); got != fakeHTML {
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
	tb.reply(6)
	if r := tb.api.chat(t, 8).req; len(r.Messages) != 12 || r.Messages[11].Content != "And now?" || r.Messages[10].Role != "assistant" {
		t.Errorf("after two failed turns the history is %+v", r.Messages)
	}

	// Without usage or timings the reply still gets its time.
	tb.say("Be quiet.")
	tb.reply(7)
	if stats := evalJS[string](tb, `[...document.querySelectorAll(".stats")].pop().textContent`); !regexp.MustCompile(`^\d+\.\d s$`).MatchString(stats) {
		t.Errorf("stats without usage %q, want the time taken", stats)
	}

	// New chat in the middle of a reply cancels it and starts from the
	// system prompt alone, at once.
	tb.say("Something slow again.")
	tb.wait(`document.querySelectorAll(".msg.assistant").length === 10 && [...document.querySelectorAll(".answer")].pop().textContent.length > 0`, "the second slow reply to begin")
	tb.do(chromedp.Click(chromedp.ID("new-chat")))
	if n := evalJS[int](tb, `document.querySelectorAll(".msg").length`); n != 0 {
		t.Errorf("new chat left %d messages", n)
	}
	tb.say("Hi")
	tb.reply(1)
	if !tb.api.chat(t, 10).canceled {
		t.Error("new chat did not cancel the reply being streamed")
	}
	if r := tb.api.chat(t, 11).req; len(r.Messages) != 2 || r.Messages[1].Content != "Hi" {
		t.Errorf("new chat's request %+v, want the system prompt and Hi", r.Messages)
	}

	tb.checkOwnOrigin("/", "/style.css", "/app.js", "/v1/models", "/v1/chat/completions")
}

func testAPIKey(t *testing.T, browserCtx context.Context) {
	const key = "s3cret-key"
	tb := newTab(t, browserCtx, requireKey(key, backend(t)))
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
