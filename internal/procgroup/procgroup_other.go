//go:build !unix

package procgroup

import "os/exec"

// Isolate does nothing: there are no POSIX process groups here.
func Isolate(*exec.Cmd) {}

// Terminate stops the process: Windows cannot deliver SIGTERM.
func Terminate(cmd *exec.Cmd) error { return cmd.Process.Kill() }

// Kill stops the process at once.
func Kill(cmd *exec.Cmd) error { return cmd.Process.Kill() }
