package main

import (
	"os"
	"os/exec"
	"syscall"
)

// setParentDeathSignal makes the kernel send SIGTERM to the child if this process dies first (even
// by SIGKILL), so that no inner host or plugin outlives the proxy.
func setParentDeathSignal(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGTERM
}

// terminate asks a child to stop; it is killed if it has not after stopGrace.
func terminate(p *os.Process) error {
	return p.Signal(syscall.SIGTERM)
}
