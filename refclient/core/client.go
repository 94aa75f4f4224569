// Package core is the reference client's protocol session: one connection
// to a gochat server, request/reply matching by ID, pushed packets as typed
// events, the login handshake, message encryption and key pinning. It holds
// no UI and no storage; the shell and the TUI build on it.
//
// Concurrency: every method is safe for concurrent use. One goroutine reads
// and dispatches packets; writes are serialised by a mutex; an optional
// goroutine sends KEEP when the connection is idle. All of them stop when
// the connection closes.
package core

import (
	"bufio"
	"context"
	"crypto/rsa"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gochatproto/gochat/spec"
)

// Defaults used when the corresponding Config field is zero.
const (
	DefaultKeepAlive      = 60 * time.Second
	DefaultRequestTimeout = 30 * time.Second
	DefaultEventBuffer    = 256
)

// Config describes how to reach a server.
type Config struct {
	// Addr is host:port.
	Addr string
	// TLS selects a TLS connection. Certificates are verified unless
	// InsecureSkipVerify is set explicitly.
	TLS bool
	// TLSConfig is cloned and used when TLS is set; ServerName defaults to
	// the host of Addr.
	TLSConfig *tls.Config
	// InsecureSkipVerify turns certificate verification off (testing only).
	InsecureSkipVerify bool
	// Dialect selects the encoding of keys and timestamps.
	Dialect spec.Dialect
	// DetectDialect lets the client switch to the server's dialect when a
	// reply gives it away (E-53): the key in the first REQ reply (which
	// the client requests right after login, before any catch-up), a REG
	// refused with ERR_ARGS that the other key encoding passes, or a
	// packet only the other dialect can split. Without it the client
	// keeps Dialect; ServerDialect reports what it saw.
	DetectDialect bool
	// KeepAlive is the idle time after which a KEEP is sent: 0 means
	// DefaultKeepAlive, a negative value disables KEEP.
	KeepAlive time.Duration
	// RequestTimeout bounds each request (and each write); 0 means
	// DefaultRequestTimeout. A context deadline applies as well.
	RequestTimeout time.Duration
	// EventBuffer is the capacity of the Events channel (0: default).
	// When it is full the reader waits for the consumer; only after Close
	// are events dropped (see Dropped).
	EventBuffer int
	// Pinner, if set, pins the public keys returned by REQ and used by
	// SendMessage (trust on first use).
	Pinner KeyPinner
	// Logger receives debug logs of the session; nil discards them.
	Logger *slog.Logger
	// DialContext replaces the TCP dialer (tests, proxies).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

func (c Config) withDefaults() Config {
	if c.KeepAlive == 0 {
		c.KeepAlive = DefaultKeepAlive
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.EventBuffer <= 0 {
		c.EventBuffer = DefaultEventBuffer
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// reply is what the reader hands to a waiting request.
type reply struct {
	pkt      *spec.Packet
	recivSeq uint64 // RECIV pushes read before this reply
	err      error
}

// Client is one connection to a server.
type Client struct {
	cfg    Config
	conn   net.Conn
	br     *bufio.Reader // under the decoder, so a dialect switch keeps buffered bytes
	secure bool
	motd   string
	events *eventQueue
	log    *slog.Logger

	dialect atomic.Uint32 // the spec.Dialect spoken now
	settled atomic.Bool   // the server's dialect has been seen (E-53)

	wmu  sync.Mutex // serialises writes; guards wbuf
	wbuf []byte

	mu       sync.Mutex
	pending  map[uint16]chan reply
	nextID   uint16
	closed   bool
	closeErr error     // why the connection ended
	lastSend time.Time // for KEEP
	sess     session
	seen     spec.Dialect // the server's, once settled

	readerDone  chan struct{}
	stop        chan struct{} // closed by Close and by the reader's exit
	stopOnce    sync.Once
	closing     chan struct{} // closed by Close only: events may be dropped
	closingOnce sync.Once
	bg          sync.WaitGroup
}

// session is the login state, guarded by Client.mu.
type session struct {
	user  string
	priv  *rsa.PrivateKey
	perm  uint8
	token []byte // reusable token (TLS only), kept across LOGOUT
}

// Dial connects to cfg.Addr, performs the TLS handshake if asked, and
// reads the server's HELLO. A server that queues new clients (admission
// control) sends HELLO only when a slot frees; Dial waits for it until ctx
// ends, so callers should give ctx a deadline.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	dial := cfg.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	conn, err := dial(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	if cfg.TLS {
		tc := tls.Client(conn, tlsConfig(cfg))
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("gochat: TLS handshake: %w", err)
		}
		conn = tc
	}
	c, err := newClient(ctx, conn, cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

func tlsConfig(cfg Config) *tls.Config {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		tc = cfg.TLSConfig.Clone()
	}
	if tc.ServerName == "" {
		if host, _, err := net.SplitHostPort(cfg.Addr); err == nil {
			tc.ServerName = host
		}
	}
	if cfg.InsecureSkipVerify {
		tc.InsecureSkipVerify = true
	}
	return tc
}

// newClient reads HELLO from conn and starts the session goroutines.
func newClient(ctx context.Context, conn net.Conn, cfg Config) (*Client, error) {
	_, secure := conn.(*tls.Conn)
	c := &Client{
		cfg:        cfg,
		conn:       conn,
		br:         bufio.NewReaderSize(conn, 4096),
		secure:     secure,
		log:        cfg.Logger,
		pending:    make(map[uint16]chan reply),
		readerDone: make(chan struct{}),
		stop:       make(chan struct{}),
		closing:    make(chan struct{}),
		lastSend:   time.Now(),
	}
	c.events = newEventQueue(cfg.EventBuffer, c.closing)
	c.dialect.Store(uint32(cfg.Dialect))
	dec := spec.NewDecoder(c.br, spec.ClientBound, cfg.Dialect)
	if err := c.readHello(ctx, dec); err != nil {
		return nil, err
	}
	c.bg.Add(1)
	go c.readLoop(dec)
	if cfg.KeepAlive > 0 {
		c.bg.Add(1)
		go c.keepAlive(cfg.KeepAlive)
	}
	return c, nil
}

func (c *Client) readHello(ctx context.Context, dec *spec.Decoder) error {
	stop := context.AfterFunc(ctx, func() { c.conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	var p spec.Packet
	err := dec.ReadPacket(&p)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("gochat: reading HELLO: %w", err)
	}
	if !stop() { // the deadline may have been set after ReadPacket returned
		return ctx.Err()
	}
	c.conn.SetReadDeadline(time.Time{})
	switch {
	case p.Action == spec.ERR:
		return fmt.Errorf("gochat: server refused the connection: %w", &ServerError{Code: spec.ErrCode(p.Info)})
	case p.Action != spec.HELLO || len(p.Args) != 1:
		return fmt.Errorf("%w: expected HELLO, got %s", ErrUnexpectedReply, p.Action)
	}
	c.motd = string(p.Args[0])
	return nil
}

// MOTD is the message of the day from the server's HELLO.
func (c *Client) MOTD() string { return c.motd }

// Secure reports whether the connection uses TLS.
func (c *Client) Secure() bool { return c.secure }

// Dialect is the dialect this client speaks now: Config.Dialect, or the
// server's once DetectDialect has switched to it.
func (c *Client) Dialect() spec.Dialect { return spec.Dialect(c.dialect.Load()) }

// Addr is the address the client dialled.
func (c *Client) Addr() string { return c.cfg.Addr }

// Events returns the channel of pushed packets and state changes. It is
// closed after the final Disconnected event. The client waits for a slow
// reader rather than drop anything; after Close, unread events are
// dropped (see Dropped).
func (c *Client) Events() <-chan Event { return c.events.ch }

// Dropped is the number of events discarded because Events was full
// after Close.
func (c *Client) Dropped() uint64 { return c.events.dropped.Load() }

// User returns the logged-in user's name and level, or "" if none.
func (c *Client) User() (name string, perm uint8) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess.user, c.sess.perm
}

// Token returns a copy of the reusable token held for reconnecting, or nil.
func (c *Client) Token() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.sess.token...)
}

