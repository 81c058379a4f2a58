package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/exaone-go/exaone/asm"
	"github.com/exaone-go/exaone/model"
	"github.com/exaone-go/exaone/sampler"
	"github.com/exaone-go/exaone/tokenizer"
	"github.com/exaone-go/exaone/tokenizer/chat"
)

// defaultCtxCap bounds the default context (-c 0) as llama.cpp does, so
// that a model trained on 64K or 128K tokens does not allocate a KV cache
// for all of them by default.
const defaultCtxCap = 4096

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
			"With no prompt and a terminal on standard input, or with -i, run is an interactive chat:\n" +
			"/clear forgets the conversation, /exit (or Ctrl-D) quits, a line ending in \\ continues on the\n" +
			"next line. Ctrl-C stops a reply (and prints the stats); a second Ctrl-C exits.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Aliases: []string{"m"}, Usage: "GGUF `FILE` (default: the bundled tiny-hybrid-kjv)"},
			&cli.StringFlag{Name: "prompt", Aliases: []string{"p"}, Usage: "prompt `TEXT`"},
			&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Usage: "read the prompt from `FILE`"},
			&cli.StringFlag{Name: "system-prompt", Aliases: []string{"sys"}, Usage: "system message `TEXT` (implies --chat)"},
			&cli.IntFlag{Name: "predict", Aliases: []string{"n"}, Value: -1, Usage: "generate at most `N` tokens (-1: until end of turn or full context)"},
			&cli.IntFlag{Name: "ctx-size", Aliases: []string{"c"}, Usage: "context size in tokens (0: the model's, at most 4096)"},
			&cli.IntFlag{Name: "threads", Aliases: []string{"t"}, Usage: "worker threads (0: physical cores)"},
			&cli.IntFlag{Name: "batch-size", Aliases: []string{"b"}, Value: 512, Usage: "prompt tokens per forward pass"},
			&cli.Int64Flag{Name: "seed", Aliases: []string{"s"}, Value: -1, Usage: "random seed (-1: random)"},
			&cli.Float64Flag{Name: "temp", Value: f64(d.Temperature), Usage: "temperature (0: greedy)"},
			&cli.IntFlag{Name: "top-k", Value: d.TopK, Usage: "keep the K most likely tokens (0: off)"},
			&cli.Float64Flag{Name: "top-p", Value: f64(d.TopP), Usage: "nucleus sampling mass (1: off)"},
			&cli.Float64Flag{Name: "min-p", Value: f64(d.MinP), Usage: "drop tokens below this fraction of the best one's probability (0: off)"},
			&cli.Float64Flag{Name: "repeat-penalty", Value: f64(d.RepeatPenalty), Usage: "penalise repeated tokens (1: off)"},
			&cli.IntFlag{Name: "repeat-last-n", Value: d.RepeatLastN, Usage: "tokens the penalties look back on (0: off, -1: all)"},
			&cli.Float64Flag{Name: "presence-penalty", Value: f64(d.PresencePenalty), Usage: "subtracted once from every repeated token"},
			&cli.Float64Flag{Name: "frequency-penalty", Value: f64(d.FrequencyPenalty), Usage: "subtracted per repetition"},
			&cli.BoolFlag{Name: "ignore-eos", Usage: "never end at the end-of-turn token"},
			&cli.BoolFlag{Name: "chat", Usage: "send the prompt as a chat turn instead of completing it"},
			&cli.BoolFlag{Name: "raw", Aliases: []string{"no-cnv"}, Usage: "complete the prompt as plain text (the default for a prompt)"},
			&cli.BoolFlag{Name: "interactive", Aliases: []string{"i", "cnv"}, Usage: "interactive chat (after the prompt, if one is given)"},
			&cli.BoolFlag{Name: "think", Usage: "reasoning mode: the model thinks in a <think> block before answering"},
			&cli.BoolFlag{Name: "hide-thinking", Aliases: []string{"hidethinking"}, Usage: "do not print the <think> block"},
			&cli.BoolFlag{Name: "no-display-prompt", Usage: "do not echo the prompt of a raw completion"},
			&cli.BoolFlag{Name: "verbose", Usage: "print kernels, load time, timings and the seed"},
		},
		Action: func(c *cli.Context) error { return oneLine(runRun(c)) },
	})
}

