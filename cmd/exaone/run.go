package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/exaone-go/exaone/asm"
	"github.com/exaone-go/exaone/generate"
	"github.com/exaone-go/exaone/grammar"
	"github.com/exaone-go/exaone/model"
	"github.com/exaone-go/exaone/sampler"
	"github.com/exaone-go/exaone/tokenizer/chat"
)

func init() {
	d := sampler.DefaultParams()
	commands = append(commands, &cli.Command{
		Name:      "run",
		Usage:     "generate text from a prompt, or chat (like llama-cli / ollama run)",
		ArgsUsage: "[model.gguf] [prompt]",
		Description: "Without -m the bundled tiny-hybrid-kjv model is used (a small model trained on the King James\n" +
			"Bible: it continues text, it does not really chat).\n\n" +
			"A prompt from -p, -f, the arguments or standard input (when it is not a terminal) is completed\n" +
			"as raw text by default (llama-completion style; the prompt is echoed): base models and the\n" +
			"bundled model are most useful that way. --chat (implied by -sys and --think) sends the prompt\n" +
			"as one user turn in the model's chat format instead and prints only the reply.\n\n" +
			"With no prompt and a terminal on standard input, or with -i, run is an interactive chat with\n" +
			"line editing and history: /clear forgets the conversation, /exit or /bye (or Ctrl-D) quits,\n" +
			"/set parameter NAME VALUE changes a sampling setting (ollama's names), /set think|nothink,\n" +
			"/show prints the model and the settings, /help lists the commands; \"\"\" starts a multi-line\n" +
			"message and a line ending in \\ continues on the next line. Ctrl-C stops a reply (and prints\n" +
			"the stats), clears the line at the prompt; a second Ctrl-C during a reply exits.\n\n" +
			"Text inputs (-f, -sysf, standard input) are limited to 64 MiB; -t is capped at the CPUs of\n" +
			"the machine. A one-shot run stopped by Ctrl-C exits with status 130.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "model", Aliases: []string{"m"}, Usage: "GGUF `FILE` (default: the bundled tiny-hybrid-kjv)"},
			&cli.StringFlag{Name: "prompt", Aliases: []string{"p"}, Usage: "prompt `TEXT`"},
			&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Usage: "read the prompt from `FILE`"},
			&cli.StringFlag{Name: "system-prompt", Aliases: []string{"sys"}, Usage: "system message `TEXT` (implies --chat)"},
			&cli.StringFlag{Name: "system-prompt-file", Aliases: []string{"sysf"}, Usage: "read the system message from `FILE` (implies --chat)"},
			&cli.BoolFlag{Name: "escape", Aliases: []string{"e"}, Usage: "process escapes (\\n, \\t, \\\\, \\\", \\xHH ...) in the prompt, system prompt and reverse prompts"},
			&cli.StringSliceFlag{Name: "reverse-prompt", Aliases: []string{"r"}, Usage: "stop generating when the text ends with `TEXT` (repeatable)"},
			&cli.IntFlag{Name: "predict", Aliases: []string{"n", "n-predict"}, Value: -1, Usage: "generate at most `N` tokens (-1: until end of turn or full context)"},
			&cli.IntFlag{Name: "ctx-size", Aliases: []string{"c"}, Usage: "context size in tokens (0: the model's, at most 4096)"},
			&cli.IntFlag{Name: "threads", Aliases: []string{"t"}, Usage: "worker threads (0: physical cores)"},
			&cli.IntFlag{Name: "batch-size", Aliases: []string{"b"}, Value: 512, Usage: "prompt tokens per forward pass"},
			&cli.Int64Flag{Name: "seed", Aliases: []string{"s"}, Value: -1, Usage: "random seed (-1: random)"},
			&cli.Float64Flag{Name: "temp", Aliases: []string{"temperature"}, Value: f64(d.Temperature), Usage: "temperature (0: greedy)"},
			&cli.IntFlag{Name: "top-k", Value: d.TopK, Usage: "keep the K most likely tokens (0: off)"},
			&cli.Float64Flag{Name: "top-p", Value: f64(d.TopP), Usage: "nucleus sampling mass (1: off)"},
			&cli.Float64Flag{Name: "min-p", Value: f64(d.MinP), Usage: "drop tokens below this fraction of the best one's probability (0: off)"},
			&cli.Float64Flag{Name: "repeat-penalty", Value: f64(d.RepeatPenalty), Usage: "penalise repeated tokens (1: off)"},
			&cli.IntFlag{Name: "repeat-last-n", Value: d.RepeatLastN, Usage: "tokens the penalties look back on (0: off, -1: all)"},
			&cli.Float64Flag{Name: "presence-penalty", Value: f64(d.PresencePenalty), Usage: "subtracted once from every repeated token"},
			&cli.Float64Flag{Name: "frequency-penalty", Value: f64(d.FrequencyPenalty), Usage: "subtracted per repetition"},
			&cli.BoolFlag{Name: "ignore-eos", Usage: "never end at the end-of-turn token"},
			&cli.StringFlag{Name: "json-schema", Aliases: []string{"j"}, Usage: "constrain the output (the answer, after any reasoning) to JSON valid for the JSON Schema `FILE|JSON` ('{}': any JSON value)"},
			&cli.BoolFlag{Name: "chat", Usage: "send the prompt as a chat turn instead of completing it"},
			&cli.BoolFlag{Name: "raw", Aliases: []string{"no-cnv"}, Usage: "complete the prompt as plain text (the default for a prompt)"},
			&cli.BoolFlag{Name: "interactive", Aliases: []string{"i", "cnv"}, Usage: "interactive chat (after the prompt, if one is given)"},
			&cli.BoolFlag{Name: "think", Usage: "reasoning mode: the model thinks in a <think> block before answering"},
			&cli.StringFlag{Name: "reasoning", Aliases: []string{"rea"}, Usage: "`on` or off: --think by another name (llama.cpp's spelling)"},
			&cli.BoolFlag{Name: "hide-thinking", Aliases: []string{"hidethinking"}, Usage: "do not print the <think> block"},
			&cli.BoolFlag{Name: "no-display-prompt", Usage: "do not echo the prompt of a raw completion"},
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "print kernels, KV cache size, load time, timings and the seed"},
		}, cacheTypeFlags()...),
		Action: func(c *cli.Context) error { return oneLine(runRun(c)) },
	})
}

