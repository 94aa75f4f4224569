//go:build !unix

package load

// RaiseFileLimit has nothing to raise where there is no RLIMIT_NOFILE
// (Windows): sockets are not limited by a per-process descriptor count.
func RaiseFileLimit(want uint64) (uint64, error) { return want, nil }
