// Package wire drives a live gochat server with hostile input: it replays
// the corpus of fuzz/corpus and runs a seeded, reproducible mutation
// fuzzer whose failures are minimised and written as conformance scenarios.
// docs/robustness.md describes both.
package wire

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/gochatproto/gochat/spec"
)

// Account is a registered user the fuzzer logs in as.
type Account struct {
	Name string
	Key  *rsa.PrivateKey
}

// conn is a minimal protocol client: enough to log in and observe replies.
type conn struct {
	nc      net.Conn
	dec     *spec.Decoder
	dialect spec.Dialect
	id      uint16
}

// errClosed means the server closed the connection (EOF or reset).
var errClosed = errors.New("connection closed by the server")

// dialRaw connects without reading HELLO.
func dialRaw(ctx context.Context, addr string, d spec.Dialect, timeout time.Duration) (*conn, error) {
	dl := net.Dialer{Timeout: timeout}
	nc, err := dl.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &conn{nc: nc, dec: spec.NewDecoder(nc, spec.ClientBound, d), dialect: d}, nil
}

// dial connects and waits for HELLO.
func dial(ctx context.Context, addr string, d spec.Dialect, timeout time.Duration) (*conn, error) {
	c, err := dialRaw(ctx, addr, d, timeout)
	if err != nil {
		return nil, err
	}
	p, err := c.read(timeout)
	if err == nil && (p.Action != spec.HELLO || p.ID != 0) {
		err = fmt.Errorf("first packet is %v, want HELLO with ID 0", p)
	}
	if err != nil {
		c.close()
		return nil, fmt.Errorf("waiting for HELLO: %w", err)
	}
	return c, nil
}

func (c *conn) close() { c.nc.Close() }

// read returns the next packet (a copy). A close is errClosed, a timeout
// os.ErrDeadlineExceeded, and a malformed server packet a *spec.ProtocolError.
func (c *conn) read(timeout time.Duration) (*spec.Packet, error) {
	c.nc.SetReadDeadline(time.Now().Add(timeout))
	var p spec.Packet
	if err := c.dec.ReadPacket(&p); err != nil {
		return nil, classify(err)
	}
	return p.Clone(), nil
}

func classify(err error) error {
	var pe *spec.ProtocolError
	switch {
	case errors.As(err, &pe):
		return err
	case errors.Is(err, os.ErrDeadlineExceeded):
		return os.ErrDeadlineExceeded
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, net.ErrClosed), errors.Is(err, syscall.EPIPE):
		return errClosed
	}
	return err
}

func (c *conn) write(b []byte, timeout time.Duration) error {
	c.nc.SetWriteDeadline(time.Now().Add(timeout))
	_, err := c.nc.Write(b)
	if err != nil {
		return classify(err)
	}
	return nil
}

func (c *conn) nextID() uint16 {
	c.id = c.id%spec.MaxID + 1
	return c.id
}

// request sends p with a fresh ID and returns the reply carrying that ID,
// skipping pushes (ID 0) other than ERR.
func (c *conn) request(p *spec.Packet, timeout time.Duration) (*spec.Packet, error) {
	p.ID = c.nextID()
	b, err := spec.MarshalPacket(p, c.dialect)
	if err != nil {
		return nil, err
	}
	if err := c.write(b, timeout); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		r, err := c.read(time.Until(deadline))
		if err != nil {
			return nil, err
		}
		if r.ID == p.ID {
			return r, nil
		}
		if r.ID == 0 && r.Action == spec.ERR {
			return nil, fmt.Errorf("unsolicited %v", r)
		}
	}
	return nil, os.ErrDeadlineExceeded
}

// errReply is an ERR answer to a request.
type errReply struct{ code spec.ErrCode }

func (e errReply) Error() string { return "ERR " + e.code.String() }

func expectOK(r *spec.Packet, err error) error {
	if err != nil {
		return err
	}
	if r.Action == spec.ERR {
		return errReply{spec.ErrCode(r.Info)}
	}
	if r.Action != spec.OK {
		return fmt.Errorf("got %v, want OK", r)
	}
	return nil
}

func (c *conn) register(a Account, timeout time.Duration) error {
	key, err := c.dialect.MarshalPublicKey(&a.Key.PublicKey)
	if err != nil {
		return err
	}
	return expectOK(c.request(spec.NewPacket(spec.REG, 0, []byte(a.Name), key), timeout))
}

// login runs LOGIN / VERIF. ERR_DUPSESS is retried briefly: the server may
// not have noticed yet that an earlier connection of the account closed.
func (c *conn) login(ctx context.Context, a Account, timeout time.Duration) error {
	for try := 0; ; try++ {
		err := c.loginOnce(a, timeout)
		var er errReply
		if !errors.As(err, &er) || er.code != spec.CodeDupSess || try >= 40 {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}

func (c *conn) loginOnce(a Account, timeout time.Duration) error {
	r, err := c.request(spec.NewPacket(spec.LOGIN, 0, []byte(a.Name)), timeout)
	if err != nil {
		return err
	}
	if r.Action == spec.ERR {
		return errReply{spec.ErrCode(r.Info)}
	}
	if r.Action != spec.VERIF || len(r.Args) != 1 {
		return fmt.Errorf("LOGIN: got %v, want VERIF", r)
	}
	pt, err := spec.Decrypt(a.Key, r.Args[0])
	if err != nil {
		return fmt.Errorf("LOGIN: challenge: %w", err)
	}
	return expectOK(c.request(spec.NewPacket(spec.VERIF, 0, []byte(a.Name), pt), timeout))
}
