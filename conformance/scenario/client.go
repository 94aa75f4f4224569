package scenario

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// ClientStep is one step of a client-role scenario, where the runner plays
// the server and steers the client under test through the driver protocol
// (docs/driver.md). Exactly one field is set. The listeners and the client
// process are set up before the first step.
type ClientStep struct {
	Pos Pos

	Drive       *Drive
	Response    *Response
	Accept      *Accept
	Send        *Send
	SendRaw     *SendRaw
	Expect      *Expect
	ExpectEvent *ExpectEvent
	ExpectClose *ExpectClose
	ExpectNone  *ClientExpectNone
	Sleep       time.Duration
	Disconnect  string
}

// Kind names the step kind as written in YAML.
func (s *ClientStep) Kind() string {
	switch {
	case s.Drive != nil:
		return "drive"
	case s.Response != nil:
		return "response"
	case s.Accept != nil:
		return "accept"
	case s.ExpectEvent != nil:
		return "expect_event"
	case s.ExpectNone != nil:
		return "expect_none"
	case s.Disconnect != "":
		return "disconnect"
	}
	// The kinds server scenarios have too (sleep included) are named there.
	shared := Step{Send: s.Send, SendRaw: s.SendRaw, Expect: s.Expect, ExpectClose: s.ExpectClose}
	return shared.Kind()
}

// Drive sends one driver command. Cmd is the command name; Actor fills
// "user" (and "key_pem" for register and login) from an actor; Fields are
// the other command fields, with ${...} expanded in string values. The
// runner fills "addr" and "dialect" of connect (TLS picks the TLS
// listener). Expect, when set, waits for the response at once.
type Drive struct {
	Cmd    string
	Actor  string
	TLS    bool
	Fields map[string]any
	Expect *Response
}

// Response waits for the response to the last driven command. OK is the
// expected outcome (default true); Error, if set, is the expected error
// code; Fields are expected result fields (compared as text after ${...}
// expansion, "any" only requires presence).
type Response struct {
	OK     *bool             `yaml:"ok"`
	Error  string            `yaml:"error"`
	Fields map[string]string `yaml:"fields"`
	Within time.Duration     `yaml:"within"`
}

// Accept waits for the client to connect, then sends HELLO with Hello as
// the MOTD unless NoHello is set.
type Accept struct {
	Conn    string        `yaml:"conn"`
	TLS     bool          `yaml:"tls"`
	Hello   *string       `yaml:"hello"`
	NoHello bool          `yaml:"no_hello"`
	Within  time.Duration `yaml:"within"`
}

// ExpectEvent waits for the next driver event of kind Event and compares
// its fields (as text after ${...} expansion; "any" only requires
// presence). Events of other kinds before it are skipped.
type ExpectEvent struct {
	Event  string
	Fields map[string]string
	Within time.Duration
	Level  Level
}

// ClientExpectNone asserts that the client sends nothing (or, with
// Action, no packet of that action) for a while.
type ClientExpectNone struct {
	Conn   string        `yaml:"conn"`
	For    time.Duration `yaml:"for"`
	Action string        `yaml:"action"`
}

// DefaultConn is the connection name of steps that give none.
const DefaultConn = "c"

// clientDoc is the YAML form of a client-role scenario: the header of a
// server scenario with client steps.
type clientDoc struct {
	ID           string           `yaml:"id"`
	Title        string           `yaml:"title"`
	Description  string           `yaml:"description"`
	Requirements []string         `yaml:"requirements"`
	Level        Level            `yaml:"level"`
	Tags         []string         `yaml:"tags"`
	Needs        []string         `yaml:"needs"`
	Actors       map[string]Actor `yaml:"actors"`
	Steps        []ClientStep     `yaml:"steps"`
}

// ParseClient decodes the client-role scenarios of one file.
func ParseClient(name string, data []byte, opts LoadOptions) ([]*Scenario, error) {
	var out []*Scenario
	err := parseDocs(name, data, func(d *clientDoc, at Pos) []error {
		s := &Scenario{ID: d.ID, Title: d.Title, Description: d.Description, Requirements: d.Requirements,
			Level: d.Level, Tags: d.Tags, Needs: d.Needs, Actors: d.Actors, Role: "client", ClientSteps: d.Steps,
			Pos: at}
		if s.Actors == nil {
			s.Actors = map[string]Actor{}
		}
		out = append(out, s)
		return validateClient(s, name, opts)
	})
	return out, err
}

