package load

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/gochatproto/gochat/spec"
)

// setupTimeout bounds each request of the unmeasured setup and teardown.
const setupTimeout = 30 * time.Second

// ReplyError is an ERR answer to a request.
type ReplyError struct {
	Action spec.Action // the request
	Code   spec.ErrCode
}

func (e *ReplyError) Error() string { return fmt.Sprintf("%v: %v", e.Action, e.Code) }

// isCode reports whether err is an ERR reply with code c.
func isCode(err error, c spec.ErrCode) bool {
	var re *ReplyError
	return errors.As(err, &re) && re.Code == c
}

// client is a minimal, single-goroutine gochat client for setup and for
// the request/reply loops of the login and catch-up profiles. The online
// profile drives its sockets directly, with one reader and one writer.
type client struct {
	nc   net.Conn
	dec  *spec.Decoder
	d    spec.Dialect
	id   uint16
	wbuf []byte
	in   spec.Packet
	// decrypt accumulates the time spent decrypting challenges, the
	// generator's own share of a login.
	decrypt time.Duration
}

// dial connects and waits for HELLO.
func dial(ctx context.Context, addr string, d spec.Dialect) (*client, error) {
	var nd net.Dialer
	dctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	nc, err := nd.DialContext(dctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &client{nc: nc, dec: spec.NewDecoder(nc, spec.ClientBound, d), d: d}
	_ = nc.SetReadDeadline(time.Now().Add(setupTimeout))
	if err := c.dec.ReadPacket(&c.in); err != nil {
		nc.Close()
		return nil, fmt.Errorf("load: waiting for HELLO: %w", err)
	}
	if c.in.Action != spec.HELLO {
		nc.Close()
		return nil, fmt.Errorf("load: first packet is %v, not HELLO", c.in.Action)
	}
	return c, nil
}

func (c *client) Close() error { return c.nc.Close() }

func (c *client) nextID() uint16 {
	c.id = c.id%spec.MaxID + 1
	return c.id
}

// send writes p with a fresh request ID and returns the ID.
func (c *client) send(p *spec.Packet) (uint16, error) {
	p.ID = c.nextID()
	var err error
	if c.wbuf, err = spec.AppendPacket(c.wbuf[:0], p, c.d); err != nil {
		return 0, err
	}
	_, err = c.nc.Write(c.wbuf)
	return p.ID, err
}

// read reads the next packet into c.in (valid until the next read).
func (c *client) read() (*spec.Packet, error) {
	if err := c.dec.ReadPacket(&c.in); err != nil {
		return nil, err
	}
	return &c.in, nil
}

// call sends p and returns its reply, skipping pushes. An ERR reply is a
// *ReplyError; an ERR with the null ID means the server closes the
// connection.
func (c *client) call(p *spec.Packet, timeout time.Duration) (*spec.Packet, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(timeout))
	id, err := c.send(p)
	if err != nil {
		return nil, err
	}
	for {
		r, err := c.read()
		if err != nil {
			return nil, err
		}
		if r.Action == spec.ERR && r.ID == spec.NullID {
			return nil, fmt.Errorf("load: server closes the connection: %v", spec.ErrCode(r.Info))
		}
		if r.ID != id {
			continue // HOOK, RECIV, SHTDWN
		}
		if r.Action == spec.ERR {
			return nil, &ReplyError{Action: p.Action, Code: spec.ErrCode(r.Info)}
		}
		return r, nil
	}
}

// expectOK calls p and requires OK.
func (c *client) expectOK(p *spec.Packet) error {
	r, err := c.call(p, setupTimeout)
	if err != nil {
		return err
	}
	if r.Action != spec.OK {
		return fmt.Errorf("load: %v answered with %v", p.Action, r.Action)
	}
	return nil
}

func (c *client) register(name string, priv *rsa.PrivateKey) error {
	key, err := c.d.MarshalPublicKey(&priv.PublicKey)
	if err != nil {
		return err
	}
	return c.expectOK(spec.NewPacket(spec.REG, 0, []byte(name), key))
}

// login runs LOGIN, decrypts the challenge and answers VERIF. timeout
// bounds each of the two round trips.
func (c *client) login(name string, priv *rsa.PrivateKey, timeout time.Duration) error {
	r, err := c.call(spec.NewPacket(spec.LOGIN, 0, []byte(name)), timeout)
	if err != nil {
		return err
	}
	if r.Action != spec.VERIF || len(r.Args) != 1 {
		return fmt.Errorf("load: LOGIN answered with %v", r)
	}
	t0 := time.Now()
	plain, err := spec.Decrypt(priv, r.Args[0])
	c.decrypt += time.Since(t0)
	if err != nil {
		return fmt.Errorf("load: challenge for %s: %w", name, err)
	}
	r, err = c.call(spec.NewPacket(spec.VERIF, 0, []byte(name), plain), timeout)
	if err != nil {
		return err
	}
	if r.Action != spec.OK {
		return fmt.Errorf("load: VERIF answered with %v", r.Action)
	}
	return nil
}

func (c *client) logout() error { return c.expectOK(spec.NewPacket(spec.LOGOUT, 0)) }

func (c *client) dereg() error { return c.expectOK(spec.NewPacket(spec.DEREG, 0)) }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
