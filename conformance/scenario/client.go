package scenario

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"

	"github.com/gochatproto/gochat/spec"
)

// The steps below exist only in client-role scenarios, where the runner
// plays the server and steers the client under test through the driver
// protocol (docs/driver.md).

// DefaultConn is the name of a connection an accept step does not name.
const DefaultConn = "c"

// Accept waits for the client to connect, then sends HELLO with Hello as
// the MOTD unless NoHello is set.
type Accept struct {
	Conn    string        `yaml:"conn"`
	TLS     bool          `yaml:"tls"`
	Hello   *string       `yaml:"hello"`
	NoHello bool          `yaml:"no_hello"`
	Within  time.Duration `yaml:"within"`
	// TLSRefused: the client is expected to abort the TLS handshake (the
	// runner's certificate is self-signed and the drive step asked the
	// client to verify it); completing it fails the step.
	TLSRefused bool `yaml:"tls_refused"`
}

// Drive sends one driver command. Actor fills "user" (and "key_pem" for
// register and login) from an actor; Fields are the other command fields.
// The runner fills "addr" and "dialect" of connect (TLS picks the TLS
// listener). Expect, when set, waits for the response at once.
type Drive struct {
	Cmd    string
	Actor  string
	TLS    bool
	Fields map[string]Field
	Expect *Response
}

// Field is a driver command or event field: a template (strings), a list
// of templates, or another scalar passed as is (numbers, booleans).
type Field struct {
	Text  *Template
	List  []Template
	Plain any
}

// Response waits for the response to the last driven command. OK is the
// expected outcome (default true); Error, if set, is the expected error
// code; Fields are expected result fields (compared as text after ${...}
// expansion; "any" only requires presence).
type Response struct {
	OK     *bool               `yaml:"ok"`
	Error  string              `yaml:"error"`
	Fields map[string]Template `yaml:"fields"`
	Within time.Duration       `yaml:"within"`
	Check  `yaml:",inline"`
}

// ExpectEvent waits for the next driver event of kind Event and compares
// its fields (as text after ${...} expansion; "any" only requires
// presence). Events of other kinds before it are skipped, unless
// Unordered: then the first matching event is taken wherever it is and
// the others stay for later steps (for events whose order the
// specification leaves open, such as a notice and the close after it).
type ExpectEvent struct {
	Event     string
	Fields    map[string]Template
	Within    time.Duration
	Unordered bool
	// Absent: no event of this kind may have been reported so far or
	// arrive within Within (a client must not report a packet it had to
	// reject). Fields are not allowed with it.
	Absent bool
	Check
}

// driverCmds lists the driver commands (docs/driver.md) with the fields a
// scenario may give; the runner fills addr, dialect and insecure, and an
// actor fills user and key_pem.
var driverCmds = map[string][]string{
	"connect": {"keepalive_ms", "insecure"}, "register": {"user", "key_pem"}, "login": {"user", "key_pem", "token"},
	"logout": nil, "deregister": nil, "request_key": {"user"}, "list_users": {"kind"},
	"send_message": {"to", "text"}, "catch_up": nil, "subscribe": {"hook"}, "unsubscribe": {"hook"},
	"admin": {"op", "args"}, "keepalive": nil, "reconnect": nil, "close": nil, "quit": nil,
}

// driverEvents lists the driver events with their fields.
var driverEvents = map[string][]string{
	"connected": {"motd"}, "message": {"from", "text", "stamp", "error"}, "hook": {"hook", "user", "perm", "ip"},
	"shutdown": {"at"}, "server_error": {"code"}, "disconnected": {"reason"},
}

// fieldValues restricts fields whose values are names, where a literal
// outside the list is a typo (templates are checked when they expand).
var fieldValues = map[string][]string{
	"kind": {"all", "online", "all_perms", "online_perms"},
	"op":   {"shutdown", "dereg", "broadcast", "chgperms", "kick", "motd"},
}

// driverErrors are the driver's own error codes besides the gochat ERR names.
var driverErrors = []string{"local", "timeout", "closed", "unsupported", "bad_command"}

func (s *Step) decodeClient(val ast.Node) error {
	switch s.Kind {
	case KindAccept:
		s.Accept = new(Accept)
		if _, null := val.(*ast.NullNode); null {
			return nil
		}
		return strict(val, s.Accept)
	case KindDrive:
		s.Drive = new(Drive)
		return s.Drive.decode(val)
	case KindResponse:
		s.Response = new(Response)
		return s.Response.decode(val)
	}
	s.ExpectEvent = new(ExpectEvent)
	return s.ExpectEvent.decode(val)
}

// mapping returns the keys and values of a mapping node, in order.
func mapping(n ast.Node, what string) ([]string, []ast.Node, error) {
	mn, ok := n.(ast.MapNode)
	if !ok {
		return nil, nil, errAt(n, "%s: want a mapping", what)
	}
	var keys []string
	var vals []ast.Node
	for it := mn.MapRange(); it.Next(); {
		k := text(it.Key())
		keys, vals = append(keys, k), append(vals, it.Value())
	}
	return keys, vals, nil
}