type runOptions struct {
	model, system       string
	prompt              string
	havePrompt          bool
	n, ctx, threads     int
	batch               int
	cacheK, cacheV      model.CacheType
	params              sampler.Params
	ignoreEOS, chatMode bool
	interactive         bool
	think, hideThinking bool
	displayPrompt       bool
	verbose             bool
	reverse             []string
	grammar             *grammar.Grammar
}

func runRun(c *cli.Context) error {
	o := &runOptions{
		model: c.String("model"), system: c.String("system-prompt"),
		n: c.Int("predict"), ctx: c.Int("ctx-size"), threads: c.Int("threads"), batch: c.Int("batch-size"),
		ignoreEOS: c.Bool("ignore-eos"), interactive: c.Bool("interactive"),
		think: c.Bool("think"), hideThinking: c.Bool("hide-thinking"),
		displayPrompt: !c.Bool("no-display-prompt"), verbose: c.Bool("verbose"),
	}
	o.params = sampler.Params{
		Temperature: float32(c.Float64("temp")), TopK: c.Int("top-k"), TopP: float32(c.Float64("top-p")),
		MinP: float32(c.Float64("min-p")), RepeatPenalty: float32(c.Float64("repeat-penalty")),
		RepeatLastN: c.Int("repeat-last-n"), PresencePenalty: float32(c.Float64("presence-penalty")),
		FrequencyPenalty: float32(c.Float64("frequency-penalty")),
	}
	if err := o.params.Validate(); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	var err error
	if o.threads, err = checkThreads(o.threads, c.App.ErrWriter); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if o.cacheK, o.cacheV, err = cacheTypes(c); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if o.n < -1 {
		return fmt.Errorf("run: -n %d: the token count must not be negative (-1: no limit)", o.n)
	}
	if c.IsSet("reasoning") {
		switch v := strings.ToLower(c.String("reasoning")); {
		case v == "on" && (!c.IsSet("think") || o.think):
			o.think = true
		case v == "off" && !o.think:
		case v == "on" || v == "off":
			return errors.New("run: --reasoning and --think disagree")
		default:
			return fmt.Errorf("run: --reasoning %q: want on or off", c.String("reasoning"))
		}
	}
	if c.IsSet("system-prompt-file") {
		if c.IsSet("system-prompt") {
			return errors.New("run: give either -sys or -sysf, not both")
		}
		text, err := readTextFile(c.String("system-prompt-file"))
		if err != nil {
			return err
		}
		o.system = trimNewline(text)
	}
	if c.IsSet("json-schema") {
		if o.grammar, err = jsonSchemaFlag(c.String("json-schema")); err != nil {
			return err
		}
	}
	o.reverse = c.StringSlice("reverse-prompt")
	if c.Bool("escape") {
		o.system = processEscapes(o.system)
		for i := range o.reverse {
			o.reverse[i] = processEscapes(o.reverse[i])
		}
	}
	for _, rp := range o.reverse {
		if rp == "" {
			return errors.New("run: -r: the reverse prompt is empty")
		}
	}
	if s := c.Int64("seed"); s >= 0 {
		o.params.Seed = uint64(s)
	} else {
		o.params.Seed = rand.Uint64() >> 1 // positive, so it can be given back to -s
	}
	hasSystem := c.IsSet("system-prompt") || c.IsSet("system-prompt-file")
	if c.Bool("raw") && (c.Bool("chat") || hasSystem || o.think) {
		return errors.New("run: --raw cannot be combined with --chat, -sys or --think")
	}
	o.chatMode = c.Bool("chat") || hasSystem || o.think
	if o.batch < 1 {
		return fmt.Errorf("run: batch size %d must be positive", o.batch)
	}
	if o.ctx < 0 {
		return fmt.Errorf("run: context size %d must not be negative", o.ctx)
	}

	stdin, stdout, stderr := c.App.Reader, c.App.Writer, c.App.ErrWriter
	args := c.Args().Slice()
	// Flag parsing stops at the first argument, so a flag after it would
	// silently become part of the prompt.
	for _, a := range args {
		if len(a) > 1 && a[0] == '-' {
			return fmt.Errorf("run: %s after the prompt argument: put flags first (or give the prompt with -p)", a)
		}
	}
	// ollama's form: run MODEL [PROMPT].
	if len(args) > 0 && o.model == "" && strings.HasSuffix(strings.ToLower(args[0]), ".gguf") {
		o.model, args = args[0], args[1:]
	}
	switch {
	case c.IsSet("prompt") && c.IsSet("file"):
		return errors.New("run: give either -p or -f, not both")
	case c.IsSet("prompt"):
		if len(args) > 0 {
			return fmt.Errorf("run: unexpected argument %q (the prompt is already given with -p)", args[0])
		}
		o.prompt, o.havePrompt = c.String("prompt"), true
		if err := checkText([]byte(o.prompt), "the prompt"); err != nil {
			return err
		}
	case c.IsSet("file"):
		if len(args) > 0 {
			return fmt.Errorf("run: unexpected argument %q (the prompt is read from -f)", args[0])
		}
		text, err := readTextFile(c.String("file"))
		if err != nil {
			return err
		}
		o.prompt, o.havePrompt = trimNewline(text), true
	case len(args) > 0:
		o.prompt, o.havePrompt = strings.Join(args, " "), true
		if err := checkText([]byte(o.prompt), "the prompt"); err != nil {
			return err
		}
	case !o.interactive && !isTerminalReader(stdin):
		text, err := readText(stdin, "standard input")
		if err != nil {
			return err
		}
		o.prompt, o.havePrompt = trimNewline(text), true
	default:
		o.interactive = true
	}
	if c.Bool("escape") {
		o.prompt = processEscapes(o.prompt)
	}

	lm, err := loadModel(o.model)
	if err != nil {
		return err
	}
	defer lm.Close()
	r, err := newRunner(lm, o, stdout, stderr)
	if err != nil {
		return err
	}
	defer r.close()
	// Once standard output fails, nothing generated can arrive: stop.
	if cw, ok := c.App.Writer.(*checkedWriter); ok {
		cw.setOnErr(r.intr.haltAll)
	}
	if o.interactive {
		return r.interactive(newLineReader(stdin, c.App.Writer))
	}
	return r.oneShot()
}

