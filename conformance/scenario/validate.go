package scenario

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/spec"
)

// validator checks one scenario of either role, resolves what steps leave
// implicit (connections, actor keys, info bytes) and expands the register
// and login macros. Errors carry the file:line:col of the offending step
// or value.
type validator struct {
	s      *Scenario
	file   string
	opts   LoadOptions
	errs   []error
	conns  map[string]bool
	last   string            // connection opened last
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
	v.conns, v.lastOf, v.vars = map[string]bool{}, map[string]string{}, map[string]bool{}
	v.header()
	v.actors()
	all := v.expandSetup(append(s.Setup, s.Steps...), len(s.Setup))
	steps := make([]Step, 0, len(all))
	for i := range all {
		st := &all[i]
		st.Pos.File = v.file
		if r := roleOnly[st.Kind]; r != "" && r != s.Role {
			v.errorf(st.Pos.Line, st.Pos.Col, "step %s is for %s-role scenarios; this is a %s-role scenario (steps: %s)",
				st.Kind, r, s.Role, strings.Join(KindsFor(s.Role), ", "))
			continue
		}
		if err := st.decode(); err != nil {
			// Later steps would only report what this one failed to open.
			v.errs = append(v.errs, fileError(v.file, err))
			break
		}
		v.step(st)
		if st.Auth != nil {
			steps = append(steps, expandAuth(st)...)
			continue
		}
		steps = append(steps, *st)
	}
	s.Setup, s.Steps = nil, steps
}

// expandSetup marks the first n steps (the setup: section) as setup and
// replaces each "setup" step by the steps it holds, marked as setup too.
func (v *validator) expandSetup(steps []Step, n int) []Step {
	out := make([]Step, 0, len(steps))
	for i, st := range steps {
		st.Setup = i < n
		if st.Kind != KindSetup {
			out = append(out, st)
			continue
		}
		var inner []Step
		if err := strict(st.raw, &inner); err != nil {
			v.errs = append(v.errs, fileError(v.file, err))
			continue
		}
		if len(inner) == 0 {
			v.errorf(st.Pos.Line, st.Pos.Col, "setup: want a non-empty list of steps")
		}
		for _, in := range inner {
			if in.Kind == KindSetup {
				v.errorf(in.Pos.Line, in.Pos.Col, "setup steps do not nest")
				continue
			}
			in.Setup = true
			out = append(out, in)
		}
	}
	return out
}

// check validates what a check says about its requirement.
func (v *validator) check(l, c int, what string, ch *Check) {
	v.level(l, c, what, ch.Level)
	v.requirement(l, c, what, ch.Req)
}

func (v *validator) requirement(l, c int, what, id string) {
	if id != "" && v.opts.KnownRequirement != nil && !v.opts.KnownRequirement(id) {
		v.errorf(l, c, "%s: unknown requirement %q", what, id)
	}
}

