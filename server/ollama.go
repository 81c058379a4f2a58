package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"time"

	"github.com/exaone-go/exaone/generate"
	"github.com/exaone-go/exaone/grammar"
	"github.com/exaone-go/exaone/tokenizer/chat"
)

// ollamaVersion is the ollama API version whose shapes these endpoints
// follow (clients gate features on it).
const ollamaVersion = "0.17.4"

func (s *Server) ollamaRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/chat", s.private(s.ollamaChat))
	mux.HandleFunc("POST /api/generate", s.private(s.ollamaGenerate))
	mux.HandleFunc("GET /api/tags", s.ollamaTags)
	mux.HandleFunc("POST /api/show", s.ollamaShow)
	mux.HandleFunc("GET /api/ps", s.ollamaPS)
	mux.HandleFunc("GET /api/version", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"version": ollamaVersion})
	})
	// ollama's client checks that the server is up with HEAD /.
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("exaone is running\n"))
	})
}

// writeOllamaError writes ollama's error shape, {"error": "..."}.
func writeOllamaError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// ollamaOptions are the "options" of ollama's requests that map onto the
// sampler; the others (num_ctx, num_thread...) are the server's to set.
type ollamaOptions struct {
	NumPredict       *int            `json:"num_predict"`
	Temperature      *float64        `json:"temperature"`
	TopK             *int            `json:"top_k"`
	TopP             *float64        `json:"top_p"`
	MinP             *float64        `json:"min_p"`
	RepeatPenalty    *float64        `json:"repeat_penalty"`
	RepeatLastN      *int            `json:"repeat_last_n"`
	PresencePenalty  *float64        `json:"presence_penalty"`
	FrequencyPenalty *float64        `json:"frequency_penalty"`
	Seed             *int64          `json:"seed"`
	Stop             json.RawMessage `json:"stop"`
}

func (o *ollamaOptions) sampling() *sampling {
	p := &sampling{Temperature: o.Temperature, TopK: o.TopK, TopP: o.TopP, MinP: o.MinP, RepeatPenalty: o.RepeatPenalty,
		RepeatLastN: o.RepeatLastN, PresencePenalty: o.PresencePenalty, FrequencyPenalty: o.FrequencyPenalty, Seed: o.Seed, Stop: o.Stop}
	if o.NumPredict != nil && *o.NumPredict >= 0 { // ollama's -1 and -2: no limit
		p.NPredict = o.NumPredict
	}
	return p
}

type ollamaToolCall struct {
	ID       string `json:"id,omitempty"`
	Function struct {
		Index     int             `json:"index"`
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	} `json:"function"`
}

type ollamaMessage struct {
	Role      string           `json:"role"`
	Content   string           `json:"content"`
	Thinking  string           `json:"thinking,omitempty"`
	Images    []string         `json:"images,omitempty"`
	ToolCalls []ollamaToolCall `json:"tool_calls,omitempty"`
	ToolName  string           `json:"tool_name,omitempty"`
}

// ollamaThink reads "think": a boolean, or "low"/"medium"/"high" (on).
func ollamaThink(raw json.RawMessage) (bool, *apiError) {
	if len(raw) == 0 || string(raw) == "null" {
		return false, nil
	}
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b, nil
	}
	var level string
	if json.Unmarshal(raw, &level) == nil && (level == "low" || level == "medium" || level == "high") {
		return true, nil
	}
	return false, badRequest("think: expected true, false, \"low\", \"medium\" or \"high\"")
}

// ollamaCommon are the fields /api/chat and /api/generate share.
type ollamaCommon struct {
	Model   string          `json:"model"`
	Stream  *bool           `json:"stream"`
	Format  json.RawMessage `json:"format"`
	Think   json.RawMessage `json:"think"`
	Options ollamaOptions   `json:"options"`
}

func (c *ollamaCommon) apply(req *generate.Request, s *Server) *apiError {
	g, err := ollamaFormat(c.Format)
	if err != nil {
		return err
	}
	req.Grammar = g
	think, err := ollamaThink(c.Think)
	if err != nil {
		return err
	}
	req.Think = think
	return c.Options.sampling().apply(req, s.ctx, s.m.Decoder().Vocab)
}

// ollamaFormat reads ollama's format: "json" (a JSON object, as ollama's
// JSON grammar) or a JSON Schema object.
func ollamaFormat(raw json.RawMessage) (*grammar.Grammar, *apiError) {
	switch string(bytes.TrimSpace(raw)) {
	case "", "null", `""`:
		return nil, nil
	case `"json"`:
		return compileSchema("format", []byte(anyObject))
	}
	if t := bytes.TrimSpace(raw); t[0] != '{' {
		return nil, badRequest(`format: expected "json" or a JSON Schema object`)
	}
	return compileSchema("format", raw)
}

