package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/exaone-go/exaone/generate"
	"github.com/exaone-go/exaone/grammar"
	"github.com/exaone-go/exaone/sampler"
	"github.com/exaone-go/exaone/tokenizer/chat"
)

// readBody reads a bounded JSON body into v: too big is 413, broken UTF-8,
// malformed JSON and fields of the wrong type are 400 naming the field.
// Unknown fields are ignored, as OpenAI clients send many.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, v any) *apiError {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &apiError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("the request body is over %d bytes", limit)}
		}
		return badRequest("reading the request body: %v", err)
	}
	return decodeJSON(b, v)
}

// decodeJSON is readBody's decoder, apart for fuzzing.
func decodeJSON(b []byte, v any) *apiError {
	if len(bytes.TrimSpace(b)) == 0 {
		return badRequest("the request body is empty: expected a JSON object")
	}
	// encoding/json would quietly turn broken UTF-8 into U+FFFD.
	if !utf8.Valid(b) {
		return badRequest("the request body is not valid UTF-8")
	}
	if err := json.Unmarshal(b, v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return badRequest("invalid type for %q: expected %s, got JSON %s", te.Field, goType(te.Type.String()), te.Value)
		case errors.As(err, &te):
			return badRequest("invalid request: expected a JSON object, got JSON %s", te.Value)
		case errors.As(err, &se):
			return badRequest("invalid JSON at byte %d: %v", se.Offset, err)
		}
		var ae *apiError
		if errors.As(err, &ae) {
			return ae
		}
		return badRequest("invalid request: %v", err)
	}
	return nil
}

// goType names a Go type the way a JSON user would.
func goType(t string) string {
	switch {
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"), strings.HasPrefix(t, "*int"):
		return "an integer"
	case strings.Contains(t, "float"):
		return "a number"
	case strings.Contains(t, "string"):
		return "a string"
	case strings.Contains(t, "bool"):
		return "a boolean"
	case strings.HasPrefix(t, "[]"):
		return "an array"
	case strings.HasPrefix(t, "map"), strings.Contains(t, "struct"):
		return "an object"
	}
	return t
}

