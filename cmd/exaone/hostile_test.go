//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/exaone-go/exaone/convert/fixture"
)

// hostileCase is one line of testdata/hostile.txt.
type hostileCase struct {
	line           int
	status         int
	needs          string
	env            []string
	stdin, stdout  string
	args           []string
	want           string
	wantInStdout   bool
	usesDevFullOut bool
}

// splitWords splits on spaces; "..." makes one word with its spaces.
func splitWords(s string) ([]string, error) {
	var words []string
	var b strings.Builder
	in, have := false, false
	for _, r := range s {
		switch {
		case r == '"':
			in, have = !in, true
		case r == ' ' && !in:
			if have {
				words = append(words, b.String())
			}
			b.Reset()
			have = false
		default:
			b.WriteRune(r)
			have = true
		}
	}
	if in {
		return nil, errors.New("unclosed quote")
	}
	if have {
		words = append(words, b.String())
	}
	return words, nil
}

func readHostile(t *testing.T) []hostileCase {
	f, err := os.Open(filepath.Join("testdata", "hostile.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []hostileCase
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		cmd, want, ok := strings.Cut(line, " => ")
		words, err := splitWords(cmd)
		if !ok || err != nil || len(words) < 3 {
			t.Fatalf("hostile.txt:%d: want STATUS NEEDS ... exaone ARGS => EXPECTED (%v)", n, err)
		}
		c := hostileCase{line: n, needs: words[1], want: want}
		if c.status, err = strconv.Atoi(words[0]); err != nil {
			t.Fatalf("hostile.txt:%d: status %q", n, words[0])
		}
		c.want, c.wantInStdout = strings.CutPrefix(want, "out:")
		i := 2
		for ; i < len(words) && words[i] != "exaone"; i++ {
			switch w := words[i]; {
			case strings.HasPrefix(w, "<"):
				c.stdin = w[1:]
			case strings.HasPrefix(w, ">"):
				c.stdout = w[1:]
			case strings.Contains(w, "="):
				c.env = append(c.env, w)
			default:
				t.Fatalf("hostile.txt:%d: %q before the command", n, w)
			}
		}
		if i == len(words) {
			t.Fatalf("hostile.txt:%d: no exaone command", n)
		}
		c.args = words[i+1:]
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}

// hostileTimeout bounds one case: the hangs this table guards against
// (a FIFO opened as a model) never end on their own.
var hostileTimeout = 60 * time.Second

func init() {
	if d, err := time.ParseDuration(os.Getenv("EXAONE_HOSTILE_TIMEOUT")); err == nil {
		hostileTimeout = d
	}
}

// Every case of testdata/hostile.txt ends in time with its status and its
// one-line message, and never with a panic. EXAONE_HOSTILE_BIN=path runs
// the table against another build of the command (to see what a change
// fixed).
func TestHostile(t *testing.T) {
	cases := readHostile(t)
	if len(cases) < 40 {
		t.Fatalf("only %d cases read from hostile.txt", len(cases))
	}
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Log("no /dev/full here: its cases are skipped")
	}
	// The default model is converted once before the cases run in parallel.
	exaone(t, "", "tokenize", "-p", "x").ok(t)
	sem := make(chan struct{}, 2) // the cases share the machine with others
	src := fixture.ModelDir("tiny-global-kjv")
	for _, c := range cases {
		t.Run(strconv.Itoa(c.line)+"_"+strings.Join(c.args, "_"), func(t *testing.T) {
			if strings.Contains(strings.Join(c.args, " ")+c.stdout, "/dev/full") {
				if _, err := os.Stat("/dev/full"); err != nil {
					t.Skip("no /dev/full")
				}
			}
			t.Parallel()
			sem <- struct{}{}
			defer func() { <-sem }()
			dir := t.TempDir()
			fifo := filepath.Join(dir, "x.gguf")
			if err := syscall.Mkfifo(fifo, 0o644); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, "exists.bin")
			if err := os.WriteFile(file, []byte("keep me\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			chardev := filepath.Join(dir, "full")
			if strings.Contains(strings.Join(c.args, " "), "$CHARDEV") {
				// major 1, minor 7: what /dev/full is on Linux.
				if err := syscall.Mknod(chardev, syscall.S_IFCHR|0o666, 1<<8|7); err != nil {
					t.Skip("cannot create a device node here:", err)
				}
			}
			repl := strings.NewReplacer("$DIR", dir, "$CHARDEV", chardev, "$FIFO", fifo, "$FILE", file, "$SRC", src, "$EVAL", evalText())
			args := make([]string, len(c.args))
			for i, a := range c.args {
				args[i] = repl.Replace(a)
			}
			ctx, cancel := context.WithTimeout(context.Background(), hostileTimeout)
			defer cancel()
			bin := os.Args[0]
			if b := os.Getenv("EXAONE_HOSTILE_BIN"); b != "" {
				bin = b // another build of the command, to compare
			}
			cmd := exec.CommandContext(ctx, bin, args...)
			cmd.Env = append(append(os.Environ(), mainEnv+"=1", "EXAONE_CACHE="+cacheDir), c.env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			for _, r := range []struct {
				name string
				std  **os.File
				flag int
			}{{c.stdin, nil, os.O_RDONLY}, {c.stdout, nil, os.O_WRONLY}} {
				if r.name == "" {
					continue
				}
				f, err := os.OpenFile(repl.Replace(r.name), r.flag, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if r.flag == os.O_RDONLY {
					cmd.Stdin = f
				} else {
					cmd.Stdout = f
				}
			}
			err := cmd.Run()
			if ctx.Err() != nil {
				c.fail(t, "did not finish within %v (a hang)", hostileTimeout)
				return
			}
			status := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				status = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			errText := strings.TrimRight(stderr.String(), "\n")
			last := errText[strings.LastIndexByte(errText, '\n')+1:]
			for _, bad := range []string{"panic", "goroutine "} {
				if strings.Contains(stdout.String()+errText, bad) {
					c.fail(t, "output mentions %q:\n%s", bad, errText)
					return
				}
			}
			switch {
			case status != c.status:
				c.fail(t, "exit status %d, want %d; stderr:\n%s", status, c.status, errText)
			case c.status != 0 && !strings.HasPrefix(last, "exaone: "):
				c.fail(t, "the last line of stderr is not an \"exaone: \" error:\n%s", errText)
			case c.wantInStdout && !strings.Contains(stdout.String(), c.want):
				c.fail(t, "stdout does not contain %q:\n%s", c.want, stdout.String())
			case c.status != 0 && !c.wantInStdout && !strings.Contains(last, c.want):
				c.fail(t, "the last line of stderr does not contain %q:\n%s", c.want, errText)
			case c.status == 0 && !c.wantInStdout && !strings.Contains(errText, c.want):
				c.fail(t, "stderr does not contain %q:\n%s", c.want, errText)
			}
			if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
				c.fail(t, "the FIFO was replaced or removed")
			}
			if b, err := os.ReadFile(file); err != nil || string(b) != "keep me\n" {
				c.fail(t, "the existing file was changed")
			}
			if st, err := os.Lstat(chardev); err == nil && st.Mode()&os.ModeCharDevice == 0 {
				c.fail(t, "the device node was replaced")
			}
		})
	}
}

// fail reports a case's failure; a case that waits for the model package's
// validation is skipped instead, saying so.
func (c hostileCase) fail(t *testing.T, format string, a ...any) {
	t.Helper()
	if c.needs == "model" {
		t.Skipf("hostile.txt:%d needs the model package's validation: "+format, append([]any{c.line}, a...)...)
	}
	t.Errorf("hostile.txt:%d: "+format, append([]any{c.line}, a...)...)
}
