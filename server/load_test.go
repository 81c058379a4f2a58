package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exaone-go/exaone/server"
	"github.com/ollama/ollama/api"
	"github.com/openai/openai-go/v3"
)

// TestConcurrentClients: 16 clients at once on 2 slots, half of them
// streaming, all get the reference answers of their conversations.
func TestConcurrentClients(t *testing.T) {
	_, ts := newServer(t, server.Options{Slots: 2, Queue: 16})
	cl := client(ts.URL)
	names := []string{"plain", "hello", "multi_turn", "add_call", "plain_thinking", "two_calls", "tool_result", "weather_call"}
	var wg sync.WaitGroup
	for i := range 16 {
		c := refCases(t)[names[i%len(names)]]
		wg.Go(func() {
			_, wantText, wantCalls := expected(t, c)
			params, opts := caseParams(t, c)
			var msg openai.ChatCompletionMessage
			if i%2 == 0 {
				resp, err := cl.Chat.Completions.New(context.Background(), params, opts...)
				if err != nil {
					t.Errorf("client %d (%s): %v", i, c.Name, err)
					return
				}
				msg = resp.Choices[0].Message
			} else {
				stream := cl.Chat.Completions.NewStreaming(context.Background(), params, opts...)
				acc := openai.ChatCompletionAccumulator{}
				for stream.Next() {
					acc.AddChunk(stream.Current())
				}
				if err := stream.Err(); err != nil || len(acc.Choices) != 1 {
					t.Errorf("client %d (%s): %v", i, c.Name, err)
					return
				}
				msg = acc.Choices[0].Message
			}
			if msg.Content != wantText || len(msg.ToolCalls) != len(wantCalls) {
				t.Errorf("client %d (%s): %q with %d calls, want %q with %d", i, c.Name, msg.Content, len(msg.ToolCalls), wantText, len(wantCalls))
			}
		})
	}
	wg.Wait()
}

// event is one SSE event read from a stream.
type sseReader struct {
	resp *http.Response
	r    *bufio.Reader
}

func openStream(t testing.TB, ctx context.Context, url, body string) *sseReader {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("stream: %d %s", resp.StatusCode, b)
	}
	return &sseReader{resp: resp, r: bufio.NewReader(resp.Body)}
}

// next returns the next data payload, skipping comments; io.EOF at the end.
func (s *sseReader) next() (string, error) {
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return "", err
		}
		line = strings.TrimRight(line, "\n")
		if d, ok := strings.CutPrefix(line, "data: "); ok {
			return d, nil
		}
	}
}

// long is a streamed request that generates up to n tokens, never ending
// its turn.
func long(n int) string {
	return fmt.Sprintf(`{"messages":[{"role":"user","content":"What is 23 plus 19?"}],"stream":true,"ignore_eos":true,"max_tokens":%d,"temperature":0}`, n)
}

func metric(t testing.TB, url, name string) float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "llamacpp:"+name+" "); ok {
			var f float64
			fmt.Sscan(v, &f)
			return f
		}
	}
	t.Fatalf("no metric %s in\n%s", name, b)
	return 0
}

// TestQueueFull: with the one slot busy and the one queue place taken, the
// next request gets a 503 JSON error; the queued one is served once the
// slot frees.
func TestQueueFull(t *testing.T) {
	_, ts := newServer(t, server.Options{Slots: 1, Queue: 1, Metrics: true})
	ctx, cancel := context.WithCancel(context.Background())
	busy := openStream(t, ctx, ts.URL+"/v1/chat/completions", long(900))
	busy.next() // the role chunk
	busy.next() // a token: the slot is generating
	queued := openStream(t, context.Background(), ts.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"What is 23 plus 19?"}],"stream":true,"temperature":0}`)
	defer queued.resp.Body.Close()
	if n := metric(t, ts.URL, "requests_deferred"); n != 1 {
		t.Errorf("requests_deferred %v, want 1", n)
	}
	code, b := post(t, ts.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}]}`)
	checkError(t, "queue full", code, b, http.StatusServiceUnavailable)
	cancel()
	busy.resp.Body.Close()
	var text strings.Builder
	for {
		d, err := queued.next()
		if err != nil || d == "[DONE]" {
			break
		}
		var v struct {
			Choices []struct{ Delta struct{ Content string } }
		}
		json.Unmarshal([]byte(d), &v)
		if len(v.Choices) > 0 {
			text.WriteString(v.Choices[0].Delta.Content)
		}
	}
	if text.String() != "23 plus 19 is 42." {
		t.Errorf("queued request: %q", text.String())
	}
}

