package mariadbtest

import "syscall"

// procAttr puts the server in its own process group and has the kernel kill
// it when the test binary (the spawning thread) dies, so it never outlives
// the tests even on SIGKILL or a panic.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
