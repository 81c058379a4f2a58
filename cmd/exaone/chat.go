package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"

	"github.com/exaone-go/exaone/asm"
)

// lineReader is where the interactive chat reads its input, one line at a
// time: a terminal with line editing and history, or plain lines from a
// pipe or a file.
type lineReader interface {
	// ReadLine shows prompt and returns one line without its newline; the
	// error is io.EOF at the end of input and errLineCleared when Ctrl-C
	// cleared the line being typed.
	ReadLine(prompt string) (string, error)
}

var errLineCleared = errors.New("line cleared")

// newLineReader picks the terminal reader when standard input and output
// are both terminals.
func newLineReader(in io.Reader, out io.Writer) lineReader {
	fin, ok := in.(*os.File)
	if ok && term.IsTerminal(int(fin.Fd())) {
		if fout, ok := unwrapFile(out); ok && term.IsTerminal(int(fout.Fd())) {
			return newTermReader(fin, out)
		}
	}
	return &plainReader{in: bufio.NewReader(in), out: out}
}

// unwrapFile finds the file under the command's output wrappers.
func unwrapFile(w io.Writer) (*os.File, bool) {
	for {
		switch x := w.(type) {
		case *os.File:
			return x, true
		case *checkedWriter:
			w = x.w
		default:
			return nil, false
		}
	}
}

// plainReader reads lines from a pipe or a file, each at most
// maxTextBytes long.
type plainReader struct {
	in  *bufio.Reader
	out io.Writer
}

func (p *plainReader) ReadLine(prompt string) (string, error) {
	io.WriteString(p.out, prompt)
	var line []byte
	for {
		chunk, err := p.in.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxTextBytes {
			return "", fmt.Errorf("standard input: a line is %w", errTooLarge)
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(line) > 0:
			return strings.TrimRight(string(line), "\r\n"), nil
		case err != nil:
			return "", err
		}
		return strings.TrimRight(string(line), "\r\n"), nil
	}
}

// termReader edits lines on a terminal (arrows, history, Ctrl-A/E/K/U/W)
// with x/term, in raw mode only while a line is read, so that Ctrl-C
// during a reply is still the signal that stops it. At the prompt Ctrl-C
// clears the line.
type termReader struct {
	fd   int
	in   *ctrlCFilter
	out  io.Writer
	t    *term.Terminal
	hist term.History
}

func newTermReader(in *os.File, out io.Writer) *termReader {
	r := &termReader{fd: int(in.Fd()), in: &ctrlCFilter{r: in}, out: out}
	r.reset()
	return r
}

// reset starts a fresh line editor with the same history: x/term's
// Terminal keeps a cancelled line's text, so one is not reused after
// Ctrl-C.
func (r *termReader) reset() {
	r.t = term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{r.in, r.out}, "")
	if r.hist != nil {
		r.t.History = r.hist
	}
	r.hist = r.t.History
}

func (r *termReader) ReadLine(prompt string) (string, error) {
	if old, err := term.MakeRaw(r.fd); err == nil {
		defer term.Restore(r.fd, old)
	}
	if w, h, err := term.GetSize(r.fd); err == nil {
		r.t.SetSize(w, h)
	}
	r.t.SetPrompt(prompt)
	line, err := readTermLine(r.t, r.in)
	if errors.Is(err, errLineCleared) {
		io.WriteString(r.out, "^C\r\n")
		r.reset()
	}
	return line, err
}

// readTermLine reads one line from t, telling Ctrl-C (which x/term reports
// as the end of input, like Ctrl-D) from the end of input.
func readTermLine(t *term.Terminal, in *ctrlCFilter) (string, error) {
	in.sawCtrlC = false
	line, err := t.ReadLine()
	if err == io.EOF && in.sawCtrlC {
		return "", errLineCleared
	}
	return line, err
}

// ctrlCFilter notes a Ctrl-C byte going to the line editor, and holds back
// what follows a line's end for the next line.
type ctrlCFilter struct {
	r        io.Reader
	pending  []byte
	sawCtrlC bool
}

