//go:build unix

package server

import (
	"math"
	"syscall"
)

// openFileLimit returns the process's open-file limit, or false if it
// cannot be read or is unlimited. Go raises the soft limit to the hard
// one when a program starts, so this is the hard limit in practice.
func openFileLimit() (int, bool) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil || r.Cur > math.MaxInt32 {
		return 0, false
	}
	return int(r.Cur), true
}
