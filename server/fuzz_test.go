package server

import (
	"net/http"
	"testing"
)

// FuzzDecodeChat: whatever the body, decoding and validating a chat or
// completion request never panics, and a refusal is a 400 with a message.
func FuzzDecodeChat(f *testing.F) {
	for _, s := range []string{
		`{"messages":[{"role":"user","content":"hi"}]}`,
		`{"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"stop":["a","b"],"logit_bias":{"5":-100},"max_tokens":5}`,
		`{"messages":[{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},{"role":"tool","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"auto"}`,
		`{"messages":[{"role":"developer","content":"x"}],"reasoning_effort":"high","chat_template_kwargs":{"enable_thinking":false},"stream":true,"stream_options":{"include_usage":true}}`,
		`{"prompt":"And God said","max_tokens":3,"seed":-1}`,
		`{"prompt":["x"],"n":1,"temperature":0.5,"top_k":3}`,
		`{"messages":"x"}`, `[`, `null`, "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var c chatRequest
		if err := decodeJSON(b, &c); err != nil {
			if err.status != http.StatusBadRequest || err.msg == "" {
				t.Fatalf("decode: %d %q", err.status, err.msg)
			}
		} else if req, err := c.toGenerate(256, 1000); err != nil {
			if err.status != http.StatusBadRequest || err.msg == "" {
				t.Fatalf("chat: %d %q", err.status, err.msg)
			}
		} else if len(req.Messages) == 0 || req.Sampling == nil {
			t.Fatalf("accepted without messages or sampling: %+v", req)
		}
		var p completionRequest
		if err := decodeJSON(b, &p); err == nil {
			if req, err := p.toGenerate(256, 1000); err == nil && req.Prompt == "" {
				t.Fatal("accepted an empty prompt")
			}
		}
	})
}
