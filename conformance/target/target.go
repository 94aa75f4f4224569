// Package target describes the server under test: where to connect, with
// which credentials, and which capabilities the runner may rely on.
//
// Three targets exist: External (a server already running at an
// address), Command (a launcher that starts a fresh server per scenario
// from a command template) and the embedded reference server (package
// conformance/target/embedded).
package target

import (
	"context"
	"crypto/rsa"
	"crypto/tls"
	"errors"

	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/spec"
)

// ErrUnsupported is returned by Fresh when the target cannot start
// private servers.
var ErrUnsupported = errors.New("target: fresh servers not supported")

// Account is a privileged account the runner may use.
type Account struct {
	Name string
	Key  *rsa.PrivateKey
}

// Endpoint is one reachable server.
type Endpoint struct {
	Addr      string      // plain TCP host:port
	TLSAddr   string      // TLS host:port; "" if none
	TLSConfig *tls.Config // client configuration for TLSAddr
	Admin     *Account    // a level-1 account, or nil
	Owner     *Account    // a level-2 account, or nil
	// Direct, if set, is where the runner's own housekeeping (deregistering
	// a scenario's accounts afterwards) connects instead of Addr; test
	// harnesses that put a proxy in front of Addr set it.
	Direct string
	// Describe is a one-line description for reports and repro lines,
	// e.g. "--addr 127.0.0.1:9037".
	Describe string
}

// Target provides endpoints for scenarios.
type Target interface {
	// Shared returns the long-lived endpoint most scenarios use.
	Shared() *Endpoint
	// Fresh starts a private server configured per cfg for one scenario
	// and returns a function that stops it. ErrUnsupported if the target
	// cannot.
	Fresh(ctx context.Context, cfg scenario.ServerConfig) (*Endpoint, func(), error)
	// Dialect is the encoding the server speaks.
	Dialect() spec.Dialect
	// Close releases the target.
	Close() error
}

// Missing returns the first capability the scenario needs that t lacks,
// with a human-readable reason, or "" if all are present.
func Missing(t Target, s *scenario.Scenario) (string, string) {
	ep := t.Shared()
	fresh := canFresh(t)
	for _, c := range s.Needs {
		switch c {
		case scenario.CapTLS:
			if ep.TLSAddr == "" {
				return c, "no TLS listener (pass --tls-addr)"
			}
		case scenario.CapAdmin:
			if ep.Admin == nil {
				return c, "no admin credentials (pass --admin-user and --admin-key)"
			}
		case scenario.CapOwner:
			if ep.Owner == nil {
				return c, "no owner credentials (pass --owner-user and --owner-key)"
			}
		default:
			if !fresh {
				return c, "needs a private server per scenario (pass --server-cmd)"
			}
			if why := unconfigurable(t, c); why != "" {
				return c, why
			}
		}
	}
	return "", ""
}

// FreshCapable is implemented by targets that can start private servers;
// Missing consults it without starting one.
type FreshCapable interface{ CanFresh() bool }

// Configurable is implemented by fresh-capable targets that can honour
// only some server settings; Missing asks it for each capability and
// skips with its reason ("" = supported).
type Configurable interface {
	Unsupported(capability string) string
}

func unconfigurable(t Target, c string) string {
	if cf, ok := t.(Configurable); ok {
		return cf.Unsupported(c)
	}
	return ""
}

func canFresh(t Target) bool {
	fc, ok := t.(FreshCapable)
	return ok && fc.CanFresh()
}

// External is a server that is already running.
type External struct {
	EP *Endpoint
	D  spec.Dialect
}

// Shared implements Target.
func (e *External) Shared() *Endpoint { return e.EP }

// Fresh implements Target: an external server cannot be restarted.
func (e *External) Fresh(context.Context, scenario.ServerConfig) (*Endpoint, func(), error) {
	return nil, nil, ErrUnsupported
}

// Dialect implements Target.
func (e *External) Dialect() spec.Dialect { return e.D }

// Close implements Target.
func (e *External) Close() error { return nil }
