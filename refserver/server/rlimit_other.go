//go:build !unix

package server

// openFileLimit: no open-file limit to read here, so no descriptor budget.
func openFileLimit() (int, bool) { return 0, false }
