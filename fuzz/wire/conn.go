// Package wire drives a live gochat server with hostile input: it replays
// the corpus of fuzz/corpus and runs a seeded, reproducible mutation
// fuzzer whose failures are minimised and written as conformance scenarios.
// docs/robustness.md describes both.
package wire

import (
	"context"
	"time"

	"github.com/gochatproto/gochat/conformance/protoclient"
	conftarget "github.com/gochatproto/gochat/conformance/target"
	"github.com/gochatproto/gochat/spec"
)

// Account is a registered user the fuzzer logs in as.
type Account = conftarget.Account

// conn is a protoclient.Client with the per-call timeouts the fuzzer and
// the corpus replay work with.
type conn struct{ *protoclient.Client }

// errClosed means the server closed the connection (EOF or reset).
var errClosed = protoclient.ErrClosed

// dial connects and waits for HELLO.
func dial(ctx context.Context, addr string, d spec.Dialect, timeout time.Duration) (*conn, error) {
	c, err := protoclient.Dial(ctx, addr, protoclient.Options{Dialect: d, Timeout: timeout})
	if err != nil {
		return nil, err
	}
	return &conn{c}, nil
}

func (c *conn) close() { c.Close() }

// read returns the next packet (a copy). A close is errClosed, a timeout
// os.ErrDeadlineExceeded, and a malformed server packet a *spec.ProtocolError.
func (c *conn) read(timeout time.Duration) (*spec.Packet, error) {
	_ = c.NetConn().SetReadDeadline(time.Now().Add(timeout))
	p, err := c.Read()
	if err != nil {
		return nil, err
	}
	return p.Clone(), nil
}

func (c *conn) write(b []byte, timeout time.Duration) error {
	c.SetTimeout(timeout)
	return c.Write(b)
}

// request sends p with a fresh ID and returns the reply carrying that ID
// (pushes are kept aside; an ERR with ID 0 is an error).
func (c *conn) request(p *spec.Packet, timeout time.Duration) (*spec.Packet, error) {
	c.SetTimeout(timeout)
	r, err := c.Call(p)
	if err != nil {
		return nil, err
	}
	return r.Clone(), nil
}

func (c *conn) register(a Account, timeout time.Duration) error {
	c.SetTimeout(timeout)
	return c.Register(a.Name, a.Key)
}

// login runs LOGIN / VERIF, retrying ERR_DUPSESS briefly (protoclient).
func (c *conn) login(ctx context.Context, a Account, timeout time.Duration) error {
	c.SetTimeout(timeout)
	return c.Login(ctx, a.Name, a.Key)
}

// alive is the liveness probe of issue #18 (target.Alive, the one the
// runner applies after every scenario): a new connection must get HELLO
// within timeout.
func alive(ctx context.Context, addr string, d spec.Dialect, timeout time.Duration) error {
	return conftarget.Alive(ctx, &conftarget.Endpoint{Addr: addr}, d, timeout)
}
