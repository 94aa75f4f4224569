// Package scenario defines the conformance scenario model and loads
// scenario files (YAML, documented in docs/scenarios.md).
//
// Loading is strict: unknown keys, unknown step kinds, references to
// undeclared actors or connections and malformed expressions are errors
// reported as "file:line:column: message".
package scenario

import (
	"fmt"
	"time"
)

// Level is the strength of the strongest requirement a scenario checks.
type Level string

// Requirement levels, strongest first.
const (
	Must   Level = "must"
	Should Level = "should"
	May    Level = "may"
)

// Rank orders levels: must 0, should 1, may 2, unknown 3.
func (l Level) Rank() int {
	switch l {
	case Must:
		return 0
	case Should:
		return 1
	case May:
		return 2
	}
	return 3
}

// Capabilities a scenario may need. A target that lacks one makes the
// scenario skip, not fail.
const (
	CapTLS           = "tls"            // a TLS listener
	CapAdmin         = "admin"          // credentials of a level-1 account
	CapOwner         = "owner"          // credentials of a level-2 account
	CapFreshServer   = "fresh-server"   // a private server for this scenario
	CapShutdown      = "shutdown"       // the scenario shuts the server down
	CapMaxClients    = "max-clients"    // server started with a connection limit
	CapIdleTimeout   = "idle-timeout"   // server started with a short idle timeout
	CapVerifyTimeout = "verify-timeout" // server started with a short VERIF timeout
	CapTokenTTL      = "token-ttl"      // server started with a short token lifetime
	CapWriteTimeout  = "write-timeout"  // server started with a short write timeout
)

// KnownCaps lists every capability name a scenario may declare.
var KnownCaps = []string{CapTLS, CapAdmin, CapOwner, CapFreshServer, CapShutdown,
	CapMaxClients, CapIdleTimeout, CapVerifyTimeout, CapTokenTTL, CapWriteTimeout}

// FreshCaps are capabilities that imply a private server per scenario.
var FreshCaps = []string{CapFreshServer, CapShutdown, CapMaxClients, CapIdleTimeout, CapVerifyTimeout,
	CapTokenTTL, CapWriteTimeout}

// Pos is a position in a scenario file.
type Pos struct {
	File      string
	Line, Col int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Scenario is one test case.
type Scenario struct {
	ID           string       `yaml:"id"`
	Title        string       `yaml:"title"`
	Description  string       `yaml:"description"`
	Requirements []string     `yaml:"requirements"`
	Level        Level        `yaml:"level"`
	Tags         []string     `yaml:"tags"`
	Needs        []string     `yaml:"needs"`
	Config       ServerConfig `yaml:"config"`
	// Dialects, when set, limits the scenario to these dialects ("spec",
	// "gochat1"); on others it skips.
	Dialects []string         `yaml:"dialects"`
	Actors   map[string]Actor `yaml:"actors"`
	Steps    []Step           `yaml:"steps"`

	// ClientSteps replace Steps in client-role scenarios (client.go).
	ClientSteps []ClientStep `yaml:"-"`

	Role string `yaml:"-"` // "server" or "client", from the directory
	Pos  Pos    `yaml:"-"` // where the scenario starts
}

// Needs reports whether the scenario declares capability c.
func (s *Scenario) NeedsCap(c string) bool {
	for _, n := range s.Needs {
		if n == c {
			return true
		}
	}
	return false
}

// NeedsFresh reports whether the scenario needs its own server.
func (s *Scenario) NeedsFresh() bool {
	for _, c := range FreshCaps {
		if s.NeedsCap(c) {
			return true
		}
	}
	return false
}

// ServerConfig is what a fresh server for this scenario must be started
// with. Zero values mean "the target's default".
type ServerConfig struct {
	IdleTimeout   time.Duration `yaml:"idle_timeout"`
	VerifyTimeout time.Duration `yaml:"verify_timeout"`
	MaxClients    int           `yaml:"max_clients"`
	// TokenTTL is the lifetime of reusable login tokens (E-25).
	TokenTTL time.Duration `yaml:"token_ttl"`
	// WriteTimeout bounds one write to a client (E-39).
	WriteTimeout time.Duration `yaml:"write_timeout"`
}

// Actor is a simulated user: a fixture key and a per-run unique name.
type Actor struct {
	// Key is the fixture key name (scenarios/fixtures/keys/NAME.pem);
	// it defaults to the actor's own name.
	Key string `yaml:"key"`
	// Name, when set, is a template for the username instead of the
	// derived unique one, e.g. "${alice.name}" to reuse alice's name or
	// "${alice.name|upper}".
	Name string `yaml:"name"`
	// Role "admin" or "owner" makes the actor the target's privileged
	// account (its name and key come from the target).
	Role string `yaml:"role"`
}

// Step is one action or assertion. Exactly one field is set.
type Step struct {
	Pos Pos

	Connect        *Connect
	Register       *Auth
	Login          *Auth
	Send           *Send
	SendRaw        *SendRaw
	Expect         *Expect
	ExpectAnyOrder []*Expect
	ExpectNone     *ExpectNone
	ExpectClose    *ExpectClose
	Sleep          time.Duration
	Decrypt        *Decrypt
	Disconnect     string
	Set            *Set
	StopReading    string
}

// Kind names the step kind as written in YAML.
func (s *Step) Kind() string {
	switch {
	case s.Connect != nil:
		return "connect"
	case s.Register != nil:
		return "register"
	case s.Login != nil:
		return "login"
	case s.Send != nil:
		return "send"
	case s.SendRaw != nil:
		return "send_raw"
	case s.Expect != nil:
		return "expect"
	case s.ExpectAnyOrder != nil:
		return "expect_any_order"
	case s.ExpectNone != nil:
		return "expect_none"
	case s.ExpectClose != nil:
		return "expect_close"
	case s.Decrypt != nil:
		return "decrypt"
	case s.Disconnect != "":
		return "disconnect"
	case s.Set != nil:
		return "set"
	case s.StopReading != "":
		return "stop_reading"
	}
	return "sleep"
}

// Connect opens a connection.
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
	Action  string  `yaml:"action"`
	ID      *IDSpec `yaml:"id"`
	Info    string  `yaml:"info"`
	Args    []Value `yaml:"args"`
	Chunked int     `yaml:"chunked"`
	// Repeat sends the packet this many times in one write, each with the
	// next request ID (a flood; the transcript shows it once).
	Repeat int `yaml:"repeat"`
}

