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

	"github.com/gochatproto/gochat/conformance/result"
)

// Level is the strength of a requirement or of one check.
type Level = result.Level

// Roles: the role under test. A scenario's role comes from its directory.
const (
	RoleServer = "server" // the runner plays clients against a server
	RoleClient = "client" // the runner plays the server against a client
)

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
	// Setup steps establish what the scenario relies on but does not
	// test (connections, accounts, logins). They run first; loading
	// appends Steps to them and marks them Step.Setup, so a failed setup
	// check makes the scenario an error of kind precondition, not a
	// failure. After loading, Setup is nil.
	Setup []Step `yaml:"setup"`
	// Steps run in order. Loading resolves their defaults (connections,
	// actor keys) and expands the register and login macros.
	Steps []Step `yaml:"steps"`

	Role string `yaml:"-"` // RoleServer or RoleClient, from the directory
	Pos  Pos    `yaml:"-"` // where the scenario starts
}

// NeedsCap reports whether the scenario declares capability c.
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
	// derived unique one (server role) or the actor's own name (client
	// role), e.g. "${alice.name}" to reuse alice's name or
	// "${alice.name|upper}".
	Name *Template `yaml:"name"`
	// Role "admin" or "owner" makes the actor the target's privileged
	// account (its name and key come from the target).
	Role string `yaml:"role"`
}
