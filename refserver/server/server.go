// Package server is the transport layer of the reference gochat server:
// listeners (plain TCP and TLS), admission control, one reader and one
// writer goroutine per connection, framing through spec.Decoder, and
// orderly shutdown. Protocol state lives in refserver/session and
// refserver/hub; persistence in refserver/store.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/gochatproto/gochat/internal/tlsutil"
	"github.com/gochatproto/gochat/refserver/hub"
	"github.com/gochatproto/gochat/refserver/session"
	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/spec"
)

// Config configures a Server. Zero durations take the defaults of the
// original server (IMPLEMENTATION.md): idle 25 min, verification 2 min, TLS
// handshake 20 s, token 30 min; writes 30 s.
type Config struct {
	Addr      string      // plain TCP listen address; "" = no plain listener
	TLSAddr   string      // TLS listen address; "" = no TLS
	TLSConfig *tls.Config // nil with TLSAddr set: self-signed in memory
	Dialect   spec.Dialect
	MOTD      string // initial MOTD; a stored ADMIN_MOTD wins
	// MaxClients limits admitted connections; extra ones wait (E-38).
	// 0 means unlimited.
	MaxClients       int
	IdleTimeout      time.Duration
	VerifyTimeout    time.Duration
	HandshakeTimeout time.Duration
	WriteTimeout     time.Duration
	TokenTTL         time.Duration
	MaxPending       int // pending verifications server-wide; 0 = 1024
	// Limits are the defences for the open internet (E-48 to E-52). Unlike
	// the fields above, their zero value means off, not a default: tests
	// and the load generator open many connections from one address;
	// gochat-server uses DefaultLimits.
	Limits   Limits
	Observer Observer // metrics; nil = none
	Logger   *slog.Logger
	Now      func() time.Time
}

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.IdleTimeout, 25*time.Minute)
	def(&c.VerifyTimeout, 2*time.Minute)
	def(&c.HandshakeTimeout, 20*time.Second)
	def(&c.WriteTimeout, 30*time.Second)
	def(&c.TokenTTL, 30*time.Minute)
	if c.MaxPending <= 0 {
		c.MaxPending = 1024
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Observer == nil {
		c.Observer = nopObserver{}
	}
}

// Server is a gochat v1 server. Create it with New, then Start it.
type Server struct {
	cfg  Config
	st   store.Store
	log  *slog.Logger
	obs  Observer
	gate gate
	hub  *hub.Hub
	src  *sources // per-source limits and the descriptor budget; set by Start

	refuseERR []byte // ERR_CONN, ID 0: the answer to a socket refused at accept

	// ctx is the lifetime of connections; cancel ends them all.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // accept loops and connections

	mu        sync.Mutex
	started   bool
	closing   bool
	listeners []net.Listener
	conns     map[*conn]struct{}
	addr      string
	tlsAddr   string

	shutOnce sync.Once
	done     chan struct{}
}

// New validates cfg and returns a server that is not yet listening.
func New(cfg Config, st store.Store) (*Server, error) {
	if st == nil {
		return nil, errors.New("server: nil store")
	}
	if !cfg.Dialect.Valid() {
		return nil, fmt.Errorf("server: invalid dialect %d", cfg.Dialect)
	}
	if cfg.Addr == "" && cfg.TLSAddr == "" {
		return nil, errors.New("server: no listen address")
	}
	if len(cfg.MOTD) > cfg.Dialect.MaxArgSize() {
		return nil, fmt.Errorf("server: MOTD longer than %d bytes", cfg.Dialect.MaxArgSize())
	}
	if cfg.MaxClients < 0 {
		return nil, errors.New("server: negative MaxClients")
	}
	if err := cfg.Limits.check(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	refuse, err := spec.MarshalPacket(&spec.Packet{Action: spec.ERR, Info: uint8(spec.CodeConn), ID: spec.NullID}, cfg.Dialect)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:       cfg,
		st:        st,
		log:       cfg.Logger,
		obs:       cfg.Observer,
		gate:      gate{max: cfg.MaxClients},
		conns:     make(map[*conn]struct{}),
		done:      make(chan struct{}),
		refuseERR: refuse,
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Start loads the hub state from the store and starts listening; it
// returns once the listeners are bound. ctx bounds only the start itself.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("server: already started")
	}
	s.started = true
	budget, err := s.descriptorBudget()
	if err != nil {
		return err
	}
	s.src = newSources(s.cfg.Limits, budget, s.cfg.VerifyTimeout, s.cfg.Now)
	s.logLimits()
	h, err := hub.New(ctx, hub.Config{
		Dialect:       s.cfg.Dialect,
		MOTD:          s.cfg.MOTD,
		VerifyTimeout: s.cfg.VerifyTimeout,
		TokenTTL:      s.cfg.TokenTTL,
		MaxPending:    s.cfg.MaxPending,
		Now:           s.cfg.Now,
		Logger:        s.log,
		OnShutdown:    s.scheduledShutdown,
	}, s.st)
	if err != nil {
		return fmt.Errorf("server: load state: %w", err)
	}
	s.hub = h
	var lc net.ListenConfig
	if s.cfg.Addr != "" {
		ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
		if err != nil {
			return s.abortStart(err)
		}
		s.addr = ln.Addr().String()
		s.listeners = append(s.listeners, ln)
	}
	if s.cfg.TLSAddr != "" {
		tcfg := s.cfg.TLSConfig
		if tcfg == nil {
			if tcfg, err = tlsutil.SelfSignedTLS(); err != nil {
				return s.abortStart(err)
			}
		}
		ln, err := lc.Listen(ctx, "tcp", s.cfg.TLSAddr)
		if err != nil {
			return s.abortStart(err)
		}
		s.tlsAddr = ln.Addr().String()
		s.listeners = append(s.listeners, &tlsListener{Listener: ln, cfg: tcfg})
	}
	for _, ln := range s.listeners {
		s.wg.Add(1)
		go s.acceptLoop(ln)
	}
	s.log.Info("listening", "addr", s.addr, "tls", s.tlsAddr, "dialect", s.cfg.Dialect)
	return nil
}

