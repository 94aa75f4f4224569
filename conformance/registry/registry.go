// Package registry holds the gochat requirement registry: the requirement
// IDs of docs/spec.md with their level, role and section, as listed in
// docs/requirements.yaml. The conformance runner reports every result
// against these IDs, so the loader is strict: a duplicate ID, an unknown
// level or a malformed entry is an error that names file, line and column.
package registry

import (
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gochatproto/gochat/docs"
)

// Levels of a requirement, as in RFC 2119.
const (
	LevelMust   = "MUST"
	LevelShould = "SHOULD"
	LevelMay    = "MAY"
)

// Roles a requirement applies to. RoleBoth binds servers and clients.
const (
	RoleServer = "server"
	RoleClient = "client"
	RoleBoth   = "both"
)

// idPattern is the shape of every requirement ID: an upper-case topic
// prefix, a dash, and a decimal number.
var idPattern = regexp.MustCompile(`^[A-Z]+-[0-9]+$`)

// Requirement is one tagged statement of docs/spec.md.
type Requirement struct {
	ID      string // e.g. "FRAME-3"
	Level   string // LevelMust, LevelShould or LevelMay
	Role    string // RoleServer, RoleClient or RoleBoth
	Section string // section of docs/spec.md, e.g. "2.1" or "A"
	Summary string // one line
	// Source is SourceSpec or SourceDecision; Cites names the headings of
	// the original specification (spec) or the errata entries (decision)
	// the requirement rests on.
	Source string
	Cites  []string
}

// Position is a place in a source file; Line and Column start at 1.
type Position struct {
	File   string
	Line   int
	Column int
}

func (p Position) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column) }

// Registry is a validated, immutable set of requirements.
type Registry struct {
	reqs []Requirement       // sorted by section, then ID
	byID map[string]int      // index into reqs
	pos  map[string]Position // where each entry starts in its file
}

// EmbeddedPath is the name of the registry inside docs.FS.
const EmbeddedPath = "requirements.yaml"

// Embedded loads the registry compiled into the binary from docs.FS.
func Embedded() (*Registry, error) { return LoadFS(docs.FS, EmbeddedPath) }

// Load reads and validates the registry file at path.
func Load(path string) (*Registry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	return ParseFile(path, data)
}

// LoadFS reads and validates the registry file name in fsys.
func LoadFS(fsys fs.FS, name string) (*Registry, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	return ParseFile(name, data)
}

// Parse validates a registry document; errors name the file "<input>".
func Parse(data []byte) (*Registry, error) { return ParseFile("<input>", data) }

// ParseFile validates a registry document; errors name file.
func ParseFile(file string, data []byte) (*Registry, error) {
	entries, err := decode(file, data)
	if err != nil {
		return nil, err
	}
	return build(entries)
}

// build checks cross-entry rules and indexes the entries.
func build(entries []entry) (*Registry, error) {
	r := &Registry{byID: make(map[string]int, len(entries)), pos: make(map[string]Position, len(entries))}
	var errs errorList
	for _, e := range entries {
		if first, dup := r.pos[e.req.ID]; dup {
			errs = append(errs, &Error{Pos: e.idPos, Msg: fmt.Sprintf("duplicate requirement ID %s (first defined at %s)", e.req.ID, first)})
			continue
		}
		r.pos[e.req.ID] = e.pos
		r.reqs = append(r.reqs, e.req)
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	slices.SortFunc(r.reqs, compareReqs)
	for i, q := range r.reqs {
		r.byID[q.ID] = i
	}
	return r, nil
}

// Len returns the number of requirements.
func (r *Registry) Len() int { return len(r.reqs) }

// Get returns the requirement with the given ID.
func (r *Registry) Get(id string) (Requirement, bool) {
	i, ok := r.byID[id]
	if !ok {
		return Requirement{}, false
	}
	return r.reqs[i], true
}

// Position returns where the entry for id starts in the registry file.
func (r *Registry) Position(id string) (Position, bool) {
	p, ok := r.pos[id]
	return p, ok
}

// All returns every requirement, sorted by section and then by ID
// (prefix alphabetically, number numerically). The slice is a copy.
func (r *Registry) All() []Requirement { return slices.Clone(r.reqs) }

// ByRole returns the requirements whose role is exactly role, in All order.
// Use AppliesTo to include RoleBoth.
func (r *Registry) ByRole(role string) []Requirement {
	return r.filter(func(q Requirement) bool { return q.Role == role })
}

// AppliesTo returns the requirements binding role: those of that role
// and those of RoleBoth.
func (r *Registry) AppliesTo(role string) []Requirement {
	return r.filter(func(q Requirement) bool { return q.Role == role || q.Role == RoleBoth })
}

// ByLevel returns the requirements of the given level, in All order.
func (r *Registry) ByLevel(level string) []Requirement {
	return r.filter(func(q Requirement) bool { return q.Level == level })
}

func (r *Registry) filter(keep func(Requirement) bool) []Requirement {
	var out []Requirement
	for _, q := range r.reqs {
		if keep(q) {
			out = append(out, q)
		}
	}
	return out
}

// compareReqs orders by section, then by ID.
func compareReqs(a, b Requirement) int {
	if c := CompareSections(a.Section, b.Section); c != 0 {
		return c
	}
	return CompareIDs(a.ID, b.ID)
}

// CompareSections orders section numbers component by component, numbers
// numerically ("2.10" after "2.9") and before letters (appendices).
func CompareSections(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if c := compareComponent(as[i], bs[i]); c != 0 {
			return c
		}
	}
	return len(as) - len(bs)
}

// CompareIDs orders IDs by prefix, then numerically by number.
func CompareIDs(a, b string) int {
	ap, an := splitID(a)
	bp, bn := splitID(b)
	if c := strings.Compare(ap, bp); c != 0 {
		return c
	}
	if an != bn {
		return an - bn
	}
	return strings.Compare(a, b)
}

func splitID(id string) (prefix string, n int) {
	i := strings.LastIndexByte(id, '-')
	if i < 0 {
		return id, 0
	}
	n, _ = strconv.Atoi(id[i+1:])
	return id[:i], n
}

func compareComponent(a, b string) int {
	an, aerr := strconv.Atoi(a)
	bn, berr := strconv.Atoi(b)
	switch {
	case aerr == nil && berr == nil:
		return an - bn
	case aerr == nil:
		return -1
	case berr == nil:
		return 1
	}
	return strings.Compare(a, b)
}

// ValidID reports whether id has the shape PREFIX-n.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// ValidLevel reports whether level is MUST, SHOULD or MAY.
func ValidLevel(level string) bool {
	return level == LevelMust || level == LevelShould || level == LevelMay
}

// ValidRole reports whether role is server, client or both.
func ValidRole(role string) bool {
	return role == RoleServer || role == RoleClient || role == RoleBoth
}
