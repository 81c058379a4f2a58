// Package generate turns prompts into text with an EXAONE 4 model: the
// layer that the exaone command, its server and Go programs share.
//
//	m, err := generate.Load("model.gguf") // "" loads the embedded default model
//	...
//	defer m.Close()
//	s, err := m.NewSession(generate.Options{}) // one conversation
//	...
//	defer s.Close()
//	res, err := s.Generate(ctx, &generate.Request{
//		Messages: []chat.Message{{Role: "user", Content: "Hello!"}},
//	}, func(c generate.Chunk) error {
//		fmt.Print(c.Text)
//		return nil
//	})
//
// # What things cost and own
//
// A Model maps the GGUF file read-only: its weights stay in the page cache,
// shared with every other process mapping the file, and cost no heap. It
// holds no goroutines and is never written after Load, so any number of
// Sessions in any goroutines may share one. Close unmaps the file; close
// every Session first.
//
// A Session is one sequence: a KV cache sized for Options.Ctx tokens (see
// DefaultCtx for what a token costs), scratch buffers for Options.Batch
// tokens, and Options.Threads worker goroutines that run its forward
// passes. The workers poll briefly for the next parallel loop after each
// one, then park; Close stops them. A Session runs one Generate at a time.
//
// # Several streams at once
//
// A Batch serves several users: BatchOptions.Slots Sessions, each with its
// own KV cache of BatchOptions.Ctx tokens, sharing one set of scratch
// buffers and one pool of worker threads. Each slot's Generate runs in its
// caller's goroutine as a standalone one does (prefix reuse, stop strings,
// grammars, cancellation alike) but evaluates nothing itself: the batch's
// loop steps all the busy slots together (continuous batching). A step is
// one forward pass with the next token of every generating slot and up to
// BatchOptions.Chunk tokens of the prompts being read (chunked prefill:
// the weights are read once for all the rows, and a long prompt is read
// over several steps instead of holding the others' streams for all of
// it); after it each slot samples with its own sampler and grammar, and
// its token goes to its Generate. A request joins or leaves between two
// steps. The tokens greedy decoding gives are those of a standalone
// Session, unless the kernels' batched products round differently from
// their one-row ones (the quantized int8 tile kernels can, by a last bit).
//
// # Conversations and the cache
//
// Generate renders Request.Messages in the EXAONE 4 chat format exactly as
// the official template does (tools in the system turn, earlier turns'
// reasoning dropped, tool results in [|tool|] turns), tokenizes it and
// evaluates only what follows the longest prefix the Session already holds:
// append the Result's Message and the next user turn to the conversation,
// and the next call evaluates just those. Result.CachedTokens says how many
// prompt tokens were reused. A sliding-window layer keeps only the last
// window of positions, so going back further than that (editing an early
// turn of a long chat) evaluates the prompt again from the start.
//
// # Output as data
//
// EXAONE 4 reasons inside <think>...</think>, but with thinking on the
// prompt opens the block and the model only writes the closing tag; the
// parser therefore starts inside the reasoning. Tool calls are written as
// <tool_call>{"name": ..., "arguments": ...}</tool_call>, one or several per
// turn; each arrives as a Chunk with ToolCall set and ends up in
// Result.ToolCalls, and a turn that ends after calls stops with
// StopToolCalls. A call that is not well-formed JSON with a name is passed
// on as text, tags included, never as an error. Control tokens never reach
// the text, and a chunk never ends inside a UTF-8 character, a tag or a
// possible stop string.
//
// # Structured output
//
// Request.Grammar (grammar.CompileSchema, grammar.JSON) constrains the
// answer to the documents a JSON Schema accepts; Request.ToolChoice
// ("required" or a tool's name) constrains it to one <tool_call> of the
// Tools with arguments valid for that tool's parameters (ToolCallGrammar).
// With Think the model reasons unconstrained until it writes </think>.
// Each answer step masks the logits before the sampler chain (grammar
// first, as llama.cpp): tokens that would leave the grammar are never
// drawn, the end of turn only where the document is complete, and the
// output ends as soon as nothing but the end can follow. The document
// arrives as Text chunks as it is written; a tool call as one ToolCall
// chunk. The mask walks a trie of the vocabulary that the Model builds
// once, on first use (~200 ms for 102,400 tokens), and shares between
// Sessions. Schemas the grammar cannot express fail with ErrBadRequest
// wrapping grammar.ErrUnsupported, naming the keyword: never a silently
// unconstrained run.
//
// # Errors
//
// Problems with a Request are ErrBadRequest; a prompt longer than the
// context is ErrContextFull; Options that cannot work are the model
// package's option errors. Cancelling the context stops Generate between
// two prompt batches or two tokens, with the context's error and a Result
// (Stop == StopCancelled) holding what was generated so far. Generate never
// panics on bad input.
package generate
