package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/exaone-go/exaone/convert/fixture"
)

// The test binary doubles as the command: with EXAONE_TEST_MAIN set it runs
// main, so tests exercise the real process (exit status, stderr, signals)
// without building a second binary.
const mainEnv = "EXAONE_TEST_MAIN"

// stepDelayEnv, in the child, sleeps this long (a time.Duration) after
// each step of a conversion or a perplexity chunk.
const stepDelayEnv = "EXAONE_TEST_STEP_DELAY"

var cacheDir string

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		// Slows long work down so that a test can signal it midway.
		if d, err := time.ParseDuration(os.Getenv(stepDelayEnv)); err == nil {
			stepHook = func() { time.Sleep(d) }
		}
		main()
		os.Exit(0)
	}
	d, err := os.MkdirTemp("", "exaone-cmd-test-")
	if err != nil {
		panic(err)
	}
	// A fresh cache, so the first-use conversion of the default model is
	// part of what is tested.
	cacheDir = d
	code := m.Run()
	fixture.Cleanup()
	os.RemoveAll(d)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

// exaone runs the command with args and stdin, and returns its outputs.
func exaone(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), mainEnv+"=1", "EXAONE_CACHE="+cacheDir)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{out.String(), errb.String(), code}
}

func (r result) ok(t *testing.T) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit status %d\nstderr:\n%s", r.code, r.stderr)
	}
}

func evalText() string { return filepath.Join(fixture.Root(), "testdata", "eval.txt") }

var finalRE = regexp.MustCompile(`(?m)^Final estimate: PPL = ([0-9.]+) \+/- ([0-9.]+)$`)

// finalEstimate parses llama-perplexity's last line.
func finalEstimate(t *testing.T, out string) (float64, float64) {
	t.Helper()
	m := finalRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no Final estimate line in:\n%s", out)
	}
	p, _ := strconv.ParseFloat(m[1], 64)
	e, _ := strconv.ParseFloat(m[2], 64)
	return p, e
}