type ollamaMetrics struct {
	TotalDuration      int64 `json:"total_duration,omitempty"`
	LoadDuration       int64 `json:"load_duration,omitempty"`
	PromptEvalCount    int   `json:"prompt_eval_count,omitempty"`
	PromptEvalDuration int64 `json:"prompt_eval_duration,omitempty"`
	EvalCount          int   `json:"eval_count,omitempty"`
	EvalDuration       int64 `json:"eval_duration,omitempty"`
}

func ollamaMetricsOf(res *generate.Result, start time.Time) ollamaMetrics {
	return ollamaMetrics{
		TotalDuration:      int64(time.Since(start)),
		PromptEvalCount:    res.PromptTokens,
		PromptEvalDuration: int64(res.PromptTime),
		EvalCount:          res.GeneratedTokens,
		EvalDuration:       int64(res.GenerateTime),
	}
}

func ollamaDoneReason(r generate.StopReason) string {
	if r == generate.StopLength || r == generate.StopContextFull {
		return "length"
	}
	return "stop"
}

// ndjson writes ollama's newline-delimited JSON stream.
type ndjson struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func startNDJSON(w http.ResponseWriter) *ndjson {
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	n := &ndjson{w: w, rc: http.NewResponseController(w)}
	n.rc.Flush()
	return n
}

func (n *ndjson) line(v any) error {
	b, err := marshal(v)
	if err != nil {
		return err
	}
	if _, err := n.w.Write(b); err != nil {
		return err
	}
	return n.rc.Flush()
}

// ollamaRun runs a job for /api/chat or /api/generate: piece turns a chunk
// into a stream line, final the result into the last (or only) object.
func (s *Server) ollamaRun(w http.ResponseWriter, r *http.Request, stream bool, req *generate.Request, piece func(generate.Chunk) any, final func(*generate.Result) any) {
	ids, aerr := s.prepare(req)
	if aerr != nil {
		writeOllamaError(w, aerr.status, aerr.msg)
		return
	}
	j := &job{req: req, ids: ids}
	var nd *ndjson
	if stream {
		j.admitted = func() { nd = startNDJSON(w) }
		j.chunk = func(c generate.Chunk) error { return nd.line(piece(c)) }
	}
	res, started, err := s.run(r, j)
	switch {
	case err != nil && (!started || nd == nil):
		e := asAPIError(err)
		writeOllamaError(w, e.status, e.msg)
	case err != nil:
		if r.Context().Err() == nil {
			nd.line(map[string]string{"error": err.Error()})
		}
	case stream:
		nd.line(final(&res))
	default:
		writeJSON(w, http.StatusOK, final(&res))
	}
}

func (s *Server) ollamaChat(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var cr struct {
		ollamaCommon
		Messages []ollamaMessage   `json:"messages"`
		Tools    []json.RawMessage `json:"tools"`
	}
	if err := readBody(w, r, s.opts.MaxBody, &cr); err != nil {
		writeOllamaError(w, err.status, err.msg)
		return
	}
	req := &generate.Request{Tools: cr.Tools}
	if len(cr.Messages) == 0 {
		writeOllamaError(w, http.StatusBadRequest, "messages: at least one message is required")
		return
	}
	for i, m := range cr.Messages {
		if len(m.Images) > 0 {
			writeOllamaError(w, http.StatusBadRequest, "images are not supported")
			return
		}
		msg := chat.Message{Role: m.Role, Content: m.Content}
		for j, tc := range m.ToolCalls {
			args, err := callArguments(tc.Function.Arguments)
			if err != nil || tc.Function.Name == "" {
				writeOllamaError(w, http.StatusBadRequest, "messages["+itoa(i)+"].tool_calls["+itoa(j)+"]: a name and JSON arguments are required")
				return
			}
			msg.ToolCalls = append(msg.ToolCalls, chat.ToolCall{Name: tc.Function.Name, Arguments: args})
		}
		req.Messages = append(req.Messages, msg)
	}
	if err := cr.apply(req, s); err != nil {
		writeOllamaError(w, err.status, err.msg)
		return
	}
	stream := cr.Stream == nil || *cr.Stream
	type response struct {
		Model      string        `json:"model"`
		CreatedAt  time.Time     `json:"created_at"`
		Message    ollamaMessage `json:"message"`
		Done       bool          `json:"done"`
		DoneReason string        `json:"done_reason,omitempty"`
		ollamaMetrics
	}
	calls := 0
	call := func(tc chat.ToolCall) ollamaToolCall {
		var c ollamaToolCall
		c.ID = newID("call_", 8)
		c.Function.Index, c.Function.Name, c.Function.Arguments = calls, tc.Name, tc.Arguments
		calls++
		return c
	}
	s.ollamaRun(w, r, stream, req, func(c generate.Chunk) any {
		m := ollamaMessage{Role: "assistant", Content: c.Text, Thinking: c.Reasoning}
		if c.ToolCall != nil {
			m.ToolCalls = []ollamaToolCall{call(*c.ToolCall)}
		}
		return response{Model: s.name, CreatedAt: time.Now().UTC(), Message: m}
	}, func(res *generate.Result) any {
		m := ollamaMessage{Role: "assistant"}
		if !stream {
			m.Content, m.Thinking = res.Text, res.Reasoning
			for _, tc := range res.ToolCalls {
				m.ToolCalls = append(m.ToolCalls, call(tc))
			}
		}
		return response{Model: s.name, CreatedAt: time.Now().UTC(), Message: m, Done: true, DoneReason: ollamaDoneReason(res.Stop), ollamaMetrics: ollamaMetricsOf(res, start)}
	})
}

