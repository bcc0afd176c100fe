//go:build !linux

package main

import (
	"os"
	"os/exec"
	"runtime"
)

func setParentDeathSignal(*exec.Cmd) {}

// terminate asks a child to stop; it is killed if it has not after stopGrace. Windows has no
// interrupt signal for other processes, so there it is killed at once.
func terminate(p *os.Process) error {
	if runtime.GOOS == "windows" {
		return p.Kill()
	}
	return p.Signal(os.Interrupt)
}