// f64 widens a float32 setting to the float64 with the same shortest
// decimal form, so help shows 0.8 rather than 0.800000011920929.
func f64(x float32) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
	return v
}

// trimNewline drops the one newline that ends a text file (as llama.cpp
// does for -f): it is the file's ending, not part of the prompt.
func trimNewline(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return strings.TrimSuffix(s, "\r")
}

func isTerminalReader(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && isTerminal(f)
}

// runner holds a generation session; the session keeps the conversation's
// tokens in its KV cache, so a chat turn only evaluates what is new.
type runner struct {
	lm       *loadedModel
	o        *runOptions
	s        *generate.Session
	out, log io.Writer
	intr     *interrupter
	turn     uint64 // replies so far, to vary the seed between turns
}

func newRunner(lm *loadedModel, o *runOptions, out, log io.Writer) (*runner, error) {
	s, err := lm.gm.NewSession(generate.Options{Ctx: o.ctx, Batch: o.batch, Threads: o.threads, CacheTypeK: o.cacheK, CacheTypeV: o.cacheV})
	if err != nil {
		return nil, err
	}
	r := &runner{lm: lm, o: o, s: s, out: out, log: log}
	r.intr = newInterrupter(log)
	if o.verbose {
		threads := s.Decoder().Threads()
		fmt.Fprintf(log, "model: %s (%d layers, %d hidden, vocab %d)\n", lm.path, lm.m.Config.Layers, lm.m.Embd, lm.m.Vocab)
		fmt.Fprintf(log, "kernels: %s, threads: %d, context: %d, batch: %d\n", asm.Path(), threads, s.Ctx(), o.batch)
		fmt.Fprintln(log, kvLine(s.Decoder()))
		fmt.Fprintf(log, "load time: %.1f ms\n", ms(lm.loadTime))
		fmt.Fprintln(log, kvReport(s.Decoder()))
		fmt.Fprintf(log, "seed: %d\n", o.params.Seed)
	}
	return r, nil
}

