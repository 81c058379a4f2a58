package main

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWrongCPU checks that a tool dying of SIGILL (a llama.cpp build made
// for another CPU) ends the run with errWrongCPU, from a benchmark and
// from a server, while any other failure stays a table cell.
func TestWrongCPU(t *testing.T) {
	ctx := context.Background()
	r := &report{}
	_, err := run(ctx, time.Minute, "sh", "-c", "kill -ILL $$")
	if !errors.Is(err, errWrongCPU) {
		t.Fatalf("run of a tool killed by SIGILL: %v, want errWrongCPU", err)
	}
	if msg, ferr := r.fail(ctx, nil, err); !errors.Is(ferr, errWrongCPU) || msg != "" {
		t.Errorf("fail(SIGILL) = %q, %v; want the run to end with errWrongCPU", msg, ferr)
	}

	_, err = run(ctx, time.Minute, "sh", "-c", "echo boom >&2; exit 3")
	if err == nil || errors.Is(err, errWrongCPU) {
		t.Fatalf("run of a tool that exits 3: %v", err)
	}
	msg, ferr := r.fail(ctx, err)
	if ferr != nil || !strings.Contains(msg, "boom") || r.failed != 1 {
		t.Errorf("fail(exit 3) = %q, %v (failed %d); want a cell naming the tool's last line", msg, ferr, r.failed)
	}

	s, err := startServer(ctx, filepath.Join(t.TempDir(), "log"), "sh", "-c", "kill -ILL $$")
	if err != nil {
		t.Fatal(err)
	}
	<-s.done
	gone, why := s.exited()
	s.stop()
	if !gone || !errors.Is(why, errWrongCPU) {
		t.Errorf("server killed by SIGILL: exited() = %v, %v; want errWrongCPU", gone, why)
	}
}
