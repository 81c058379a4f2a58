//go:build unix

package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
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
