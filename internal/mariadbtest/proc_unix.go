//go:build unix

package mariadbtest

import (
	"os"
	"syscall"
)

// signalGroup signals the process group the server leads (it was started
// with Setpgid), so helpers it might fork go too.
func signalGroup(p *os.Process, sig syscall.Signal) {
	if err := syscall.Kill(-p.Pid, sig); err != nil {
		p.Signal(sig)
	}
}

// processAlive reports whether a process with this pid exists.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}
