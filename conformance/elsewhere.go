package conformance

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/gochatproto/gochat/conformance/registry"
)

// ElsewhereFile lists requirements verified by Go tests instead of
// scenarios, at the root of the scenario tree.
const ElsewhereFile = "verified-elsewhere.yaml"

// Elsewhere is a requirement no wire scenario can observe, with the Go
// test that verifies it.
type Elsewhere struct {
	ID     string `yaml:"id"`
	Reason string `yaml:"reason"`
	// Test is the test file, relative to the repository root; Func the
	// test function in it.
	Test string `yaml:"test"`
	Func string `yaml:"func"`
}

var testFunc = regexp.MustCompile(`^Test[A-Za-z0-9_]*$`)

// loadElsewhere reads and checks ElsewhereFile; a tree without one has
// no such requirements.
func loadElsewhere(fsys fs.FS, reg *registry.Registry) ([]Elsewhere, error) {
	b, err := fs.ReadFile(fsys, ElsewhereFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var list []Elsewhere
	if err := yaml.UnmarshalWithOptions(b, &list, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("%s: %s", ElsewhereFile, yaml.FormatError(err, false, false))
	}
	seen := map[string]bool{}
	for _, e := range list {
		where := ElsewhereFile + ": " + e.ID
		switch {
		case seen[e.ID]:
			return nil, fmt.Errorf("%s: listed twice", where)
		case !known(reg, e.ID):
			return nil, fmt.Errorf("%s: unknown requirement", where)
		case strings.TrimSpace(e.Reason) == "":
			return nil, fmt.Errorf("%s: a reason is required", where)
		case !strings.HasSuffix(e.Test, "_test.go") || path.IsAbs(e.Test) || strings.Contains(e.Test, ".."):
			return nil, fmt.Errorf("%s: test must be a repository-relative *_test.go path", where)
		case !testFunc.MatchString(e.Func):
			return nil, fmt.Errorf("%s: func must name a Test function", where)
		}
		seen[e.ID] = true
	}
	return list, nil
}

func known(reg *registry.Registry, id string) bool {
	_, ok := reg.Get(id)
	return ok
}

// CheckElsewhereTests verifies that every named test file exists under
// root (the repository) and defines its test function.
func (s *Suite) CheckElsewhereTests(root string) []string {
	var problems []string
	for _, e := range s.Elsewhere {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(e.Test)))
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s: %v", e.ID, err))
		case !strings.Contains(string(b), "func "+e.Func+"(t *testing.T)"):
			problems = append(problems, fmt.Sprintf("%s: %s has no func %s(t *testing.T)", e.ID, e.Test, e.Func))
		}
	}
	return problems
}

// RepoRoot finds the gochat source tree containing dir, or "".
func RepoRoot(dir string) string {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module github.com/gochatproto/gochat\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
