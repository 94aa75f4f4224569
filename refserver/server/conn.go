package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/gochatproto/gochat/refserver/session"
	"github.com/gochatproto/gochat/spec"
)

// queueSize bounds each connection's write queue (E-39).
const queueSize = 128

// finalWriteTimeout bounds flushing the queue and the closing ERR once a
// connection is being closed.
const finalWriteTimeout = 2 * time.Second

// lingerTimeout and lingerMaxBytes bound the discarding of input after the
// final ERR.
const (
	lingerTimeout  = 500 * time.Millisecond
	lingerMaxBytes = 1 << 16
)

var errConnClosed = errors.New("server: connection closed")

// conn is one admitted client connection. Its reader goroutine (serve)
// owns the session; its writer goroutine (writeLoop) owns every write to
// the socket. Other goroutines only queue packets or request a close.
type conn struct {
	srv    *Server
	nc     net.Conn
	secure bool
	ip     string
	log    *slog.Logger

	queue chan outItem
	quit  chan struct{} // closed when a close was requested
	dead  chan struct{} // closed when the writer has exited

	closeOnce sync.Once
	closeCode int // ERR code to send before closing, -1 for none
}

type outItem struct {
	buf  []byte
	done chan error // nil, or buffered(1): result of the write
}

func newConn(srv *Server, nc net.Conn, secure bool) *conn {
	ip := nc.RemoteAddr().String()
	if host, _, err := net.SplitHostPort(ip); err == nil {
		ip = host
	}
	return &conn{
		srv:    srv,
		nc:     nc,
		secure: secure,
		ip:     ip,
		log:    srv.log.With("remote", nc.RemoteAddr().String(), "tls", secure),
		queue:  make(chan outItem, queueSize),
		quit:   make(chan struct{}),
		dead:   make(chan struct{}),
	}
}

func (c *conn) encode(p *spec.Packet) ([]byte, error) {
	return spec.MarshalPacket(p, c.srv.cfg.Dialect)
}

// Send implements hub.Peer: queue without waiting; a full queue means the
// client stopped reading, so it is disconnected.
func (c *conn) Send(p *spec.Packet) bool {
	buf, err := c.encode(p)
	if err != nil {
		c.log.Error("unencodable packet", "packet", p.String(), "err", err)
		return false
	}
	select {
	case <-c.quit:
		return false
	default:
	}
	select {
	case c.queue <- outItem{buf: buf}:
		return true
	case <-c.quit:
		return false
	default:
		c.log.Warn("write queue full, disconnecting slow client")
		c.Close(spec.CodeConn)
		return false
	}
}

// Reply implements session.Conn: queue, waiting for room. Several packets
// are queued as one item, so nothing can come between them.
func (c *conn) Reply(ctx context.Context, ps ...*spec.Packet) error {
	var buf []byte
	for _, p := range ps {
		var err error
		if buf, err = spec.AppendPacket(buf, p, c.srv.cfg.Dialect); err != nil {
			return err
		}
	}
	return c.enqueue(ctx, outItem{buf: buf})
}