// sampling are the sampling and length fields common to the chat and
// completion endpoints (OpenAI's, with llama-server's extras).
type sampling struct {
	MaxTokens           *int               `json:"max_tokens"`
	MaxCompletionTokens *int               `json:"max_completion_tokens"`
	NPredict            *int               `json:"n_predict"`
	Temperature         *float64           `json:"temperature"`
	TopP                *float64           `json:"top_p"`
	TopK                *int               `json:"top_k"`
	MinP                *float64           `json:"min_p"`
	RepeatPenalty       *float64           `json:"repeat_penalty"`
	RepeatLastN         *int               `json:"repeat_last_n"`
	PresencePenalty     *float64           `json:"presence_penalty"`
	FrequencyPenalty    *float64           `json:"frequency_penalty"`
	Seed                *int64             `json:"seed"`
	LogitBias           map[string]float64 `json:"logit_bias"`
	Stop                json.RawMessage    `json:"stop"`
	N                   *int               `json:"n"`
	IgnoreEOS           bool               `json:"ignore_eos"`
	Stream              bool               `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Logprobs json.RawMessage `json:"logprobs"`
}

// apply validates the fields and sets them on req; ctx bounds max_tokens
// and vocab the logit_bias keys.
func (p *sampling) apply(req *generate.Request, ctx, vocab int) *apiError {
	sp := sampler.DefaultParams()
	sp.Seed = rand.Uint64()
	req.Sampling = &sp
	if p.N != nil && *p.N != 1 {
		return badRequest("n: only n=1 is supported, got %d", *p.N)
	}
	if len(p.Logprobs) > 0 && string(p.Logprobs) != "null" && string(p.Logprobs) != "false" {
		return badRequest("logprobs: not supported")
	}
	for _, f := range []struct {
		name string
		v    *int
	}{{"max_tokens", p.MaxTokens}, {"max_completion_tokens", p.MaxCompletionTokens}, {"n_predict", p.NPredict}} {
		if f.v == nil {
			continue
		}
		switch n := *f.v; {
		case f.name == "n_predict" && n == -1:
			// llama-server's "no limit"
		case n < 1:
			return badRequest("%s: must be at least 1, got %d", f.name, n)
		case n > ctx:
			return badRequest("%s: %d is more than the context (%d tokens)", f.name, n, ctx)
		default:
			if req.MaxTokens == 0 || n < req.MaxTokens {
				req.MaxTokens = n
			}
		}
	}
	floats := []struct {
		name   string
		v      *float64
		lo, hi float64
		dst    *float32
	}{
		{"temperature", p.Temperature, 0, 100, &sp.Temperature},
		{"top_p", p.TopP, 0, 1, &sp.TopP},
		{"min_p", p.MinP, 0, 1, &sp.MinP},
		{"repeat_penalty", p.RepeatPenalty, 0, 100, &sp.RepeatPenalty},
		{"presence_penalty", p.PresencePenalty, -2, 2, &sp.PresencePenalty},
		{"frequency_penalty", p.FrequencyPenalty, -2, 2, &sp.FrequencyPenalty},
	}
	for _, f := range floats {
		if f.v == nil {
			continue
		}
		if math.IsNaN(*f.v) || *f.v < f.lo || *f.v > f.hi {
			return badRequest("%s: must be between %g and %g, got %g", f.name, f.lo, f.hi, *f.v)
		}
		*f.dst = float32(*f.v)
	}
	if p.TopK != nil {
		if *p.TopK < 0 {
			return badRequest("top_k: must be at least 0, got %d", *p.TopK)
		}
		sp.TopK = *p.TopK
	}
	if p.RepeatLastN != nil {
		if *p.RepeatLastN < -1 {
			return badRequest("repeat_last_n: must be at least -1, got %d", *p.RepeatLastN)
		}
		sp.RepeatLastN = *p.RepeatLastN
	}
	if p.Seed != nil && *p.Seed >= 0 {
		sp.Seed = uint64(*p.Seed) // negative: a random seed, as llama-server's -1
	}
	if len(p.LogitBias) > 0 {
		sp.LogitBias = make(map[int]float32, len(p.LogitBias))
		for k, v := range p.LogitBias {
			id, err := strconv.Atoi(k)
			if err != nil || id < 0 || id >= vocab {
				return badRequest("logit_bias: key %q is not a token id (0 to %d)", k, vocab-1)
			}
			if math.IsNaN(v) || v < -100 || v > 100 {
				return badRequest("logit_bias[%q]: must be between -100 and 100, got %g", k, v)
			}
			sp.LogitBias[id] = float32(v)
		}
	}
	stop, err := stopStrings(p.Stop)
	if err != nil {
		return err
	}
	req.Stop = stop
	req.IgnoreEOS = p.IgnoreEOS
	return nil
}

// stopStrings reads "stop": a string or a list of at most 16 non-empty
// strings.
func stopStrings(raw json.RawMessage) ([]string, *apiError) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if one == "" {
			return nil, nil
		}
		return []string{one}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, badRequest("stop: expected a string or an array of strings")
	}
	if len(list) > 16 {
		return nil, badRequest("stop: at most 16 strings, got %d", len(list))
	}
	for i, s := range list {
		if s == "" {
			return nil, badRequest("stop[%d]: empty", i)
		}
	}
	return list, nil
}

// chatRequest is a POST /v1/chat/completions body.
type chatRequest struct {
	Model    string            `json:"model"`
	Messages []chatMessage     `json:"messages"`
	Tools    []json.RawMessage `json:"tools"`
	// ToolChoice: "auto" (the default), "none", "required" or
	// {"type": "function", "function": {"name": ...}}.
	ToolChoice         json.RawMessage            `json:"tool_choice"`
	ChatTemplateKwargs map[string]json.RawMessage `json:"chat_template_kwargs"`
	ReasoningEffort    *string                    `json:"reasoning_effort"`
	ResponseFormat     *responseFormat            `json:"response_format"`
	sampling
}

// responseFormat is OpenAI's response_format: text, json_object (any JSON
// object; llama-server's "schema" beside it narrows it) or json_schema.
type responseFormat struct {
	Type       string          `json:"type"`
	Schema     json.RawMessage `json:"schema"`
	JSONSchema *struct {
		Schema json.RawMessage `json:"schema"`
	} `json:"json_schema"`
}

// anyObject is json_object's grammar: an object of any JSON values.
const anyObject = `{"type": "object"}`

// grammar compiles the format; nil for text.
func (f *responseFormat) grammar() (*grammar.Grammar, *apiError) {
	if f == nil {
		return nil, nil
	}
	field, schema := "response_format.schema", f.Schema
	switch f.Type {
	case "", "text":
		return nil, nil
	case "json_object":
		if len(schema) == 0 || string(schema) == "null" {
			schema = json.RawMessage(anyObject)
		}
	case "json_schema":
		if f.JSONSchema == nil || len(f.JSONSchema.Schema) == 0 || string(f.JSONSchema.Schema) == "null" {
			return nil, badRequest("response_format.json_schema.schema: missing")
		}
		field, schema = "response_format.json_schema.schema", f.JSONSchema.Schema
	default:
		return nil, badRequest("response_format.type: %q (want text, json_object or json_schema)", f.Type)
	}
	return compileSchema(field, schema)
}

// compileSchema compiles a request's JSON Schema; an unsupported feature
// or a bad schema is a 400 naming the field and the feature.
func compileSchema(field string, schema []byte) (*grammar.Grammar, *apiError) {
	g, err := grammar.CompileSchema(schema)
	if err != nil {
		return nil, badRequest("%s: %v", field, err)
	}
	return g, nil
}

// toolChoice reads tool_choice into generate's spelling: "auto", "none",
// "required" or a function's name.
func toolChoice(raw json.RawMessage) (string, *apiError) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var choice string
	if json.Unmarshal(raw, &choice) == nil {
		switch choice {
		case "auto", "none", "required":
			return choice, nil
		}
		return "", badRequest("tool_choice: %q (want auto, none, required or {\"type\": \"function\", \"function\": {\"name\": ...}})", choice)
	}
	var named struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if json.Unmarshal(raw, &named) != nil || named.Type != "function" || named.Function.Name == "" {
		return "", badRequest("tool_choice: expected a string or {\"type\": \"function\", \"function\": {\"name\": ...}}")
	}
	return named.Function.Name, nil
}

type chatMessage struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"`
	ToolCalls  []wireToolCall  `json:"tool_calls"`
	ToolCallID string          `json:"tool_call_id"`
	Name       string          `json:"name"`
	// Reasoning of an earlier assistant turn; the template drops it.
	ReasoningContent string `json:"reasoning_content"`
}

