package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/exaone-go/exaone/server"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

func client(url string, opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append([]option.RequestOption{option.WithBaseURL(url + "/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0)}, opts...)...)
}

// clientMessages writes a reference conversation with the client's own
// types; an assistant's tool-call arguments become the JSON string OpenAI
// clients send.
func clientMessages(t *testing.T, c *chatCase) []openai.ChatCompletionMessageParamUnion {
	t.Helper()
	var out []openai.ChatCompletionMessageParamUnion
	for _, raw := range c.Messages {
		var m struct {
			Role      string `json:"role"`
			Content   string `json:"content"`
			ToolCalls []struct {
				Function struct {
					Name      string          `json:"name"`
					Arguments json.RawMessage `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		switch m.Role {
		case "system":
			out = append(out, openai.SystemMessage(m.Content))
		case "user":
			out = append(out, openai.UserMessage(m.Content))
		case "tool":
			out = append(out, openai.ToolMessage(m.Content, "call_0"))
		case "assistant":
			a := openai.ChatCompletionAssistantMessageParam{}
			if m.Content != "" {
				a.Content.OfString = openai.String(m.Content)
			}
			for _, tc := range m.ToolCalls {
				a.ToolCalls = append(a.ToolCalls, openai.ChatCompletionMessageToolCallUnionParam{OfFunction: &openai.ChatCompletionMessageFunctionToolCallParam{
					ID:       "call_0",
					Function: openai.ChatCompletionMessageFunctionToolCallFunctionParam{Name: tc.Function.Name, Arguments: string(tc.Function.Arguments)},
				}})
			}
			out = append(out, openai.ChatCompletionMessageParamUnion{OfAssistant: &a})
		default:
			t.Fatalf("role %q", m.Role)
		}
	}
	return out
}

// caseParams is a reference case as a greedy request; its tools go in as
// raw JSON so that their key order (which the template keeps) survives.
func caseParams(t *testing.T, c *chatCase) (openai.ChatCompletionNewParams, []option.RequestOption) {
	p := openai.ChatCompletionNewParams{Messages: clientMessages(t, c), Model: "tiny-chat", Temperature: openai.Float(0)}
	var opts []option.RequestOption
	if len(c.Tools) > 0 {
		opts = append(opts, option.WithJSONSet("tools", c.Tools))
	}
	if c.Think {
		opts = append(opts, option.WithJSONSet("chat_template_kwargs", map[string]any{"enable_thinking": true}))
	}
	return p, opts
}

func rawString(t *testing.T, raw string) string {
	t.Helper()
	if raw == "" || raw == "null" {
		return ""
	}
	var s string
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		t.Fatalf("%s is not a JSON string: %v", raw, err)
	}
	return s
}

// TestChatReferences drives every tiny-chat reference conversation through
// the OpenAI client, whole and streamed (accumulated by the client's own
// accumulator): both must give transformers' greedy continuation, split
// into reasoning_content, content and tool_calls, with the right finish
// reason and usage; the streamed request, sent second to the one slot,
// reuses the whole cached prompt but its last token.
func TestChatReferences(t *testing.T) {
	for name, c := range refCases(t) {
		t.Run(name, func(t *testing.T) {
			_, ts := newServer(t, server.Options{Slots: 1})
			cl := client(ts.URL)
			wantReasoning, wantText, wantCalls := expected(t, c)
			wantFinish := "stop"
			if len(wantCalls) > 0 {
				wantFinish = "tool_calls"
			}
			check := func(how string, msg openai.ChatCompletionMessage, reasoning, finish string, u openai.CompletionUsage) {
				t.Helper()
				if msg.Content != wantText || reasoning != wantReasoning {
					t.Errorf("%s: content %q reasoning %q, want %q and %q", how, msg.Content, reasoning, wantText, wantReasoning)
				}
				if finish != wantFinish {
					t.Errorf("%s: finish_reason %q, want %q", how, finish, wantFinish)
				}
				if len(msg.ToolCalls) != len(wantCalls) {
					t.Fatalf("%s: tool calls %+v, want %+v", how, msg.ToolCalls, wantCalls)
				}
				for i, tc := range msg.ToolCalls {
					if !strings.HasPrefix(tc.ID, "call_") || len(tc.ID) < 10 || tc.Type != "function" || tc.Function.Name != wantCalls[i].Name || !jsonEqual(tc.Function.Arguments, string(wantCalls[i].Arguments)) {
						t.Errorf("%s: call %d = %+v, want %s(%s)", how, i, tc, wantCalls[i].Name, wantCalls[i].Arguments)
					}
				}
				if u.PromptTokens != int64(len(c.PromptIDs)) || u.CompletionTokens != int64(len(c.Generated)) || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
					t.Errorf("%s: usage %d+%d=%d, want %d+%d", how, u.PromptTokens, u.CompletionTokens, u.TotalTokens, len(c.PromptIDs), len(c.Generated))
				}
			}

			params, opts := caseParams(t, c)
			resp, err := cl.Chat.Completions.New(context.Background(), params, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Choices) != 1 || resp.Object != "chat.completion" || !strings.HasPrefix(resp.ID, "chatcmpl-") {
				t.Fatalf("response %s", resp.RawJSON())
			}
			ch := resp.Choices[0]
			check("whole", ch.Message, rawString(t, ch.Message.JSON.ExtraFields["reasoning_content"].Raw()), ch.FinishReason, resp.Usage)
			if resp.Usage.PromptTokensDetails.CachedTokens != 0 {
				t.Errorf("first request: %d cached tokens", resp.Usage.PromptTokensDetails.CachedTokens)
			}
			var tm struct {
				Timings map[string]float64 `json:"timings"`
			}
			if err := json.Unmarshal([]byte(resp.RawJSON()), &tm); err != nil || tm.Timings["predicted_n"] != float64(len(c.Generated)) || tm.Timings["prompt_n"] != float64(len(c.PromptIDs)) || tm.Timings["predicted_ms"] <= 0 || tm.Timings["prompt_ms"] <= 0 {
				t.Errorf("timings %v (%v)", tm.Timings, err)
			}

			params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
			stream := cl.Chat.Completions.NewStreaming(context.Background(), params, opts...)
			acc := openai.ChatCompletionAccumulator{}
			var reasoning strings.Builder
			chunks := 0
			for stream.Next() {
				chunk := stream.Current()
				if !acc.AddChunk(chunk) {
					t.Fatalf("the accumulator refused chunk %s", chunk.RawJSON())
				}
				if chunks == 0 && (len(chunk.Choices) != 1 || chunk.Choices[0].Delta.Role != "assistant") {
					t.Errorf("first chunk %s does not carry the role", chunk.RawJSON())
				}
				if len(chunk.Choices) > 0 {
					reasoning.WriteString(rawString(t, chunk.Choices[0].Delta.JSON.ExtraFields["reasoning_content"].Raw()))
				}
				chunks++
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			if len(acc.Choices) != 1 {
				t.Fatalf("accumulated %d choices", len(acc.Choices))
			}
			check("streamed", acc.Choices[0].Message, reasoning.String(), acc.Choices[0].FinishReason, acc.Usage)
			if got := acc.Usage.PromptTokensDetails.CachedTokens; got != int64(len(c.PromptIDs)-1) {
				t.Errorf("repeated request: %d cached tokens, want %d", got, len(c.PromptIDs)-1)
			}
		})
	}
}

func post(t testing.TB, url, body string) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// TestApplyTemplate: tool definitions, tool calls and results reach the
// prompt byte-identical to the reference rendering (the official template
// run by transformers), for every reference case.
func TestApplyTemplate(t *testing.T) {
	_, ts := newServer(t, server.Options{})
	for name, c := range refCases(t) {
		body, _ := json.Marshal(map[string]any{"messages": c.Messages, "tools": c.Tools, "chat_template_kwargs": map[string]bool{"enable_thinking": c.Think}})
		code, b := post(t, ts.URL+"/apply-template", string(body))
		var v struct{ Prompt string }
		if code != 200 || json.Unmarshal(b, &v) != nil || v.Prompt != c.Prompt {
			t.Errorf("%s: %d %s\nwant prompt %q", name, code, b, c.Prompt)
		}
	}
	// OpenAI clients send tool-call arguments as a string of JSON: rendered
	// as the JSON it holds.
	c := refCases(t)["tool_result"]
	var msgs []map[string]any
	for _, raw := range c.Messages {
		var m map[string]any
		json.Unmarshal(raw, &m)
		if calls, ok := m["tool_calls"].([]any); ok {
			for _, call := range calls {
				f := call.(map[string]any)["function"].(map[string]any)
				args, _ := json.Marshal(f["arguments"])
				f["arguments"] = string(args)
			}
		}
		msgs = append(msgs, m)
	}
	body, _ := json.Marshal(map[string]any{"messages": msgs, "tools": c.Tools})
	if code, b := post(t, ts.URL+"/apply-template", string(body)); code != 200 || !bytes.Contains(b, []byte(`<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Kyoto\"}}`)) {
		t.Errorf("string arguments: %d %s", code, b)
	}
}

// TestRequestMapping: developer messages render as system ones, text parts
// are joined, tool_choice "none" keeps the tools out of the prompt, and
// reasoning_effort "none" wins over nothing but is overridden by
// enable_thinking.
func TestRequestMapping(t *testing.T) {
	_, ts := newServer(t, server.Options{})
	render := func(body string) string {
		t.Helper()
		code, b := post(t, ts.URL+"/apply-template", body)
		var v struct{ Prompt string }
		if code != 200 || json.Unmarshal(b, &v) != nil {
			t.Fatalf("%s: %d %s", body, code, b)
		}
		return v.Prompt
	}
	want := render(`{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"a\nb"}]}`)
	if got := render(`{"messages":[{"role":"developer","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}]}`); got != want {
		t.Errorf("developer and parts: %q, want %q", got, want)
	}
	tools := `"tools":[{"type":"function","function":{"name":"f","parameters":{}}}]`
	if got := render(`{"messages":[{"role":"user","content":"hi"}],` + tools + `}`); !strings.Contains(got, "<tool>") {
		t.Errorf("tools missing: %q", got)
	}
	if got := render(`{"messages":[{"role":"user","content":"hi"}],"tool_choice":"none",` + tools + `}`); strings.Contains(got, "<tool>") {
		t.Errorf("tool_choice none: tools rendered: %q", got)
	}
	for body, think := range map[string]bool{
		`{"messages":[{"role":"user","content":"hi"}]}`:                                                                            false,
		`{"messages":[{"role":"user","content":"hi"}],"reasoning_effort":"low"}`:                                                   true,
		`{"messages":[{"role":"user","content":"hi"}],"reasoning_effort":"none"}`:                                                  false,
		`{"messages":[{"role":"user","content":"hi"}],"reasoning_effort":"high","chat_template_kwargs":{"enable_thinking":false}}`: false,
		`{"messages":[{"role":"user","content":"hi"}],"chat_template_kwargs":{"enable_thinking":true}}`:                            true,
	} {
		if got := strings.HasSuffix(render(body), "[|assistant|]\n<think>\n"); got != think {
			t.Errorf("%s: thinking %v, want %v", body, got, think)
		}
	}
}
