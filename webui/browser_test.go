package webui

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
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

// newTab serves site (the page and the API behind it, composed with With
// as `exaone serve` composes them) on 127.0.0.1, records the API calls, and
// opens a tab on it.
func newTab(t *testing.T, browserCtx context.Context, site http.Handler) *tab {
	tb := &tab{t: t, api: newAPILog()}
	tb.srv = httptest.NewServer(tb.api.wrap(site)) // on 127.0.0.1
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
