//go:build !unix

package mariadbtest

import (
	"os"
	"syscall"
)

func procAttr() *syscall.SysProcAttr { return nil }

func signalGroup(p *os.Process, _ syscall.Signal) { p.Kill() }

// processAlive cannot be checked portably; assume alive so nothing is
// removed by mistake.
func processAlive(int) bool { return true }
