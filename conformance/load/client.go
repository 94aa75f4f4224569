package load

import (
	"context"
	"crypto/rsa"
	"errors"
	"net"
	"time"

	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/conformance/protoclient"
	"github.com/gochatproto/gochat/spec"
)

// setupTimeout bounds each request of the unmeasured setup and teardown.
const setupTimeout = 30 * time.Second

// ReplyError is an ERR answer to a request.
type ReplyError = protoclient.ReplyError

// isCode reports whether err is an ERR reply with code c.
func isCode(err error, c spec.ErrCode) bool { return protoclient.IsCode(err, c) }

// client is a protoclient.Client for setup and for the request/reply loops
// of the login and catch-up profiles; the online profile drives its
// socket (nc) directly, with one reader and one writer.
type client struct {
	*protoclient.Client
	nc net.Conn
	// decrypt accumulates the time spent decrypting challenges, the
	// generator's own share of a login.
	decrypt time.Duration
}

// dial connects and waits for HELLO.
func dial(ctx context.Context, addr string, d spec.Dialect) (*client, error) {
	c, err := protoclient.Dial(ctx, addr, protoclient.Options{Dialect: d, Timeout: setupTimeout})
	if err != nil {
		return nil, err
	}
	return &client{Client: c, nc: c.NetConn()}, nil
}

func (c *client) nextID() uint16 { return c.NextID() }

// send writes p with a fresh request ID and returns the ID.
func (c *client) send(p *spec.Packet) (uint16, error) { return c.Send(p) }

// read reads the next packet (valid until the next read).
func (c *client) read() (*spec.Packet, error) { return c.Read() }

func (c *client) register(name string, priv *rsa.PrivateKey) error {
	c.SetTimeout(setupTimeout)
	return c.Register(name, priv)
}

// login runs LOGIN, decrypts the challenge and answers VERIF. timeout
// bounds each of the two round trips.
func (c *client) login(name string, priv *rsa.PrivateKey, timeout time.Duration) error {
	c.SetTimeout(timeout)
	return c.LoginWith(context.Background(), name, func(ct []byte) ([]byte, error) {
		t0 := time.Now()
		defer func() { c.decrypt += time.Since(t0) }()
		return codec.DecryptOpen(priv, ct)
	})
}

func (c *client) logout() error {
	c.SetTimeout(setupTimeout)
	return c.Logout()
}

func (c *client) dereg() error {
	c.SetTimeout(setupTimeout)
	return c.Dereg()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