func (c *conn) enqueue(ctx context.Context, it outItem) error {
	select {
	case <-c.quit:
		return errConnClosed
	default:
	}
	select {
	case c.queue <- it:
		return nil
	case <-c.quit:
		return errConnClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Deliver implements hub.Peer: queue and wait for the write. If ctx ends
// first the connection is closed, so the answer is still definitive: the
// packet was either written or will never be.
func (c *conn) Deliver(ctx context.Context, p *spec.Packet) error {
	buf, err := c.encode(p)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	if err := c.enqueue(ctx, outItem{buf: buf, done: done}); err != nil {
		if ctx.Err() != nil {
			// No room for a whole write timeout: a client that does not
			// read must not slow its senders down again (E-39).
			c.log.Warn("write queue stuck, disconnecting slow client")
			c.Close(spec.CodeConn)
		}
		return err
	}
	select {
	case err := <-done:
		return err
	case <-c.dead:
	case <-ctx.Done():
		c.Close(spec.CodeConn)
		<-c.dead
	}
	select {
	case err := <-done:
		return err
	default:
		return errConnClosed
	}
}

// Close implements hub.Peer: flush what is queued, send ERR (ID 0) with
// code, close.
func (c *conn) Close(code spec.ErrCode) { c.shut(int(code)) }

// closeQuiet closes without a final ERR (the peer hung up).
func (c *conn) closeQuiet() { c.shut(-1) }

func (c *conn) shut(code int) {
	c.closeOnce.Do(func() {
		c.closeCode = code
		close(c.quit)
	})
}

// RemoteIP implements hub.Peer.
func (c *conn) RemoteIP() string { return c.ip }

// Secure implements hub.Peer.
func (c *conn) Secure() bool { return c.secure }

// writeLoop is the only goroutine that writes to the socket. It exits,
// closing the socket, after a close request or a failed write.
func (c *conn) writeLoop() {
	defer close(c.dead)
	defer c.failQueued()
	defer c.nc.Close()
	timeout := c.srv.cfg.WriteTimeout
	var b batch
	for {
		select {
		case it := <-c.queue:
			b.add(it)
			b.fill(c.queue)
			_ = c.nc.SetWriteDeadline(time.Now().Add(timeout))
			if !c.writeBatch(&b) {
				c.closeQuiet()
				return
			}
		case <-c.quit:
			c.flush()
			return
		}
	}
}

// maxBatch bounds how many bytes of queued packets one write carries.
const maxBatch = 64 << 10

// batch coalesces the packets already queued into one write: under load
// a syscall per packet was most of the server's CPU time.
type batch struct {
	buf   []byte
	dones []chan error
}

func (b *batch) add(it outItem) {
	b.buf = append(b.buf, it.buf...)
	if it.done != nil {
		b.dones = append(b.dones, it.done)
	}
}

// fill takes more queued items without waiting, up to maxBatch bytes.
func (b *batch) fill(q <-chan outItem) {
	for len(b.buf) < maxBatch {
		select {
		case it := <-q:
			b.add(it)
		default:
			return
		}
	}
}

// writeBatch writes and reports the result to every waiting Deliver.
func (c *conn) writeBatch(b *batch) bool {
	_, err := c.nc.Write(b.buf)
	for _, d := range b.dones {
		d <- err
	}
	if err != nil {
		c.log.Debug("write failed", "err", err)
	}
	clear(b.dones)
	b.dones = b.dones[:0]
	if cap(b.buf) > 4*maxBatch {
		b.buf = nil // one huge packet burst should not pin memory
	} else {
		b.buf = b.buf[:0]
	}
	return err == nil
}

func (c *conn) write(it outItem) bool {
	_, err := c.nc.Write(it.buf)
	if it.done != nil {
		it.done <- err
	}
	if err != nil {
		c.log.Debug("write failed", "err", err)
	}
	return err == nil
}

// flush writes what was queued before the close request, then the final
// ERR, all under one deadline.
func (c *conn) flush() {
	_ = c.nc.SetWriteDeadline(time.Now().Add(min(finalWriteTimeout, c.srv.cfg.WriteTimeout)))
	for ok := true; ok; {
		select {
		case it := <-c.queue:
			ok = c.write(it)
		default:
			ok = false
		}
	}
	if c.closeCode >= 0 {
		p := &spec.Packet{Action: spec.ERR, Info: uint8(c.closeCode), ID: spec.NullID}
		if buf, err := c.encode(p); err == nil {
			_, _ = c.nc.Write(buf)
		}
	}
	c.linger()
}

// linger half-closes and discards what the client still sends for a
// moment before the socket is closed. Closing with unread input makes the
// kernel reset the connection, which can destroy the final ERR before the
// client reads it (e.g. after a header error, whose payload is never read).
func (c *conn) linger() {
	cw, ok := c.nc.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		return
	}
	_ = c.nc.SetReadDeadline(time.Now().Add(lingerTimeout))
	_, _ = io.Copy(io.Discard, io.LimitReader(c.nc, lingerMaxBytes))
}

// failQueued reports every still-queued item as unwritten.
func (c *conn) failQueued() {
	for {
		select {
		case it := <-c.queue:
			if it.done != nil {
				it.done <- errConnClosed
			}
		default:
			return
		}
	}
}

// readLoop decodes packets and hands them to the session until the
// connection ends. The idle deadline restarts after every packet, KEEP
// included (E-37).
func (c *conn) readLoop(ctx context.Context, sess *session.Session, r io.Reader) {
	dec := spec.NewDecoder(r, spec.ServerBound, c.srv.cfg.Dialect)
	var p spec.Packet
	for {
		_ = c.nc.SetReadDeadline(time.Now().Add(c.srv.cfg.IdleTimeout))
		if err := dec.ReadPacket(&p); err != nil {
			c.readFailed(err)
			return
		}
		select {
		case <-c.quit:
			return // closing: process nothing more (CONN-6)
		default:
		}
		if err := sess.Handle(ctx, &p); err != nil {
			c.closeQuiet()
			return
		}
	}
}

// readFailed closes the connection with the ERR that fits the failure:
// E-7 codes for malformed input, ERR_IDLE for the idle deadline, nothing
// if the client hung up or the server is already closing it.
func (c *conn) readFailed(err error) {
	select {
	case <-c.quit:
		return
	default:
	}
	if code, ok := spec.CodeOf(err); ok {
		c.log.Info("malformed packet", "err", err)
		c.Close(code)
		return
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		c.log.Info("idle timeout")
		c.Close(spec.CodeIdle)
		return
	}
	c.closeQuiet()
}
