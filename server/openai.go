package server

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/exaone-go/exaone/generate"
)

// sse writes a text/event-stream response.
type sse struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func startSSE(w http.ResponseWriter) *sse {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // proxies must not hold the tokens back
	w.WriteHeader(http.StatusOK)
	s := &sse{w: w, rc: http.NewResponseController(w)}
	s.rc.Flush()
	return s
}

// data writes one "data:" event and flushes it; an error means the client
// is gone.
func (s *sse) data(v any) error {
	b, err := marshal(v)
	if err != nil {
		return err
	}
	if _, err := s.w.Write(append(append([]byte("data: "), b...), '\n')); err != nil {
		return err
	}
	return s.rc.Flush()
}

func (s *sse) done() {
	s.w.Write([]byte("data: [DONE]\n\n"))
	s.rc.Flush()
}

// comment keeps a quiet stream alive.
func (s *sse) comment() error {
	if _, err := s.w.Write([]byte(": keep-alive\n\n")); err != nil {
		return err
	}
	return s.rc.Flush()
}

// fail ends a stream with an error event, as OpenAI does.
func (s *sse) fail(err error) {
	s.data(errorBody(asAPIError(err)))
}

// chatChoice is a choice of a chat completion (message) or of a chunk
// (delta).
type chatChoice struct {
	Index        int       `json:"index"`
	Message      *chatOut  `json:"message,omitempty"`
	Delta        *chatOut  `json:"delta,omitempty"`
	FinishReason *string   `json:"finish_reason"`
	Logprobs     *struct{} `json:"logprobs"`
}

// chatOut is a message or a delta. Content is a pointer so that a reply
// made only of tool calls says content: null.
type chatOut struct {
	Role             string         `json:"role,omitempty"`
	Content          *string        `json:"content,omitempty"`
	ReasoningContent string         `json:"reasoning_content,omitempty"`
	ToolCalls        []wireToolCall `json:"tool_calls,omitempty"`
}

type chatResponse struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"`
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Choices []chatChoice `json:"choices"`
	Usage   *usage       `json:"usage,omitempty"`
	Timings *timings     `json:"timings,omitempty"`
}

func toolCall(c generate.Chunk, index int) wireToolCall {
	tc := wireToolCall{ID: newID("call_", 24), Type: "function"}
	tc.Function.Name = c.ToolCall.Name
	args := c.ToolCall.Arguments
	if len(args) == 0 {
		args = json.RawMessage("{}")
	}
	b, _ := json.Marshal(string(args)) // OpenAI's arguments are a string of JSON
	tc.Function.Arguments = b
	if index >= 0 {
		tc.Index = &index
	}
	return tc
}

// inline puts reasoning back into the text as the model wrote it, for
// --reasoning-format none.
type inline struct{ open, closed bool }

func (in *inline) chunk(c generate.Chunk) []generate.Chunk {
	switch {
	case c.Reasoning != "" && !in.open:
		in.open = true
		return []generate.Chunk{{Text: "<think>\n" + c.Reasoning}}
	case c.Reasoning != "":
		return []generate.Chunk{{Text: c.Reasoning}}
	case in.open && !in.closed && c.Text != "":
		in.closed = true
		return []generate.Chunk{{Text: "\n</think>\n\n" + c.Text}}
	case in.open && !in.closed && c.ToolCall != nil:
		in.closed = true
		return []generate.Chunk{{Text: "\n</think>\n\n"}, c}
	}
	return []generate.Chunk{c}
}

func (s *Server) chatCompletions(w http.ResponseWriter, r *http.Request) {
	var cr chatRequest
	if err := readBody(w, r, s.opts.MaxBody, &cr); err != nil {
		writeError(w, err)
		return
	}
	req, aerr := cr.toGenerate(s.ctx, s.m.Decoder().Vocab)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	ids, aerr := s.prepare(req)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	id, created := newID("chatcmpl-", 32), time.Now().Unix()
	resp := func(choices []chatChoice) *chatResponse {
		return &chatResponse{ID: id, Object: "chat.completion.chunk", Created: created, Model: s.name, Choices: choices}
	}
	inl := &inline{}
	inlineReasoning := s.opts.ReasoningFormat == "none"

	if !cr.Stream {
		res, _, err := s.run(r, &job{req: req, ids: ids})
		if err != nil {
			writeError(w, asAPIError(err))
			return
		}
		msg := &chatOut{Role: "assistant", ReasoningContent: res.Reasoning}
		text := res.Text
		if inlineReasoning && res.Reasoning != "" {
			text = "<think>\n" + res.Reasoning + "\n</think>\n\n" + text
			msg.ReasoningContent = ""
		}
		if text != "" || len(res.ToolCalls) == 0 {
			msg.Content = &text
		}
		for _, tc := range res.ToolCalls {
			msg.ToolCalls = append(msg.ToolCalls, toolCall(generate.Chunk{ToolCall: &tc}, -1))
		}
		fr := finishReason(res.Stop)
		out := resp([]chatChoice{{Message: msg, FinishReason: &fr}})
		out.Object = "chat.completion"
		out.Usage, out.Timings = usageOf(&res), timingsOf(&res)
		writeJSON(w, http.StatusOK, out)
		return
	}

	var st *sse
	calls := 0
	j := &job{req: req, ids: ids}
	j.admitted = func() {
		st = startSSE(w)
		st.data(resp([]chatChoice{{Delta: &chatOut{Role: "assistant", Content: nil}}}))
	}
	j.keepAlive = func() error { return st.comment() }
	send := func(c generate.Chunk) error {
		d := &chatOut{}
		switch {
		case c.ToolCall != nil:
			d.ToolCalls = []wireToolCall{toolCall(c, calls)}
			calls++
		case c.Reasoning != "":
			d.ReasoningContent = c.Reasoning
		default:
			d.Content = &c.Text
		}
		return st.data(resp([]chatChoice{{Delta: d}}))
	}
	j.chunk = func(c generate.Chunk) error {
		if !inlineReasoning {
			return send(c)
		}
		for _, c := range inl.chunk(c) {
			if err := send(c); err != nil {
				return err
			}
		}
		return nil
	}
	res, started, err := s.run(r, j)
	if !started {
		writeError(w, asAPIError(err))
		return
	}
	if err != nil {
		if r.Context().Err() == nil {
			st.fail(err)
		}
		return
	}
	fr := finishReason(res.Stop)
	last := resp([]chatChoice{{Delta: &chatOut{}, FinishReason: &fr}})
	last.Timings = timingsOf(&res)
	if st.data(last) != nil {
		return
	}
	if cr.StreamOptions != nil && cr.StreamOptions.IncludeUsage {
		u := resp([]chatChoice{})
		u.Usage, u.Timings = usageOf(&res), timingsOf(&res)
		st.data(u)
	}
	st.done()
}
