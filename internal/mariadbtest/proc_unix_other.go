//go:build unix && !linux

package mariadbtest

import "syscall"

// procAttr puts the server in its own process group. Without a
// parent-death signal the server only stops through Stop or Main.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
