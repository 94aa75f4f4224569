package scenario

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gochatproto/gochat/spec"
)

// validator checks one scenario and fills in defaults (the connection of
// steps that omit it, actor keys).
type validator struct {
	s      *Scenario
	file   string
	opts   LoadOptions
	errs   []error
	conns  map[string]string // conn -> actor ("" if none)
	last   string            // last connection opened
	lastOf map[string]string // actor -> its last connection
	vars   map[string]bool
}

func (v *validator) errorf(line, col int, format string, args ...any) {
	v.errs = append(v.errs, &Error{Pos: Pos{File: v.file, Line: line, Col: col}, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) top(format string, args ...any) {
	v.errorf(v.s.Pos.Line, v.s.Pos.Col, format, args...)
}

func (v *validator) run() {
	s := v.s
	v.conns = map[string]string{}
	v.lastOf = map[string]string{}
	v.vars = map[string]bool{}
	switch {
	case s.ID == "":
		v.top("scenario has no id")
	case !idRE.MatchString(s.ID):
		v.top("scenario id %q must look like SECTION-words (e.g. REG-dup-name)", s.ID)
	}
	if s.Title == "" {
		v.top("scenario %s has no title", s.ID)
	}
	if len(s.Requirements) == 0 {
		v.top("scenario %s cites no requirement", s.ID)
	}
	for _, r := range s.Requirements {
		if v.opts.KnownRequirement != nil && !v.opts.KnownRequirement(r) {
			v.top("scenario %s cites unknown requirement %q", s.ID, r)
		}
	}
	if s.Level.Rank() > 2 {
		v.top("scenario %s: level must be must, should or may (got %q)", s.ID, s.Level)
	}
	for _, n := range s.Needs {
		if !slices.Contains(KnownCaps, n) {
			v.top("scenario %s: unknown capability %q (known: %s)", s.ID, n, strings.Join(KnownCaps, ", "))
		}
	}
	for _, d := range s.Dialects {
		if _, err := spec.ParseDialect(d); err != nil || d == "" {
			v.top("scenario %s: unknown dialect %q (want spec or gochat1)", s.ID, d)
		}
	}
	v.actors()
	for i := range s.Steps {
		s.Steps[i].Pos.File = v.file
		v.step(&s.Steps[i])
	}
}

func (v *validator) actors() {
	for name, a := range v.s.Actors {
		if !varRE.MatchString(name) {
			v.top("actor name %q must be lowercase letters, digits and _", name)
		}
		switch a.Role {
		case "":
			if a.Key == "" {
				a.Key = name
			}
			if v.opts.Keys != nil && !v.opts.Keys[a.Key] {
				v.top("actor %s: no fixture key %q", name, a.Key)
			}
		case "admin", "owner":
			if !v.s.NeedsCap(a.Role) {
				v.top("actor %s has role %s: the scenario must declare needs: [%s]", name, a.Role, a.Role)
			}
		default:
			v.top("actor %s: role must be admin or owner", name)
		}
		v.template(v.s.Pos.Line, v.s.Pos.Col, a.Name)
		v.s.Actors[name] = a
	}
}

func (v *validator) actor(line, col int, name string) {
	if _, ok := v.s.Actors[name]; !ok {
		v.errorf(line, col, "unknown actor %q", name)
	}
}

// conn resolves a connection reference, defaulting to the last opened.
func (v *validator) conn(line, col int, c *string) {
	if *c == "" {
		if v.last == "" {
			v.errorf(line, col, "no connection: connect first")
			return
		}
		*c = v.last
		return
	}
	if _, ok := v.conns[*c]; !ok {
		v.errorf(line, col, "unknown connection %q (not opened by an earlier connect)", *c)
	}
}

func (v *validator) step(st *Step) {
	l, c := st.Pos.Line, st.Pos.Col
	switch {
	case st.Connect != nil:
		v.connect(l, c, st.Connect)
	case st.Register != nil:
		v.auth(l, c, st.Register)
	case st.Login != nil:
		v.auth(l, c, st.Login)
	case st.Send != nil:
		v.send(l, c, st.Send)
	case st.SendRaw != nil:
		v.sendRaw(l, c, st.SendRaw)
	case st.Expect != nil:
		v.expect(st.Expect)
	case st.ExpectAnyOrder != nil:
		for _, e := range st.ExpectAnyOrder {
			v.expect(e)
		}
	case st.ExpectNone != nil:
		v.conn(l, c, &st.ExpectNone.Conn)
		if st.ExpectNone.For <= 0 {
			v.errorf(l, c, "expect_none: for must be a positive duration")
		}
	case st.ExpectClose != nil:
		v.conn(l, c, &st.ExpectClose.Conn)
		if lv := st.ExpectClose.Level; lv != "" && lv != Must && lv != Should {
			v.errorf(l, c, "expect_close: level must be must or should")
		}
		if e := st.ExpectClose.Err; e != "" && e != "null" {
			if _, err := spec.ParseErrCode(e); err != nil {
				v.errorf(l, c, "expect_close: %v", err)
			}
		}
	case st.Decrypt != nil:
		v.actor(l, c, st.Decrypt.Actor)
		v.useVar(l, c, st.Decrypt.From)
		v.defVar(l, c, st.Decrypt.Into)
	case st.Disconnect != "":
		v.conn(l, c, &st.Disconnect)
	case st.StopReading != "":
		v.conn(l, c, &st.StopReading)
	case st.Set != nil:
		v.value(&st.Set.Value)
		v.defVar(l, c, st.Set.Var)
	}
}

func (v *validator) connect(l, c int, cn *Connect) {
	if cn.Conn == "" {
		v.errorf(l, c, "connect: conn is required")
	}
	if _, dup := v.conns[cn.Conn]; dup {
		v.errorf(l, c, "connection %q opened twice", cn.Conn)
	}
	if cn.Actor != "" {
		v.actor(l, c, cn.Actor)
	}
	if cn.TLS && !v.s.NeedsCap(CapTLS) {
		v.errorf(l, c, "connect with tls: the scenario must declare needs: [tls]")
	}
	v.conns[cn.Conn] = cn.Actor
	if cn.Actor != "" {
		v.lastOf[cn.Actor] = cn.Conn
	}
	v.last = cn.Conn
}

func (v *validator) auth(l, c int, a *Auth) {
	v.actor(l, c, a.Actor)
	if a.Conn == "" {
		a.Conn = v.lastOf[a.Actor]
		if a.Conn == "" {
			v.errorf(l, c, "actor %s has no connection", a.Actor)
		}
		return
	}
	v.conn(l, c, &a.Conn)
}

func (v *validator) send(l, c int, s *Send) {
	v.conn(l, c, &s.Conn)
	a, err := spec.ParseAction(s.Action)
	if err != nil {
		v.errorf(l, c, "send: %v", err)
	}
	if _, err := ParseInfo(a, s.Info); err != nil {
		v.errorf(l, c, "send: info: %v", err)
	}
	if s.ID != nil && s.ID.Any {
		v.errorf(l, c, "send: id cannot be any")
	}
	if s.Repeat < 0 || s.Repeat > 100000 || (s.Repeat > 1 && s.Chunked > 0) {
		v.errorf(l, c, "send: repeat must be 0..100000 and not combined with chunked")
	}
	for i := range s.Args {
		v.value(&s.Args[i])
	}
}

func (v *validator) sendRaw(l, c int, s *SendRaw) {
	v.conn(l, c, &s.Conn)
	for _, h := range []string{s.Hex, s.HeaderSep, s.ArgSep, s.Trailer} {
		if _, err := decodeHex(h); err != nil {
			v.errorf(l, c, "send_raw: %v", err)
		}
	}
	if s.Hex != "" && (s.Header != nil || s.Args != nil) {
		v.errorf(l, c, "send_raw: hex excludes header and args")
	}
	if s.Hex == "" && s.Header == nil {
		v.errorf(l, c, "send_raw: need hex or header")
	}
	if h := s.Header; h != nil {
		a, err := spec.ParseAction(h.Action)
		if err != nil && h.Action != "" {
			v.errorf(l, c, "send_raw: %v", err)
		}
		if _, err := ParseInfo(a, h.Info); err != nil {
			v.errorf(l, c, "send_raw: info: %v", err)
		}
	}
	for i := range s.Args {
		v.value(&s.Args[i])
	}
}

func (v *validator) expect(e *Expect) {
	e.Pos.File = v.file
	l, c := e.Pos.Line, e.Pos.Col
	v.conn(l, c, &e.Conn)
	a, err := spec.ParseAction(e.Action)
	if err != nil {
		v.errorf(l, c, "expect: %v", err)
	}
	if _, err := ParseInfo(a, e.Info); err != nil && e.Info != "any" {
		v.errorf(l, c, "expect: info: %v", err)
	}
	if e.Level != "" && e.Level != Must && e.Level != Should {
		v.errorf(l, c, "expect: level must be must or should")
	}
	for i := range e.Args {
		v.matcher(&e.Args[i])
	}
}

func (v *validator) value(x *Value) {
	l, c := x.Line, x.Col
	switch x.Kind {
	case "text":
		v.template(l, c, x.Text)
	case "key":
		v.actor(l, c, x.Text)
	case "encrypt":
		v.actor(l, c, x.Encrypt.To)
		v.template(l, c, x.Encrypt.Text)
	case "var":
		v.useVar(l, c, x.Text)
	case "perm":
		if x.Perm < 0 || x.Perm > 255 {
			v.errorf(l, c, "perm must be 0..255")
		}
	case "bytes":
		if x.Bytes.Len < 0 || x.Bytes.Len > spec.MaxLen {
			v.errorf(l, c, "bytes: len must be 0..%d", spec.MaxLen)
		}
	case "concat":
		for i := range x.Parts {
			v.value(&x.Parts[i])
		}
	}
}

func (v *validator) matcher(m *Matcher) {
	l, c := m.Line, m.Col
	switch m.Kind {
	case "eq":
		v.value(m.Value)
	case "decrypts_to":
		v.actor(l, c, m.Decrypt.Actor)
		v.template(l, c, m.Decrypt.Text)
	case "key_of":
		v.actor(l, c, m.Actor)
	case "user_list_contains", "user_list_excludes", "user_list_equals":
		for _, e := range m.List {
			v.template(l, c, e)
		}
	}
	if m.Capture != "" {
		v.defVar(l, c, m.Capture)
	}
}

func (v *validator) template(l, c int, s string) {
	for _, ref := range TemplateRefs(s) {
		base, filter := splitRef(ref)
		if filter != "" && !filterSet[filter] {
			v.errorf(l, c, "unknown filter %q in ${%s} (want upper, lower, hex)", filter, ref)
		}
		if name, field, ok := strings.Cut(base, "."); ok {
			if field != "name" {
				v.errorf(l, c, "${%s}: only .name is defined on actors", ref)
			}
			v.actor(l, c, name)
			continue
		}
		v.useVar(l, c, base)
	}
}

func (v *validator) defVar(l, c int, name string) {
	if !varRE.MatchString(name) {
		v.errorf(l, c, "bad variable name %q", name)
	}
	v.vars[name] = true
}

func (v *validator) useVar(l, c int, name string) {
	if !v.vars[name] {
		v.errorf(l, c, "variable %q used before it is captured or set", name)
	}
}

// decodeHex accepts hex digits with optional spaces.
func decodeHex(s string) ([]byte, error) {
	return hexDecode(strings.ReplaceAll(s, " ", ""))
}
