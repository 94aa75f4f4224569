package engine

import (
	"bufio"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/gochatproto/gochat/conformance/expr"
	"github.com/gochatproto/gochat/spec"
)

// frame is one packet read from the peer, or the end of the stream.
type frame struct {
	hdr     spec.Header
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
	s := f.hdr.String()
	for _, a := range f.args {
		s += " " + expr.Show(a)
	}
	return s
}

// maxBuffered bounds the packets a connection holds for the scenario;
// beyond it they are counted and dropped (a flood the scenario does not
// read: the reader keeps draining so the peer never blocks on us).
const maxBuffered = 1024

// conn is one connection of a scenario, to the server under test or from
// the client under test. Its reader goroutine owns the socket's read side,
// hands frames over through in, and stops when the socket is closed.
type conn struct {
	name  string
	actor string
	nc    net.Conn

	mu      sync.Mutex
	in      []*frame // read, not yet filed by the scenario
	dropped int
	// A connection can stop being read (stop_reading, connect read:
	// false) to act as a client that never reads (CONN-26): the reader
	// waits at gate, so the socket's buffers fill. Reading resumes only
	// to see the close, discarding what the peer had queued.
	gate      chan struct{} // non-nil while not reading
	discard   bool
	discarded int
	quit      chan struct{}
	quitOnce  sync.Once
	done      chan struct{}

	// Owned by the scenario's goroutine.
	queue  []*frame // filed, not yet consumed by a step
	closed error    // the end of the stream was filed
	// afterERR: the last packet taken from the stream was an ERR, so an
	// end of stream now is a close after a refused request (E-61).
	afterERR bool
	nextID   uint16
	lastID   uint16          // the ID replies carry: the last request sent (server role) or consumed (client role)
	pending  map[uint16]bool // client role: request IDs not answered yet
}

// newConn starts reading nc, packets travelling in direction dir. Each
// frame read signals wake.
func newConn(name, actor string, nc net.Conn, dir spec.Direction, d spec.Dialect, start time.Time,
	read bool, wake chan<- struct{}) *conn {
	c := &conn{name: name, actor: actor, nc: nc, done: make(chan struct{}), quit: make(chan struct{}),
		nextID: 1, pending: map[uint16]bool{}}
	if !read {
		c.gate = make(chan struct{})
	}
	go c.readLoop(spec.NewRawDecoder(bufio.NewReaderSize(nc, 1<<15), dir, d), start, wake)
	return c
}

func (c *conn) readLoop(dec *spec.Decoder, start time.Time, wake chan<- struct{}) {
	defer close(c.done)
	for c.waitGate() {
		var p spec.Packet
		err := dec.ReadPacket(&p)
		f := &frame{at: time.Since(start), err: err}
		if err == nil && c.discarding() {
			continue
		}
		if err == nil {
			f.hdr, f.framing = dec.LastHeader(), dec.FramingError()
			hb, sep := f.hdr.Bytes(), dec.LastSeparator()
			f.raw = append(append(append([]byte{}, hb[:]...), sep[:]...), dec.LastPayload()...)
			for _, a := range p.Args {
				f.args = append(f.args, append([]byte(nil), a...))
			}
		}
		c.mu.Lock()
		if len(c.in) < maxBuffered || err != nil {
			c.in = append(c.in, f)
		} else {
			c.dropped++
		}
		c.mu.Unlock()
		select {
		case wake <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

// take returns the frames read since the last call.
func (c *conn) take() []*frame {
	c.mu.Lock()
	defer c.mu.Unlock()
	in := c.in
	c.in = nil
	return in
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
	c.nextID = c.nextID%spec.MaxID + 1
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