// wireToolCall is a tool call as OpenAI writes it.
type wireToolCall struct {
	Index    *int   `json:"index,omitempty"`
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	} `json:"function"`
}

// content reads a message's content: a string, null, or an array of text
// parts (joined by newlines).
func content(raw json.RawMessage, field string) (string, *apiError) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var parts []struct {
		Type string  `json:"type"`
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", badRequest("%s: expected a string or an array of content parts", field)
	}
	var texts []string
	for i, p := range parts {
		if p.Type != "text" || p.Text == nil {
			return "", badRequest("%s[%d]: only text parts are supported, got type %q", field, i, p.Type)
		}
		texts = append(texts, *p.Text)
	}
	return strings.Join(texts, "\n"), nil
}

// toGenerate validates a chat request and builds the generate.Request.
func (c *chatRequest) toGenerate(ctx, vocab int) (*generate.Request, *apiError) {
	req := &generate.Request{}
	if len(c.Messages) == 0 {
		return nil, badRequest("messages: at least one message is required")
	}
	for i, m := range c.Messages {
		field := fmt.Sprintf("messages[%d]", i)
		text, err := content(m.Content, field+".content")
		if err != nil {
			return nil, err
		}
		msg := chat.Message{Role: m.Role, Content: text}
		switch m.Role {
		case "system", "user", "tool":
		case "developer":
			msg.Role = "system"
		case "assistant":
			for j, tc := range m.ToolCalls {
				if tc.Function.Name == "" {
					return nil, badRequest("%s.tool_calls[%d].function.name: missing", field, j)
				}
				args, err := callArguments(tc.Function.Arguments)
				if err != nil {
					return nil, badRequest("%s.tool_calls[%d].function.arguments: %v", field, j, err)
				}
				msg.ToolCalls = append(msg.ToolCalls, chat.ToolCall{Name: tc.Function.Name, Arguments: args})
			}
		case "":
			return nil, badRequest("%s.role: missing", field)
		default:
			return nil, badRequest("%s.role: unknown role %q (want system, developer, user, assistant or tool)", field, m.Role)
		}
		if m.Role != "assistant" && len(m.ToolCalls) > 0 {
			return nil, badRequest("%s.tool_calls: only assistant messages call tools", field)
		}
		req.Messages = append(req.Messages, msg)
	}
	for i, t := range c.Tools {
		var v struct {
			Type     string `json:"type"`
			Function *struct {
				Name string `json:"name"`
			} `json:"function"`
		}
		if err := json.Unmarshal(t, &v); err != nil || v.Type != "function" || v.Function == nil || v.Function.Name == "" {
			return nil, badRequest("tools[%d]: expected {\"type\": \"function\", \"function\": {\"name\": ...}}", i)
		}
	}
	req.Tools = c.Tools
	choice, aerr := toolChoice(c.ToolChoice)
	if aerr != nil {
		return nil, aerr
	}
	switch choice {
	case "none":
		req.Tools = nil // the model cannot call what it is not shown
	case "", "auto":
	default:
		if len(c.Tools) == 0 {
			return nil, badRequest("tool_choice: %q without tools", choice)
		}
		req.ToolChoice = choice
	}
	if req.Grammar, aerr = c.ResponseFormat.grammar(); aerr != nil {
		return nil, aerr
	}
	if req.Grammar != nil && req.ToolChoice != "" {
		return nil, badRequest("response_format: not with tool_choice %q (the answer is a tool call)", c.ToolChoice)
	}
	if c.ReasoningEffort != nil {
		switch *c.ReasoningEffort {
		case "none":
		case "minimal", "low", "medium", "high":
			req.Think = true
		default:
			return nil, badRequest("reasoning_effort: %q (want none, minimal, low, medium or high)", *c.ReasoningEffort)
		}
	}
	for k, v := range c.ChatTemplateKwargs {
		if k != "enable_thinking" {
			continue // other templates' switches mean nothing to EXAONE's
		}
		var on bool
		if err := json.Unmarshal(v, &on); err != nil {
			return nil, badRequest("chat_template_kwargs.enable_thinking: expected a boolean")
		}
		req.Think = on
	}
	if err := c.sampling.apply(req, ctx, vocab); err != nil {
		return nil, err
	}
	return req, nil
}