// checkError: status want and a body {"error": {"code", "message", "type"}}.
func checkError(t testing.TB, what string, code int, b []byte, want int) {
	t.Helper()
	var v struct {
		Error *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
			Type    string `json:"type"`
		} `json:"error"`
	}
	if code != want || json.Unmarshal(b, &v) != nil || v.Error == nil || v.Error.Code != want || v.Error.Message == "" || v.Error.Type == "" {
		t.Errorf("%s: %d %s, want %d with a JSON error", what, code, b, want)
	}
}

// TestDisconnectFreesSlot: a client that goes away mid-stream stops its
// generation (far short of its max_tokens) and the one slot serves the next
// request.
func TestDisconnectFreesSlot(t *testing.T) {
	_, ts := newServer(t, server.Options{Slots: 1, Metrics: true})
	ctx, cancel := context.WithCancel(context.Background())
	s := openStream(t, ctx, ts.URL+"/v1/chat/completions", long(900))
	for range 3 {
		if _, err := s.next(); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	s.resp.Body.Close()
	code, b := post(t, ts.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"What is 23 plus 19?"}],"temperature":0}`)
	if code != 200 || !strings.Contains(string(b), `"content":"23 plus 19 is 42."`) {
		t.Fatalf("after a disconnect: %d %s", code, b)
	}
	// The second request's 9 tokens and the first's until it noticed.
	if n := metric(t, ts.URL, "tokens_predicted_total"); n > 9+200 {
		t.Errorf("%v tokens predicted: the abandoned generation ran on", n)
	}
}

// TestShutdownDuringStreams: Shutdown ends every stream, running or queued,
// with an error event (none ends silently), answers a queued whole request
// with 503, and leaves no goroutine behind.
func TestShutdownDuringStreams(t *testing.T) {
	before := runtime.NumGoroutine()
	s, err := server.New(chatModel(t), server.Options{Slots: 2, Ctx: 1024, Threads: 1, Metrics: true})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	var streams []*sseReader
	for range 4 {
		st := openStream(t, context.Background(), ts.URL+"/v1/chat/completions", long(900))
		st.next()
		streams = append(streams, st)
	}
	streams[0].next() // a running one has produced a token
	whole := make(chan int, 2)
	for _, path := range []string{"/v1/chat/completions", "/api/chat"} {
		go func() {
			resp, err := http.Post(ts.URL+path, "application/json", strings.NewReader(`{"messages":[{"role":"user","content":"hi"}],"stream":false}`))
			if err != nil {
				whole <- 0
				return
			}
			resp.Body.Close()
			whole <- resp.StatusCode
		}()
	}
	for metric(t, ts.URL, "requests_deferred") < 4 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for i, st := range streams {
		last := ""
		for {
			d, err := st.next()
			if err != nil {
				break
			}
			last = d
		}
		st.resp.Body.Close()
		if !strings.Contains(last, `"error"`) || !strings.Contains(last, "shutting down") {
			t.Errorf("stream %d ended with %q, want an error event", i, last)
		}
	}
	for range 2 {
		if code := <-whole; code != http.StatusServiceUnavailable {
			t.Errorf("queued whole request: %d, want 503", code)
		}
	}
	code, b := post(t, ts.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}]}`)
	checkError(t, "after shutdown", code, b, http.StatusServiceUnavailable)
	ts.Close()
	http.DefaultClient.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines before, %d after shutdown:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

