package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/exaone-go/exaone/generate"
	"github.com/exaone-go/exaone/sampler"
	"github.com/exaone-go/exaone/server"
	"github.com/exaone-go/exaone/tokenizer/chat"
)

// BenchmarkStreamPerToken: the time per generated token of a 64-token
// greedy reply, straight from a generate.Session and streamed through the
// server as SSE to a loopback client; the difference is the HTTP layer's
// cost per streamed token.
func BenchmarkStreamPerToken(b *testing.B) {
	const n = 64
	msgs := []chat.Message{{Role: "user", Content: "What is 23 plus 19?"}}
	b.Run("direct", func(b *testing.B) {
		s, err := chatModel(b).NewSession(generate.Options{Ctx: 1024, Threads: 1})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		req := &generate.Request{Messages: msgs, MaxTokens: n, IgnoreEOS: true, Sampling: &sampler.Params{}}
		for b.Loop() {
			if _, err := s.Generate(context.Background(), req, func(generate.Chunk) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/token")
	})
	b.Run("http-sse", func(b *testing.B) {
		_, ts := newServer(b, server.Options{})
		body := fmt.Sprintf(`{"messages":[{"role":"user","content":"What is 23 plus 19?"}],"stream":true,"ignore_eos":true,"max_tokens":%d,"temperature":0}`, n)
		for b.Loop() {
			st := openStream(b, context.Background(), ts.URL+"/v1/chat/completions", body)
			for {
				d, err := st.next()
				if err != nil || d == "[DONE]" {
					break
				}
			}
			st.resp.Body.Close()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/token")
	})
}

// BenchmarkSecondTurn: time to the first streamed token of a chat's first
// turn (a fresh prompt: a long system message that differs from every
// earlier one) against its second turn, which the slot's prompt cache
// serves from the first turn's tokens so that only the new ones are
// evaluated. Reports cached tokens of the second turn too.
func BenchmarkSecondTurn(b *testing.B) {
	_, ts := newServer(b, server.Options{})
	system := strings.Repeat("Stay concise and answer in one sentence. ", 30)
	ttft := func(msgs []map[string]string) (time.Duration, string) {
		body, _ := json.Marshal(map[string]any{"messages": msgs, "stream": true, "temperature": 0, "max_tokens": 8,
			"stream_options": map[string]bool{"include_usage": true}})
		start := time.Now()
		st := openStream(b, context.Background(), ts.URL+"/v1/chat/completions", string(body))
		defer st.resp.Body.Close()
		var first time.Duration
		var reply strings.Builder
		for {
			d, err := st.next()
			if err != nil || d == "[DONE]" {
				break
			}
			var v struct {
				Choices []struct{ Delta struct{ Content *string } }
			}
			json.Unmarshal([]byte(d), &v)
			if len(v.Choices) > 0 && v.Choices[0].Delta.Content != nil {
				if first == 0 {
					first = time.Since(start)
				}
				reply.WriteString(*v.Choices[0].Delta.Content)
			}
		}
		return first, reply.String()
	}
	var turn1, turn2 time.Duration
	i := 0
	for b.Loop() {
		i++
		msgs := []map[string]string{{"role": "system", "content": fmt.Sprintf("Conversation %d. %s", i, system)}, {"role": "user", "content": "What is 23 plus 19?"}}
		d1, reply := ttft(msgs)
		msgs = append(msgs, map[string]string{"role": "assistant", "content": reply}, map[string]string{"role": "user", "content": "What is the capital of Japan?"})
		d2, _ := ttft(msgs)
		turn1 += d1
		turn2 += d2
	}
	b.ReportMetric(float64(turn1.Microseconds())/float64(b.N), "us-ttft-turn1")
	b.ReportMetric(float64(turn2.Microseconds())/float64(b.N), "us-ttft-turn2")
}