// SendRaw writes an arbitrary, possibly illegal, frame.
type SendRaw struct {
	Conn         string     `yaml:"conn"`
	Hex          string     `yaml:"hex"`
	Header       *RawHeader `yaml:"header"`
	HeaderSep    string     `yaml:"header_sep"`
	Args         []Value    `yaml:"args"`
	ArgSep       string     `yaml:"arg_sep"`
	OmitFinalSep bool       `yaml:"omit_final_sep"`
	Trailer      string     `yaml:"trailer"`
	Chunked      int        `yaml:"chunked"`
}

// RawHeader overrides header fields of a forged packet. Nil fields take
// the value a legal packet would have.
type RawHeader struct {
	Version  *int    `yaml:"version"`
	Action   string  `yaml:"action"`
	Info     string  `yaml:"info"`
	Args     *int    `yaml:"args"`
	Len      *int    `yaml:"len"`
	ID       *IDSpec `yaml:"id"`
	Reserved *int    `yaml:"reserved"`
}

// Expect waits for the next packet on a connection and matches it.
type Expect struct {
	Conn   string        `yaml:"conn"`
	Action string        `yaml:"action"`
	ID     *IDSpec       `yaml:"id"`
	Info   string        `yaml:"info"`
	Args   []Matcher     `yaml:"args"`
	Within time.Duration `yaml:"within"`
	// Level downgrades a mismatch to a SHOULD failure.
	Level Level `yaml:"level"`

	Pos Pos `yaml:"-"`
}

// ExpectNone asserts that nothing arrives on a connection for a while.
type ExpectNone struct {
	Conn string        `yaml:"conn"`
	For  time.Duration `yaml:"for"`
}

// ExpectClose asserts the server closes the connection, optionally after
// one ERR with ID 0. Err, when set, is the code that ERR should carry; a
// different code is a SHOULD-level failure, a missing close a MUST one.
type ExpectClose struct {
	Conn   string        `yaml:"conn"`
	Err    string        `yaml:"err"`
	Within time.Duration `yaml:"within"`
	// Level "should" makes a connection left open a SHOULD failure.
	Level Level `yaml:"level"`
}

// Decrypt decrypts a captured ciphertext with an actor's key.
type Decrypt struct {
	Actor string `yaml:"actor"`
	From  string `yaml:"from"`
	Into  string `yaml:"into"`
}

// Set binds a variable to a value expression.
type Set struct {
	Var   string `yaml:"var"`
	Value Value  `yaml:"value"`
}

// IDSpec is a packet ID: a number, "$req" (the last request ID sent on the
// connection) or "any".
type IDSpec struct {
	Num int
	Req bool
	Any bool
}