// TestSlotAffinity: two conversations on two slots each keep their own
// cache: the second turn of each reuses its first turn's prompt, whatever
// ran in between.
func TestSlotAffinity(t *testing.T) {
	_, ts := newServer(t, server.Options{Slots: 2})
	cl := client(ts.URL)
	convs := []string{"You are Alice. ", "You are Bob, a scribe. "}
	var params []openai.ChatCompletionNewParams
	var firstPrompt []int64
	for _, sys := range convs {
		p := openai.ChatCompletionNewParams{Model: "m", Temperature: openai.Float(0), MaxTokens: openai.Int(8), Messages: []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage(strings.Repeat(sys, 10)), openai.UserMessage("What is 23 plus 19?")}}
		resp, err := cl.Chat.Completions.New(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Usage.PromptTokensDetails.CachedTokens != 0 {
			t.Errorf("first turn: %d cached tokens", resp.Usage.PromptTokensDetails.CachedTokens)
		}
		p.Messages = append(p.Messages, openai.AssistantMessage(resp.Choices[0].Message.Content), openai.UserMessage("And the capital of Japan?"))
		params = append(params, p)
		firstPrompt = append(firstPrompt, resp.Usage.PromptTokens)
	}
	for i, p := range params {
		resp, err := cl.Chat.Completions.New(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.Usage.PromptTokensDetails.CachedTokens; got < firstPrompt[i]-1 {
			t.Errorf("conversation %d, second turn: %d cached tokens, want at least its first prompt's %d", i, got, firstPrompt[i]-1)
		}
	}
}

// TestKeepAlive: a stream waiting in the queue gets SSE comments.
func TestKeepAlive(t *testing.T) {
	_, ts := newServer(t, server.Options{Slots: 1, KeepAlive: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	busy := openStream(t, ctx, ts.URL+"/v1/chat/completions", long(900))
	defer busy.resp.Body.Close()
	busy.next()
	queued := openStream(t, ctx, ts.URL+"/v1/chat/completions", long(2))
	defer queued.resp.Body.Close()
	for {
		line, err := queued.r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, ": ") {
			break
		}
	}
}

// TestBatchedStreams: four streaming clients at once on four slots, two
// through the OpenAI client and two through ollama's, twice over (so the
// second round's prompts join a batch whose slots hold other caches): each
// gets its conversation's reference answer, and the slots shared the
// forward passes.
func TestBatchedStreams(t *testing.T) {
	_, ts := newServer(t, server.Options{Slots: 4, Metrics: true})
	oc, ol := client(ts.URL), ollamaClient(t, ts.URL)
	names := []string{"plain_thinking", "add_call", "multi_turn", "hello", "plain", "two_calls", "weather_call", "tool_result"}
	for round := range 2 {
		var wg sync.WaitGroup
		for i, name := range names[4*round : 4*round+4] {
			c := refCases(t)[name]
			reasoning, text, calls := expected(t, c)
			if i%2 == 0 {
				params, opts := caseParams(t, c)
				wg.Go(func() {
					stream := oc.Chat.Completions.NewStreaming(context.Background(), params, opts...)
					acc := openai.ChatCompletionAccumulator{}
					chunks := 0
					for stream.Next() {
						acc.AddChunk(stream.Current())
						chunks++
					}
					if err := stream.Err(); err != nil || len(acc.Choices) != 1 {
						t.Errorf("%s: %v", name, err)
						return
					}
					msg := acc.Choices[0].Message
					if msg.Content != text || len(msg.ToolCalls) != len(calls) || chunks < 3 {
						t.Errorf("%s: %q with %d calls in %d chunks, want %q with %d", name, msg.Content, len(msg.ToolCalls), chunks, text, len(calls))
					}
				})
				continue
			}
			req := ollamaRequest(t, c)
			wg.Go(func() {
				var got api.Message
				n := 0
				err := ol.Chat(context.Background(), req, func(r api.ChatResponse) error {
					got.Content += r.Message.Content
					got.Thinking += r.Message.Thinking
					got.ToolCalls = append(got.ToolCalls, r.Message.ToolCalls...)
					n++
					return nil
				})
				if err != nil || got.Content != text || got.Thinking != reasoning || len(got.ToolCalls) != len(calls) || n < 2 {
					t.Errorf("%s: %v: %+v in %d responses, want %q %q %v", name, err, got, n, text, reasoning, calls)
				}
			})
		}
		wg.Wait()
	}
	perPass := metric(t, ts.URL, "n_busy_slots_per_decode")
	t.Logf("%.2f busy slots per forward pass", perPass)
	if perPass <= 1.5 {
		t.Errorf("%.2f busy slots per forward pass: the streams did not share them", perPass)
	}
}
