//go:build unix

package procgroup

import (
	"os/exec"
	"syscall"
)

// Isolate makes cmd, when started, lead a new process group.
func Isolate(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// Terminate asks the group of the started cmd to stop (SIGTERM).
func Terminate(cmd *exec.Cmd) error { return signal(cmd, syscall.SIGTERM) }

// Kill stops the group of the started cmd at once (SIGKILL).
func Kill(cmd *exec.Cmd) error { return signal(cmd, syscall.SIGKILL) }

func signal(cmd *exec.Cmd, sig syscall.Signal) error {
	return syscall.Kill(-cmd.Process.Pid, sig)
}
