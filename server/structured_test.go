package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/exaone-go/exaone/server"
)

func validatorOf(t testing.TB, schema string) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(schema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustValidate(t testing.TB, what string, s *jsonschema.Schema, doc string) {
	t.Helper()
	if !json.Valid([]byte(doc)) {
		t.Fatalf("%s: %q is not JSON", what, doc)
	}
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
	if err == nil {
		err = s.Validate(v)
	}
	if err != nil {
		t.Fatalf("%s: %q: %v", what, doc, err)
	}
}

const citySchema = `{"type": "object", "properties": {
	"city": {"type": "string", "maxLength": 10},
	"population": {"type": "integer", "minimum": 0, "maximum": 100000000},
	"districts": {"type": "array", "items": {"enum": ["north", "south", "east", "west"]}, "minItems": 1, "maxItems": 4}
}, "required": ["city", "districts"], "additionalProperties": false}`

// response_format and ollama's format on every endpoint, at temperature 1.
func TestStructuredOutput(t *testing.T) {
	_, ts := newServer(t, server.Options{})
	city := validatorOf(t, citySchema)
	object := validatorOf(t, `{"type": "object"}`)
	user := `"messages":[{"role":"user","content":"Tell me about Seoul."}]`
	for seed := range 10 {
		common := fmt.Sprintf(`"temperature":1,"top_k":0,"top_p":1,"min_p":0,"seed":%d,"max_tokens":400`, seed)

		code, b := post(t, ts.URL+"/v1/chat/completions", `{`+user+`,`+common+`,"response_format":{"type":"json_schema","json_schema":{"name":"city","schema":`+citySchema+`}}}`)
		var chatRes struct {
			Choices []struct {
				Message      struct{ Content string }
				FinishReason string `json:"finish_reason"`
			}
		}
		if code != 200 || json.Unmarshal(b, &chatRes) != nil || chatRes.Choices[0].FinishReason != "stop" {
			t.Fatalf("chat seed %d: %d %s", seed, code, b)
		}
		mustValidate(t, fmt.Sprintf("chat json_schema seed %d", seed), city, chatRes.Choices[0].Message.Content)

		code, b = post(t, ts.URL+"/v1/completions", `{"prompt":"And God said",`+common+`,"response_format":{"type":"json_schema","json_schema":{"schema":`+citySchema+`}}}`)
		var compRes struct {
			Choices []struct{ Text string }
		}
		if code != 200 || json.Unmarshal(b, &compRes) != nil {
			t.Fatalf("completion seed %d: %d %s", seed, code, b)
		}
		mustValidate(t, fmt.Sprintf("completion seed %d", seed), city, compRes.Choices[0].Text)

		code, b = post(t, ts.URL+"/api/chat", `{`+user+`,"stream":false,"format":`+citySchema+`,"options":{"temperature":1,"top_k":0,"top_p":1,"min_p":0,"seed":`+fmt.Sprint(seed)+`,"num_predict":400}}`)
		var ollamaRes struct {
			Message    struct{ Content string }
			DoneReason string `json:"done_reason"`
		}
		if code != 200 || json.Unmarshal(b, &ollamaRes) != nil || ollamaRes.DoneReason != "stop" {
			t.Fatalf("ollama seed %d: %d %s", seed, code, b)
		}
		mustValidate(t, fmt.Sprintf("ollama format seed %d", seed), city, ollamaRes.Message.Content)
	}
	// json_object and format "json": an object, greedy (temperature 1 over
	// any JSON can nest for a long time on a tiny model).
	code, b := post(t, ts.URL+"/v1/chat/completions", `{`+user+`,"temperature":0,"max_tokens":300,"response_format":{"type":"json_object"},"stream":true}`)
	if code != 200 {
		t.Fatalf("json_object stream: %d %s", code, b)
	}
	var content strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		var ev struct {
			Choices []struct {
				Delta struct{ Content string }
			}
		}
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("event %q: %v", data, err)
		}
		if len(ev.Choices) > 0 {
			content.WriteString(ev.Choices[0].Delta.Content)
		}
	}
	mustValidate(t, "json_object stream", object, content.String())
	code, b = post(t, ts.URL+"/api/generate", `{"prompt":"Hello","stream":false,"format":"json","options":{"temperature":0,"num_predict":300}}`)
	var gen struct{ Response string }
	if code != 200 || json.Unmarshal(b, &gen) != nil {
		t.Fatalf("format json: %d %s", code, b)
	}
	mustValidate(t, "format json", object, gen.Response)
}

const structuredTools = `[
	{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {
		"location": {"type": "string", "maxLength": 16},
		"unit": {"enum": ["celsius", "fahrenheit"]}
	}, "required": ["location"], "additionalProperties": false}}},
	{"type": "function", "function": {"name": "add", "parameters": {"type": "object", "properties": {
		"a": {"type": "integer", "minimum": 0, "maximum": 9}, "b": {"type": "integer", "minimum": 0, "maximum": 9}
	}, "required": ["a", "b"], "additionalProperties": false}}}
]`

