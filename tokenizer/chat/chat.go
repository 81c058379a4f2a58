// Package chat renders conversations into the EXAONE 4.0 prompt format.
//
// The runtime renders EXAONE 4 natively, in Go, instead of executing the
// Jinja template stored in the GGUF (tokenizer.chat_template): there is no
// well-kept pure-Go Jinja implementation faithful to Python's (string
// methods, tojson, loop.previtem...), and the format is small and fixed.
// The embedded template is only used to recognise the format (Detect).
// Render is byte-identical to the official template as transformers renders
// it, including its quirks: contents are trimmed (Python str.strip), an
// assistant message keeps only what follows its last "</think>" and is
// prefixed by an empty thinking block, tools and tool-call arguments are
// serialized like Python's json.dumps (key order kept, ", " and ": "
// separators, non-ASCII kept), and consecutive tool results share one
// [|tool|] turn.
package chat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Message is one turn of a conversation, in the OpenAI / Hugging Face shape
// ({"role": ..., "content": ..., "tool_calls": [...]}).
type Message struct {
	Role      string     `json:"role"` // system, user, assistant or tool
	Content   string     `json:"content"`
	ToolCalls []ToolCall `json:"tool_calls,omitempty"` // assistant only
}

// ToolCall is a function call made by the assistant.
type ToolCall struct {
	Name string
	// Arguments is any JSON value: usually an object; a JSON string (as
	// OpenAI sends it) is rendered as a string, exactly as the template
	// does. Empty means {}.
	Arguments json.RawMessage
}

