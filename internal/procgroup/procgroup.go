// Package procgroup starts a command in a process group of its own and
// signals the whole group, so that a shell command line (`sh -c
// "server --flags"`) is stopped with everything it started. On Windows,
// which has no process groups in this sense, only the process itself is
// signalled.
package procgroup
