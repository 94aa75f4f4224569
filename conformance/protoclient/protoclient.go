// Package protoclient is a small synchronous gochat client for the
// conformance tools: it dials (plain TCP or TLS, either dialect), reads
// HELLO, registers, logs in (LOGIN, decrypt the challenge, VERIF, with a
// bounded retry on ERR_DUPSESS), and matches replies to requests by ID.
//
// A Client belongs to one goroutine; tools that need many clients give
// each goroutine its own. The only exception: one goroutine may Read
// while another writes (Send, Write), as a load generator does. Replies
// are matched by ID, so several requests may be written before their
// replies are read (pipelining); packets with ID 0 that arrive meanwhile
// (RECIV, HOOK, SHTDWN) are kept apart and returned by Pushes.
//
// The runner's housekeeping (removing a scenario's accounts), the live
// fuzzer, the load generator and tests use it. It checks nothing: the
// scenario engine judges servers; this only drives them.
package protoclient

import (
	"context"
	"crypto/rsa"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/spec"
)

// DefaultTimeout bounds dialing, HELLO and each round trip when Options
// give none.
const DefaultTimeout = 10 * time.Second

// Options configure a Client.
type Options struct {
	Dialect spec.Dialect
	// TLS, when set, dials TLS with this configuration.
	TLS *tls.Config
	// Timeout bounds dialing, HELLO and each round trip (DefaultTimeout).
	Timeout time.Duration
	// NoHello returns from Dial without waiting for HELLO.
	NoHello bool
	// Raw frames packets without checking them, so that a tool can look
	// at what a broken server sent; the default rejects a malformed packet
	// with a *spec.ProtocolError.
	Raw bool
}

// ErrClosed means the peer closed the connection (EOF or reset).
var ErrClosed = errors.New("connection closed by the server")

// ReplyError is an ERR reply to a request.
type ReplyError struct {
	Action spec.Action // the request
	Code   spec.ErrCode
}

func (e *ReplyError) Error() string { return fmt.Sprintf("%v: %v", e.Action, e.Code) }

// IsCode reports whether err is an ERR reply with code c.
func IsCode(err error, c spec.ErrCode) bool {
	var re *ReplyError
	return errors.As(err, &re) && re.Code == c
}

// NoticeError is an ERR with ID 0: the server announces that it closes the
// connection (E-7).
type NoticeError struct{ Code spec.ErrCode }

func (e *NoticeError) Error() string {
	return fmt.Sprintf("the server closes the connection: %v", e.Code)
}

// Client is one connection to a server.
type Client struct {
	nc      net.Conn
	dec     *spec.Decoder
	d       spec.Dialect
	timeout time.Duration
	hello   *spec.Packet
	id      uint16
	wbuf    []byte
	in      spec.Packet
	pushes  []*spec.Packet
	stash   map[uint16]*spec.Packet // replies that arrived while waiting for another
}

// Dial connects to addr and, unless o.NoHello, waits for HELLO.
func Dial(ctx context.Context, addr string, o Options) (*Client, error) {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	nc, err := DialNet(ctx, addr, o.TLS, o.Timeout)
	if err != nil {
		return nil, err
	}
	dec := spec.NewDecoder(nc, spec.ClientBound, o.Dialect)
	dec.SetCheck(!o.Raw)
	c := &Client{nc: nc, dec: dec, d: o.Dialect, timeout: o.Timeout, stash: map[uint16]*spec.Packet{}}
	if o.NoHello {
		return c, nil
	}
	_ = nc.SetReadDeadline(time.Now().Add(o.Timeout))
	p, err := c.Read()
	if err == nil && (p.Action != spec.HELLO || p.ID != spec.NullID) {
		err = fmt.Errorf("first packet is %v, want HELLO with ID 0", p.Header())
	}
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("waiting for HELLO: %w", err)
	}
	c.hello = p.Clone()
	return c, nil
}

// DialNet opens a TCP connection, or a TLS one when cfg is set, within
// timeout.
func DialNet(ctx context.Context, addr string, cfg *tls.Config, timeout time.Duration) (net.Conn, error) {
	nd := &net.Dialer{Timeout: timeout}
	if cfg != nil {
		return (&tls.Dialer{NetDialer: nd, Config: cfg}).DialContext(ctx, "tcp", addr)
	}
	return nd.DialContext(ctx, "tcp", addr)
}

// Hello returns the greeting (nil with Options.NoHello).
func (c *Client) Hello() *spec.Packet { return c.hello }

// Close closes the connection.
func (c *Client) Close() error { return c.nc.Close() }

// NetConn is the underlying connection, for deadlines and raw writes.
func (c *Client) NetConn() net.Conn { return c.nc }

// SetTimeout changes the bound of each later round trip and write.
func (c *Client) SetTimeout(d time.Duration) { c.timeout = d }

// Dialect is the dialect packets are encoded in.
func (c *Client) Dialect() spec.Dialect { return c.d }

// NextID returns the next request ID (1..1023, wrapping).
func (c *Client) NextID() uint16 {
	c.id = c.id%spec.MaxID + 1
	return c.id
}

// Send writes p with the next request ID and returns the ID.
func (c *Client) Send(p *spec.Packet) (uint16, error) {
	p.ID = c.NextID()
	var err error
	if c.wbuf, err = spec.AppendPacket(c.wbuf[:0], p, c.d); err != nil {
		return 0, err
	}
	return p.ID, c.Write(c.wbuf)
}