type runOptions struct {
	model, system       string
	prompt              string
	havePrompt          bool
	n, ctx, threads     int
	batch               int
	params              sampler.Params
	ignoreEOS, chatMode bool
	interactive         bool
	think, hideThinking bool
	displayPrompt       bool
	verbose             bool
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
	if s := c.Int64("seed"); s >= 0 {
		o.params.Seed = uint64(s)
	} else {
		o.params.Seed = rand.Uint64() >> 1 // positive, so it can be given back to -s
	}
	if c.Bool("raw") && (c.Bool("chat") || c.IsSet("system-prompt") || o.think) {
		return errors.New("run: --raw cannot be combined with --chat, -sys or --think")
	}
	o.chatMode = c.Bool("chat") || c.IsSet("system-prompt") || o.think
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
	if o.interactive {
		return r.interactive(bufio.NewReader(stdin))
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

// chatPrompt renders a conversation in the EXAONE 4 chat format, ready for
// the assistant's reply, and tokenizes it (the control tokens the template
// writes become their ids).
func chatPrompt(tk *tokenizer.Tokenizer, msgs []chat.Message, tools []json.RawMessage, think bool) ([]int, error) {
	text, err := chat.Render(msgs, tools, chat.Options{EnableThinking: think, AddGenerationPrompt: true})
	if err != nil {
		return nil, err
	}
	return withBOS(tk, tk.Encode(text, true)), nil
}

// rawPrompt tokenizes a completion prompt. Special-token texts are parsed,
// so a hand-written chat prompt works as in llama-completion.
func rawPrompt(tk *tokenizer.Tokenizer, text string) []int {
	return withBOS(tk, tk.Encode(text, true))
}

func withBOS(tk *tokenizer.Tokenizer, ids []int) []int {
	if tk.AddBOS() && tk.BOS() >= 0 && (len(ids) == 0 || ids[0] != tk.BOS()) {
		ids = append([]int{tk.BOS()}, ids...)
	}
	return ids
}

// errContextFull is returned when a prompt does not fit the context.
type errContextFull struct{ tokens, ctx int }

func (e errContextFull) Error() string {
	return fmt.Sprintf("the prompt is %d tokens, longer than the context size %d (raise -c)", e.tokens, e.ctx)
}

// runner holds a session and the tokens in its KV cache, so a chat turn
// only evaluates what differs from the previous prompt.
type runner struct {
	lm       *loadedModel
	o        *runOptions
	s        *model.Session
	smp      *sampler.Sampler
	out, log io.Writer
	past     []int // tokens in the KV cache, in position order
	intr     *interrupter
	thinkEnd int // id of </think>, or -1
}

func newRunner(lm *loadedModel, o *runOptions, out, log io.Writer) (*runner, error) {
	ctx := o.ctx
	if ctx == 0 {
		ctx = min(lm.m.CtxTrain, defaultCtxCap)
		if ctx <= 0 {
			ctx = defaultCtxCap
		}
	}
	s, err := lm.m.NewSession(model.Options{Ctx: ctx, Batch: o.batch, Threads: o.threads})
	if err != nil {
		return nil, err
	}
	r := &runner{lm: lm, o: o, s: s, smp: sampler.New(o.params), out: out, log: log, thinkEnd: -1}
	if id, ok := lm.tk.TokenID("</think>"); ok {
		r.thinkEnd = id
	}
	r.intr = newInterrupter(log)
	if o.verbose {
		threads := o.threads
		if threads == 0 {
			threads = model.DefaultThreads()
		}
		fmt.Fprintf(log, "model: %s (%d layers, %d hidden, vocab %d)\n", lm.path, lm.m.Config.Layers, lm.m.Embd, lm.m.Vocab)
		fmt.Fprintf(log, "kernels: %s, threads: %d, context: %d, batch: %d\n", asm.Path(), threads, s.Ctx(), o.batch)
		fmt.Fprintf(log, "load time: %.1f ms\n", ms(lm.loadTime))
		fmt.Fprintf(log, "seed: %d\n", o.params.Seed)
	}
	return r, nil
}

func (r *runner) close() {
	r.intr.stop()
	r.s.Close()
}

// feed brings the KV cache to ids and returns the logits after the last
// one. The common prefix with what is cached is kept when the cache can be
// rewound to it.
func (r *runner) feed(ids []int) ([]float32, time.Duration, int, error) {
	if len(ids) > r.s.Ctx() {
		return nil, 0, 0, errContextFull{len(ids), r.s.Ctx()}
	}
	k := 0
	for k < len(ids) && k < len(r.past) && ids[k] == r.past[k] {
		k++
	}
	if k == len(ids) {
		k-- // the last token is evaluated again for its logits
	}
	if k < r.s.Pos() {
		if err := r.s.Truncate(k); err != nil {
			r.s.Reset() // a sliding-window ring cannot go back that far
			k = 0
		}
	}
	r.past = r.past[:k]
	// The penalties look at the whole conversation, as llama.cpp's
	// sampler has seen every prompt token.
	r.smp.Reset()
	for _, t := range ids {
		r.smp.Accept(t)
	}
	start := time.Now()
	logits, err := r.s.Eval(ids[k:])
	if err != nil {
		r.s.Reset()
		r.past = r.past[:0]
		return nil, 0, 0, err
	}
	r.past = append(r.past, ids[k:]...)
	return logits, time.Since(start), len(ids) - k, nil
}

// stats are one generation's counts and timings.
type stats struct {
	promptTokens, genTokens int
	promptTime, genTime     time.Duration
	interrupted, full, eos  bool
}

// generate samples up to -n tokens after logits, streaming their text to
// out, and returns the generated ids (without the end-of-turn token).
func (r *runner) generate(logits []float32, st *stats, inThink bool) ([]int, error) {
	eos := r.lm.tk.EOS()
	var reply []int
	w := newReplyWriter(r.lm.tk, r.out, r.thinkEnd, inThink, r.o.hideThinking)
	defer w.flush()
	r.intr.begin()
	defer r.intr.end()
	start := time.Now()
	defer func() { st.genTime = time.Since(start) }()
	for r.o.n < 0 || st.genTokens < r.o.n {
		if r.intr.stopped() {
			st.interrupted = true
			break
		}
		if r.o.ignoreEOS && eos >= 0 && eos < len(logits) {
			logits[eos] = float32(math.Inf(-1))
		}
		tok := r.smp.Sample(logits)
		r.smp.Accept(tok)
		st.genTokens++
		if tok == eos && !r.o.ignoreEOS {
			st.eos = true
			break
		}
		reply = append(reply, tok)
		w.add(tok)
		if r.o.n >= 0 && st.genTokens >= r.o.n {
			break // no need to evaluate a token nothing will follow
		}
		if r.s.Pos() >= r.s.Ctx() {
			st.full = true
			break
		}
		var err error
		if logits, err = r.s.Eval([]int{tok}); err != nil {
			return reply, err
		}
		r.past = append(r.past, tok)
	}
	return reply, nil
}

// replyWriter streams a reply's tokens as text, never splitting a UTF-8
// character. Control tokens are not printed; with hide, the <think> block
// is dropped together with the blank lines that follow it.
type replyWriter struct {
	tk                      *tokenizer.Tokenizer
	dec                     *tokenizer.StreamDecoder
	out                     io.Writer
	thinkEnd                int
	inThink, hide, trimLead bool
}

// newReplyWriter starts a reply; inThink says the prompt opened a <think>
// block (reasoning mode), which is then shown opened unless hidden.
func newReplyWriter(tk *tokenizer.Tokenizer, out io.Writer, thinkEnd int, inThink, hide bool) *replyWriter {
	w := &replyWriter{tk: tk, dec: tk.NewStreamDecoder(), out: out, thinkEnd: thinkEnd, inThink: inThink, hide: hide && inThink}
	if inThink && !w.hide {
		io.WriteString(out, "<think>\n")
	}
	return w
}

func (w *replyWriter) add(tok int) {
	switch {
	case tok == w.thinkEnd && w.inThink:
		w.inThink = false
		if w.hide {
			w.hide, w.trimLead = false, true
			return
		}
		io.WriteString(w.out, w.dec.Add(tok))
	case w.hide || w.tk.IsControl(tok):
	default:
		text := w.dec.Add(tok)
		if w.trimLead {
			text = strings.TrimLeft(text, "\n")
			w.trimLead = text == ""
		}
		io.WriteString(w.out, text)
	}
}

func (w *replyWriter) flush() {
	if !w.hide {
		io.WriteString(w.out, w.dec.Flush())
	}
}

func (r *runner) report(st *stats) {
	if st.full {
		fmt.Fprintf(r.log, "\n[context full: all %d tokens of the context are used; stopping (raise -c, or /clear in a chat)]\n", r.s.Ctx())
	}
	if st.interrupted {
		fmt.Fprintln(r.log, "\n[interrupted]")
	}
	fmt.Fprintf(r.log, "[ Prompt: %.1f t/s | Generation: %.1f t/s ]\n",
		rate(st.promptTokens, st.promptTime), rate(st.genTokens, st.genTime))
	if r.o.verbose {
		fmt.Fprintf(r.log, "prompt: %d tokens in %.1f ms (%.1f t/s)\n", st.promptTokens, ms(st.promptTime), rate(st.promptTokens, st.promptTime))
		fmt.Fprintf(r.log, "generation: %d tokens in %.1f ms (%.1f t/s), stopped by %s\n", st.genTokens, ms(st.genTime), rate(st.genTokens, st.genTime), st.reason())
		if rss := peakRSS(); rss > 0 {
			fmt.Fprintf(r.log, "peak memory: %.1f MiB resident\n", float64(rss)/(1<<20))
		}
	}
}

func (st *stats) reason() string {
	switch {
	case st.eos:
		return "end of turn"
	case st.interrupted:
		return "interrupt"
	case st.full:
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
	var ids []int
	var err error
	if r.o.chatMode {
		ids, err = chatPrompt(r.lm.tk, r.conversation(r.o.prompt), nil, r.o.think)
		if err != nil {
			return err
		}
	} else {
		ids = rawPrompt(r.lm.tk, r.o.prompt)
	}
	var st stats
	logits, d, n, err := r.feed(ids)
	if err != nil {
		return err
	}
	st.promptTime, st.promptTokens = d, n
	if !r.o.chatMode && r.o.displayPrompt {
		io.WriteString(r.out, r.o.prompt)
	}
	_, err = r.generate(logits, &st, r.o.chatMode && r.o.think)
	fmt.Fprintln(r.out)
	if err != nil {
		return err
	}
	r.report(&st)
	return nil
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

const chatHelp = "/clear: forget the conversation; /exit: quit; end a line with \\ to continue on the next one"

func (r *runner) interactive(in *bufio.Reader) error {
	msgs := r.conversation()
	base := len(msgs)
	fmt.Fprintf(r.log, "chat with %s (%s). Ctrl-C stops a reply.\n", r.lm.m.File.Path, chatHelp)
	first := r.o.prompt
	for {
		var text string
		if r.o.havePrompt && first != "" {
			text, first = first, ""
		} else {
			io.WriteString(r.out, "> ")
			var ok bool
			if text, ok = readInput(in, r.out); !ok {
				io.WriteString(r.out, "\n")
				return nil
			}
		}
		switch cmd := strings.TrimSpace(text); {
		case cmd == "":
			continue
		case cmd == "/exit" || cmd == "/quit" || cmd == "/bye":
			return nil
		case cmd == "/clear":
			msgs = msgs[:base]
			r.s.Reset()
			r.past = r.past[:0]
			r.smp.Reset()
			fmt.Fprintln(r.out, "[conversation cleared]")
			continue
		case cmd == "/help" || cmd == "/?":
			fmt.Fprintln(r.out, chatHelp)
			continue
		case strings.HasPrefix(cmd, "/") && !strings.ContainsAny(cmd, " \n"):
			fmt.Fprintf(r.out, "unknown command %s (%s)\n", cmd, chatHelp)
			continue
		}
		msgs = append(msgs, chat.Message{Role: "user", Content: text})
		ids, err := chatPrompt(r.lm.tk, msgs, nil, r.o.think)
		if err != nil {
			return err
		}
		var st stats
		logits, d, n, err := r.feed(ids)
		var full errContextFull
		if errors.As(err, &full) {
			msgs = msgs[:len(msgs)-1]
			fmt.Fprintf(r.out, "[context full: the conversation would be %d tokens, the context is %d; /clear to start over]\n", full.tokens, full.ctx)
			continue
		}
		if err != nil {
			return err
		}
		st.promptTime, st.promptTokens = d, n
		reply, err := r.generate(logits, &st, r.o.think)
		fmt.Fprintln(r.out)
		if err != nil {
			return err
		}
		r.report(&st)
		msgs = append(msgs, chat.Message{Role: "assistant", Content: r.lm.tk.Decode(reply)})
	}
}

// readInput reads one message: lines ending in a backslash continue on the
// next line (as in llama-cli). ok is false at end of input with nothing read.
func readInput(in *bufio.Reader, out io.Writer) (string, bool) {
	var b strings.Builder
	for {
		line, err := in.ReadString('\n')
		if err != nil && line == "" {
			return b.String(), b.Len() > 0
		}
		line = strings.TrimRight(line, "\r\n")
		if strings.HasSuffix(line, "\\") {
			b.WriteString(strings.TrimSuffix(line, "\\"))
			b.WriteByte('\n')
			if err == nil {
				continue
			}
		} else {
			b.WriteString(line)
		}
		return b.String(), true
	}
}

// interrupter turns the first Ctrl-C during a generation into a stop
// request; a Ctrl-C at any other time, or a second one, exits.
type interrupter struct {
	ch         chan os.Signal
	generating atomic.Bool
	stopReq    atomic.Bool
	done       chan struct{}
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
				if it.generating.Load() && !it.stopReq.Load() {
					it.stopReq.Store(true)
					continue
				}
				fmt.Fprintln(log, "\n[interrupted]")
				os.Exit(130)
			}
		}
	}()
	return it
}

func (it *interrupter) begin()        { it.stopReq.Store(false); it.generating.Store(true) }
func (it *interrupter) end()          { it.generating.Store(false); it.stopReq.Store(false) }
func (it *interrupter) stopped() bool { return it.stopReq.Load() }

func (it *interrupter) stop() {
	signal.Stop(it.ch)
	close(it.done)
}