// Done is closed when the connection has ended and the reader stopped.
func (c *Client) Done() <-chan struct{} { return c.readerDone }

// Err returns why the connection ended, or nil while it is open or after
// a local Close.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeErr
}

// Close closes the connection without logging out and waits for the
// session goroutines to stop. It is safe to call more than once.
func (c *Client) Close() error {
	c.closingOnce.Do(func() { close(c.closing) })
	c.shutdown(nil)
	c.bg.Wait()
	return nil
}

// shutdown marks the client closed with cause (nil for a local Close),
// closes the socket and fails every waiting request. The first cause wins.
func (c *Client) shutdown(cause error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed, c.closeErr = true, cause
	pending := c.pending
	c.pending = map[uint16]chan reply{}
	c.mu.Unlock()
	c.stopOnce.Do(func() { close(c.stop) })
	c.conn.Close()
	err := ErrClosed
	if cause != nil {
		err = fmt.Errorf("%w: %w", ErrClosed, cause)
	}
	for _, ch := range pending {
		ch <- reply{err: err} // buffered, never blocks
	}
}

// closedErr is returned to requests issued after the close.
func (c *Client) closedErrLocked() error {
	if c.closeErr != nil {
		return fmt.Errorf("%w: %w", ErrClosed, c.closeErr)
	}
	return ErrClosed
}