// callArguments reads a tool call's arguments: OpenAI sends them as a
// string holding JSON, which is rendered as the JSON it holds (what the
// model wrote); any other JSON value is taken as it is.
func callArguments(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage("{}"), nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if json.Valid([]byte(s)) {
			return json.RawMessage(s), nil
		}
		return raw, nil // not JSON inside: rendered as the string it is
	}
	if !json.Valid(raw) {
		return nil, errors.New("invalid JSON")
	}
	return raw, nil
}

// completionRequest is a POST /v1/completions body.
type completionRequest struct {
	Model  string          `json:"model"`
	Prompt json.RawMessage `json:"prompt"`
	Echo   bool            `json:"echo"`
	Suffix *string         `json:"suffix"`
	// ResponseFormat as on chat completions (llama-server takes it here too).
	ResponseFormat *responseFormat `json:"response_format"`
	sampling
}

func (c *completionRequest) toGenerate(ctx, vocab int) (*generate.Request, *apiError) {
	req := &generate.Request{}
	var prompt string
	if err := json.Unmarshal(c.Prompt, &prompt); err != nil {
		var list []string
		if json.Unmarshal(c.Prompt, &list) != nil || len(list) != 1 {
			return nil, badRequest("prompt: expected a string (or an array of one string)")
		}
		prompt = list[0]
	}
	if prompt == "" {
		return nil, badRequest("prompt: missing or empty")
	}
	if c.Echo {
		return nil, badRequest("echo: not supported")
	}
	if c.Suffix != nil && *c.Suffix != "" {
		return nil, badRequest("suffix: not supported")
	}
	req.Prompt = prompt
	var aerr *apiError
	if req.Grammar, aerr = c.ResponseFormat.grammar(); aerr != nil {
		return nil, aerr
	}
	if err := c.sampling.apply(req, ctx, vocab); err != nil {
		return nil, err
	}
	return req, nil
}
