package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/exaone-go/exaone/server"
)

// TestHostileRequests: malformed, oversized, mistyped and out-of-range
// requests get the right 4xx with a JSON error naming the problem, and the
// server keeps serving.
func TestHostileRequests(t *testing.T) {
	_, ts := newServer(t, server.Options{Ctx: 128, MaxBody: 64 << 10})
	user := `"messages":[{"role":"user","content":"hi"}]`
	for _, c := range []struct {
		name, path, body string
		status           int
		mention          string
	}{
		{"malformed JSON", "/v1/chat/completions", `{"messages": [`, 400, "JSON"},
		{"trailing garbage", "/v1/chat/completions", `{` + user + `} x`, 400, "JSON"},
		{"empty body", "/v1/chat/completions", ``, 400, "empty"},
		{"not an object", "/v1/chat/completions", `[1,2]`, 400, "object"},
		{"null", "/v1/chat/completions", `null`, 400, "messages"},
		{"huge body", "/v1/chat/completions", `{"messages":[{"role":"user","content":"` + strings.Repeat("a", 100<<10) + `"}]}`, 413, "bytes"},
		{"messages a string", "/v1/chat/completions", `{"messages":"hi"}`, 400, "messages"},
		{"no messages", "/v1/chat/completions", `{"messages":[]}`, 400, "messages"},
		{"content a number", "/v1/chat/completions", `{"messages":[{"role":"user","content":5}]}`, 400, "content"},
		{"image part", "/v1/chat/completions", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}`, 400, "text parts"},
		{"unknown role", "/v1/chat/completions", `{"messages":[{"role":"wizard","content":"hi"}]}`, 400, "wizard"},
		{"missing role", "/v1/chat/completions", `{"messages":[{"content":"hi"}]}`, 400, "role"},
		{"max_tokens 0", "/v1/chat/completions", `{` + user + `,"max_tokens":0}`, 400, "max_tokens"},
		{"max_tokens negative", "/v1/chat/completions", `{` + user + `,"max_tokens":-5}`, 400, "max_tokens"},
		{"max_tokens huge", "/v1/chat/completions", `{` + user + `,"max_tokens":1000000000}`, 400, "max_tokens"},
		{"max_tokens overflow", "/v1/chat/completions", `{` + user + `,"max_tokens":1e40}`, 400, "max_tokens"},
		{"max_tokens a string", "/v1/chat/completions", `{` + user + `,"max_tokens":"5"}`, 400, "max_tokens"},
		{"max_completion_tokens 0", "/v1/chat/completions", `{` + user + `,"max_completion_tokens":0}`, 400, "max_completion_tokens"},
		{"temperature a string", "/v1/chat/completions", `{` + user + `,"temperature":"hot"}`, 400, "temperature"},
		{"temperature negative", "/v1/chat/completions", `{` + user + `,"temperature":-1}`, 400, "temperature"},
		{"top_p above 1", "/v1/chat/completions", `{` + user + `,"top_p":1.5}`, 400, "top_p"},
		{"top_k negative", "/v1/chat/completions", `{` + user + `,"top_k":-1}`, 400, "top_k"},
		{"presence_penalty", "/v1/chat/completions", `{` + user + `,"presence_penalty":9}`, 400, "presence_penalty"},
		{"n 2", "/v1/chat/completions", `{` + user + `,"n":2}`, 400, "n:"},
		{"stop a number", "/v1/chat/completions", `{` + user + `,"stop":5}`, 400, "stop"},
		{"stop empty string in list", "/v1/chat/completions", `{` + user + `,"stop":["a",""]}`, 400, "stop[1]"},
		{"logit_bias key", "/v1/chat/completions", `{` + user + `,"logit_bias":{"hello":1}}`, 400, "logit_bias"},
		{"logit_bias id", "/v1/chat/completions", `{` + user + `,"logit_bias":{"99999999":1}}`, 400, "logit_bias"},
		{"logit_bias value", "/v1/chat/completions", `{` + user + `,"logit_bias":{"5":1000}}`, 400, "logit_bias"},
		{"tools malformed", "/v1/chat/completions", `{` + user + `,"tools":[{"type":"retrieval"}]}`, 400, "tools[0]"},
		{"tool_choice required", "/v1/chat/completions", `{` + user + `,"tool_choice":"required"}`, 400, "tool_choice"},
		{"enable_thinking a string", "/v1/chat/completions", `{` + user + `,"chat_template_kwargs":{"enable_thinking":"yes"}}`, 400, "enable_thinking"},
		{"reasoning_effort", "/v1/chat/completions", `{` + user + `,"reasoning_effort":"extreme"}`, 400, "reasoning_effort"},
		{"response_format", "/v1/chat/completions", `{` + user + `,"response_format":{"type":"json_schema"}}`, 400, "response_format"},
		{"logprobs", "/v1/chat/completions", `{` + user + `,"logprobs":true}`, 400, "logprobs"},
		{"invalid UTF-8", "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"\xff\xfe\"}]}", 400, "UTF-8"},
		{"prompt over the context", "/v1/chat/completions", `{"messages":[{"role":"user","content":"` + strings.Repeat("And God said, Let there be light. ", 40) + `"}]}`, 400, "context"},
		{"bad tool-call arguments", "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f","arguments":{]}}]}]}`, 400, "JSON"},
		{"completion prompt missing", "/v1/completions", `{"max_tokens":3}`, 400, "prompt"},
		{"completion prompt a number", "/v1/completions", `{"prompt":5}`, 400, "prompt"},
		{"completion over the context", "/v1/completions", `{"prompt":"` + strings.Repeat("And God said, Let there be light. ", 40) + `"}`, 400, "context"},
		{"tokenize no content", "/tokenize", `{}`, 400, "content"},
		{"detokenize bad id", "/detokenize", `{"tokens":[-1]}`, 400, "tokens[0]"},
		{"unknown path", "/v1/embeddings", `{}`, 404, "no such endpoint"},
	} {
		code, b := post(t, ts.URL+c.path, c.body)
		checkError(t, c.name, code, b, c.status)
		if !strings.Contains(string(b), c.mention) {
			t.Errorf("%s: %s does not mention %q", c.name, b, c.mention)
		}
	}
	resp, err := http.Get(ts.URL + "/v1/chat/completions")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("GET on a POST endpoint: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// Still serving.
	code, b := post(t, ts.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"What is 23 plus 19?"}],"temperature":0}`)
	if code != 200 || !strings.Contains(string(b), "23 plus 19 is 42.") {
		t.Errorf("after the hostile requests: %d %s", code, b)
	}
}

// TestAPIKey: with keys set, generation and utility endpoints need one
// (Bearer or X-Api-Key), /health and /v1/models stay public.
func TestAPIKey(t *testing.T) {
	_, ts := newServer(t, server.Options{APIKeys: []string{"sesame"}})
	body := `{"messages":[{"role":"user","content":"What is 23 plus 19?"}],"max_tokens":2}`
	for _, c := range []struct {
		name, header, value string
		status              int
	}{
		{"none", "", "", 401},
		{"wrong bearer", "Authorization", "Bearer nope", 401},
		{"not bearer", "Authorization", "Basic sesame", 401},
		{"bearer", "Authorization", "Bearer sesame", 200},
		{"x-api-key", "X-Api-Key", "sesame", 200},
	} {
		req, _ := http.NewRequest("POST", ts.URL+"/v1/chat/completions", strings.NewReader(body))
		if c.header != "" {
			req.Header.Set(c.header, c.value)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b := readAll(resp)
		if c.status == 200 && resp.StatusCode != 200 {
			t.Errorf("%s: %d %s", c.name, resp.StatusCode, b)
		} else if c.status != 200 {
			checkError(t, c.name, resp.StatusCode, b, c.status)
		}
	}
	for _, p := range []string{"/health", "/v1/models"} {
		resp, err := http.Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		readAll(resp)
		if resp.StatusCode != 200 {
			t.Errorf("%s without a key: %d", p, resp.StatusCode)
		}
	}
	code, b := post(t, ts.URL+"/tokenize", `{"content":"hi"}`)
	checkError(t, "tokenize without a key", code, b, 401)
}

func readAll(resp *http.Response) []byte {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}
