package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
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
// owns the session. Whoever holds wmu may write to the socket: the writer
// goroutine (writeLoop) for queued packets, or a goroutine that delivers
// or replies while no write is in progress (writeNow), which writes
// everything queued first, so the stream stays FIFO. Send, used by the hub
// under its lock, only queues.
type conn struct {
	srv    *Server
	nc     net.Conn
	secure bool
	ip     string
	log    *slog.Logger

	queue chan outItem
	kick  chan struct{} // capacity 1: the queue has items for the writer
	quit  chan struct{} // closed when a close was requested
	dead  chan struct{} // closed when the writer has exited

	wmu    sync.Mutex  // held while writing to the socket
	wb     batch       // guarded by wmu
	broken atomic.Bool // a write failed: the stream is unusable

	rbuf []byte // Reply's encoding buffer; only the reader goroutine replies

	// The login phase (guard.go); only the reader goroutine uses them.
	src     *source   // per-source limits; nil without them
	state   ConnState // ConnAnonymous, ConnVerifying or ConnLoggedIn
	loginBy time.Time // login deadline while not logged in; zero = none

	closeOnce sync.Once
	closeCode int // ERR code to send before closing, -1 for none
}

type outItem struct {
	buf  []byte
	done chan error // nil, or buffered(1): result of the write
}

func newConn(srv *Server, nc net.Conn, secure bool, src *source) *conn {
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
		kick:   make(chan struct{}, 1),
		quit:   make(chan struct{}),
		dead:   make(chan struct{}),
		src:    src,
		state:  ConnAnonymous,
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
		c.signal()
		return true
	case <-c.quit:
		return false
	default:
		c.log.Warn("write queue full, disconnecting slow client")
		c.Close(spec.CodeConn)
		return false
	}
}

// Reply implements session.Conn: write at once if no write is in
// progress, else queue, waiting for room. Several packets go out as one
// item, so nothing can come between them. Only the reader goroutine
// replies, so the encoding buffer needs no lock.
func (c *conn) Reply(ctx context.Context, ps ...*spec.Packet) error {
	buf := c.rbuf[:0]
	for _, p := range ps {
		var err error
		if buf, err = spec.AppendPacket(buf, p, c.srv.cfg.Dialect); err != nil {
			return err
		}
	}
	if cap(buf) <= maxKeptReply {
		c.rbuf = buf
	}
	return c.ReplyBytes(ctx, buf)
}

// maxKeptReply bounds the encoding buffer an idle connection keeps.
const maxKeptReply = 4 << 10

// ReplyBytes implements session.Conn: like Reply for packets already
// encoded in the server's dialect. pkts is not retained.
func (c *conn) ReplyBytes(ctx context.Context, pkts []byte) error {
	if wrote, err := c.writeNow(pkts); wrote {
		return err
	}
	return c.enqueue(ctx, outItem{buf: append([]byte(nil), pkts...)})
}

