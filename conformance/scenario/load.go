package scenario

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/parser"
)

// Error is a load error with its position.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// LoadOptions tune validation.
type LoadOptions struct {
	// KnownRequirement reports whether a requirement ID exists. Nil
	// disables the check (used before the registry is available).
	KnownRequirement func(id string) bool
	// Keys lists the available fixture key names. Nil disables the check.
	Keys map[string]bool
}

// Load reads every server/*.yaml and client/*.yaml in fsys, in name
// order, and validates the scenarios. All errors found are returned,
// joined, each as "file:line:column: message".
func Load(fsys fs.FS, opts LoadOptions) ([]*Scenario, error) {
	var all []*Scenario
	var errs []error
	for _, role := range []string{RoleServer, RoleClient} {
		files, err := fs.Glob(fsys, role+"/*.yaml")
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		for _, f := range files {
			data, err := fs.ReadFile(fsys, f)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			ss, err := Parse(f, data, role, opts)
			if err != nil {
				errs = append(errs, err)
			}
			all = append(all, ss...)
		}
	}
	errs = append(errs, checkUnique(all)...)
	return all, errors.Join(errs...)
}

// Parse decodes and validates the scenarios of one file of the given role
// (RoleServer or RoleClient). A file holds one or more YAML documents
// separated by "---", one scenario each.
func Parse(name string, data []byte, role string, opts LoadOptions) ([]*Scenario, error) {
	if role != RoleServer && role != RoleClient {
		return nil, fmt.Errorf("%s: unknown role %q", name, role)
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, fileError(name, err)
	}
	var out []*Scenario
	var errs []error
	for _, doc := range f.Docs {
		if doc.Body == nil {
			continue
		}
		s := &Scenario{Role: role, Pos: Pos{File: name}}
		if err := yaml.NodeToValue(doc.Body, s, yaml.DisallowUnknownField()); err != nil {
			errs = append(errs, fileError(name, err))
			continue
		}
		s.Pos.Line, s.Pos.Col = nodePos(doc.Body)
		v := validator{s: s, file: name, opts: opts}
		v.run()
		errs = append(errs, v.errs...)
		out = append(out, s)
	}
	return out, errors.Join(errs...)
}

// fileError converts a decoder error into an *Error with the file name.
func fileError(name string, err error) error {
	var pe *posError
	if errors.As(err, &pe) {
		return &Error{Pos: Pos{File: name, Line: pe.Line, Col: pe.Col}, Msg: pe.Msg}
	}
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		p := ye.GetToken().Position
		return &Error{Pos: Pos{File: name, Line: p.Line, Col: p.Column}, Msg: ye.GetMessage()}
	}
	return &Error{Pos: Pos{File: name, Line: 1, Col: 1}, Msg: err.Error()}
}

func checkUnique(all []*Scenario) []error {
	seen := map[string]*Scenario{}
	var errs []error
	for _, s := range all {
		if first, dup := seen[s.ID]; dup && s.ID != "" {
			errs = append(errs, &Error{Pos: s.Pos, Msg: fmt.Sprintf("duplicate scenario id %q (first at %s)", s.ID, first.Pos)})
			continue
		}
		seen[s.ID] = s
	}
	return errs
}

var (
	idRE  = regexp.MustCompile(`^[A-Z][A-Z0-9]*(-[A-Za-z0-9]+)+$`)
	varRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
)