func (r *runner) close() {
	r.intr.stop()
	r.s.Close()
}

// reply generates one reply to req, streaming it to out, and reports its
// stats. It returns the result and whether the user interrupted it.
func (r *runner) reply(req *generate.Request) (generate.Result, bool, error) {
	params := r.o.params
	// Each turn draws from its own stream: a sampler starts from its seed,
	// and replaying the same draws every turn would repeat choices.
	params.Seed += r.turn
	r.turn++
	req.Sampling, req.IgnoreEOS, req.Stop = &params, r.o.ignoreEOS, r.o.reverse
	req.MaxTokens = max(r.o.n, 0)
	w := &replyWriter{out: r.out, think: req.Think, hide: r.o.hideThinking}
	ctx := r.intr.begin()
	res, err := r.s.Generate(ctx, req, w.chunk)
	r.intr.end()
	interrupted := errors.Is(err, context.Canceled)
	if interrupted || errors.Is(err, errOutputFailed) {
		err = nil
	}
	if err == nil {
		w.end(&res)
	}
	fmt.Fprintln(r.out)
	if err != nil {
		return res, false, err
	}
	r.report(&res, interrupted)
	return res, interrupted, nil
}

// errOutputFailed stops a generation whose text cannot be written: the
// command then fails on the write error it remembered.
var errOutputFailed = errors.New("standard output failed")

// replyWriter prints a reply's chunks: the reasoning inside a <think>
// block (or nothing, with hide), the answer, and tool calls in the
// model's own notation.
type replyWriter struct {
	out            io.Writer
	think, hide    bool
	opened, closed bool
	wroteReasoning bool
}

func (w *replyWriter) write(s string) error {
	if _, err := io.WriteString(w.out, s); err != nil {
		return errOutputFailed
	}
	return nil
}

// open starts the reasoning block once: a reasoning prompt opened it, so it
// is shown even before the model writes into it.
func (w *replyWriter) open() error {
	if w.opened || w.hide {
		return nil
	}
	w.opened = true
	return w.write("<think>\n")
}

