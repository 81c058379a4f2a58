//go:build unix

package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/exaone-go/exaone/convert/fixture"
)

// readUntil reads r until it has seen want.
func readUntil(t *testing.T, r *bufio.Reader, want string) string {
	t.Helper()
	var b strings.Builder
	for !strings.Contains(b.String(), want) {
		c, err := r.ReadByte()
		if err != nil {
			t.Fatalf("reading output: %v (got %q, waiting for %q)", err, b.String(), want)
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Ctrl-C during a reply stops it and prints the stats; a Ctrl-C at the
// prompt exits with status 130.
func TestRunInterrupt(t *testing.T) {
	cmd := exec.Command(os.Args[0], "run", "-i", "--ignore-eos", "-n", "-1", "-t", "1", "--verbose", "-s", "1")
	cmd.Env = append(os.Environ(), mainEnv+"=1", "EXAONE_CACHE="+cacheDir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	out := bufio.NewReader(pr)
	readUntil(t, out, "> ")
	io.WriteString(stdin, "Tell me everything.\n")
	// The reply (4096 tokens of context, no end of turn) is still going
	// when its first bytes arrive.
	out.ReadByte()
	cmd.Process.Signal(os.Interrupt)
	readUntil(t, out, "> ")
	cmd.Process.Signal(os.Interrupt)
	go io.Copy(io.Discard, out)
	err = cmd.Wait()
	pw.Close()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).ExitStatus() != 130 {
		t.Fatalf("want exit status 130, got %v\n%s", err, stderr.String())
	}
	log := stderr.String()
	if !strings.Contains(log, "stopped by interrupt") || !strings.Contains(log, "[ Prompt: ") {
		t.Errorf("the interrupted reply's stats are missing:\n%s", log)
	}
}

// waitForFile polls dir until a name containing part appears; it fails if
// the process ends first.
func waitForFile(t *testing.T, dir, part string, exited <-chan struct{}) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if strings.Contains(e.Name(), part) {
				return
			}
		}
		select {
		case <-exited:
			t.Fatalf("the process ended before %s* appeared", part)
		case <-time.After(5 * time.Millisecond):
		}
	}
	t.Fatalf("no %s* in %s after 60 s", part, dir)
}

// A signal in the middle of writing a file (convert, bench
// --write-synthetic, perplexity --kl-divergence-base) removes the temp file,
// leaves no output and exits with 128 + the signal's number.
func TestSignalRemovesTempFile(t *testing.T) {
	src := fixture.ModelDir("tiny-global-kjv")
	type job struct {
		name, out string
		delay     string
		args      func(out string) []string
	}
	convertJob := job{"convert", "x.gguf", "20ms", func(out string) []string { return []string{"convert", src, "-o", out, "-q", "--type", "q8_0"} }}
	kldJob := job{"kld", "base.kld", "400ms", func(out string) []string {
		return []string{"perplexity", "-f", evalText(), "-c", "64", "-t", "1", "--kl-divergence-base", out}
	}}
	cases := []struct {
		job
		sig syscall.Signal
	}{
		{convertJob, syscall.SIGINT}, {convertJob, syscall.SIGTERM}, {convertJob, syscall.SIGHUP},
		{kldJob, syscall.SIGINT}, {kldJob, syscall.SIGTERM},
	}
	for _, c := range cases {
		t.Run(c.name+"_"+c.sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, c.out)
			cmd := exec.Command(os.Args[0], c.args(out)...)
			cmd.Env = append(os.Environ(), mainEnv+"=1", "EXAONE_CACHE="+cacheDir, stepDelayEnv+"="+c.delay)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan struct{})
			var werr error
			go func() { werr = cmd.Wait(); close(exited) }()
			defer cmd.Process.Kill()
			waitForFile(t, dir, "."+c.out+".tmp-", exited)
			cmd.Process.Signal(c.sig)
			select {
			case <-exited:
			case <-time.After(60 * time.Second):
				t.Fatal("the process did not end within 60 s of the signal")
			}
			var ee *exec.ExitError
			if !errors.As(werr, &ee) || ee.ExitCode() != 128+int(c.sig) {
				t.Errorf("want exit status %d, got %v\n%s", 128+int(c.sig), werr, stderr.String())
			}
			msg := strings.TrimSpace(stderr.String())
			if last := msg[strings.LastIndexByte(msg, '\n')+1:]; !strings.Contains(last, "interrupted by SIG") {
				t.Errorf("last line of stderr: %q", last)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("left behind: %v", ents)
			}
		})
	}
}

// Ctrl-C during a one-shot generation stops it, prints the stats and exits
// with status 130, as llama.cpp does.
func TestRunOneShotInterrupt(t *testing.T) {
	const prompt = "And God said"
	cmd := exec.Command(os.Args[0], "run", "-p", prompt, "--ignore-eos", "-n", "-1", "-t", "1", "-s", "1")
	cmd.Env = append(os.Environ(), mainEnv+"=1", "EXAONE_CACHE="+cacheDir)
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	out := bufio.NewReader(pr)
	// Past the echoed prompt, generated text is arriving.
	if _, err := io.ReadFull(out, make([]byte, len(prompt)+8)); err != nil {
		t.Fatal(err)
	}
	cmd.Process.Signal(os.Interrupt)
	go io.Copy(io.Discard, out)
	err := cmd.Wait()
	pw.Close()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("want exit status 130, got %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "[ Prompt: ") {
		t.Errorf("no stats after the interrupt:\n%s", stderr.String())
	}
}
