package runner

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/gochatproto/gochat/conformance/expr"
	"github.com/gochatproto/gochat/spec"
)

// frame is one packet read from the server, or the end of the stream.
type frame struct {
	hdr     spec.Header
	sep     [2]byte
	args    [][]byte
	raw     []byte
	framing error // what a checking decoder would say; nil if legal
	err     error // io.EOF, reset, ... (then the other fields are empty)
	at      time.Duration
}

func (f *frame) String() string {
	if f.err != nil {
		return "connection closed (" + closeReason(f.err) + ")"
	}
	return describe(f.hdr, f.args)
}

// conn is one client connection. Its reader goroutine owns the socket's
// read side and stops when the socket is closed.
type conn struct {
	name   string
	actor  string
	nc     net.Conn
	frames chan *frame
	done   chan struct{}
	nextID uint16
	lastID uint16
	closed bool // the reader saw the end of the stream

	// A connection can stop being read (stop_reading, connect read:
	// false) to act as a client that never reads (CONN-26): the reader
	// waits at gate, so the socket's buffers fill. Reading resumes only
	// to see the close, discarding what the server had queued.
	mu        sync.Mutex
	gate      chan struct{} // non-nil while not reading
	discard   bool
	discarded int
	quit      chan struct{}
	quitOnce  sync.Once
}

func dial(ctx context.Context, addr string, tlsCfg *tls.Config, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	if tlsCfg != nil {
		td := tls.Dialer{NetDialer: &d, Config: tlsCfg}
		return td.DialContext(ctx, "tcp", addr)
	}
	return d.DialContext(ctx, "tcp", addr)
}

func newConn(name, actor string, nc net.Conn, d spec.Dialect, start time.Time, read bool) *conn {
	c := &conn{name: name, actor: actor, nc: nc, frames: make(chan *frame, 1024),
		done: make(chan struct{}), quit: make(chan struct{}), nextID: 1}
	if !read {
		c.gate = make(chan struct{})
	}
	go c.readLoop(d, start)
	return c
}

func (c *conn) readLoop(d spec.Dialect, start time.Time) {
	defer close(c.done)
	dec := spec.NewRawDecoder(bufio.NewReader(c.nc), spec.ClientBound, d)
	for {
		if !c.waitGate() {
			return
		}
		var p spec.Packet
		err := dec.ReadPacket(&p)
		f := &frame{at: time.Since(start)}
		if err != nil {
			f.err = err
			select {
			case c.frames <- f:
			default:
			}
			return
		}
		if c.discarding() {
			continue
		}
		f.hdr, f.sep, f.framing = dec.LastHeader(), dec.LastSeparator(), dec.FramingError()
		hb := f.hdr.Bytes()
		f.raw = append(append(append([]byte{}, hb[:]...), f.sep[:]...), dec.LastPayload()...)
		for _, a := range p.Args {
			f.args = append(f.args, append([]byte(nil), a...))
		}
		select {
		case c.frames <- f:
		default:
			// The scenario stopped reading; dropping is fine because the
			// scenario has already failed or ended.
		}
	}
}

// waitGate blocks while the connection is not being read; false means
// the connection was closed meanwhile.
func (c *conn) waitGate() bool {
	c.mu.Lock()
	g := c.gate
	c.mu.Unlock()
	if g == nil {
		return true
	}
	select {
	case <-g:
		return true
	case <-c.quit:
		return false
	}
}

func (c *conn) discarding() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.discard {
		c.discarded++
	}
	return c.discard
}

// stopReading makes the reader stop after the packet it is reading.
func (c *conn) stopReading() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gate == nil {
		c.gate = make(chan struct{})
	}
}

// resumeDiscarding reads again, dropping every packet until the end of the
// stream; it reports whether the connection had stopped reading.
func (c *conn) resumeDiscarding() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gate == nil {
		return false
	}
	c.discard = true
	close(c.gate)
	c.gate = nil
	return true
}

func (c *conn) discardedCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.discarded
}

// next waits up to d for the next frame.
func (c *conn) next(ctx context.Context, d time.Duration) (*frame, bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case f := <-c.frames:
		if f.err != nil {
			c.closed = true
		}
		return f, true
	case <-t.C:
		return nil, false
	case <-ctx.Done():
		return nil, false
	}
}

// writeTimeout bounds each write to the server (scaled by the run's
// timeout scale). It catches a server that stopped reading, not slow pacing.
const writeTimeout = 5 * time.Second

// write sends b, chunk bytes per write when chunk > 0. Every write gets its
// own deadline of limit: a chunked send of a few hundred one-byte segments
// may take long on a loaded machine without anything being stuck.
func (c *conn) write(b []byte, chunk int, limit time.Duration) error {
	if chunk <= 0 {
		chunk = len(b)
	}
	for len(b) > 0 {
		n := min(chunk, len(b))
		_ = c.nc.SetWriteDeadline(time.Now().Add(limit))
		if _, err := c.nc.Write(b[:n]); err != nil {
			return err
		}
		b = b[n:]
		if len(b) > 0 {
			time.Sleep(time.Millisecond) // let each chunk travel as its own segment
		}
	}
	return nil
}

// close shuts the socket and waits for the reader.
func (c *conn) close() {
	c.quitOnce.Do(func() { close(c.quit) })
	_ = c.nc.Close()
	<-c.done
}

// allocID returns the next request ID (1..1023, wrapping).
func (c *conn) allocID() uint16 {
	id := c.nextID
	c.nextID++
	if c.nextID > spec.MaxID {
		c.nextID = 1
	}
	return id
}

func closeReason(err error) string {
	switch {
	case errors.Is(err, io.EOF):
		return "EOF"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "EOF inside a packet"
	case errors.Is(err, net.ErrClosed):
		return "closed by the runner"
	}
	return err.Error()
}

// describe renders a packet for messages and transcripts.
func describe(h spec.Header, args [][]byte) string {
	s := h.String()
	for _, a := range args {
		s += " " + expr.Show(a)
	}
	return s
}