// Write writes raw bytes within the timeout.
func (c *Client) Write(b []byte) error {
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.timeout))
	if _, err := c.nc.Write(b); err != nil {
		return classify(err)
	}
	return nil
}

// Read reads the next packet of any kind, under whatever read deadline
// the connection has. The packet is valid until the next Read, Reply or
// Call. A close is ErrClosed, a timeout os.ErrDeadlineExceeded, and a
// malformed packet a *spec.ProtocolError (unless Options.Raw).
func (c *Client) Read() (*spec.Packet, error) {
	if err := c.dec.ReadPacket(&c.in); err != nil {
		return nil, classify(err)
	}
	return &c.in, nil
}

// Reply waits up to the timeout for the reply to request id. Packets with
// ID 0 meanwhile are kept for Pushes (an ERR with ID 0 is returned as a
// *NoticeError), replies to other requests for their own Reply. An ERR
// reply is returned as the packet, not an error: Call interprets it.
func (c *Client) Reply(id uint16) (*spec.Packet, error) {
	if p, ok := c.stash[id]; ok {
		delete(c.stash, id)
		return p, nil
	}
	_ = c.nc.SetReadDeadline(time.Now().Add(c.timeout))
	for {
		p, err := c.Read()
		switch {
		case err != nil:
			return nil, err
		case p.ID == id:
			return p, nil
		case p.ID == spec.NullID && p.Action == spec.ERR:
			return nil, &NoticeError{Code: spec.ErrCode(p.Info)}
		case p.ID == spec.NullID:
			if len(c.pushes) == maxPushes { // nobody drains them: keep the latest
				c.pushes = c.pushes[1:]
			}
			c.pushes = append(c.pushes, p.Clone())
		default:
			c.stash[p.ID] = p.Clone()
		}
	}
}

// maxPushes bounds the pushes a client keeps for Pushes.
const maxPushes = 1024

// Pushes returns and forgets the packets with ID 0 kept by Reply (the
// latest maxPushes).
func (c *Client) Pushes() []*spec.Packet {
	out := c.pushes
	c.pushes = nil
	return out
}

// Call sends p and returns its reply; an ERR reply is a *ReplyError.
func (c *Client) Call(p *spec.Packet) (*spec.Packet, error) {
	id, err := c.Send(p)
	if err != nil {
		return nil, err
	}
	r, err := c.Reply(id)
	if err == nil && r.Action == spec.ERR {
		return nil, &ReplyError{Action: p.Action, Code: spec.ErrCode(r.Info)}
	}
	return r, err
}

// Do calls p and requires OK.
func (c *Client) Do(p *spec.Packet) error {
	r, err := c.Call(p)
	if err == nil && r.Action != spec.OK {
		err = fmt.Errorf("%v answered with %v", p.Action, r.Header())
	}
	return err
}

// Register sends REG with key's public half and requires OK.
func (c *Client) Register(name string, key *rsa.PrivateKey) error {
	pub, err := codec.MarshalPublicKey(c.d, &key.PublicKey, "")
	if err != nil {
		return err
	}
	return c.Do(spec.NewPacket(spec.REG, 0, []byte(name), pub))
}

// Login runs the challenge login with key.
func (c *Client) Login(ctx context.Context, name string, key *rsa.PrivateKey) error {
	return c.LoginWith(ctx, name, func(ct []byte) ([]byte, error) { return codec.DecryptOpen(key, ct) })
}

// dupSessRetries bounds the ERR_DUPSESS retries of LoginWith: the server
// may not yet have noticed that an earlier connection of the account
// closed.
const (
	dupSessRetries = 40
	dupSessPause   = 25 * time.Millisecond
)

// LoginWith runs LOGIN, answers the challenge with answer(ciphertext) in a
// VERIF and requires OK. ERR_DUPSESS is retried a bounded number of times.
func (c *Client) LoginWith(ctx context.Context, name string, answer func([]byte) ([]byte, error)) error {
	for try := 0; ; try++ {
		err := c.loginOnce(name, answer)
		if !IsCode(err, spec.CodeDupSess) || try >= dupSessRetries {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(dupSessPause):
		}
	}
}

func (c *Client) loginOnce(name string, answer func([]byte) ([]byte, error)) error {
	r, err := c.Call(spec.NewPacket(spec.LOGIN, 0, []byte(name)))
	if err != nil {
		return err
	}
	if r.Action != spec.VERIF || len(r.Args) != 1 {
		return fmt.Errorf("LOGIN answered with %v, want VERIF <challenge>", r.Header())
	}
	pt, err := answer(r.Args[0])
	if err != nil {
		return fmt.Errorf("LOGIN %s: challenge: %w", name, err)
	}
	return c.Do(spec.NewPacket(spec.VERIF, 0, []byte(name), pt))
}

// Logout sends LOGOUT and requires OK.
func (c *Client) Logout() error { return c.Do(spec.NewPacket(spec.LOGOUT, 0)) }

// Dereg sends DEREG and requires OK.
func (c *Client) Dereg() error { return c.Do(spec.NewPacket(spec.DEREG, 0)) }

// classify maps the ways a connection ends to ErrClosed and a timeout to
// os.ErrDeadlineExceeded; other errors pass through.
func classify(err error) error {
	var pe *spec.ProtocolError
	switch {
	case errors.As(err, &pe):
		return err
	case errors.Is(err, os.ErrDeadlineExceeded):
		return os.ErrDeadlineExceeded
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, net.ErrClosed), errors.Is(err, syscall.EPIPE):
		return ErrClosed
	}
	return err
}
