// Package serverconn is the server side of a gochat connection for the
// conformance runner when it tests a client: it listens on loopback
// (plain TCP and TLS with a throw-away certificate), reads what the client
// sends with a framing-only decoder that still reports every rule the
// packet breaks, and writes legal packets, forged frames, or either in
// slow or split writes.
package serverconn

import (
	"bufio"
	"crypto/tls"
	"net"
	"sync"
	"time"

	"github.com/gochatproto/gochat/internal/tlsutil"
	"github.com/gochatproto/gochat/spec"
)

// Listener accepts client connections on 127.0.0.1.
type Listener struct {
	ln  net.Listener
	tls bool
}

// Listen opens a plain TCP listener on a free loopback port.
func Listen() (*Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return &Listener{ln: ln}, nil
}

// ListenTLS opens a TLS listener with a fresh self-signed certificate
// from tlsutil.SelfSignedTLS, as the reference server uses (clients must
// skip verification).
func ListenTLS() (*Listener, error) {
	cfg, err := tlsutil.SelfSignedTLS()
	if err != nil {
		return nil, err
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		return nil, err
	}
	return &Listener{ln: ln, tls: true}, nil
}

// Addr is host:port of the listener.
func (l *Listener) Addr() string { return l.ln.Addr().String() }

// TLS reports whether connections are TLS.
func (l *Listener) TLS() bool { return l.tls }

// Close stops accepting.
func (l *Listener) Close() error { return l.ln.Close() }

// Accept waits up to timeout for a client. For TLS it completes the
// handshake within the same time.
func (l *Listener) Accept(timeout time.Duration, d spec.Dialect) (*Conn, error) {
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() { c, err := l.ln.Accept(); ch <- res{c, err} }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, r.err
		}
		if tc, ok := r.c.(*tls.Conn); ok {
			tc.SetDeadline(time.Now().Add(timeout))
			if err := tc.Handshake(); err != nil {
				tc.Close()
				return nil, err
			}
			tc.SetDeadline(time.Time{})
		}
		return newConn(r.c, d, l.tls), nil
	case <-t.C:
		// The pending Accept returns when the listener closes; its
		// connection, if any, is closed then.
		go func() {
			if r := <-ch; r.c != nil {
				r.c.Close()
			}
		}()
		return nil, errTimeout
	}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "timed out" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

var errTimeout net.Error = timeoutError{}

// Conn is one accepted client connection. Reads and writes may run in
// different goroutines; writes are serialised.
type Conn struct {
	nc      net.Conn
	dec     *spec.Decoder
	dialect spec.Dialect
	secure  bool
	wmu     sync.Mutex
}

func newConn(nc net.Conn, d spec.Dialect, secure bool) *Conn {
	return &Conn{nc: nc, dialect: d, secure: secure,
		dec: spec.NewRawDecoder(bufio.NewReaderSize(nc, 1<<15), spec.ServerBound, d)}
}

// Secure reports whether the connection is TLS.
func (c *Conn) Secure() bool { return c.secure }

// Dialect is the dialect packets are encoded in.
func (c *Conn) Dialect() spec.Dialect { return c.dialect }

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }

// Received is one packet from the client: a private copy, the raw header
// and the first rule it breaks (nil if legal).
type Received struct {
	Packet    *spec.Packet
	Header    spec.Header
	Violation error
}

// ReadPacket reads the next packet. It returns io.EOF when the client
// closed cleanly between packets. Framing is never lost on a rule
// violation, so reading can continue after one.
func (c *Conn) ReadPacket(deadline time.Time) (*Received, error) {
	c.nc.SetReadDeadline(deadline)
	var p spec.Packet
	if err := c.dec.ReadPacket(&p); err != nil {
		return nil, err
	}
	return &Received{Packet: p.Clone(), Header: c.dec.LastHeader(), Violation: c.dec.FramingError()}, nil
}

// WritePacket encodes p in the connection's dialect and writes it, in
// pieces of chunk bytes with pause between them when chunk > 0.
func (c *Conn) WritePacket(p *spec.Packet, chunk int, pause time.Duration) error {
	b, err := spec.MarshalPacket(p, c.dialect)
	if err != nil {
		return err
	}
	return c.WriteBytes(b, chunk, pause)
}

// WriteRaw writes a forged frame.
func (c *Conn) WriteRaw(r *spec.RawPacket, chunk int, pause time.Duration) error {
	return c.WriteBytes(spec.AppendRaw(nil, r), chunk, pause)
}

// WriteBytes writes b whole, or split into chunk-byte writes separated by
// pause, to check that the client reassembles packets across reads.
func (c *Conn) WriteBytes(b []byte, chunk int, pause time.Duration) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if chunk <= 0 {
		chunk = len(b)
	}
	for len(b) > 0 {
		n := min(chunk, len(b))
		// A deadline per write: it catches a client that stopped reading,
		// while a long paced send may take as long as it needs.
		_ = c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.nc.Write(b[:n]); err != nil {
			return err
		}
		b = b[n:]
		if len(b) > 0 && pause > 0 {
			time.Sleep(pause)
		}
	}
	return nil
}

// Hello sends the greeting with the given MOTD.
func (c *Conn) Hello(motd string) error {
	return c.WritePacket(spec.NewPacket(spec.HELLO, spec.NullID, []byte(motd)), 0, 0)
}