func (f *ctrlCFilter) Read(p []byte) (int, error) {
	if len(f.pending) == 0 {
		buf := make([]byte, len(p))
		n, err := f.r.Read(buf)
		if n == 0 {
			return 0, err
		}
		f.pending = buf[:n]
	}
	// One line (or up to a Ctrl-C) at a time: the editor then never
	// holds input past the line it returns, so a Ctrl-C is always seen
	// by the ReadLine it belongs to.
	b := f.pending
	if i := bytes.IndexAny(b, "\x03\r\n"); i >= 0 {
		if b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n' {
			i++ // CR LF is one line end
		}
		b = b[:i+1]
		f.sawCtrlC = b[i] == 3
	}
	n := copy(p, b)
	f.pending = f.pending[n:]
	return n, nil
}

// readMessage reads one chat message: a line; lines ending in a backslash
// continue on the next one (llama-cli); a message opened by """ runs to a
// line ending in """ (ollama).
func readMessage(lr lineReader) (string, error) {
	line, err := lr.ReadLine("> ")
	if err != nil {
		return "", err
	}
	if rest, ok := strings.CutPrefix(line, `"""`); ok {
		if body, ok := strings.CutSuffix(rest, `"""`); ok {
			return body, nil
		}
		var lines []string
		if rest != "" {
			lines = append(lines, rest)
		}
		size := len(rest)
		for {
			l, err := lr.ReadLine("... ")
			if err == io.EOF {
				return strings.Join(lines, "\n"), nil
			} else if err != nil {
				return "", err
			}
			body, end := strings.CutSuffix(l, `"""`)
			if !end || body != "" {
				lines = append(lines, body)
			}
			if size += len(l) + 1; size > maxTextBytes {
				return "", fmt.Errorf("the message is %w", errTooLarge)
			}
			if end {
				return strings.Join(lines, "\n"), nil
			}
		}
	}
	var b strings.Builder
	for {
		body, more := strings.CutSuffix(line, `\`)
		b.WriteString(body)
		if b.Len() > maxTextBytes {
			return "", fmt.Errorf("the message is %w", errTooLarge)
		}
		if !more {
			return b.String(), nil
		}
		b.WriteByte('\n')
		if line, err = lr.ReadLine("... "); err == io.EOF {
			return b.String(), nil
		} else if err != nil {
			return "", err
		}
	}
}

const chatHelp = `/clear: forget the conversation; /exit or /bye (or Ctrl-D): quit;
/set parameter NAME VALUE: temperature, top_k, top_p, min_p, repeat_penalty, repeat_last_n,
  presence_penalty, frequency_penalty, seed, num_predict (num_ctx is fixed by -c);
/set think, /set nothink: reasoning on or off; /show: the model and the parameters;
""" starts a multi-line message, ended by a line ending in """; a line ending in \ continues`

// chatCommand runs a slash command. It returns done when the chat should
// end and cleared when the conversation must be forgotten.
func (r *runner) chatCommand(cmd string) (done, cleared bool) {
	f := strings.Fields(cmd)
	switch {
	case len(f) == 1 && (f[0] == "/exit" || f[0] == "/quit" || f[0] == "/bye"):
		return true, false
	case len(f) == 1 && f[0] == "/clear":
		fmt.Fprintln(r.out, "[conversation cleared]")
		return false, true
	case len(f) == 1 && (f[0] == "/help" || f[0] == "/?"):
		fmt.Fprintln(r.out, chatHelp)
	case f[0] == "/show" && (len(f) == 1 || len(f) == 2 && (f[1] == "info" || f[1] == "parameters")):
		if len(f) == 1 || f[1] == "info" {
			m := r.lm.m
			fmt.Fprintf(r.out, "model: %s (%d layers, hidden %d, vocab %d, trained context %d); kernels: %s\n",
				m.File.Path, m.Config.Layers, m.Embd, m.Vocab, m.CtxTrain, asm.Path())
		}
		if len(f) == 1 || f[1] == "parameters" {
			fmt.Fprintln(r.out, r.parameters())
		}
	case f[0] == "/set" && len(f) == 2 && (f[1] == "think" || f[1] == "nothink"):
		r.o.think = f[1] == "think"
		fmt.Fprintf(r.out, "[reasoning %s]\n", map[bool]string{true: "on", false: "off"}[r.o.think])
	case f[0] == "/set" && len(f) == 4 && f[1] == "parameter":
		if err := r.setParameter(f[2], f[3]); err != nil {
			fmt.Fprintf(r.out, "%v\n", err)
		} else {
			fmt.Fprintf(r.out, "[set %s to %s]\n", f[2], f[3])
		}
	case f[0] == "/set":
		fmt.Fprintln(r.out, "usage: /set parameter NAME VALUE, /set think, /set nothink")
	default:
		fmt.Fprintf(r.out, "unknown command %s (/help lists them; a message cannot start with /)\n", f[0])
	}
	return false, false
}

// parameters is /show's line of current settings, named as in ollama.
func (r *runner) parameters() string {
	p := r.o.params
	g := func(x float32) string { return strconv.FormatFloat(float64(x), 'g', -1, 32) }
	think := "nothink"
	if r.o.think {
		think = "think"
	}
	return fmt.Sprintf("parameters: temperature %s, top_k %d, top_p %s, min_p %s, repeat_penalty %s, repeat_last_n %d, "+
		"presence_penalty %s, frequency_penalty %s, seed %d, num_predict %d, num_ctx %d; %s",
		g(p.Temperature), p.TopK, g(p.TopP), g(p.MinP), g(p.RepeatPenalty), p.RepeatLastN,
		g(p.PresencePenalty), g(p.FrequencyPenalty), p.Seed, r.o.n, r.s.Ctx(), think)
}

// setParameter changes a sampling setting between turns (ollama's
// /set parameter). The context size cannot change: the session's KV cache
// is allocated for it.
func (r *runner) setParameter(name, value string) error {
	p := r.o.params
	num := func(lo, hi float64) (float32, error) {
		v, err := strconv.ParseFloat(value, 64)
		if err != nil || math.IsNaN(v) || v < lo || v > hi {
			return 0, fmt.Errorf("%s: %q is not a number from %g to %g", name, value, lo, hi)
		}
		return float32(v), nil
	}
	integer := func(lo int) (int, error) {
		v, err := strconv.Atoi(value)
		if err != nil || v < lo {
			return 0, fmt.Errorf("%s: %q is not a whole number of at least %d", name, value, lo)
		}
		return v, nil
	}
	var err error
	switch name {
	case "temperature":
		p.Temperature, err = num(0, 1e6)
	case "top_k":
		p.TopK, err = integer(0)
	case "top_p":
		p.TopP, err = num(0, 1)
	case "min_p":
		p.MinP, err = num(0, 1)
	case "repeat_penalty":
		if p.RepeatPenalty, err = num(0, 1e6); err == nil && p.RepeatPenalty == 0 {
			err = fmt.Errorf("repeat_penalty: must be positive (1: off)")
		}
	case "repeat_last_n":
		p.RepeatLastN, err = integer(-1)
	case "presence_penalty":
		p.PresencePenalty, err = num(-1e6, 1e6)
	case "frequency_penalty":
		p.FrequencyPenalty, err = num(-1e6, 1e6)
	case "seed":
		var s int
		if s, err = integer(0); err == nil {
			p.Seed = uint64(s)
		}
	case "num_predict":
		var n int
		if n, err = integer(-1); err == nil {
			r.o.n = n
		}
		return err
	case "num_ctx":
		return fmt.Errorf("num_ctx cannot change during a chat: the context of %d tokens is allocated (restart with -c N)", r.s.Ctx())
	default:
		return fmt.Errorf("unknown parameter %q (/help lists them)", name)
	}
	if err != nil {
		return err
	}
	r.o.params = p
	return nil
}