func validateClient(s *Scenario, file string, opts LoadOptions) []error {
	var errs []error
	top := func(format string, args ...any) {
		errs = append(errs, &Error{Pos: s.Pos, Msg: fmt.Sprintf(format, args...)})
	}
	if !idRE.MatchString(s.ID) {
		top("scenario id %q must look like SECTION-words (e.g. CLI-reg-key)", s.ID)
	}
	if s.Title == "" || len(s.Requirements) == 0 {
		top("scenario %s needs a title and at least one requirement", s.ID)
	}
	for _, r := range s.Requirements {
		if opts.KnownRequirement != nil && !opts.KnownRequirement(r) {
			top("scenario %s cites unknown requirement %q", s.ID, r)
		}
	}
	if s.Level.Rank() > 2 {
		top("scenario %s: level must be must, should or may (got %q)", s.ID, s.Level)
	}
	names := make([]string, 0, len(s.Actors))
	for n := range s.Actors {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a := s.Actors[n]
		if a.Key == "" {
			a.Key = n
			s.Actors[n] = a
		}
		if opts.Keys != nil && !opts.Keys[a.Key] {
			top("actor %s: no fixture key %q", n, a.Key)
		}
	}
	for i := range s.ClientSteps {
		st := &s.ClientSteps[i]
		st.Pos.File = file
		if a := st.actor(); a != "" && !slices.Contains(names, a) {
			errs = append(errs, &Error{Pos: st.Pos, Msg: fmt.Sprintf("unknown actor %q", a)})
		}
	}
	return errs
}

func (s *ClientStep) actor() string {
	if s.Drive != nil {
		return s.Drive.Actor
	}
	return ""
}

// UnmarshalYAML implements yaml.NodeUnmarshaler.
func (s *ClientStep) UnmarshalYAML(n ast.Node) error {
	s.Pos.Line, s.Pos.Col = nodePos(n)
	kind, val, err := singleKey(n, "step")
	if err != nil {
		return err
	}
	switch kind {
	case "drive":
		s.Drive = new(Drive)
		return s.Drive.decode(val)
	case "response":
		s.Response = new(Response)
		return strict(val, s.Response)
	case "accept":
		s.Accept = new(Accept)
		if _, ok := val.(*ast.NullNode); ok {
			return nil
		}
		return strict(val, s.Accept)
	case "send", "send_raw", "expect", "expect_close", "sleep":
		// The same steps as in server scenarios, decoded the same way.
		var st Step
		err := st.decodeKind(n, kind, val)
		s.Send, s.SendRaw, s.Expect, s.ExpectClose, s.Sleep = st.Send, st.SendRaw, st.Expect, st.ExpectClose, st.Sleep
		return err
	case "expect_event":
		s.ExpectEvent = new(ExpectEvent)
		return s.ExpectEvent.decode(val)
	case "expect_none":
		s.ExpectNone = new(ClientExpectNone)
		return strict(val, s.ExpectNone)
	case "disconnect":
		c, ok := scalar(val)
		if !ok {
			return errAt(val, "disconnect: want a connection name")
		}
		if c == "" {
			c = DefaultConn
		}
		s.Disconnect = c
		return nil
	}
	return errAt(n, "unknown client step %q (want drive, response, accept, send, send_raw, expect, "+
		"expect_event, expect_close, expect_none, sleep, disconnect)", kind)
}

// freeMapping decodes a step written as a mapping of any keys, of which
// head must hold a non-empty string; it returns that string and the other
// keys.
func freeMapping(n ast.Node, step, head string) (string, map[string]any, error) {
	var m map[string]any
	if err := yaml.NodeToValue(n, &m); err != nil {
		return "", nil, errAt(n, "%s: want a mapping: %v", step, err)
	}
	v, _ := m[head].(string)
	if v == "" {
		return "", nil, errAt(n, "%s: %s is required", step, head)
	}
	delete(m, head)
	return v, m, nil
}

func (d *Drive) decode(n ast.Node) error {
	cmd, m, err := freeMapping(n, "drive", "cmd")
	if err != nil {
		return err
	}
	d.Cmd = cmd
	if a, ok := m["actor"]; ok {
		d.Actor, _ = a.(string)
		delete(m, "actor")
	}
	if t, ok := m["tls"].(bool); ok {
		d.TLS = t
	}
	if _, ok := m["expect"]; ok {
		d.Expect = new(Response)
		mn, _ := n.(ast.MapNode)
		for it := mn.MapRange(); it.Next(); {
			if k, _ := scalar(it.Key()); k == "expect" {
				if err := strict(it.Value(), d.Expect); err != nil {
					return err
				}
			}
		}
		delete(m, "expect")
	}
	d.Fields = m
	return nil
}

func (e *ExpectEvent) decode(n ast.Node) error {
	event, m, err := freeMapping(n, "expect_event", "event")
	if err != nil {
		return err
	}
	e.Event = event
	if w, ok := m["within"]; ok {
		d, err := time.ParseDuration(fmt.Sprint(w))
		if err != nil {
			return errAt(n, "expect_event: within: %v", err)
		}
		e.Within = d
		delete(m, "within")
	}
	if l, ok := m["level"]; ok {
		e.Level = Level(fmt.Sprint(l))
		delete(m, "level")
	}
	e.Fields = map[string]string{}
	for k, v := range m {
		e.Fields[k] = fmt.Sprint(v)
	}
	return nil
}