// UnmarshalJSON accepts both shapes the template accepts:
// {"type": "function", "function": {"name", "arguments"}} and the flat
// {"name", "arguments"}.
func (tc *ToolCall) UnmarshalJSON(b []byte) error {
	type fn struct {
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	}
	var v struct {
		fn
		Function *fn `json:"function"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("tool call: %w", err)
	}
	f := v.fn
	if v.Function != nil {
		f = *v.Function
	}
	tc.Name, tc.Arguments = f.Name, f.Arguments
	return nil
}

// MarshalJSON writes the OpenAI shape.
func (tc ToolCall) MarshalJSON() ([]byte, error) {
	args := tc.Arguments
	if len(args) == 0 {
		args = json.RawMessage("{}")
	}
	return json.Marshal(map[string]any{
		"type":     "function",
		"function": map[string]any{"name": tc.Name, "arguments": args},
	})
}

// Options are the template's switches.
type Options struct {
	// EnableThinking opens a reasoning block ("<think>\n") for the model
	// to fill; otherwise the prompt ends with an empty one (EXAONE 4's
	// default, non-reasoning mode).
	EnableThinking bool
	// AddGenerationPrompt ends the prompt with the assistant header so the
	// model answers next.
	AddGenerationPrompt bool
}

const (
	emptyThink = "<think>\n\n</think>\n\n"

	toolsHeader = "# Available Tools\nYou can use none, one, or multiple of the following tools by calling them as functions to help with the user’s query.\nHere are the tools available to you in JSON format within <tool> and </tool> tags:\n"
	toolsFooter = "\nFor each function call you want to make, return a JSON object with function name and arguments within <tool_call> and </tool_call> tags, like:\n<tool_call>{\"name\": function_1_name, \"arguments\": {argument_1_name: argument_1_value, argument_2_name: argument_2_value}}</tool_call>\n<tool_call>{\"name\": function_2_name, \"arguments\": {...}}</tool_call>\n...\nNote that if no argument name is specified for a tool, you can just print the argument value directly, without the argument name or JSON formatting."
)

// Render builds the prompt for msgs. tools are JSON tool definitions (as in
// the OpenAI API); nil or empty means none. Unknown roles and malformed JSON
// are errors.
func Render(msgs []Message, tools []json.RawMessage, opts Options) (string, error) {
	var b []byte
	var toolText []byte
	if len(tools) > 0 {
		toolText = append(toolText, toolsHeader...)
		for i, t := range tools {
			toolText = append(toolText, "<tool>"...)
			var err error
			if toolText, err = appendPyJSON(toolText, t); err != nil {
				return "", fmt.Errorf("chat: tools[%d]: %w", i, err)
			}
			toolText = append(toolText, "</tool>\n"...)
		}
		toolText = append(toolText, toolsFooter...)
	}
	for i, m := range msgs {
		content := pyStrip(m.Content)
		if i == 0 && m.Role == "system" {
			b = append(b, "[|system|]\n"...)
			b = append(b, content...)
			if toolText != nil {
				b = append(b, "\n\n"...)
				b = append(b, toolText...)
			}
			b = append(b, "[|endofturn|]\n"...)
			continue
		}
		if i == 0 && toolText != nil {
			b = append(b, "[|system|]\n"...)
			b = append(b, toolText...)
			b = append(b, "[|endofturn|]\n"...)
		}
		switch m.Role {
		case "system", "user":
			b = append(b, "[|"+m.Role+"|]\n"...)
			b = append(b, content...)
			b = append(b, "[|endofturn|]\n"...)
		case "assistant":
			b = append(b, "[|assistant|]\n"...)
			// Earlier reasoning is dropped: only the answer after the
			// last </think> is kept.
			if j := strings.LastIndex(content, "</think>"); j >= 0 {
				content = pyStrip(content[j+len("</think>"):])
			}
			if content != "" {
				b = append(b, emptyThink...)
				b = append(b, content...)
			}
			if len(m.ToolCalls) > 0 {
				if content != "" {
					b = append(b, '\n')
				} else {
					b = append(b, emptyThink...)
				}
				for j, tc := range m.ToolCalls {
					if j > 0 {
						b = append(b, '\n')
					}
					b = append(b, `<tool_call>{"name": "`...)
					b = append(b, tc.Name...)
					b = append(b, `", "arguments": `...)
					args := tc.Arguments
					if len(bytes.TrimSpace(args)) == 0 {
						args = json.RawMessage("{}")
					}
					var err error
					if b, err = appendPyJSON(b, args); err != nil {
						return "", fmt.Errorf("chat: messages[%d].tool_calls[%d].arguments: %w", i, j, err)
					}
					b = append(b, "}</tool_call>"...)
				}
			}
			b = append(b, "[|endofturn|]\n"...)
		case "tool":
			if i == 0 || msgs[i-1].Role != "tool" {
				b = append(b, "[|tool|]\n"...)
			} else {
				b = append(b, '\n')
			}
			b = append(b, `<tool_result>{"result": `...)
			b = appendPyString(b, content)
			b = append(b, "}</tool_result>"...)
			if i == len(msgs)-1 || msgs[i+1].Role != "tool" {
				b = append(b, "[|endofturn|]\n"...)
			}
		default:
			// The template would silently drop the message; an error
			// is more useful than a prompt missing a turn.
			return "", fmt.Errorf("chat: messages[%d]: unknown role %q (want system, user, assistant or tool)", i, m.Role)
		}
	}
	if opts.AddGenerationPrompt {
		b = append(b, "[|assistant|]\n"...)
		if opts.EnableThinking {
			b = append(b, "<think>\n"...)
		} else {
			b = append(b, emptyThink...)
		}
	}
	return string(b), nil
}

// Detect reports whether a chat template (e.g. a GGUF's
// tokenizer.chat_template) is EXAONE 4's, which Render implements: it
// uses EXAONE's role markers together with the <think> block that EXAONE 4
// introduced (EXAONE 3.5 has the markers but no thinking).
func Detect(template string) bool {
	for _, marker := range []string{"[|user|]", "[|assistant|]", "[|endofturn|]", "<think>"} {
		if !strings.Contains(template, marker) {
			return false
		}
	}
	return true
}
