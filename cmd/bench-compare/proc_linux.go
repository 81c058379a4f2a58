package main

import (
	"errors"
	"os/exec"
	"syscall"
)

// ownGroup puts the child in a process group of its own, so that killing
// it kills what it started too (a server's workers), and has the kernel
// kill it if the harness dies without cleaning up (Pdeathsig).
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { kill(cmd); return nil }
}

func terminate(cmd *exec.Cmd) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	}
}

func kill(cmd *exec.Cmd) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// illegalInstruction says whether err is a child's death by SIGILL.
func illegalInstruction(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGILL
}
