package scenario

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/parser"

	"github.com/gochatproto/gochat/spec"
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
	for _, role := range []string{"server", "client"} {
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
			var ss []*Scenario
			if role == "client" { // the runner plays the server: other steps
				ss, err = ParseClient(f, data, opts)
			} else {
				ss, err = Parse(f, data, role, opts)
			}
			if err != nil {
				errs = append(errs, err)
			}
			all = append(all, ss...)
		}
	}
	errs = append(errs, checkUnique(all)...)
	return all, errors.Join(errs...)
}

// Parse decodes the scenarios of one file. A file holds one or more YAML
// documents separated by "---", one scenario each.
func Parse(name string, data []byte, role string, opts LoadOptions) ([]*Scenario, error) {
	var out []*Scenario
	err := parseDocs(name, data, func(s *Scenario, at Pos) []error {
		s.Role, s.Pos = role, at
		v := validator{s: s, file: name, opts: opts}
		v.run()
		out = append(out, s)
		return v.errs
	})
	return out, err
}

// parseDocs decodes each YAML document of a file strictly into a new T
// and passes it to add with the document's position. It returns the
// decoding errors and the errors add reports, joined.
func parseDocs[T any](name string, data []byte, add func(d *T, at Pos) []error) error {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return fileError(name, err)
	}
	var errs []error
	for _, doc := range f.Docs {
		if doc.Body == nil {
			continue
		}
		d := new(T)
		if err := yaml.NodeToValue(doc.Body, d, yaml.DisallowUnknownField()); err != nil {
			errs = append(errs, fileError(name, err))
			continue
		}
		at := Pos{File: name}
		at.Line, at.Col = nodePos(doc.Body)
		errs = append(errs, add(d, at)...)
	}
	return errors.Join(errs...)
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
	idRE      = regexp.MustCompile(`^[A-Z][A-Z0-9]*(-[A-Za-z0-9]+)+$`)
	varRE     = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	templRE   = regexp.MustCompile(`\$\{([^}]*)\}`)
	filterSet = map[string]bool{"upper": true, "lower": true, "hex": true}
)

// ParseInfo resolves an Info value written in a scenario for action a:
// an ERR code, USRS kind, ADMIN operation or hook name, a number, or ""
// for the empty info 0xFF.
func ParseInfo(a spec.Action, s string) (uint8, error) {
	if s == "" {
		return spec.EmptyInfo, nil
	}
	var v uint8
	var err error
	switch a {
	case spec.ERR:
		var c spec.ErrCode
		c, err = spec.ParseErrCode(s)
		v = uint8(c)
	case spec.USRS:
		var k spec.UsrsKind
		k, err = spec.ParseUsrsKind(s)
		v = uint8(k)
	case spec.ADMIN:
		var o spec.AdminOp
		o, err = spec.ParseAdminOp(s)
		v = uint8(o)
	case spec.SUB, spec.UNSUB, spec.HOOK:
		var h spec.Hook
		h, err = spec.ParseHook(s)
		v = uint8(h)
	default:
		var n spec.Action // any numeric form
		n, err = spec.ParseAction(s)
		v = uint8(n)
	}
	return v, err
}

// TemplateRefs returns the ${...} references in s.
func TemplateRefs(s string) []string {
	var out []string
	for _, m := range templRE.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

func splitRef(ref string) (base, filter string) {
	base, filter, _ = strings.Cut(ref, "|")
	return base, filter
}
