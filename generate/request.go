package generate

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/exaone-go/exaone/grammar"
	"github.com/exaone-go/exaone/model"
	"github.com/exaone-go/exaone/sampler"
	"github.com/exaone-go/exaone/tokenizer/chat"
)

// Errors that callers tell apart with errors.Is.
var (
	// ErrBadRequest wraps every problem with a Request: the fields that
	// conflict or are out of range, named as in Request.
	ErrBadRequest = errors.New("bad request")
	// ErrContextFull: the prompt does not fit the session's context. It
	// is the model package's error, so either package's test matches.
	ErrContextFull = model.ErrContextFull
)

// Request is one generation: a conversation or a raw prompt, and how to
// continue it.
type Request struct {
	// Messages is the conversation, rendered in the EXAONE 4 chat format
	// with the assistant's turn opened. Earlier assistant turns' reasoning
	// is dropped, as the official template does.
	Messages []chat.Message
	// Tools are tool definitions in the OpenAI shape
	// ({"type": "function", "function": {...}}), written into the system
	// turn as the official template does.
	Tools []json.RawMessage
	// Think opens a reasoning block: the model reasons, writes </think>,
	// then answers. Off, the prompt carries an empty block (EXAONE 4's
	// non-reasoning mode).
	Think bool

	// Prompt is a raw completion prompt, used instead of Messages: it is
	// tokenized as it stands (special-token texts become their tokens) and
	// the output is plain text, with no reasoning or tool-call parsing.
	Prompt string

	// MaxTokens bounds the generated tokens; <= 0 means until the end of
	// the turn or a full context.
	MaxTokens int
	// Stop strings end the generation where they first appear in the
	// generated text; the stop string itself is not returned.
	Stop []string
	// Sampling is the sampler chain's settings. Nil means
	// sampler.DefaultParams with a random seed; a non-nil value is used as
	// it stands, Seed included (so 0 is a seed like any other).
	Sampling *sampler.Params
	// IgnoreEOS keeps generating past the end-of-turn token (which is then
	// never sampled), up to MaxTokens or a full context. Under Grammar or
	// ToolChoice the grammar decides where the output ends.
	IgnoreEOS bool

	// Grammar constrains the answer to the documents it accepts (see
	// grammar.CompileSchema, grammar.JSON): with Think the model reasons
	// freely and the constraint starts after </think>. The answer is the
	// document, as Text chunks, and generation ends when it is complete.
	Grammar *grammar.Grammar
	// ToolChoice "required" constrains the answer to one call of one of
	// Tools, with arguments valid for its parameters schema; the name of a
	// tool constrains it to a call of that tool. "", "auto" and "none"
	// leave the model free (for "none", leave out Tools).
	ToolChoice string
}

func (r *Request) check() error {
	switch {
	case len(r.Messages) > 0 && r.Prompt != "":
		return fmt.Errorf("%w: give either messages or a prompt, not both", ErrBadRequest)
	case len(r.Messages) == 0 && r.Prompt == "":
		return fmt.Errorf("%w: no messages and no prompt", ErrBadRequest)
	case r.Prompt != "" && (len(r.Tools) > 0 || r.Think):
		return fmt.Errorf("%w: tools and thinking need messages, not a raw prompt", ErrBadRequest)
	}
	for i, s := range r.Stop {
		if s == "" {
			return fmt.Errorf("%w: stop[%d] is empty", ErrBadRequest, i)
		}
	}
	_, err := r.constraint()
	return err
}

// StopReason says why a generation ended.
type StopReason int

const (
	// StopEndOfTurn: the model ended its turn.
	StopEndOfTurn StopReason = iota
	// StopToolCalls: the model ended its turn after calling tools.
	StopToolCalls
	// StopLength: MaxTokens were generated.
	StopLength
	// StopString: one of the Request's stop strings appeared.
	StopString
	// StopContextFull: the context filled up.
	StopContextFull
	// StopCancelled: the context was cancelled or the callback failed.
	StopCancelled
)

var stopNames = [...]string{"end of turn", "tool calls", "length", "stop string", "context full", "cancelled"}

func (r StopReason) String() string {
	if r >= 0 && int(r) < len(stopNames) {
		return stopNames[r]
	}
	return fmt.Sprintf("StopReason(%d)", int(r))
}

// Chunk is a piece of streamed output; exactly one field is set.
type Chunk struct {
	// Text is answer text (or, for a raw prompt, the completion).
	Text string
	// Reasoning is text of the reasoning block.
	Reasoning string
	// ToolCall is a complete, well-formed tool call.
	ToolCall *chat.ToolCall
}

// Result is a finished generation: the whole output, why it stopped, and
// its counts and timings.
type Result struct {
	Text      string
	Reasoning string
	ToolCalls []chat.ToolCall
	Stop      StopReason
	// StopString is the stop string found, with Stop == StopString.
	StopString string
	// Tokens are the sampled token ids, in order (the end-of-turn token
	// included when it ended the turn).
	Tokens []int

	// PromptTokens is the prompt's length in tokens, CachedTokens how many
	// of them were already in the KV cache from the previous call (so only
	// PromptTokens - CachedTokens were evaluated), GeneratedTokens the
	// tokens sampled (the end-of-turn token included).
	PromptTokens, CachedTokens, GeneratedTokens int
	// PromptTime is the time spent evaluating the prompt, GenerateTime
	// the time from then to the end.
	PromptTime, GenerateTime time.Duration
}

// Message returns the result as the assistant turn to append to the
// conversation for the next request.
func (r *Result) Message() chat.Message {
	return chat.Message{Role: "assistant", Content: r.Text, ToolCalls: r.ToolCalls}
}
