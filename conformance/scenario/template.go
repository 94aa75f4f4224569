package scenario

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// Template is a string with ${actor.name} and ${var} references, each
// optionally filtered (|upper, |lower, |hex). It is compiled at load;
// running it only looks the references up.
type Template struct {
	Text  string // as written
	Parts []TemplatePart
}

// TemplatePart is a literal (Ref nil) or a reference.
type TemplatePart struct {
	Lit string
	Ref *Ref
}

// Ref is one ${...} reference: an actor's name or a variable.
type Ref struct {
	Actor  string // set for ${actor.name}
	Var    string // set for ${var}
	Filter string // "", "upper", "lower" or "hex"
}

func (r *Ref) String() string {
	s := r.Var
	if r.Actor != "" {
		s = r.Actor + ".name"
	}
	if r.Filter != "" {
		s += "|" + r.Filter
	}
	return "${" + s + "}"
}

var (
	templRE   = regexp.MustCompile(`\$\{([^}]*)\}`)
	filterSet = map[string]bool{"upper": true, "lower": true, "hex": true}
)

// CompileTemplate parses s. References are checked against the scenario
// (actors, variables) by the validator.
func CompileTemplate(s string) (Template, error) {
	t := Template{Text: s}
	last := 0
	for _, m := range templRE.FindAllStringSubmatchIndex(s, -1) {
		if m[0] > last {
			t.Parts = append(t.Parts, TemplatePart{Lit: s[last:m[0]]})
		}
		last = m[1]
		ref, err := parseRef(s[m[2]:m[3]])
		if err != nil {
			return t, err
		}
		t.Parts = append(t.Parts, TemplatePart{Ref: ref})
	}
	if last < len(s) {
		t.Parts = append(t.Parts, TemplatePart{Lit: s[last:]})
	}
	return t, nil
}

// MustTemplate compiles a template known to be valid (the runner's own).
func MustTemplate(s string) Template {
	t, err := CompileTemplate(s)
	if err != nil {
		panic(err)
	}
	return t
}

func parseRef(raw string) (*Ref, error) {
	base, filter := raw, ""
	if i := strings.IndexByte(raw, '|'); i >= 0 {
		base, filter = raw[:i], raw[i+1:]
	}
	if filter != "" && !filterSet[filter] {
		return nil, fmt.Errorf("unknown filter %q in ${%s} (want upper, lower, hex)", filter, raw)
	}
	r := &Ref{Filter: filter}
	if name, field, ok := strings.Cut(base, "."); ok {
		if field != "name" {
			return nil, fmt.Errorf("${%s}: only .name is defined on actors", raw)
		}
		r.Actor = name
		return r, nil
	}
	if !varRE.MatchString(base) {
		return nil, fmt.Errorf("${%s}: bad variable name %q", raw, base)
	}
	r.Var = base
	return r, nil
}

// Refs lists the template's references.
func (t *Template) Refs() []*Ref {
	var out []*Ref
	for _, p := range t.Parts {
		if p.Ref != nil {
			out = append(out, p.Ref)
		}
	}
	return out
}

// UnmarshalYAML implements yaml.NodeUnmarshaler: a scalar, compiled.
func (t *Template) UnmarshalYAML(n ast.Node) error {
	s, ok := scalar(n)
	if !ok {
		return errAt(n, "want a string")
	}
	var err error
	if *t, err = CompileTemplate(s); err != nil {
		return errAt(n, "%v", err)
	}
	return nil
}
