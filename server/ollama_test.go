package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/exaone-go/exaone/server"
	"github.com/ollama/ollama/api"
)

func ollamaClient(t *testing.T, base string) *api.Client {
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	return api.NewClient(u, http.DefaultClient)
}

// ollamaRequest is a reference case as a greedy, streamed ollama chat
// request.
func ollamaRequest(t *testing.T, c *chatCase) *api.ChatRequest {
	t.Helper()
	var msgs []api.Message
	for _, raw := range c.Messages {
		var m api.Message
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	var tools api.Tools
	if len(c.Tools) > 0 {
		b, _ := json.Marshal(c.Tools)
		if err := json.Unmarshal(b, &tools); err != nil {
			t.Fatal(err)
		}
	}
	stream := true
	return &api.ChatRequest{Model: "tiny-chat", Messages: msgs, Tools: tools, Stream: &stream,
		Think: &api.ThinkValue{Value: c.Think}, Options: map[string]any{"temperature": 0}}
}

// TestOllamaChat drives /api/chat through ollama's own client, streamed
// and whole, with reference conversations: thinking lands in "thinking",
// tool calls come back as objects, and the final object says done with
// done_reason and ollama's counts and durations.
func TestOllamaChat(t *testing.T) {
	_, ts := newServer(t, server.Options{})
	cl := ollamaClient(t, ts.URL)
	for _, name := range []string{"plain_thinking", "add_call", "multi_turn"} {
		c := refCases(t)[name]
		reasoning, text, calls := expected(t, c)
		for _, stream := range []bool{true, false} {
			req := ollamaRequest(t, c)
			req.Stream = &stream
			var got api.Message
			var last api.ChatResponse
			n := 0
			err := cl.Chat(context.Background(), req, func(r api.ChatResponse) error {
				got.Content += r.Message.Content
				got.Thinking += r.Message.Thinking
				got.ToolCalls = append(got.ToolCalls, r.Message.ToolCalls...)
				last = r
				n++
				return nil
			})
			if err != nil {
				t.Fatalf("%s stream=%v: %v", name, stream, err)
			}
			if got.Content != text || got.Thinking != reasoning || len(got.ToolCalls) != len(calls) {
				t.Errorf("%s stream=%v: %+v, want %q %q %v", name, stream, got, text, reasoning, calls)
			}
			for i, tc := range got.ToolCalls {
				if tc.Function.Name != calls[i].Name || tc.Function.Arguments.String() == "" || !jsonEqual(tc.Function.Arguments.String(), string(calls[i].Arguments)) {
					t.Errorf("%s: call %+v, want %s(%s)", name, tc, calls[i].Name, calls[i].Arguments)
				}
			}
			if !last.Done || last.DoneReason != "stop" || last.EvalCount != len(c.Generated) || last.PromptEvalCount != len(c.PromptIDs) || last.EvalDuration <= 0 || last.TotalDuration < last.EvalDuration {
				t.Errorf("%s stream=%v: final %+v", name, stream, last)
			}
			if stream && n < 2 || !stream && n != 1 {
				t.Errorf("%s stream=%v: %d responses", name, stream, n)
			}
		}
	}
}

// TestOllamaGenerate: /api/generate as a user turn (with a system prompt)
// and raw, num_predict and stop options, and a bad option's error.
func TestOllamaGenerate(t *testing.T) {
	_, ts := newServer(t, server.Options{})
	cl := ollamaClient(t, ts.URL)
	c := refCases(t)["hello"]
	_, want, _ := expected(t, c)
	var sys, user string
	for _, raw := range c.Messages {
		var m struct{ Role, Content string }
		json.Unmarshal(raw, &m)
		if m.Role == "system" {
			sys = m.Content
		} else {
			user = m.Content
		}
	}
	collect := func(req *api.GenerateRequest) (string, api.GenerateResponse, error) {
		var text strings.Builder
		var last api.GenerateResponse
		err := cl.Generate(context.Background(), req, func(r api.GenerateResponse) error {
			text.WriteString(r.Response)
			last = r
			return nil
		})
		return text.String(), last, err
	}
	text, last, err := collect(&api.GenerateRequest{Model: "x", System: sys, Prompt: user, Options: map[string]any{"temperature": 0}})
	if err != nil || text != want || !last.Done || last.DoneReason != "stop" || last.EvalCount != len(c.Generated) {
		t.Errorf("generate: %q %+v %v, want %q", text, last, err, want)
	}
	raw := refCases(t)["plain"]
	text, last, err = collect(&api.GenerateRequest{Model: "x", Raw: true, Prompt: raw.Prompt, Options: map[string]any{"temperature": 0, "num_predict": 3}})
	if err != nil || last.DoneReason != "length" || last.EvalCount != 3 || !strings.HasPrefix("23 plus 19 is 42.", text) {
		t.Errorf("raw, 3 tokens: %q %+v %v", text, last, err)
	}
	text, _, err = collect(&api.GenerateRequest{Model: "x", Raw: true, Prompt: raw.Prompt, Options: map[string]any{"temperature": 0, "stop": []string{" 19"}}})
	if err != nil || text != "23 plus" {
		t.Errorf("raw with a stop: %q %v", text, err)
	}
	_, _, err = collect(&api.GenerateRequest{Model: "x", Prompt: "hi", Options: map[string]any{"temperature": "hot"}})
	var se api.StatusError
	if !errorsAs(err, &se) || se.StatusCode != 400 || !strings.Contains(se.ErrorMessage, "temperature") {
		t.Errorf("bad option: %#v", err)
	}
}

// TestOllamaListings: /api/tags, /api/show (capabilities), /api/ps,
// /api/version and the heartbeat through ollama's client.
func TestOllamaListings(t *testing.T) {
	_, ts := newServer(t, server.Options{Alias: "tiny-chat"})
	cl := ollamaClient(t, ts.URL)
	ctx := context.Background()
	if err := cl.Heartbeat(ctx); err != nil {
		t.Error(err)
	}
	tags, err := cl.List(ctx)
	if err != nil || len(tags.Models) != 1 || tags.Models[0].Name != "tiny-chat" || tags.Models[0].Size == 0 || tags.Models[0].Details.Format != "gguf" {
		t.Errorf("tags: %+v %v", tags, err)
	}
	show, err := cl.Show(ctx, &api.ShowRequest{Model: "tiny-chat"})
	if err != nil {
		t.Fatal(err)
	}
	var caps []string
	for _, c := range show.Capabilities {
		caps = append(caps, string(c))
	}
	if !slices.Equal(caps, []string{"completion", "tools", "thinking"}) || !strings.Contains(show.Template, "[|assistant|]") {
		t.Errorf("show: capabilities %v", caps)
	}
	ps, err := cl.ListRunning(ctx)
	if err != nil || len(ps.Models) != 1 || ps.Models[0].ContextLength != 1024 {
		t.Errorf("ps: %+v %v", ps, err)
	}
	if v, err := cl.Version(ctx); err != nil || v == "" {
		t.Errorf("version: %q %v", v, err)
	}
}

func errorsAs(err error, target any) bool { return err != nil && errors.As(err, target) }
