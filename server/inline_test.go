package server

import (
	"encoding/json"
	"testing"

	"github.com/exaone-go/exaone/generate"
	"github.com/exaone-go/exaone/tokenizer/chat"
)

// With --reasoning-format none the reasoning goes back inline, and its
// closing tag comes before whatever follows it: text or a tool call.
func TestInlineReasoning(t *testing.T) {
	call := &chat.ToolCall{Name: "f", Arguments: json.RawMessage(`{}`)}
	for _, c := range []struct {
		in   []generate.Chunk
		want string // text, with [call] for a tool call
	}{
		{[]generate.Chunk{{Reasoning: "a"}, {Reasoning: "b"}, {Text: "c"}}, "<think>\nab\n</think>\n\nc"},
		{[]generate.Chunk{{Reasoning: "a"}, {ToolCall: call}, {Text: "c"}}, "<think>\na\n</think>\n\n[call]c"},
		{[]generate.Chunk{{Text: "c"}, {ToolCall: call}}, "c[call]"},
	} {
		var in inline
		got := ""
		for _, ch := range c.in {
			for _, out := range in.chunk(ch) {
				if out.ToolCall != nil {
					got += "[call]"
				}
				got += out.Text
			}
		}
		if got != c.want {
			t.Errorf("%+v: got %q, want %q", c.in, got, c.want)
		}
	}
}
