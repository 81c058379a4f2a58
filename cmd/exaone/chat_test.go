package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
)

// The terminal reader edits lines: Ctrl-C clears the line being typed
// (instead of ending the chat), the up arrow recalls history, Ctrl-D on an
// empty line ends the input. Driven through a pipe: x/term's line editor
// needs no real terminal, and raw mode is skipped for a non-terminal.
func TestTermReader(t *testing.T) {
	in := "abc\x03" + "hello\r" + "\x1b[A\r" + "wor\x7frld\r" + "x\x03\x04"
	var out bytes.Buffer
	r := &termReader{fd: -1, in: &ctrlCFilter{r: strings.NewReader(in)}, out: &out}
	r.reset()
	want := []struct {
		line string
		err  error
	}{{"", errLineCleared}, {"hello", nil}, {"hello", nil}, {"world", nil}, {"", errLineCleared}, {"", io.EOF}}
	for i, w := range want {
		line, err := r.ReadLine("> ")
		if line != w.line || !errors.Is(err, w.err) {
			t.Errorf("line %d: %q, %v; want %q, %v", i+1, line, err, w.line, w.err)
		}
	}
	if !strings.Contains(out.String(), "^C") {
		t.Errorf("Ctrl-C not echoed: %q", out.String())
	}
}

// Messages: """ blocks, backslash continuations, the end of input.
func TestReadMessage(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain line\n", "plain line"},
		{`"""` + "\nline one\nline two\n" + `"""` + "\n", "line one\nline two"},
		{`"""first` + "\nsecond" + `"""` + "\n", "first\nsecond"},
		{`"""one line"""` + "\n", "one line"},
		{"a \\\nb\n", "a \nb"},
		{`"""` + "\nunterminated\n", "unterminated"},
	}
	for _, c := range cases {
		var out bytes.Buffer
		got, err := readMessage(newLineReader(strings.NewReader(c.in), &out))
		if err != nil || got != c.want {
			t.Errorf("%q: %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if _, err := readMessage(newLineReader(strings.NewReader(""), io.Discard)); err != io.EOF {
		t.Errorf("empty input: %v, want io.EOF", err)
	}
}

// A line without end on standard input stops at the text limit.
func TestPlainReaderBounded(t *testing.T) {
	r := &plainReader{in: bufio.NewReader(io.LimitReader(zeros{}, maxTextBytes+10)), out: io.Discard}
	if _, err := r.ReadLine(""); !errors.Is(err, errTooLarge) {
		t.Errorf("err %v, want errTooLarge", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

// The chat's commands: /set parameter changes the sampler live (and
// refuses num_ctx and bad values), /show prints the model and the
// parameters, /set think switches reasoning, """ sends several lines as
// one message, and unknown commands (one word or several) are refused,
// never sent to the model.
func TestChatCommands(t *testing.T) {
	in := "/set parameter temperature 0\n" +
		"/set parameter top_k 7\n" +
		"/set parameter num_predict 5\n" +
		"/set parameter num_ctx 8\n" +
		"/set parameter top_p 2\n" +
		"/set parameter bogus 1\n" +
		"/set think\n" +
		"/set nothink\n" +
		"/show\n" +
		"/nosuch\n" +
		"/nosuch with several words\n" +
		`"""` + "\nWho was\nMoses?\n" + `"""` + "\n" +
		"/bye\n"
	r := exaone(t, in, "run", "-i", "-t", "1", "--verbose", "-s", "3")
	r.ok(t)
	for _, want := range []string{
		"[set temperature to 0]", "[set top_k to 7]", "[set num_predict to 5]",
		"num_ctx cannot change", "top_p: \"2\" is not a number from 0 to 1", `unknown parameter "bogus"`,
		"[reasoning on]", "[reasoning off]",
		"parameters: temperature 0, top_k 7,", "num_predict 5, num_ctx 4096; nothink", "model: ",
		"unknown command /nosuch (", "unknown command /nosuch (/help",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no %q in the transcript:\n%s", want, r.stdout)
		}
	}
	if c := strings.Count(r.stdout, "unknown command /nosuch"); c != 2 {
		t.Errorf("%d refusals of /nosuch, want 2", c)
	}
	// Exactly one message reached the model: the """ block, and its reply
	// is at most num_predict tokens.
	gens := genRE.FindAllStringSubmatch(r.stderr, -1)
	if len(gens) != 1 {
		t.Fatalf("want 1 generation, log:\n%s", r.stderr)
	}
	if k, _ := strconv.Atoi(gens[0][1]); k > 5 {
		t.Errorf("%d tokens generated after num_predict 5", k)
	}
}
