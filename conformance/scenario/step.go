package scenario

import (
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// Step kinds, as written in YAML.
const (
	KindConnect     = "connect"
	KindRegister    = "register"
	KindLogin       = "login"
	KindSend        = "send"
	KindSendRaw     = "send_raw"
	KindExpect      = "expect"
	KindAnyOrder    = "expect_any_order"
	KindExpectNone  = "expect_none"
	KindExpectClose = "expect_close"
	KindSleep       = "sleep"
	KindDecrypt     = "decrypt"
	KindDisconnect  = "disconnect"
	KindSet         = "set"
	KindStopReading = "stop_reading"
	KindAccept      = "accept"
	KindDrive       = "drive"
	KindResponse    = "response"
	KindExpectEvent = "expect_event"
	// KindSetup holds steps that are setup, not subject, in the middle of
	// steps: (like the scenario's setup: section; expanded at load).
	KindSetup = "setup"
)

// roleOnly names the kinds that belong to one role; the others are the
// same in both.
var roleOnly = map[string]string{
	KindConnect: RoleServer, KindRegister: RoleServer, KindLogin: RoleServer, KindStopReading: RoleServer,
	KindAccept: RoleClient, KindDrive: RoleClient, KindResponse: RoleClient, KindExpectEvent: RoleClient,
}

var allKinds = []string{KindConnect, KindRegister, KindLogin, KindAccept, KindDrive, KindResponse,
	KindSend, KindSendRaw, KindExpect, KindAnyOrder, KindExpectNone, KindExpectClose, KindExpectEvent,
	KindSleep, KindDecrypt, KindDisconnect, KindSet, KindStopReading}

// KindsFor lists the step kinds a role's scenarios may use.
func KindsFor(role string) []string {
	var out []string
	for _, k := range allKinds {
		if r := roleOnly[k]; r == "" || r == role {
			out = append(out, k)
		}
	}
	return out
}

// Step is one action or assertion, decoded and checked at load: every
// field the engine reads is typed (actions, info bytes, payload bytes,
// compiled templates and matchers, durations) and every connection is
// resolved. Kind says which of the payload fields is set.
type Step struct {
	Pos  Pos
	Kind string
	// Macro is the macro step (register, login) this step was expanded
	// from; the transcript and failures name it.
	Macro string
	// Setup marks a step of the scenario's setup: section. A failed check
	// in it is a precondition error, not a failure of the implementation.
	Setup bool

	Connect     *Connect
	Auth        *Auth // register, login: expanded at load, never run
	Send        *Send
	SendRaw     *SendRaw
	Expect      *Expect
	AnyOrder    []*Expect
	ExpectNone  *ExpectNone
	ExpectClose *ExpectClose
	Sleep       time.Duration
	Decrypt     *Decrypt
	Set         *Set
	Conn        string // disconnect, stop_reading
	Accept      *Accept
	Drive       *Drive
	Response    *Response
	ExpectEvent *ExpectEvent

	raw ast.Node // the kind's value, decoded by the validator once the role is known
}

// Name is the step kind as the scenario wrote it (the macro, if any).
func (s *Step) Name() string {
	if s.Macro != "" {
		return s.Macro
	}
	return s.Kind
}

// ConnName is the connection the step acts on ("driver" for the driver
// steps, "" for steps on none).
func (s *Step) ConnName() string {
	switch s.Kind {
	case KindConnect:
		return s.Connect.Conn
	case KindSend:
		return s.Send.Conn
	case KindSendRaw:
		return s.SendRaw.Conn
	case KindExpect:
		return s.Expect.Conn
	case KindAnyOrder:
		return s.AnyOrder[0].Conn
	case KindExpectNone:
		return s.ExpectNone.Conn
	case KindExpectClose:
		return s.ExpectClose.Conn
	case KindDisconnect, KindStopReading:
		return s.Conn
	case KindAccept:
		return s.Accept.Conn
	case KindDrive, KindResponse, KindExpectEvent:
		return "driver"
	}
	return ""
}

// Connect opens a connection to the server under test.
type Connect struct {
	Conn  string `yaml:"conn"`
	Actor string `yaml:"actor"`
	TLS   bool   `yaml:"tls"`
	// Hello, when false, skips waiting for the HELLO packet (e.g. when
	// the server is full and the client must queue).
	Hello *bool `yaml:"hello"`
	// Read, when false, leaves the connection unread from the start (no
	// HELLO is awaited), like a client that never reads (CONN-26).
	Read *bool `yaml:"read"`
}

// Auth is the register or login macro.
type Auth struct {
	Actor string `yaml:"actor"`
	Conn  string `yaml:"conn"`
}

// Send writes a well-formed packet.
type Send struct {
	Conn    string  `yaml:"conn"`
	Action  Action  `yaml:"action"`
	ID      *IDSpec `yaml:"id"`
	Info    Info    `yaml:"info"`
	Args    []Value `yaml:"args"`
	Chunked int     `yaml:"chunked"`
	// Repeat sends the packet this many times in one write, each with the
	// next request ID (a flood; the transcript shows it once).
	Repeat int `yaml:"repeat"`
}

// SendRaw writes an arbitrary, possibly illegal, frame: Hex as is, or a
// header with Args and the separators given.
type SendRaw struct {
	Conn         string     `yaml:"conn"`
	Hex          Hex        `yaml:"hex"`
	Header       *RawHeader `yaml:"header"`
	HeaderSep    Hex        `yaml:"header_sep"`
	Args         []Value    `yaml:"args"`
	ArgSep       Hex        `yaml:"arg_sep"`
	OmitFinalSep bool       `yaml:"omit_final_sep"`
	Trailer      Hex        `yaml:"trailer"`
	Chunked      int        `yaml:"chunked"`
}

// RawHeader overrides header fields of a forged packet. Nil fields take
// the value a legal packet would have.
type RawHeader struct {
	Version  *uint8  `yaml:"version"`
	Action   Action  `yaml:"action"`
	Info     Info    `yaml:"info"`
	Args     *uint8  `yaml:"args"`
	Len      *uint16 `yaml:"len"`
	ID       *IDSpec `yaml:"id"`
	Reserved *uint16 `yaml:"reserved"`
}

// Check says what a failed check means: which requirement it verifies
// and whether the scenario goes on after it. Every expectation step
// (expect, each entry of expect_any_order, expect_none, expect_close)
// carries one. The level and source of a failure come from the registry
// entry of Req (the scenario's own requirements when Req is empty);
// Level, when set, overrides the level.
type Check struct {
	// Req is the requirement ID the check verifies; empty: the
	// scenario's requirements.
	Req string `yaml:"req"`
	// Level downgrades a mismatch to a SHOULD failure ("" = the
	// requirement's level).
	Level Level `yaml:"level"`
	// Soft records a failure and lets the scenario go on; a failed hard
	// check ends it, and the checks after it are listed as not run.
	Soft bool `yaml:"soft"`
}

// Expect waits for the next packet on a connection and matches it.
type Expect struct {
	Conn   string        `yaml:"conn"`
	Action Action        `yaml:"action"`
	ID     *IDSpec       `yaml:"id"`
	Info   Info          `yaml:"info"`
	Args   []Matcher     `yaml:"args"` // nil: not checked; empty: no arguments
	Within time.Duration `yaml:"within"`
	Check  `yaml:",inline"`
	// SpecCode says the original specification assigns the ERR code in
	// Info to this situation. Without it, an ERR with another code passes
	// the check, and the code difference is a decision-level note (E-60).
	SpecCode bool `yaml:"spec_code"`

	Pos Pos `yaml:"-"`
}

// ExpectNone asserts that nothing (or, with Action, no packet of that
// action) arrives on a connection for a while.
type ExpectNone struct {
	Conn   string        `yaml:"conn"`
	For    time.Duration `yaml:"for"`
	Action *Action       `yaml:"action"`
	Check  `yaml:",inline"`
}

// ExpectClose asserts the peer closes the connection, optionally after
// one ERR with ID 0. Err, when set, is the code that ERR should carry: a
// missing ERR is a soft SHOULD failure of ErrReq (default CONN-7), a
// different code a decision-level note (E-60) unless SpecCode. A missing
// close fails the Check (level "should" makes it a SHOULD failure).
type ExpectClose struct {
	Conn   string        `yaml:"conn"`
	Err    *ErrCode      `yaml:"err"`
	Within time.Duration `yaml:"within"`
	Check  `yaml:",inline"`
	// ErrReq is the requirement the ERR before the close verifies.
	ErrReq   string `yaml:"err_req"`
	SpecCode bool   `yaml:"spec_code"`
}

// Decrypt decrypts a captured ciphertext with an actor's key.
type Decrypt struct {
	Actor string `yaml:"actor"`
	From  string `yaml:"from"`
	Into  string `yaml:"into"`
	// Text, when given, is the plaintext the ciphertext must hold.
	Text  *Template `yaml:"text"`
	Check `yaml:",inline"`
}

// Set binds a variable to a value expression.
type Set struct {
	Var   string `yaml:"var"`
	Value Value  `yaml:"value"`
}

// UnmarshalYAML implements yaml.NodeUnmarshaler: a step is a mapping with
// exactly one key naming its kind. The value is decoded by the validator,
// which knows the role and so which kinds apply.
func (s *Step) UnmarshalYAML(n ast.Node) error {
	s.Pos.Line, s.Pos.Col = nodePos(n)
	kind, val, err := singleKey(n, "step")
	if err != nil {
		return err
	}
	if !slices.Contains(allKinds, kind) && kind != KindSetup {
		return errAt(n, "unknown step %q (want %s)", kind, strings.Join(allKinds, ", "))
	}
	s.Kind, s.raw = kind, val
	return nil
}

// decode reads the kind's value into its typed form.
func (s *Step) decode() error {
	val := s.raw
	s.raw = nil
	switch s.Kind {
	case KindConnect:
		s.Connect = new(Connect)
		if c, ok := scalar(val); ok {
			s.Connect.Conn, s.Connect.Actor = c, c
			return nil
		}
		return strict(val, s.Connect)
	case KindRegister, KindLogin:
		s.Auth = new(Auth)
		if a, ok := scalar(val); ok {
			s.Auth.Actor = a
			return nil
		}
		return strict(val, s.Auth)
	case KindSend:
		s.Send = new(Send)
		return strict(val, s.Send)
	case KindSendRaw:
		s.SendRaw = new(SendRaw)
		return strict(val, s.SendRaw)
	case KindExpect:
		s.Expect = new(Expect)
		return decodeExpect(val, s.Expect)
	case KindAnyOrder:
		return s.decodeAnyOrder(val)
	case KindExpectNone:
		s.ExpectNone = new(ExpectNone)
		return strict(val, s.ExpectNone)
	case KindExpectClose:
		s.ExpectClose = new(ExpectClose)
		if c, ok := scalar(val); ok {
			s.ExpectClose.Conn = c
			return nil
		}
		return strict(val, s.ExpectClose)
	case KindSleep:
		if err := strict(val, &s.Sleep); err != nil {
			return err
		}
		if s.Sleep <= 0 || s.Sleep > time.Minute {
			return errAt(val, "sleep must be between 0 and 1m")
		}
		return nil
	case KindDecrypt:
		s.Decrypt = new(Decrypt)
		return strict(val, s.Decrypt)
	case KindSet:
		s.Set = new(Set)
		return strict(val, s.Set)
	case KindDisconnect, KindStopReading:
		c, ok := scalar(val)
		if !ok {
			return errAt(val, "%s: want a connection name", s.Kind)
		}
		s.Conn = c
		return nil
	}
	return s.decodeClient(val)
}

func (s *Step) decodeAnyOrder(val ast.Node) error {
	seq, ok := val.(*ast.SequenceNode)
	if !ok || len(seq.Values) == 0 {
		return errAt(val, "expect_any_order: want a non-empty list of expectations")
	}
	for _, item := range seq.Values {
		e := new(Expect)
		if err := decodeExpect(item, e); err != nil {
			return err
		}
		s.AnyOrder = append(s.AnyOrder, e)
	}
	return nil
}

func decodeExpect(n ast.Node, e *Expect) error {
	var raw struct {
		Conn     string        `yaml:"conn"`
		Action   *Action       `yaml:"action"`
		ID       *IDSpec       `yaml:"id"`
		Info     Info          `yaml:"info"`
		Args     []Matcher     `yaml:"args"`
		Within   time.Duration `yaml:"within"`
		Check    `yaml:",inline"`
		SpecCode bool `yaml:"spec_code"`
	}
	if err := strict(n, &raw); err != nil {
		return err
	}
	if raw.Action == nil {
		return errAt(n, "expect: action is required")
	}
	*e = Expect{Conn: raw.Conn, Action: *raw.Action, ID: raw.ID, Info: raw.Info, Args: raw.Args,
		Within: raw.Within, Check: raw.Check, SpecCode: raw.SpecCode}
	e.Pos.Line, e.Pos.Col = nodePos(n)
	return nil
}