func (c *conn) enqueue(ctx context.Context, it outItem) error {
	select {
	case <-c.quit:
		return errConnClosed
	default:
	}
	select {
	case c.queue <- it:
		c.signal()
		return nil
	case <-c.quit:
		return errConnClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// signal wakes the writer goroutine.
func (c *conn) signal() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// donePool recycles Deliver's completion channels; a channel goes back
// only after its one result was received.
var donePool = sync.Pool{New: func() any { return make(chan error, 1) }}

// Deliver implements hub.Peer: write pkts (encoded packets) and return
// once they were written. If no write is in progress the calling goroutine
// writes them itself, under the write deadline; otherwise they are queued
// and Deliver waits at most the write timeout, after which the connection
// is closed, so the answer is still definitive: the packets were either
// written or never will be. pkts is not retained after Deliver returns.
func (c *conn) Deliver(ctx context.Context, pkts []byte) error {
	if wrote, err := c.writeNow(pkts); wrote {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.srv.cfg.WriteTimeout)
	defer cancel()
	done := donePool.Get().(chan error)
	if err := c.enqueue(ctx, outItem{buf: pkts, done: done}); err != nil {
		donePool.Put(done)
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
		donePool.Put(done)
		return err
	case <-c.dead:
	case <-ctx.Done():
		c.Close(spec.CodeConn)
		<-c.dead
	}
	select {
	case err := <-done:
		donePool.Put(done)
		return err
	default:
		return errConnClosed // the writer is gone: nothing will use done
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

// writeLoop writes what other goroutines queued. It exits, closing the
// socket, after a close request or a failed write.
func (c *conn) writeLoop() {
	defer close(c.dead)
	defer c.failQueued()
	defer c.nc.Close()
	for {
		select {
		case <-c.kick:
			if !c.writePending() {
				c.closeQuiet()
				return
			}
		case <-c.quit:
			c.wmu.Lock()
			defer c.wmu.Unlock()
			if !c.broken.Load() {
				c.flush()
			}
			return
		}
	}
}

// writePending writes the queue unless a close was requested (the close
// flushes it then).
func (c *conn) writePending() bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closing() {
		return true
	}
	return c.writeQueued(nil) == nil
}

// writeNow writes pkts from the calling goroutine, after everything
// already queued, if no other write is in progress; wrote is false if the
// caller must queue pkts instead. Skipping the hand-off to the writer
// goroutine saves a wake-up per packet on the message path.
func (c *conn) writeNow(pkts []byte) (wrote bool, err error) {
	if !c.wmu.TryLock() {
		return false, nil
	}
	defer c.wmu.Unlock()
	if c.closing() {
		return true, errConnClosed
	}
	if err := c.writeQueued(pkts); err != nil {
		c.closeQuiet()
		return true, err
	}
	return true, nil
}

func (c *conn) closing() bool {
	select {
	case <-c.quit:
		return true
	default:
		return false
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

// writeQueued writes the queued items, then own (may be nil), coalesced
// into writes of about maxBatch bytes, and reports the result to every
// waiting Deliver. Items queued by the caller's goroutine before the call
// are all written before own: each round takes at least one item, so
// queueSize rounds empty what was queued at the start. Caller holds wmu.
func (c *conn) writeQueued(own []byte) error {
	b := &c.wb
	for round := 0; ; round++ {
		b.fill(c.queue)
		more := len(b.buf) >= maxBatch && len(c.queue) > 0 && round < queueSize
		out := b.buf
		if !more && len(own) > 0 {
			if len(b.buf) == 0 {
				out = own // the usual case: nothing queued, no copy
			} else {
				b.buf = append(b.buf, own...)
				out = b.buf
			}
		}
		if len(out) > 0 {
			_ = c.nc.SetWriteDeadline(time.Now().Add(c.srv.cfg.WriteTimeout))
			_, err := c.nc.Write(out)
			b.done(err)
			if err != nil {
				c.broken.Store(true)
				c.log.Debug("write failed", "err", err)
				return err
			}
		}
		if !more {
			return nil
		}
	}
}

// done reports a write's result to every waiting Deliver and empties b.
func (b *batch) done(err error) {
	for _, d := range b.dones {
		d <- err
	}
	clear(b.dones)
	b.dones = b.dones[:0]
	if cap(b.buf) > 4*maxBatch {
		b.buf = nil // one huge packet burst should not pin memory
	} else {
		b.buf = b.buf[:0]
	}
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

// readBufSize is the read buffer per connection; like the decoder's
// default it holds several typical MSGs while an idle connection stays
// small (E-38 capacity).
const readBufSize = 4096

// readLoop decodes packets and hands them to the session until the
// connection ends. Before it may block on the socket it flushes the
// session, which answers the MSGs it held back; while the next packet is
// buffered, or already in the kernel (inputProbe), it reads on, so a
// burst of MSGs is delivered and answered in a few writes. The idle
// deadline is re-armed before every read from the socket, which restarts
// it after every packet that needed one, KEEP included (E-37).
func (c *conn) readLoop(ctx context.Context, sess *session.Session, r io.Reader) {
	probe := newInputProbe(c.nc, r, readBufSize)
	br := probe.br
	dec := spec.NewDecoder(br, spec.ServerBound, c.srv.cfg.Dialect)
	var p spec.Packet
	for {
		if !packetBuffered(br) {
			// The next packet is in the kernel already: keep holding.
			if !(sess.Holding() && probe.nextPacketArrived()) {
				if err := sess.Flush(ctx); err != nil {
					c.closeQuiet()
					return
				}
			}
			_ = c.nc.SetReadDeadline(c.readDeadline(time.Now()))
		}
		if err := dec.ReadPacket(&p); err != nil {
			// Answer what was read before the failure, ahead of its ERR.
			_ = sess.Flush(ctx)
			c.readFailed(err)
			return
		}
		select {
		case <-c.quit:
			return // closing: process nothing more (CONN-6)
		default:
		}
		if c.state != ConnLoggedIn {
			handle, ok := c.screen(ctx, &p)
			if !ok {
				return
			}
			if !handle {
				continue
			}
		}
		if err := sess.Handle(ctx, &p); err != nil {
			c.closeQuiet()
			return
		}
		if changesLogin(p.Action) {
			c.settle(sess, &p)
		}
	}
}

// packetBuffered reports whether br holds a whole packet, so reading it
// cannot block.
func packetBuffered(br *bufio.Reader) bool {
	n := br.Buffered()
	if n < spec.HeaderSize {
		return false
	}
	hb, err := br.Peek(spec.HeaderSize)
	if err != nil {
		return false
	}
	const sepLen = 2 // CRLF after the header
	return n >= spec.HeaderSize+sepLen+int(spec.ParseHeader(hb).Len)
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
		if c.loginOverdue(time.Now()) {
			c.closeLoginDeadline()
			return
		}
		c.log.Info("idle timeout")
		c.Close(spec.CodeIdle)
		return
	}
	c.closeQuiet()
}