func (w *replyWriter) close() error {
	if !w.opened || w.closed {
		return nil
	}
	w.closed = true
	return w.write("\n</think>\n\n")
}

func (w *replyWriter) chunk(c generate.Chunk) error {
	if c.Reasoning != "" {
		if w.hide {
			return nil
		}
		if err := w.open(); err != nil {
			return err
		}
		return w.write(c.Reasoning)
	}
	if w.think {
		if err := w.open(); err != nil {
			return err
		}
	}
	if err := w.close(); err != nil {
		return err
	}
	if c.ToolCall != nil {
		return w.write("<tool_call>{\"name\": " + strconv.Quote(c.ToolCall.Name) + ", \"arguments\": " + string(c.ToolCall.Arguments) + "}</tool_call>")
	}
	return w.write(c.Text)
}

// end finishes the output: a reasoning block that was opened but got no
// answer is left open, as the model left it; a reverse prompt is shown,
// as llama.cpp shows it.
func (w *replyWriter) end(res *generate.Result) {
	if w.think && res.GeneratedTokens > 0 && res.Reasoning == "" {
		w.open()
	}
	if res.Stop == generate.StopString {
		w.write(res.StopString)
	}
}

func (r *runner) report(res *generate.Result, interrupted bool) {
	if res.Stop == generate.StopContextFull {
		fmt.Fprintf(r.log, "\n[context full: all %d tokens of the context are used; stopping (raise -c, or /clear in a chat)]\n", r.s.Ctx())
	}
	if interrupted {
		fmt.Fprintln(r.log, "\n[interrupted]")
	}
	evaluated := res.PromptTokens - res.CachedTokens
	fmt.Fprintf(r.log, "[ Prompt: %.1f t/s | Generation: %.1f t/s ]\n",
		rate(evaluated, res.PromptTime), rate(res.GeneratedTokens, res.GenerateTime))
	if r.o.verbose {
		fmt.Fprintf(r.log, "prompt: %d tokens in %.1f ms (%.1f t/s)\n", evaluated, ms(res.PromptTime), rate(evaluated, res.PromptTime))
		fmt.Fprintf(r.log, "generation: %d tokens in %.1f ms (%.1f t/s), stopped by %s\n", res.GeneratedTokens, ms(res.GenerateTime), rate(res.GeneratedTokens, res.GenerateTime), reason(res, interrupted))
		if m := memoryReport(); m != "" {
			fmt.Fprintln(r.log, m)
		}
	}
}

func reason(res *generate.Result, interrupted bool) string {
	switch {
	case interrupted:
		return "interrupt"
	case res.Stop == generate.StopString:
		return "reverse prompt"
	case res.Stop == generate.StopEndOfTurn, res.Stop == generate.StopToolCalls:
		return "end of turn"
	case res.Stop == generate.StopContextFull:
		return "full context"
	}
	return "token limit (-n)"
}

