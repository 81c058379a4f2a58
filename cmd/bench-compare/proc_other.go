//go:build !linux

package main

import (
	"os"
	"os/exec"
)

// Elsewhere the child alone is signalled: the harness is made for Linux
// (it reads /proc), this keeps it building.
func ownGroup(cmd *exec.Cmd) {}

func terminate(cmd *exec.Cmd) {
	if cmd.Process != nil {
		cmd.Process.Signal(os.Interrupt)
	}
}

func kill(cmd *exec.Cmd) {
	if cmd.Process != nil {
		cmd.Process.Kill()
	}
}

// illegalInstruction reports false: the signal is not seen elsewhere.
func illegalInstruction(err error) bool { return false }