func (s *Server) abortStart(err error) error {
	for _, ln := range s.listeners {
		ln.Close()
	}
	s.listeners = nil
	return fmt.Errorf("server: listen: %w", err)
}

// tlsListener marks accepted connections as TLS; the handshake happens
// after admission.
type tlsListener struct {
	net.Listener
	cfg *tls.Config
}

// Addr returns the bound plain-TCP address ("" if none).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// TLSAddr returns the bound TLS address ("" if none).
func (s *Server) TLSAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tlsAddr
}

// Done is closed when the server has stopped, whether through Shutdown or
// a scheduled ADMIN_SHTDWN.
func (s *Server) Done() <-chan struct{} { return s.done }

func (s *Server) acceptLoop(ln net.Listener) {
	defer s.wg.Done()
	var tcfg *tls.Config
	if tl, ok := ln.(*tlsListener); ok {
		tcfg = tl.cfg
	}
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || s.ctx.Err() != nil {
				return
			}
			// Temporary failure (e.g. out of descriptors): back off.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Warn("accept", "err", err, "retry", delay)
			select {
			case <-time.After(delay):
			case <-s.ctx.Done():
				return
			}
			continue
		}
		delay = 0
		src, ref, ok := s.src.admit(sourceKey(nc.RemoteAddr()))
		if !ok {
			s.refuse(nc, tcfg != nil, ref)
			continue
		}
		s.wg.Add(1)
		go s.serveConn(nc, tcfg, src)
	}
}

// serveConn runs one connection from admission to close.
func (s *Server) serveConn(nc net.Conn, tcfg *tls.Config, src *source) {
	defer s.wg.Done()
	var c *conn
	state := ConnWaiting
	s.obs.ConnMoved(ConnNone, state)
	defer func() {
		if c != nil {
			state = c.state
		}
		s.obs.ConnMoved(state, ConnNone)
		s.src.release(src, c)
	}()
	pre, err := s.gate.acquire(s.ctx, nc)
	if err != nil {
		nc.Close()
		return
	}
	defer s.gate.release()
	var rw net.Conn = &prefixConn{Conn: nc, pre: pre}
	if tcfg != nil {
		s.obs.ConnMoved(state, ConnHandshake)
		state = ConnHandshake
		tc := tls.Server(rw, tcfg)
		hctx, cancel := context.WithTimeout(s.ctx, s.cfg.HandshakeTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			s.log.Debug("tls handshake failed", "remote", nc.RemoteAddr().String(), "err", err)
			nc.Close()
			return
		}
		rw = tc
	}
	c = newConn(s, rw, tcfg != nil, src)
	s.obs.ConnMoved(state, c.state)
	if !s.track(c) {
		nc.Close()
		return
	}
	defer s.untrack(c)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		c.writeLoop()
	}()
	s.run(c)
	<-c.dead
}

// run greets the client and reads until the connection ends; a panic is
// logged and only closes this connection.
func (s *Server) run(c *conn) {
	sess := session.New(session.Config{
		Dialect:  s.cfg.Dialect,
		Logger:   c.log,
		Observer: s.obs,
	}, s.hub, s.st, c)
	defer sess.Close()
	defer func() {
		if v := recover(); v != nil {
			c.log.Error("panic in connection", "panic", v)
			c.Close(spec.CodeServer)
		}
	}()
	c.log.Debug("connected")
	hello := spec.NewPacket(spec.HELLO, spec.NullID, []byte(s.hub.MOTD()))
	if err := c.Reply(s.ctx, hello); err != nil {
		c.closeQuiet()
		return
	}
	c.armLoginDeadline(time.Now())
	c.readLoop(s.ctx, sess, c.nc)
}

func (s *Server) track(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// scheduledShutdown runs when an ADMIN_SHTDWN falls due (E-32).
func (s *Server) scheduledShutdown() {
	s.log.Info("scheduled shutdown")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = s.Shutdown(ctx)
}

// Shutdown stops accepting, sends ERR_DISCN (ID 0) to every connection,
// lets their writers flush and waits for every goroutine. If ctx ends
// first, connections are cut and Shutdown returns ctx.Err() once all
// goroutines have stopped. It does not close the store.
func (s *Server) Shutdown(ctx context.Context) error {
	var err error
	s.shutOnce.Do(func() {
		err = s.shutdown(ctx)
		close(s.done)
	})
	if err == nil {
		select {
		case <-s.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return err
}

func (s *Server) shutdown(ctx context.Context) error {
	s.mu.Lock()
	for _, ln := range s.listeners {
		ln.Close()
	}
	s.listeners = nil
	s.closing = true
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	if s.hub != nil {
		s.hub.Close()
	}
	for _, c := range conns {
		c.Close(spec.CodeDiscn)
	}
	// Admission waiters and TLS handshakes end with s.ctx; writers flush
	// independently of it.
	s.cancel()
	finished := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		s.log.Info("stopped")
		return nil
	case <-ctx.Done():
		s.cancel()
		s.mu.Lock()
		for c := range s.conns {
			c.nc.Close()
		}
		s.mu.Unlock()
		<-finished
		return ctx.Err()
	}
}