func (v *validator) header() {
	s := v.s
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
	if s.Role == RoleClient && (len(s.Needs) > 0 || s.Config != (ServerConfig{})) {
		v.top("scenario %s: needs and config describe the server under test; client-role scenarios take neither", s.ID)
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
}

func (v *validator) actors() {
	if v.s.Actors == nil {
		v.s.Actors = map[string]Actor{}
	}
	names := sortedKeys(v.s.Actors)
	for _, name := range names {
		a := v.s.Actors[name]
		if !varRE.MatchString(name) {
			v.top("actor name %q must be lowercase letters, digits and _", name)
		}
		switch {
		case a.Role == "":
			if a.Key == "" {
				a.Key = name
			}
			if v.opts.Keys != nil && !v.opts.Keys[a.Key] {
				v.top("actor %s: no fixture key %q", name, a.Key)
			}
		case v.s.Role == RoleClient:
			v.top("actor %s: roles name the server's privileged accounts; client-role scenarios have none", name)
		case a.Role == "admin" || a.Role == "owner":
			if !v.s.NeedsCap(a.Role) {
				v.top("actor %s has role %s: the scenario must declare needs: [%s]", name, a.Role, a.Role)
			}
		default:
			v.top("actor %s: role must be admin or owner", name)
		}
		if a.Name != nil {
			v.template(v.s.Pos.Line, v.s.Pos.Col, a.Name)
		}
		v.s.Actors[name] = a
	}
}

func (v *validator) actor(line, col int, name string) {
	if _, ok := v.s.Actors[name]; !ok {
		v.errorf(line, col, "unknown actor %q", name)
	}
}

// conn resolves a connection reference, defaulting to the one opened last.
func (v *validator) conn(line, col int, c *string) {
	if *c == "" {
		if v.last == "" {
			v.errorf(line, col, "no connection: %s first", map[string]string{RoleServer: "connect", RoleClient: "accept"}[v.s.Role])
			return
		}
		*c = v.last
		return
	}
	if !v.conns[*c] {
		v.errorf(line, col, "unknown connection %q (not opened by an earlier connect or accept)", *c)
	}
}

// open records a connection opened by connect or accept.
func (v *validator) open(l, c int, name, actor string) {
	if v.conns[name] {
		v.errorf(l, c, "connection %q opened twice", name)
	}
	v.conns[name], v.last = true, name
	if actor != "" {
		v.lastOf[actor] = name
	}
}

func (v *validator) step(st *Step) {
	l, c := st.Pos.Line, st.Pos.Col
	switch st.Kind {
	case KindConnect:
		v.connect(l, c, st.Connect)
	case KindRegister, KindLogin:
		v.auth(l, c, st.Auth)
	case KindSend:
		v.send(l, c, st.Send)
	case KindSendRaw:
		v.sendRaw(l, c, st.SendRaw)
	case KindExpect:
		v.expect(st.Expect)
	case KindAnyOrder:
		for _, e := range st.AnyOrder {
			v.expect(e)
		}
	case KindExpectNone:
		v.conn(l, c, &st.ExpectNone.Conn)
		v.check(l, c, "expect_none", &st.ExpectNone.Check)
		if st.ExpectNone.For <= 0 {
			v.errorf(l, c, "expect_none: for must be a positive duration")
		}
	case KindExpectClose:
		v.conn(l, c, &st.ExpectClose.Conn)
		v.check(l, c, "expect_close", &st.ExpectClose.Check)
		v.requirement(l, c, "expect_close: err_req", st.ExpectClose.ErrReq)
		if st.ExpectClose.Err == nil && (st.ExpectClose.ErrReq != "" || st.ExpectClose.SpecCode) {
			v.errorf(l, c, "expect_close: err_req and spec_code need err")
		}
	case KindDecrypt:
		v.check(l, c, "decrypt", &st.Decrypt.Check)
		v.actor(l, c, st.Decrypt.Actor)
		v.useVar(l, c, st.Decrypt.From)
		v.defVar(l, c, st.Decrypt.Into)
	case KindDisconnect, KindStopReading:
		v.conn(l, c, &st.Conn)
	case KindSet:
		v.value(&st.Set.Value)
		v.defVar(l, c, st.Set.Var)
	case KindAccept:
		if st.Accept.Conn == "" {
			st.Accept.Conn = DefaultConn
		}
		v.open(l, c, st.Accept.Conn, "")
	case KindDrive:
		v.drive(l, c, st.Drive)
	case KindResponse:
		v.response(l, c, st.Response)
		v.check(l, c, "response", &st.Response.Check)
	case KindExpectEvent:
		v.check(l, c, "expect_event", &st.ExpectEvent.Check)
		v.templates(l, c, st.ExpectEvent.Fields)
	}
}

func (v *validator) level(l, c int, what string, lv Level) {
	if lv != "" && lv != result.Must && lv != result.Should {
		v.errorf(l, c, "%s: level must be must or should", what)
	}
}

func (v *validator) connect(l, c int, cn *Connect) {
	if cn.Conn == "" {
		v.errorf(l, c, "connect: conn is required")
	}
	if cn.Actor != "" {
		v.actor(l, c, cn.Actor)
	}
	if cn.TLS && !v.s.NeedsCap(CapTLS) {
		v.errorf(l, c, "connect with tls: the scenario must declare needs: [tls]")
	}
	v.open(l, c, cn.Conn, cn.Actor)
}

func (v *validator) auth(l, c int, a *Auth) {
	v.actor(l, c, a.Actor)
	if a.Conn == "" {
		if a.Conn = v.lastOf[a.Actor]; a.Conn == "" {
			v.errorf(l, c, "actor %s has no connection", a.Actor)
		}
	} else {
		v.conn(l, c, &a.Conn)
	}
	v.defVar(l, c, challengeVar)
	v.defVar(l, c, answerVar)
}

func (v *validator) send(l, c int, s *Send) {
	v.conn(l, c, &s.Conn)
	if err := s.Info.resolve(s.Action.Action, false); err != nil {
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
	if s.Hex != nil && (s.Header != nil || s.Args != nil) {
		v.errorf(l, c, "send_raw: hex excludes header and args")
	}
	if s.Hex == nil && s.Header == nil {
		v.errorf(l, c, "send_raw: need hex or header")
	}
	if h := s.Header; h != nil {
		if h.ID != nil && h.ID.Any {
			v.errorf(l, c, "send_raw: id cannot be any")
		}
		if err := h.Info.resolve(h.Action.Action, false); err != nil {
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
	if err := e.Info.resolve(e.Action.Action, true); err != nil {
		v.errorf(l, c, "expect: info: %v", err)
	}
	v.check(l, c, "expect", &e.Check)
	if e.SpecCode && (e.Action.Action != spec.ERR || !e.Info.Given()) {
		v.errorf(l, c, "expect: spec_code applies to an ERR with a given info")
	}
	for i := range e.Args {
		m := &e.Args[i]
		if m.IsUserList() && len(e.Args) > 1 {
			v.errorf(m.Line, m.Col, "%s must be the only matcher of its expectation (it judges the whole reply)", m.Kind)
		}
		v.matcher(m)
	}
}

func (v *validator) drive(l, c int, d *Drive) {
	if d.Actor != "" {
		v.actor(l, c, d.Actor)
	}
	for _, f := range d.Fields {
		if f.Text != nil {
			v.template(l, c, f.Text)
		}
		for i := range f.List {
			v.template(l, c, &f.List[i])
		}
	}
	if d.Expect != nil {
		v.response(l, c, d.Expect)
		v.check(l, c, "drive: expect", &d.Expect.Check)
	}
}

func (v *validator) response(l, c int, r *Response) {
	v.templates(l, c, r.Fields)
}

func (v *validator) templates(l, c int, m map[string]Template) {
	for _, k := range sortedKeys(m) {
		t := m[k]
		v.template(l, c, &t)
	}
}

func (v *validator) value(x *Value) {
	l, c := x.Line, x.Col
	switch x.Kind {
	case "text":
		v.template(l, c, &x.Text)
	case "key":
		v.actor(l, c, x.Actor)
	case "encrypt":
		v.actor(l, c, x.Encrypt.To)
		v.template(l, c, &x.Encrypt.Text)
	case "var":
		v.useVar(l, c, x.Var)
	case "concat", "pem":
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
		v.template(l, c, &m.Decrypt.Text)
	case "key_of":
		v.actor(l, c, m.Actor)
	case "user_list_contains", "user_list_excludes", "user_list_equals":
		for i := range m.List {
			v.template(l, c, &m.List[i])
		}
	}
	if m.Capture != "" {
		v.defVar(l, c, m.Capture)
	}
}

func (v *validator) template(l, c int, t *Template) {
	for _, ref := range t.Refs() {
		if ref.Actor != "" {
			v.actor(l, c, ref.Actor)
		} else {
			v.useVar(l, c, ref.Var)
		}
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

// The login macro's variables: the challenge and its decryption.
const (
	challengeVar = "_challenge"
	answerVar    = "_answer"
)

// expandAuth turns a register or login step into the packets it stands
// for, so that the engine runs them like any other step (and reports a
// mismatch with the same matcher):
//
//	register: REG <name> <key>, expect OK
//	login:    LOGIN <name>, expect VERIF <challenge>, decrypt it with the
//	          actor's key, VERIF <name> <plaintext>, expect OK
func expandAuth(st *Step) []Step {
	a := st.Auth
	at := func(kind string) Step { return Step{Pos: st.Pos, Kind: kind, Macro: st.Kind, Setup: st.Setup} }
	userName := Value{Line: st.Pos.Line, Col: st.Pos.Col, Kind: "text",
		Text: Template{Text: "${" + a.Actor + ".name}", Parts: []TemplatePart{{Ref: &Ref{Actor: a.Actor}}}}}
	send := func(act spec.Action, args ...Value) Step {
		s := at(KindSend)
		s.Send = &Send{Conn: a.Conn, Action: Action{act}, Info: Info{Value: spec.EmptyInfo}, Args: args}
		return s
	}
	expect := func(act spec.Action, args ...Matcher) Step {
		s := at(KindExpect)
		s.Expect = &Expect{Conn: a.Conn, Action: Action{act}, Info: Info{Value: spec.EmptyInfo},
			Args: append([]Matcher{}, args...), Pos: st.Pos}
		return s
	}
	if st.Kind == KindRegister {
		// PEM in both dialects: register is setup, and every server
		// accepts PEM (the original implementation's form), while
		// accepting DER is only a SHOULD (ENC-3).
		key := Value{Kind: "key", Actor: a.Actor, KeyFormat: "pem"}
		return []Step{send(spec.REG, userName, key), expect(spec.OK)}
	}
	decrypt := at(KindDecrypt)
	decrypt.Decrypt = &Decrypt{Actor: a.Actor, From: challengeVar, Into: answerVar}
	return []Step{
		send(spec.LOGIN, userName),
		expect(spec.VERIF, Matcher{Kind: "any", Capture: challengeVar}),
		decrypt,
		send(spec.VERIF, userName, Value{Kind: "var", Var: answerVar}),
		expect(spec.OK),
	}
}