func TestToolChoiceRequiredServer(t *testing.T) {
	_, ts := newServer(t, server.Options{})
	var tools []struct {
		Function struct {
			Name       string
			Parameters json.RawMessage
		}
	}
	if err := json.Unmarshal([]byte(structuredTools), &tools); err != nil {
		t.Fatal(err)
	}
	vals := map[string]*jsonschema.Schema{}
	for _, tl := range tools {
		vals[tl.Function.Name] = validatorOf(t, string(tl.Function.Parameters))
	}
	names := map[string]int{}
	for seed := range 20 {
		choice := `"required"`
		if seed%4 == 3 {
			choice = `{"type":"function","function":{"name":"add"}}`
		}
		body := fmt.Sprintf(`{"messages":[{"role":"user","content":"Weather in Seoul?"}],"tools":%s,"tool_choice":%s,"temperature":1,"top_k":0,"top_p":1,"min_p":0,"seed":%d,"max_tokens":300}`, structuredTools, choice, seed)
		code, b := post(t, ts.URL+"/v1/chat/completions", body)
		var res struct {
			Choices []struct {
				Message struct {
					Content   *string
					ToolCalls []struct {
						Type     string
						Function struct{ Name, Arguments string }
					} `json:"tool_calls"`
				}
				FinishReason string `json:"finish_reason"`
			}
		}
		if code != 200 || json.Unmarshal(b, &res) != nil {
			t.Fatalf("seed %d: %d %s", seed, code, b)
		}
		c := res.Choices[0]
		if c.FinishReason != "tool_calls" || len(c.Message.ToolCalls) != 1 || c.Message.Content != nil && *c.Message.Content != "" {
			t.Fatalf("seed %d: %s", seed, b)
		}
		f := c.Message.ToolCalls[0].Function
		val, ok := vals[f.Name]
		if !ok || seed%4 == 3 && f.Name != "add" {
			t.Fatalf("seed %d: call of %q", seed, f.Name)
		}
		mustValidate(t, fmt.Sprintf("seed %d %s arguments", seed, f.Name), val, f.Arguments)
		names[f.Name]++
	}
	t.Logf("calls: %v", names)
}

// Schema features the grammar does not implement are refused with a 400
// naming the feature, never run unconstrained.
func TestStructuredOutputErrors(t *testing.T) {
	_, ts := newServer(t, server.Options{})
	user := `"messages":[{"role":"user","content":"hi"}]`
	withFormat := `{"type":"object","properties":{"when":{"type":"string","format":"date-time"}}}`
	badTool := `[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"x":{"type":"string","pattern":"^a"}}}}}]`
	for _, c := range []struct {
		name, path, body string
		mention          []string
	}{
		{"json_schema format", "/v1/chat/completions", `{` + user + `,"response_format":{"type":"json_schema","json_schema":{"schema":` + withFormat + `}}}`, []string{"response_format.json_schema.schema", `"format"`, "/properties/when"}},
		{"completion json_schema", "/v1/completions", `{"prompt":"x","response_format":{"type":"json_schema","json_schema":{"schema":{"type":"string","pattern":"a"}}}}`, []string{"response_format", `"pattern"`}},
		{"json_object schema", "/v1/chat/completions", `{` + user + `,"response_format":{"type":"json_object","schema":{"not":{}}}}`, []string{"response_format.schema", `"not"`}},
		{"unknown type", "/v1/chat/completions", `{` + user + `,"response_format":{"type":"xml"}}`, []string{"response_format.type"}},
		{"tool parameters", "/v1/chat/completions", `{` + user + `,"tools":` + badTool + `,"tool_choice":"required"}`, []string{"tools[0].function.parameters", `"pattern"`}},
		{"tool named", "/v1/chat/completions", `{` + user + `,"tools":` + structuredTools + `,"tool_choice":{"type":"function","function":{"name":"nope"}}}`, []string{"tool_choice", "nope"}},
		{"tool_choice malformed", "/v1/chat/completions", `{` + user + `,"tools":` + structuredTools + `,"tool_choice":{"type":"function"}}`, []string{"tool_choice"}},
		{"tool_choice with response_format", "/v1/chat/completions", `{` + user + `,"tools":` + structuredTools + `,"tool_choice":"required","response_format":{"type":"json_object"}}`, []string{"response_format"}},
	} {
		code, b := post(t, ts.URL+c.path, c.body)
		checkError(t, c.name, code, b, http.StatusBadRequest)
		for _, m := range c.mention {
			if !strings.Contains(string(b), strings.ReplaceAll(m, `"`, `\"`)) {
				t.Errorf("%s: %s does not name %s", c.name, b, m)
			}
		}
	}
	for _, body := range []string{`{` + user + `,"format":` + withFormat + `}`, `{` + user + `,"format":"yaml"}`} {
		code, b := post(t, ts.URL+"/api/chat", body)
		var e struct{ Error string }
		if code != 400 || json.Unmarshal(b, &e) != nil || !strings.Contains(e.Error, "format") {
			t.Errorf("ollama %s: %d %s", body, code, b)
		}
	}
}