func rate(n int, d time.Duration) float64 {
	if n == 0 || d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (r *runner) oneShot() error {
	req := &generate.Request{Think: r.o.chatMode && r.o.think, Grammar: r.o.grammar}
	if r.o.chatMode {
		req.Messages = r.conversation(r.o.prompt)
	} else {
		req.Prompt = r.o.prompt
		if r.o.displayPrompt {
			io.WriteString(r.out, r.o.prompt)
		}
	}
	if r.o.n == 0 {
		fmt.Fprintln(r.out)
		return nil
	}
	_, interrupted, err := r.reply(req)
	if err != nil {
		return contextFull(err)
	}
	if interrupted {
		// As llama.cpp: the stats are printed, the status says Ctrl-C.
		return exitError{code: 130}
	}
	return nil
}

// jsonSchemaFlag reads -j: a JSON Schema given inline (as llama.cpp's -j)
// or a file holding one.
func jsonSchemaFlag(v string) (*grammar.Grammar, error) {
	schema := strings.TrimSpace(v)
	if schema == "" {
		return nil, errors.New("run: --json-schema: empty")
	}
	if schema[0] != '{' && schema != "true" {
		text, err := readTextFile(v)
		if err != nil {
			return nil, fmt.Errorf("run: --json-schema: %w", err)
		}
		schema = text
	}
	g, err := grammar.CompileSchema([]byte(schema))
	if err != nil {
		return nil, fmt.Errorf("run: --json-schema: %w", err)
	}
	return g, nil
}

func contextFull(err error) error {
	if errors.Is(err, generate.ErrContextFull) {
		return fmt.Errorf("%v (raise -c)", err)
	}
	return err
}

// conversation starts the messages: the system prompt, if any, then user.
func (r *runner) conversation(user ...string) []chat.Message {
	var msgs []chat.Message
	if r.o.system != "" {
		msgs = append(msgs, chat.Message{Role: "system", Content: r.o.system})
	}
	for _, u := range user {
		msgs = append(msgs, chat.Message{Role: "user", Content: u})
	}
	return msgs
}

func (r *runner) interactive(in lineReader) error {
	msgs := r.conversation()
	base := len(msgs)
	fmt.Fprintf(r.log, "chat with %s (/help for commands). Ctrl-C stops a reply.\n", r.lm.path)
	first := r.o.prompt
	for {
		var text string
		if r.o.havePrompt && first != "" {
			text, first = first, ""
		} else {
			var err error
			text, err = readMessage(in)
			switch {
			case errors.Is(err, errLineCleared):
				fmt.Fprintln(r.out, "[Ctrl-D or /bye to exit]")
				continue
			case err == io.EOF:
				io.WriteString(r.out, "\n")
				return nil
			case err != nil:
				return err
			}
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		// Any line starting with / is a command: a mistyped one is
		// refused rather than sent to the model as a message.
		if strings.HasPrefix(text, "/") {
			done, cleared := r.chatCommand(text)
			if done {
				return nil
			}
			if cleared {
				msgs = msgs[:base]
				r.s.Reset()
			}
			continue
		}
		msgs = append(msgs, chat.Message{Role: "user", Content: text})
		if r.o.n == 0 {
			fmt.Fprintln(r.out)
			continue
		}
		res, _, err := r.reply(&generate.Request{Messages: msgs, Think: r.o.think, Grammar: r.o.grammar})
		if errors.Is(err, generate.ErrContextFull) {
			msgs = msgs[:len(msgs)-1]
			fmt.Fprintf(r.out, "[%v; /clear to start over]\n", err)
			continue
		}
		if err != nil {
			return err
		}
		if r.intr.halted() {
			return nil // the output failed: the command reports it
		}
		msgs = append(msgs, res.Message())
	}
}

// interrupter turns the first Ctrl-C during a generation into cancelling
// it; a Ctrl-C at any other time, or a second one, exits.
type interrupter struct {
	ch     chan os.Signal
	mu     sync.Mutex
	cancel context.CancelFunc // of the generation running, or nil
	halt   atomic.Bool        // standard output failed: stop every reply
	done   chan struct{}
}

func newInterrupter(log io.Writer) *interrupter {
	it := &interrupter{ch: make(chan os.Signal, 2), done: make(chan struct{})}
	signal.Notify(it.ch, os.Interrupt)
	go func() {
		for {
			select {
			case <-it.done:
				return
			case <-it.ch:
				it.mu.Lock()
				cancel := it.cancel
				it.cancel = nil
				it.mu.Unlock()
				if cancel != nil {
					cancel()
					continue
				}
				fmt.Fprintln(log, "\n[interrupted]")
				os.Exit(130)
			}
		}
	}()
	return it
}

// begin starts a generation and returns its context, cancelled by Ctrl-C
// or by a failure of standard output.
func (it *interrupter) begin() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	if it.halt.Load() {
		cancel()
	}
	it.mu.Lock()
	it.cancel = cancel
	it.mu.Unlock()
	return ctx
}

func (it *interrupter) end() {
	it.mu.Lock()
	if it.cancel != nil {
		it.cancel()
	}
	it.cancel = nil
	it.mu.Unlock()
}

// haltAll stops the running generation and every later one.
func (it *interrupter) haltAll() {
	it.halt.Store(true)
	it.mu.Lock()
	if it.cancel != nil {
		it.cancel()
	}
	it.mu.Unlock()
}

func (it *interrupter) halted() bool { return it.halt.Load() }

func (it *interrupter) stop() {
	signal.Stop(it.ch)
	close(it.done)
}