func (d *Drive) decode(n ast.Node) error {
	keys, vals, err := mapping(n, "drive")
	if err != nil {
		return err
	}
	d.Fields = map[string]Field{}
	for i, k := range keys {
		v := vals[i]
		switch k {
		case "cmd":
			d.Cmd, err = name(v, "drive: cmd")
		case "actor":
			d.Actor, err = name(v, "drive: actor")
		case "tls":
			err = strict(v, &d.TLS)
		case "expect":
			d.Expect = new(Response)
			err = d.Expect.decode(v)
		default:
			d.Fields[k], err = decodeField(v)
		}
		if err != nil {
			return err
		}
	}
	allowed, ok := driverCmds[d.Cmd]
	switch {
	case d.Cmd == "":
		return errAt(n, "drive: cmd is required")
	case !ok:
		return errAt(n, "drive: unknown driver command %q (want %s)", d.Cmd, strings.Join(sortedKeys(driverCmds), ", "))
	case d.TLS && d.Cmd != "connect":
		return errAt(n, "drive: tls applies only to connect")
	}
	for i, k := range keys {
		if k != "cmd" && k != "actor" && k != "tls" && k != "expect" && !slices.Contains(allowed, k) {
			return errAt(vals[i], "drive %s: unknown field %q (the command takes %s)", d.Cmd, k, listOr(allowed))
		}
	}
	return checkFieldValues(n, d.Fields)
}

// decodeField reads a driver field: a string (a template), a list of
// strings, or another scalar.
func decodeField(v ast.Node) (Field, error) {
	switch t := v.(type) {
	case *ast.StringNode, *ast.LiteralNode:
		var tmpl Template
		err := tmpl.UnmarshalYAML(v)
		return Field{Text: &tmpl}, err
	case *ast.SequenceNode:
		var f Field
		err := strict(t, &f.List)
		return f, err
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		var f Field
		err := strict(t, &f.Plain)
		return f, err
	}
	return Field{}, errAt(v, "want a string, a number, a boolean or a list of strings")
}

func checkFieldValues(n ast.Node, fields map[string]Field) error {
	if f, ok := fields["hook"]; ok && f.Text != nil && len(f.Text.Refs()) == 0 {
		// The driver protocol writes the canonical names only.
		if h, err := spec.ParseHookName(f.Text.Text); err != nil || h.Name() != f.Text.Text {
			return errAt(n, "hook: unknown driver hook name %q (want all, new_login, new_logout, "+
				"duplicated_session or permissions_change)", f.Text.Text)
		}
	}
	for k, want := range fieldValues {
		f, ok := fields[k]
		if !ok || f.Text == nil || len(f.Text.Refs()) > 0 {
			continue
		}
		if !slices.Contains(want, f.Text.Text) {
			return errAt(n, "%s: unknown value %q (want %s)", k, f.Text.Text, listOr(want))
		}
	}
	return nil
}

func (r *Response) decode(n ast.Node) error {
	if _, null := n.(*ast.NullNode); null {
		return nil
	}
	if err := strict(n, r); err != nil {
		return err
	}
	if r.Error != "" && !slices.Contains(driverErrors, r.Error) {
		if _, err := spec.ParseErrCode(r.Error); err != nil || !strings.HasPrefix(r.Error, "ERR_") {
			return errAt(n, "response: error %q is neither a gochat ERR name nor one of %s", r.Error, listOr(driverErrors))
		}
	}
	if r.Error != "" && r.OK != nil && *r.OK {
		return errAt(n, "response: ok: true contradicts error")
	}
	return nil
}

func (e *ExpectEvent) decode(n ast.Node) error {
	keys, vals, err := mapping(n, "expect_event")
	if err != nil {
		return err
	}
	e.Fields = map[string]Template{}
	for i, k := range keys {
		v := vals[i]
		switch k {
		case "event":
			e.Event, err = name(v, "expect_event: event")
		case "within":
			err = strict(v, &e.Within)
		case "level":
			err = strict(v, &e.Level)
		case "req":
			err = strict(v, &e.Req)
		case "soft":
			err = strict(v, &e.Soft)
		case "unordered":
			err = strict(v, &e.Unordered)
		case "absent":
			err = strict(v, &e.Absent)
		default:
			var t Template
			err = t.UnmarshalYAML(v)
			e.Fields[k] = t
		}
		if err != nil {
			return err
		}
	}
	if e.Absent && len(e.Fields) > 0 {
		return errAt(n, "expect_event: absent takes no event fields")
	}
	allowed, ok := driverEvents[e.Event]
	if !ok {
		return errAt(n, "expect_event: unknown event %q (want %s)", e.Event, strings.Join(sortedKeys(driverEvents), ", "))
	}
	for i, k := range keys {
		if !slices.Contains([]string{"event", "within", "level", "req", "soft", "unordered", "absent"}, k) && !slices.Contains(allowed, k) {
			return errAt(vals[i], "expect_event %s: unknown field %q (the event has %s)", e.Event, k, listOr(allowed))
		}
	}
	fields := map[string]Field{}
	for k, t := range e.Fields {
		if t.Text != "any" {
			fields[k] = Field{Text: &t}
		}
	}
	return checkFieldValues(n, fields)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func listOr(xs []string) string {
	if len(xs) == 0 {
		return "no fields"
	}
	return strings.Join(xs, ", ")
}
