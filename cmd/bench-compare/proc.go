package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// run runs a command to completion within timeout and returns its standard
// output. The child gets a process group of its own (killed whole on the
// timeout, or when ctx ends on a signal), so that no benchmark outlives the
// harness. An error is one line: the tool, and why (its last line of
// output for a failure).
func run(ctx context.Context, timeout time.Duration, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	ownGroup(cmd)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	tool := filepath.Base(name)
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		return nil, fmt.Errorf("%s: timed out after %v", tool, timeout)
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%s: %w", tool, ctx.Err())
	case illegalInstruction(err):
		return nil, fmt.Errorf("%s: %w", tool, errWrongCPU)
	case err != nil:
		why := lastLine(errb.Bytes())
		if why == "" {
			why = lastLine(out.Bytes())
		}
		return nil, fmt.Errorf("%s: %v: %s", tool, err, why)
	}
	return out.Bytes(), nil
}

// errWrongCPU is why a tool died of an illegal instruction: it was built
// for a CPU with instructions this one lacks (llama.cpp's native builds
// are), so every later row would fail the same way and the run ends.
var errWrongCPU = errors.New("illegal instruction: built for a CPU with instructions this one lacks; build llama.cpp on this machine or set LLAMA_CPP_DIR to a build for it")

// A server is a child process that runs until stopped.
type server struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
	log  *os.File
}

// startServer starts a long-running child, its output going to logPath.
// ctx ending (a signal) kills its process group.
func startServer(ctx context.Context, logPath, name string, args ...string) (*server, error) {
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, name, args...)
	ownGroup(cmd)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("%s: %v", filepath.Base(name), err)
	}
	s := &server{cmd: cmd, done: make(chan struct{}), log: lf}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	return s, nil
}

// exited reports, once the server has stopped, why: errWrongCPU, or its
// exit and last log line.
func (s *server) exited() (bool, error) {
	select {
	case <-s.done:
		if illegalInstruction(s.err) {
			return true, errWrongCPU
		}
		b, _ := os.ReadFile(s.log.Name())
		return true, fmt.Errorf("%v: %s", s.err, lastLine(b))
	default:
		return false, nil
	}
}

// stop asks the server to end (SIGTERM to its group), and kills the group
// if it has not ended within 10 s.
func (s *server) stop() {
	defer s.log.Close()
	select {
	case <-s.done:
		return
	default:
	}
	terminate(s.cmd)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		kill(s.cmd)
		<-s.done
	}
}

// need checks that a tool exists and can run, for a clear one-line error
// before any work.
func need(path, hint string) error {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s not found (%s)", path, hint)
		}
		return err
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file (%s)", path, hint)
	}
	return nil
}

// logTo is where progress goes (stderr): the table goes to stdout.
var logTo io.Writer = os.Stderr

func logf(format string, args ...any) {
	fmt.Fprintf(logTo, "bench-compare: "+format+"\n", args...)
}
