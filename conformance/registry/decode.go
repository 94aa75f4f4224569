package registry

import (
	"errors"
	"fmt"
	"strings"

	yaml "github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Error is a problem at one place in a registry or spec file.
type Error struct {
	Pos Position
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// errorList collects every problem so that one run reports them all.
type errorList []*Error

func (l errorList) err() error {
	if len(l) == 0 {
		return nil
	}
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errors.Join(errs...)
}

// entry is one decoded requirement with the positions needed for errors.
type entry struct {
	req   Requirement
	pos   Position // start of the sequence item
	idPos Position // the id value, or pos if absent
}

// decode walks the YAML syntax tree by hand rather than unmarshalling into
// structs, so that every validation error can point at the offending node.
func decode(file string, data []byte) ([]entry, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, yamlError(file, err)
	}
	var root ast.Node
	for _, d := range f.Docs {
		if d.Body != nil {
			if root != nil {
				return nil, &Error{Pos: nodePos(file, d.Body), Msg: "more than one YAML document"}
			}
			root = d.Body
		}
	}
	if root == nil {
		return nil, &Error{Pos: Position{File: file, Line: 1, Column: 1}, Msg: `empty document: want a mapping with key "requirements"`}
	}
	seq, err := requirementsList(file, root)
	if err != nil {
		return nil, err
	}
	var errs errorList
	entries := make([]entry, 0, len(seq.Values))
	for _, item := range seq.Values {
		e, itemErrs := decodeEntry(file, item)
		errs = append(errs, itemErrs...)
		if len(itemErrs) == 0 {
			entries = append(entries, e)
		}
	}
	return entries, errs.err()
}

// requirementsList finds the sequence under the top-level "requirements" key.
func requirementsList(file string, root ast.Node) (*ast.SequenceNode, error) {
	m, ok := root.(ast.MapNode)
	if !ok {
		return nil, &Error{Pos: nodePos(file, root), Msg: `top level must be a mapping with key "requirements"`}
	}
	var list ast.Node
	for it := m.MapRange(); it.Next(); {
		k := scalarText(it.Key())
		if k != "requirements" {
			return nil, &Error{Pos: nodePos(file, it.Key()), Msg: fmt.Sprintf("unknown top-level key %q", k)}
		}
		list = it.Value()
	}
	if list == nil {
		return nil, &Error{Pos: nodePos(file, root), Msg: `missing key "requirements"`}
	}
	seq, ok := list.(*ast.SequenceNode)
	if !ok {
		return nil, &Error{Pos: nodePos(file, list), Msg: `"requirements" must be a sequence`}
	}
	return seq, nil
}

// decodeEntry reads one requirement mapping and validates its fields.
func decodeEntry(file string, item ast.Node) (entry, errorList) {
	e := entry{pos: nodePos(file, item)}
	e.idPos = e.pos
	m, ok := item.(ast.MapNode)
	if !ok {
		return e, errorList{{Pos: e.pos, Msg: "requirement must be a mapping"}}
	}
	var (
		errs     errorList
		citesPos Position
	)
	seen := map[string]bool{}
	for it := m.MapRange(); it.Next(); {
		key, val := scalarText(it.Key()), it.Value()
		vpos := nodePos(file, val)
		if seen[key] {
			errs = append(errs, &Error{Pos: nodePos(file, it.Key()), Msg: fmt.Sprintf("key %q given twice", key)})
			continue
		}
		seen[key] = true
		s, ok := scalarValue(val)
		if !ok {
			errs = append(errs, &Error{Pos: vpos, Msg: fmt.Sprintf("%s must be a scalar", key)})
			continue
		}
		if msg := setField(&e.req, key, s); msg != "" {
			errs = append(errs, &Error{Pos: vpos, Msg: msg})
		}
		switch key {
		case "id":
			e.idPos = vpos
		case "cites":
			citesPos = vpos
		}
	}
	if seen["cites"] && ValidSource(e.req.Source) {
		if msg := checkCites(e.req.Source, e.req.Cites); msg != "" {
			errs = append(errs, &Error{Pos: citesPos, Msg: msg})
		}
	}
	for _, k := range []string{"id", "level", "role", "section", "summary", "source", "cites"} {
		if !seen[k] {
			errs = append(errs, &Error{Pos: e.pos, Msg: strings.TrimSpace("requirement "+e.req.ID) + fmt.Sprintf(": missing key %q", k)})
		}
	}
	return e, errs
}

// setField stores one key and returns a message if its value is invalid.
func setField(q *Requirement, key, s string) string {
	switch key {
	case "id":
		q.ID = s
		if !ValidID(s) {
			return fmt.Sprintf("invalid requirement ID %q: want PREFIX-n, e.g. FRAME-3", s)
		}
	case "level":
		q.Level = s
		if !ValidLevel(s) {
			return fmt.Sprintf("invalid level %q: want MUST, SHOULD or MAY", s)
		}
	case "role":
		q.Role = s
		if !ValidRole(s) {
			return fmt.Sprintf("invalid role %q: want server, client or both", s)
		}
	case "section":
		q.Section = s
		if s == "" {
			return "empty section"
		}
	case "summary":
		q.Summary = s
		if strings.TrimSpace(s) == "" {
			return "empty summary"
		}
		if strings.ContainsAny(s, "\r\n") {
			return "summary must be one line"
		}
	case "source":
		q.Source = s
		if !ValidSource(s) {
			return fmt.Sprintf("invalid source %q: want spec or decision", s)
		}
	case "cites":
		q.Cites = splitCites(s)
	default:
		return fmt.Sprintf("unknown key %q", key)
	}
	return ""
}

// scalarValue returns the text of a scalar node: a string's value, or the
// literal source of a number or boolean (so section: 2.1 reads "2.1").
func scalarValue(n ast.Node) (string, bool) {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.NullNode:
		return "", true
	case ast.ScalarNode:
		if tk := v.GetToken(); tk != nil {
			return tk.Value, true
		}
	}
	return "", false
}

func scalarText(n ast.Node) string {
	s, _ := scalarValue(n)
	return s
}

func nodePos(file string, n ast.Node) Position {
	if n == nil || n.GetToken() == nil {
		return Position{File: file, Line: 1, Column: 1}
	}
	return tokenPos(file, n.GetToken())
}

func tokenPos(file string, tk *token.Token) Position {
	return Position{File: file, Line: tk.Position.Line, Column: tk.Position.Column}
}

// yamlError turns a go-yaml syntax error into an *Error with its position.
func yamlError(file string, err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		return &Error{Pos: tokenPos(file, ye.GetToken()), Msg: "YAML: " + ye.GetMessage()}
	}
	return fmt.Errorf("%s: YAML: %w", file, err)
}
