package runner

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
	"unicode/utf8"

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
}

func dial(ctx context.Context, addr string, tlsCfg *tls.Config, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	if tlsCfg != nil {
		td := tls.Dialer{NetDialer: &d, Config: tlsCfg}
		return td.DialContext(ctx, "tcp", addr)
	}
	return d.DialContext(ctx, "tcp", addr)
}

func newConn(name, actor string, nc net.Conn, d spec.Dialect, start time.Time) *conn {
	c := &conn{name: name, actor: actor, nc: nc, frames: make(chan *frame, 1024),
		done: make(chan struct{}), nextID: 1}
	go c.readLoop(d, start)
	return c
}

func (c *conn) readLoop(d spec.Dialect, start time.Time) {
	defer close(c.done)
	dec := spec.NewRawDecoder(bufio.NewReader(c.nc), spec.ClientBound, d)
	for {
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

// write sends b, chunk bytes per write when chunk > 0.
func (c *conn) write(b []byte, chunk int) error {
	_ = c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if chunk <= 0 {
		_, err := c.nc.Write(b)
		return err
	}
	for len(b) > 0 {
		n := min(chunk, len(b))
		if _, err := c.nc.Write(b[:n]); err != nil {
			return err
		}
		b = b[n:]
		time.Sleep(time.Millisecond) // let each chunk travel as its own segment
	}
	return nil
}

// close shuts the socket and waits for the reader.
func (c *conn) close() {
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
		s += " " + argString(a)
	}
	return s
}

// argString shows printable arguments as quoted text and others as hex,
// truncated for readability.
func argString(a []byte) string {
	const max = 48
	if utf8.Valid(a) && printable(a) {
		if len(a) > max {
			return strconv.Quote(string(a[:max])) + fmt.Sprintf("...(%d bytes)", len(a))
		}
		return strconv.Quote(string(a))
	}
	if len(a) > max/2 {
		return "0x" + hex.EncodeToString(a[:max/2]) + fmt.Sprintf("...(%d bytes)", len(a))
	}
	return "0x" + hex.EncodeToString(a)
}

func printable(a []byte) bool {
	for _, b := range a {
		if (b < 0x20 && b != '\n') || b == 0x7f {
			return false
		}
	}
	return true
}