func (c *Client) readLoop(dec *spec.Decoder) {
	defer c.bg.Done()
	defer close(c.readerDone)
	var (
		p        spec.Packet
		notice   *ServerError
		recivSeq uint64
		decoding = c.Dialect()
	)
	for {
		if d := c.Dialect(); d != decoding { // switched to the server's (E-53)
			dec, decoding = spec.NewDecoder(c.br, spec.ClientBound, d), d
		}
		err := dec.ReadPacket(&p)
		if err != nil {
			if !c.splitInOtherDialect(dec, err, &p) { // if it did, the loop switches decoders
				if ev, ok := undecodable(dec, err); ok {
					c.events.push(ev)
				}
				c.readerExit(err, notice)
				return
			}
		}
		if p.ID != spec.NullID {
			c.senseDialect(&p)
			c.deliver(&p, recivSeq)
			continue
		}
		switch p.Action {
		case spec.RECIV:
			recivSeq++
			c.events.push(c.decodeMessage(&p))
		case spec.HOOK:
			if h, ok := decodeHook(&p); ok {
				c.events.push(h)
			}
		case spec.SHTDWN:
			at, err := c.Dialect().ParseTimestamp(p.Args[0])
			if err != nil {
				c.readerExit(err, notice)
				return
			}
			c.events.push(Shutdown{At: at})
		case spec.ERR:
			notice = &ServerError{Code: spec.ErrCode(p.Info)}
			c.events.push(ServerNotice{Code: notice.Code})
		default: // a second HELLO: legal framing, nothing to do
			c.log.Debug("ignoring pushed packet", "action", p.Action)
		}
	}
}

// readerExit ends the session after a read error. A malformed packet from
// the server closes the connection, as the specification requires.
func (c *Client) readerExit(err error, notice *ServerError) {
	c.mu.Lock()
	local := c.closed && c.closeErr == nil
	c.mu.Unlock()
	var cause error
	switch {
	case local:
	case notice != nil && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)):
		cause = notice
	case errors.Is(err, io.EOF):
		cause = io.EOF
	default:
		cause = err
	}
	if cause != nil {
		c.log.Debug("connection ended", "err", cause)
	}
	c.shutdown(cause)
	c.mu.Lock()
	cause = c.closeErr
	c.mu.Unlock()
	c.events.push(Disconnected{Err: cause})
	close(c.events.ch)
}

// deliver hands a reply to the request waiting for its ID. Replies to
// unknown IDs are logged and dropped: they cannot be matched safely.
func (c *Client) deliver(p *spec.Packet, recivSeq uint64) {
	c.mu.Lock()
	ch, ok := c.pending[p.ID]
	delete(c.pending, p.ID)
	c.mu.Unlock()
	if !ok {
		c.log.Debug("reply to unknown request ID", "id", p.ID, "action", p.Action)
		return
	}
	ch <- reply{pkt: p.Clone(), recivSeq: recivSeq}
}

