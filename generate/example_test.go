package generate_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"strings"
	"sync"

	"github.com/exaone-go/exaone/generate"
	"github.com/exaone-go/exaone/sampler"
	"github.com/exaone-go/exaone/tokenizer/chat"
)

// Generate a reply and stream it as it is sampled. (tinyChat is the path
// of a small chat model converted to GGUF by the tests; "" would load the
// embedded default model.)
func Example() {
	m, err := generate.Load(tinyChat)
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	s, err := m.NewSession(generate.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	greedy := sampler.Greedy() // the most likely token each time
	req := &generate.Request{
		Messages: []chat.Message{{Role: "user", Content: "What is 23 plus 19?"}},
		Sampling: &greedy,
	}
	res, err := s.Generate(context.Background(), req, func(c generate.Chunk) error {
		fmt.Print(c.Text)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("\n[%s after %d tokens]\n", res.Stop, res.GeneratedTokens)
	// Output:
	// 23 plus 19 is 42.
	// [end of turn after 9 tokens]
}

// A conversation of two turns: the second request repeats the first and
// adds the reply and a new question, and only the new tokens are evaluated.
func Example_chat() {
	m, err := generate.Load(tinyChat)
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	s, err := m.NewSession(generate.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	greedy := sampler.Greedy() // the most likely token each time
	req := &generate.Request{Sampling: &greedy}
	for _, question := range []string{"Reply with exactly: amen", "What is the capital of Japan?"} {
		req.Messages = append(req.Messages, chat.Message{Role: "user", Content: question})
		res, err := s.Generate(context.Background(), req, nil)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s (%d of %d prompt tokens cached)\n", res.Text, res.CachedTokens, res.PromptTokens)
		req.Messages = append(req.Messages, res.Message())
	}
	// Output:
	// amen (0 of 18 prompt tokens cached)
	// The capital of Japan is Tokyo. (17 of 42 prompt tokens cached)
}

// A tool call round trip: the model calls a tool, the program runs it and
// sends the result back in a tool message.
func Example_toolCall() {
	m, err := generate.Load(tinyChat)
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	s, err := m.NewSession(generate.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	tool := json.RawMessage(`{"type": "function", "function": {"name": "add_numbers", "description": "Add two integers",
		"parameters": {"type": "object", "required": ["a", "b"], "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}}}}`)
	greedy := sampler.Greedy() // the most likely token each time
	req := &generate.Request{
		Messages: []chat.Message{{Role: "user", Content: "Use the tool to add 421 and 377."}},
		Tools:    []json.RawMessage{tool},
		Sampling: &greedy,
	}
	res, err := s.Generate(context.Background(), req, nil)
	if err != nil {
		log.Fatal(err)
	}
	req.Messages = append(req.Messages, res.Message())
	for _, call := range res.ToolCalls {
		fmt.Printf("call %s(%s)\n", call.Name, call.Arguments)
		var args struct{ A, B int }
		if err := json.Unmarshal(call.Arguments, &args); err != nil {
			log.Fatal(err)
		}
		req.Messages = append(req.Messages, chat.Message{Role: "tool", Content: fmt.Sprint(args.A + args.B)})
	}
	// This tiny model answers a tool result with another call; a real one
	// would usually answer in text.
	res, err = s.Generate(context.Background(), req, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d calls, text %q\n", res.Stop, len(res.ToolCalls), res.Text)
	// Output:
	// call add_numbers({"a":421,"b":377})
	// tool calls: 1 calls, text ""
}

// Cancelling the context stops a generation between two tokens; the Result
// holds what was generated until then.
func Example_cancel() {
	m, err := generate.Load(tinyChat)
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	s, err := m.NewSession(generate.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	greedy := sampler.Greedy() // the most likely token each time
	req := &generate.Request{
		Messages: []chat.Message{{Role: "user", Content: "What is 23 plus 19?"}},
		Sampling: &greedy,
	}
	var seen strings.Builder
	res, err := s.Generate(ctx, req, func(c generate.Chunk) error {
		if seen.WriteString(c.Text); strings.Contains(seen.String(), "plus") {
			cancel() // enough: a user pressed stop, or the client went away
		}
		return nil
	})
	fmt.Printf("%v, %s: %q\n", errors.Is(err, context.Canceled), res.Stop, res.Text)
	// Output:
	// true, cancelled: "23 plus"
}

// Several conversations at once: a Batch's Sessions are used as standalone
// ones, each in its own goroutine, and the batch evaluates them together,
// one token of each per forward pass.
func ExampleBatch() {
	m, err := generate.Load(tinyChat)
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	b, err := m.NewBatch(generate.BatchOptions{Slots: 2, Ctx: 1024})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()

	greedy := sampler.Greedy()
	questions := []string{"What is 23 plus 19?", "What is the capital of Japan?"}
	answers := make([]string, len(questions))
	var wg sync.WaitGroup
	for i, s := range b.Sessions() {
		wg.Go(func() {
			res, err := s.Generate(context.Background(), &generate.Request{
				Messages: []chat.Message{{Role: "user", Content: questions[i]}},
				Sampling: &greedy,
			}, nil)
			if err != nil {
				log.Fatal(err)
			}
			answers[i] = res.Text
		})
	}
	wg.Wait()
	for _, a := range answers {
		fmt.Println(a)
	}
	// Output:
	// 23 plus 19 is 42.
	// The capital of Japan is Tokyo.
}
