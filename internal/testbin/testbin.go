// Package testbin builds the project's commands for tests that run them as
// processes: each package once per test process, into one temporary
// directory that Main removes when the tests end.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sync"
	"testing"
)

var (
	mu    sync.Mutex
	dir   string
	built = map[string]error{} // import path -> the outcome of its build
)

// Build builds the commands named by their import paths (once each per
// process) and returns the directory holding them; a binary is named after
// the last element of its import path. A failed build fails the test with
// the compiler's output.
func Build(t testing.TB, pkgs ...string) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if dir == "" {
		d, err := os.MkdirTemp("", "gochat-testbin")
		if err != nil {
			t.Fatalf("testbin: %v", err)
		}
		dir = d
	}
	for _, pkg := range pkgs {
		err, done := built[pkg]
		if !done {
			err = build(pkg)
			built[pkg] = err
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Path is Build of one command, returning the binary's path.
func Path(t testing.TB, pkg string) string {
	t.Helper()
	return filepath.Join(Build(t, pkg), path.Base(pkg))
}

func build(pkg string) error {
	out, err := exec.Command("go", "build", "-o", dir+string(os.PathSeparator), pkg).CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
	}
	return nil
}

// Main runs the tests and removes what Build built; call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	mu.Lock()
	if dir != "" {
		os.RemoveAll(dir)
	}
	mu.Unlock()
	os.Exit(code)
}