func (c *Client) decodeMessage(p *spec.Packet) Message {
	m := Message{From: string(p.Args[0]), Ciphertext: append([]byte(nil), p.Args[2]...)}
	m.Stamp, m.StampErr = c.Dialect().ParseTimestamp(p.Args[1])
	c.mu.Lock()
	priv := c.sess.priv
	c.mu.Unlock()
	if priv == nil {
		m.DecryptErr = ErrNotLoggedIn
		return m
	}
	pt, err := spec.Decrypt(priv, m.Ciphertext)
	if err != nil {
		m.DecryptErr = err
		return m
	}
	m.Text = string(pt)
	return m
}

// allocID reserves a request ID that no in-flight request uses. IDs run
// 1..1023 round-robin, so a recently used ID is reused as late as possible.
func (c *Client) allocID() (uint16, chan reply, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, nil, c.closedErrLocked()
	}
	for range spec.MaxID {
		c.nextID = c.nextID%spec.MaxID + 1
		if _, busy := c.pending[c.nextID]; !busy {
			ch := make(chan reply, 1)
			c.pending[c.nextID] = ch
			return c.nextID, ch, nil
		}
	}
	return 0, nil, ErrBusy
}

// write sends one packet, bounded by the request timeout.
func (c *Client) write(p *spec.Packet) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	var err error
	c.wbuf, err = spec.AppendPacket(c.wbuf[:0], p, c.Dialect())
	if err != nil {
		return err
	}
	c.conn.SetWriteDeadline(time.Now().Add(c.cfg.RequestTimeout))
	if _, err := c.conn.Write(c.wbuf); err != nil {
		c.shutdown(err)
		return fmt.Errorf("%w: %w", ErrClosed, err)
	}
	c.mu.Lock()
	c.lastSend = time.Now()
	c.mu.Unlock()
	return nil
}

// roundTrip sends p with a fresh ID and waits for the reply. A server ERR
// is returned as *ServerError. The reply's Args are owned by the caller.
func (c *Client) roundTrip(ctx context.Context, p *spec.Packet) (reply, error) {
	id, ch, err := c.allocID()
	if err != nil {
		return reply{}, err
	}
	p.ID = id
	if err := c.write(p); err != nil {
		c.mu.Lock()
		if c.pending[id] == ch {
			delete(c.pending, id)
		}
		c.mu.Unlock()
		return reply{}, err
	}
	timer := time.NewTimer(c.cfg.RequestTimeout)
	defer timer.Stop()
	select {
	case r := <-ch:
		if r.err != nil {
			return r, r.err
		}
		if r.pkt.Action == spec.ERR {
			return r, &ServerError{Code: spec.ErrCode(r.pkt.Info), Action: p.Action, Info: p.Info}
		}
		return r, nil
	case <-ctx.Done():
		return reply{}, ctx.Err()
	case <-timer.C:
		return reply{}, fmt.Errorf("%w: %s id=%d", ErrTimeout, p.Action, id)
	}
}

// expect runs roundTrip and checks that the reply is one of want.
func (c *Client) expect(ctx context.Context, p *spec.Packet, want ...spec.Action) (reply, error) {
	r, err := c.roundTrip(ctx, p)
	if err != nil {
		return r, err
	}
	for _, a := range want {
		if r.pkt.Action == a {
			return r, nil
		}
	}
	return r, unexpected(p.Action, r.pkt, "not a legal reply")
}

// Keep sends a KEEP (no reply expected). It uses a fresh ID that is not
// reserved, since nothing will answer it.
func (c *Client) Keep() error {
	c.mu.Lock()
	if c.closed {
		err := c.closedErrLocked()
		c.mu.Unlock()
		return err
	}
	id := uint16(0)
	for range spec.MaxID {
		c.nextID = c.nextID%spec.MaxID + 1
		if _, busy := c.pending[c.nextID]; !busy {
			id = c.nextID
			break
		}
	}
	c.mu.Unlock()
	if id == 0 {
		return ErrBusy
	}
	return c.write(spec.NewPacket(spec.KEEP, id))
}

// keepAlive sends KEEP whenever nothing was sent for interval.
func (c *Client) keepAlive(interval time.Duration) {
	defer c.bg.Done()
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		c.mu.Lock()
		idle := time.Since(c.lastSend)
		c.mu.Unlock()
		if idle >= interval {
			if err := c.Keep(); err != nil {
				return
			}
			idle = 0
		}
		t.Reset(interval - idle)
	}
}