func (s *Server) ollamaGenerate(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var gr struct {
		ollamaCommon
		Prompt string   `json:"prompt"`
		System string   `json:"system"`
		Raw    bool     `json:"raw"`
		Suffix string   `json:"suffix"`
		Images []string `json:"images"`
	}
	if err := readBody(w, r, s.opts.MaxBody, &gr); err != nil {
		writeOllamaError(w, err.status, err.msg)
		return
	}
	switch {
	case gr.Prompt == "":
		// ollama loads the model and answers done at once.
		writeJSON(w, http.StatusOK, map[string]any{"model": s.name, "created_at": time.Now().UTC(), "response": "", "done": true, "done_reason": "load"})
		return
	case gr.Suffix != "" || len(gr.Images) > 0:
		writeOllamaError(w, http.StatusBadRequest, "suffix and images are not supported")
		return
	}
	req := &generate.Request{}
	if gr.Raw {
		req.Prompt = gr.Prompt
	} else {
		if gr.System != "" {
			req.Messages = append(req.Messages, chat.Message{Role: "system", Content: gr.System})
		}
		req.Messages = append(req.Messages, chat.Message{Role: "user", Content: gr.Prompt})
	}
	if err := gr.apply(req, s); err != nil {
		writeOllamaError(w, err.status, err.msg)
		return
	}
	if gr.Raw && req.Think {
		writeOllamaError(w, http.StatusBadRequest, "think: not with a raw prompt")
		return
	}
	stream := gr.Stream == nil || *gr.Stream
	type response struct {
		Model      string    `json:"model"`
		CreatedAt  time.Time `json:"created_at"`
		Response   string    `json:"response"`
		Thinking   string    `json:"thinking,omitempty"`
		Done       bool      `json:"done"`
		DoneReason string    `json:"done_reason,omitempty"`
		ollamaMetrics
	}
	s.ollamaRun(w, r, stream, req, func(c generate.Chunk) any {
		text := c.Text
		if c.ToolCall != nil { // no tools are offered here; keep what the model wrote
			b, _ := json.Marshal(map[string]any{"name": c.ToolCall.Name, "arguments": c.ToolCall.Arguments})
			text = "<tool_call>" + string(b) + "</tool_call>"
		}
		return response{Model: s.name, CreatedAt: time.Now().UTC(), Response: text, Thinking: c.Reasoning}
	}, func(res *generate.Result) any {
		out := response{Model: s.name, CreatedAt: time.Now().UTC(), Done: true, DoneReason: ollamaDoneReason(res.Stop), ollamaMetrics: ollamaMetricsOf(res, start)}
		if !stream {
			out.Response, out.Thinking = res.Text, res.Reasoning
		}
		return out
	})
}

func (s *Server) ollamaDetails() map[string]any {
	return map[string]any{"parent_model": "", "format": "gguf", "family": "exaone4", "families": []string{"exaone4"}, "parameter_size": "", "quantization_level": ""}
}

func (s *Server) fileSize() int64 {
	if st, err := os.Stat(s.m.Path()); err == nil {
		return st.Size()
	}
	return 0
}

func (s *Server) ollamaTags(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"models": []any{map[string]any{
		"name": s.name, "model": s.name, "modified_at": s.started.UTC(), "size": s.fileSize(), "digest": "", "details": s.ollamaDetails(),
	}}})
}

func (s *Server) ollamaPS(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"models": []any{map[string]any{
		"name": s.name, "model": s.name, "size": s.fileSize(), "digest": "", "details": s.ollamaDetails(),
		"expires_at": time.Now().Add(100 * 365 * 24 * time.Hour).UTC(), "size_vram": 0, "context_length": s.ctx,
	}}})
}

func (s *Server) ollamaShow(w http.ResponseWriter, r *http.Request) {
	var v struct {
		Model string `json:"model"`
		Name  string `json:"name"`
	}
	if err := readBody(w, r, s.opts.MaxBody, &v); err != nil {
		writeOllamaError(w, err.status, err.msg)
		return
	}
	caps := []string{"completion"}
	if s.m.Chat() {
		caps = append(caps, "tools", "thinking")
	}
	dec := s.m.Decoder()
	writeJSON(w, http.StatusOK, map[string]any{
		"modelfile": "", "parameters": "", "template": s.m.Tokenizer().ChatTemplate(),
		"details": s.ollamaDetails(),
		"model_info": map[string]any{
			"general.architecture":   "exaone4",
			"exaone4.context_length": dec.CtxTrain,
			"exaone4.vocab_size":     dec.Vocab,
		},
		"capabilities": caps,
		"modified_at":  s.started.UTC(),
	})
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
