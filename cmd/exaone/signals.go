package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

// stepHook, when set (only the tests set it), runs after each step of long
// work that writes a file (a piece of converted tensor data, a perplexity
// chunk), so that a test can signal the process in the middle of it.
var stepHook func()

func step() {
	if stepHook != nil {
		stepHook()
	}
}

// signalCatcher turns SIGINT, SIGTERM and SIGHUP into the cancellation of
// a context, so that work writing a temp file stops, removes it and exits
// non-zero instead of dying with the file left behind.
type signalCatcher struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	ch     chan os.Signal
	done   chan struct{}
	sig    atomic.Value // os.Signal
}

func catchSignals() *signalCatcher {
	ctx, cancel := context.WithCancelCause(context.Background())
	s := &signalCatcher{ctx: ctx, cancel: cancel, ch: make(chan os.Signal, 1), done: make(chan struct{})}
	signal.Notify(s.ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		select {
		case sig := <-s.ch:
			s.sig.Store(sig)
			cancel(fmt.Errorf("interrupted by %s", sigName(sig)))
		case <-s.done:
		}
	}()
	return s
}

// stop restores the default handling of the signals.
func (s *signalCatcher) stop() {
	signal.Stop(s.ch)
	close(s.done)
	s.cancel(nil)
}

// result maps the work's error: after a signal, the command exits with
// 128 + the signal's number, as a shell reports a process it killed.
func (s *signalCatcher) result(what string, err error) error {
	sig, ok := s.sig.Load().(os.Signal)
	if err == nil || !ok {
		return err
	}
	code := 130
	if n, ok := sig.(syscall.Signal); ok {
		code = 128 + int(n)
	}
	return exitError{code: code, msg: fmt.Sprintf("%s: interrupted by %s; the unfinished output was removed", what, sigName(sig))}
}

func sigName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return sig.String()
}
