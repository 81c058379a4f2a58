package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/exaone-go/exaone/model"
	"github.com/exaone-go/exaone/server"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// TestCompletions: a raw prompt through the client's completions API,
// whole and streamed, matches the greedy continuation of the same prompt
// as a chat (the reference "plain" case rendered by hand).
func TestCompletions(t *testing.T) {
	_, ts := newServer(t, server.Options{})
	cl := client(ts.URL)
	c := refCases(t)["plain"]
	_, want, _ := expected(t, c)
	params := openai.CompletionNewParams{Model: openai.CompletionNewParamsModel("tiny-chat"), Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String(c.Prompt)}, Temperature: openai.Float(0), MaxTokens: openai.Int(20)}
	resp, err := cl.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Choices) != 1 || resp.Choices[0].Text != want || resp.Choices[0].FinishReason != "stop" || resp.Usage.PromptTokens != int64(len(c.PromptIDs)) {
		t.Errorf("whole: %s", resp.RawJSON())
	}
	stream := cl.Completions.NewStreaming(context.Background(), params, option.WithJSONSet("stream_options", map[string]bool{"include_usage": true}))
	var text strings.Builder
	finish := ""
	var usage openai.CompletionUsage
	for stream.Next() {
		ch := stream.Current()
		if len(ch.Choices) > 0 {
			text.WriteString(ch.Choices[0].Text)
			if ch.Choices[0].FinishReason != "" {
				finish = string(ch.Choices[0].FinishReason)
			}
		}
		if ch.Usage.TotalTokens > 0 {
			usage = ch.Usage
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if text.String() != want || finish != "stop" || usage.CompletionTokens != int64(len(c.Generated)) {
		t.Errorf("streamed: %q finish %q usage %+v", text.String(), finish, usage)
	}
	// Three tokens and a stop string.
	params.MaxTokens = openai.Int(3)
	if resp, err = cl.Completions.New(context.Background(), params); err != nil || resp.Choices[0].FinishReason != "length" || resp.Usage.CompletionTokens != 3 {
		t.Errorf("max_tokens 3: %v %s", err, resp.RawJSON())
	}
	params.MaxTokens = openai.Int(20)
	params.Stop = openai.CompletionNewParamsStopUnion{OfString: openai.String(" 19")}
	if resp, err = cl.Completions.New(context.Background(), params); err != nil || resp.Choices[0].Text != "23 plus" || resp.Choices[0].FinishReason != "stop" {
		t.Errorf("stop: %v %s", err, resp.RawJSON())
	}
	// logit_bias keyed by token id strings: banning the reference's first
	// token changes the reply.
	params.Stop = openai.CompletionNewParamsStopUnion{}
	params.LogitBias = map[string]int64{strconv.Itoa(c.Generated[0]): -100}
	if resp, err = cl.Completions.New(context.Background(), params); err != nil || strings.HasPrefix(want, resp.Choices[0].Text) {
		t.Errorf("logit_bias: %v %s", err, resp.RawJSON())
	}
}

// TestReasoningFormatNone: with --reasoning-format none, the reasoning
// stays in content inside its think block, whole and streamed.
func TestReasoningFormatNone(t *testing.T) {
	_, ts := newServer(t, server.Options{ReasoningFormat: "none"})
	c := refCases(t)["plain_thinking"]
	reasoning, text, _ := expected(t, c)
	want := "<think>\n" + reasoning + "\n</think>\n\n" + text
	params, _ := caseParams(t, c)
	cl := client(ts.URL)
	effort := option.WithJSONSet("reasoning_effort", "medium")
	resp, err := cl.Chat.Completions.New(context.Background(), params, effort)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Choices[0].Message.Content; got != want || resp.Choices[0].Message.JSON.ExtraFields["reasoning_content"].Valid() {
		t.Errorf("whole: %s\nwant content %q", resp.RawJSON(), want)
	}
	stream := cl.Chat.Completions.NewStreaming(context.Background(), params, effort)
	acc := openai.ChatCompletionAccumulator{}
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil || acc.Choices[0].Message.Content != want {
		t.Errorf("streamed: %q (%v), want %q", acc.Choices[0].Message.Content, err, want)
	}
}

// TestUtilityEndpoints: /tokenize and /detokenize agree with the reference
// prompt's ids, /v1/models and /props describe the model, and /metrics
// counts what was generated under llama-server's names.
func TestUtilityEndpoints(t *testing.T) {
	_, ts := newServer(t, server.Options{Slots: 2, Metrics: true, Alias: "tiny"})
	c := refCases(t)["plain"]
	body, _ := json.Marshal(map[string]any{"content": c.Prompt, "add_special": true})
	code, b := post(t, ts.URL+"/tokenize", string(body))
	var tok struct{ Tokens []int }
	if code != 200 || json.Unmarshal(b, &tok) != nil || !slices.Equal(tok.Tokens, c.PromptIDs) {
		t.Errorf("tokenize: %d %s, want %v", code, b, c.PromptIDs)
	}
	body, _ = json.Marshal(map[string]any{"tokens": c.PromptIDs})
	code, b = post(t, ts.URL+"/detokenize", string(body))
	var detok struct{ Content string }
	if code != 200 || json.Unmarshal(b, &detok) != nil || !strings.HasSuffix(detok.Content, c.Prompt) {
		t.Errorf("detokenize: %d %s, want %q", code, b, c.Prompt)
	}
	code, b = post(t, ts.URL+"/tokenize", `{"content":"hello world","with_pieces":true}`)
	if code != 200 || !strings.Contains(string(b), `"piece":" world"`) {
		t.Errorf("tokenize with pieces: %d %s", code, b)
	}

	cl := client(ts.URL)
	models, err := cl.Models.List(context.Background())
	if err != nil || len(models.Data) != 1 || models.Data[0].ID != "tiny" {
		t.Errorf("models: %v %+v", err, models)
	}
	resp, err := http.Get(ts.URL + "/props")
	if err != nil {
		t.Fatal(err)
	}
	var props struct {
		TotalSlots int    `json:"total_slots"`
		Template   string `json:"chat_template"`
		Defaults   struct {
			NCtx int `json:"n_ctx"`
		} `json:"default_generation_settings"`
	}
	if err := json.Unmarshal(readAll(resp), &props); err != nil || props.TotalSlots != 2 || props.Defaults.NCtx != 1024 || !strings.Contains(props.Template, "[|assistant|]") {
		t.Errorf("props: %+v %v", props, err)
	}

	if n := metric(t, ts.URL, "tokens_predicted_total"); n != 0 {
		t.Errorf("tokens_predicted_total %v before any request", n)
	}
	code, b = post(t, ts.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"What is 23 plus 19?"}],"temperature":0}`)
	if code != 200 {
		t.Fatalf("%d %s", code, b)
	}
	if n := metric(t, ts.URL, "tokens_predicted_total"); n != float64(len(c.Generated)) {
		t.Errorf("tokens_predicted_total %v, want %d", n, len(c.Generated))
	}
	if n := metric(t, ts.URL, "prompt_tokens_total"); n != float64(len(c.PromptIDs)) {
		t.Errorf("prompt_tokens_total %v, want %d", n, len(c.PromptIDs))
	}
	for _, name := range []string{"requests_processing", "requests_deferred", "prompt_seconds_total", "tokens_predicted_seconds_total", "n_decode_total"} {
		metric(t, ts.URL, name)
	}
}

// TestLoading: the handler served while the model loads answers 503.
func TestLoading(t *testing.T) {
	rec := &recorder{header: http.Header{}}
	server.Loading().ServeHTTP(rec, &http.Request{Method: "GET"})
	checkError(t, "loading", rec.code, rec.body, http.StatusServiceUnavailable)
}

type recorder struct {
	header http.Header
	code   int
	body   []byte
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(c int)           { r.code = c }
func (r *recorder) Write(b []byte) (int, error) { r.body = append(r.body, b...); return len(b), nil }

// Options.CacheTypeK/V give every slot a q8_0 cache (34/64 of f16's bytes,
// up to the key tiles' padding), and the server answers with it.
func TestCacheTypes(t *testing.T) {
	f16, _ := newServer(t, server.Options{Slots: 2})
	q8, ts := newServer(t, server.Options{Slots: 2, CacheTypeK: model.CacheQ8_0, CacheTypeV: model.CacheQ8_0})
	a, b := f16.Info().KVBytesPerSlot, q8.Info().KVBytesPerSlot
	if r := float64(b) / float64(a); r < 34.0/64-0.02 || r > 34.0/64+0.02 {
		t.Errorf("q8_0 slot cache %d bytes, f16 %d: ratio %.3f, want about %.3f", b, a, r, 34.0/64)
	}
	code, body := post(t, ts.URL+"/v1/completions", `{"prompt":"And God said","max_tokens":4,"temperature":0,"ignore_eos":true}`)
	if code != 200 || !strings.Contains(string(body), `"completion_tokens":4`) {
		t.Errorf("completion on a q8_0 cache: %d %s", code, body)
	}
}
