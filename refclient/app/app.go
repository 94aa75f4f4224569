// Package app is the reference client's session manager: the glue between
// refclient/core (protocol), refclient/store (local data) and
// refclient/keyring (sealed keys) that both the line shell and the terminal
// interface use.
//
// A Session is one connection to one saved server. It pins contact keys in
// the store for the logged-in account, registers accounts with sealed keys,
// unseals them to log in, looks up contact keys before sending, and stores
// every message sent and received. Each Session owns one goroutine, the
// event pump: it is the only reader of the connection's events, stores
// incoming messages and then hands every event to the Config's handler. The
// pump stops when the connection ends; Close ends it and waits.
package app

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gochatproto/gochat/refclient/core"
	"github.com/gochatproto/gochat/refclient/keyring"
	"github.com/gochatproto/gochat/refclient/store"
	"github.com/gochatproto/gochat/spec"
)

// Config is shared by the sessions of one client. Store is required.
type Config struct {
	Store *store.Store
	// GenerateKey makes the key pair for Register (default
	// spec.GenerateKey, RSA-4096); tests substitute fixture keys.
	GenerateKey func() (*rsa.PrivateKey, error)
	// KeyParams is the keyring cost for new sealed keys (default
	// keyring.DefaultParams).
	KeyParams keyring.Params
	// Dialect is used for addresses not saved as servers.
	Dialect spec.Dialect
	// RequestTimeout and KeepAlive are passed to core.Config.
	RequestTimeout time.Duration
	KeepAlive      time.Duration
	Logger         *slog.Logger
	// Now returns the current time (default time.Now).
	Now func() time.Time
	// DialContext replaces the TCP dialer (tests).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

func (c Config) withDefaults() Config {
	if c.GenerateKey == nil {
		c.GenerateKey = spec.GenerateKey
	}
	if c.KeyParams == (keyring.Params{}) {
		c.KeyParams = keyring.DefaultParams
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Event is one event of a session, in the order the server sent them.
// Core is a core.Message, core.Hook, core.Shutdown, core.ServerNotice,
// core.DialectSwitched, core.Undecodable or core.Disconnected (always the
// last).
//
// A message is stored before the handler sees it: StoredID is its row
// (0 when it was not stored), StoreErr says why storing failed. A message
// that cannot be read (core.Undecodable, or a core.Message whose
// DecryptErr is set) is kept byte for byte instead and retried at the next
// login; Kept says so.
type Event struct {
	Session  *Session
	Core     core.Event
	StoredID int64
	Kept     bool
	StoreErr error
}

// Handler receives a session's events on the session's pump goroutine.
// It should not block for long: the connection's events queue behind it.
type Handler func(Event)

// Session is one connection to a server and, once logged in, one account.
// Its methods are safe for concurrent use.
type Session struct {
	cfg    Config
	st     *store.Store
	c      *core.Client
	handle Handler

	mu     sync.Mutex
	server store.Server // its Dialect follows a switch (E-53)
	user   string
	key    *rsa.PrivateKey // the logged-in user's key, for Reconnect
	// held are the credentials of the last login, kept across Redial so
	// that Relogin can restore the session without a password.
	held core.Credentials
	// online is the set of users logged in, tracked from hooks while the
	// session is subscribed to logins and logouts (tracking).
	online   map[string]bool
	tracking bool
	// shutdownAt is the time of the last SHTDWN announcement.
	shutdownAt time.Time

	sync chan chan struct{}
	done chan struct{}
}

// Connect dials sv and starts the session's event pump; handle (may be
// nil) receives its events.
func Connect(ctx context.Context, cfg Config, sv store.Server, handle Handler) (*Session, error) {
	cfg = cfg.withDefaults()
	d, err := spec.ParseDialect(string(sv.Dialect))
	if err != nil {
		d = spec.DialectSpec
	}
	s := newSession(cfg, sv, handle)
	c, err := core.Dial(ctx, s.coreConfig(d))
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", sv.Address, err)
	}
	s.start(c)
	return s, nil
}

func newSession(cfg Config, sv store.Server, handle Handler) *Session {
	if handle == nil {
		handle = func(Event) {}
	}
	return &Session{cfg: cfg, st: cfg.Store, server: sv, handle: handle,
		sync: make(chan chan struct{}), done: make(chan struct{})}
}

func (s *Session) coreConfig(d spec.Dialect) core.Config {
	return core.Config{
		Addr: s.server.Address, TLS: s.server.TLS, InsecureSkipVerify: s.server.InsecureSkipVerify,
		Dialect: d, DetectDialect: true, KeepAlive: s.cfg.KeepAlive, RequestTimeout: s.cfg.RequestTimeout,
		Pinner: storePinner{s}, Logger: s.cfg.Logger, DialContext: s.cfg.DialContext,
	}
}

func (s *Session) start(c *core.Client) {
	s.c = c
	go s.pump()
}

// Redial closes s and connects to its server again without logging in,
// in the dialect s spoke last. The new session holds s's credentials, so
// Relogin can restore the login without a password.
func (s *Session) Redial(ctx context.Context) (*Session, error) {
	held := s.credentials()
	s.Close()
	ns := newSession(s.cfg, s.Server(), s.handle)
	ns.held = held
	c, err := s.c.Redial(ctx)
	if err != nil {
		return nil, fmt.Errorf("reconnecting to %s: %w", ns.server.Address, err)
	}
	ns.start(c)
	return ns, nil
}

// Reconnect is Redial followed, when s held a login, by Relogin with opts.
// The new session is returned even when restoring the login failed; then
// err says why and User is "".
func (s *Session) Reconnect(ctx context.Context, opts LoginOptions) (*Session, LoginResult, error) {
	ns, err := s.Redial(ctx)
	if err != nil {
		return nil, LoginResult{}, err
	}
	if ns.held.User == "" {
		return ns, LoginResult{}, nil
	}
	res, err := ns.Relogin(ctx, opts)
	return ns, res, err
}

// credentials returns what a Redial keeps: the live login's, else those
// still held from an earlier Redial.
func (s *Session) credentials() core.Credentials {
	if cr := s.c.Credentials(); cr.User != "" {
		return cr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held
}

// CanRelogin reports whether the session holds credentials for Relogin.
func (s *Session) CanRelogin() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held.User != "" && s.held.Key != nil
}

// Client is the protocol session, for operations that need no local data
// (USRS, SUB, RECIV, PERMS...).
func (s *Session) Client() *core.Client { return s.c }

// Server is the saved server this session is connected to.
func (s *Session) Server() store.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.server
}

// ShutdownAt is the time of the last shutdown the server announced, or
// the zero time.
func (s *Session) ShutdownAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shutdownAt
}

// User returns the logged-in account, or "".
func (s *Session) User() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.user
}

// Done is closed when the connection has ended and every event has been
// handled.
func (s *Session) Done() <-chan struct{} { return s.done }

// Close closes the connection and waits until the pump has handled the
// final event. It is safe to call more than once.
func (s *Session) Close() error {
	err := s.c.Close()
	<-s.done
	return err
}

// account returns the server and logged-in account, or an error.
func (s *Session) account() (string, error) {
	user := s.User()
	if user == "" {
		return "", ErrNotLoggedIn
	}
	return user, nil
}

// ErrNotLoggedIn is returned by operations that need a logged-in account.
var ErrNotLoggedIn = errors.New("not logged in")

// Username returns the canonical form of a username typed by a user.
func Username(s string) (string, error) {
	n, err := spec.NormalizeUsername([]byte(s))
	if err != nil {
		return "", fmt.Errorf("bad username %q: 1 to 32 letters and digits", s)
	}
	return n, nil
}

// The ports the specification recommends, used when an address has none.
const (
	DefaultPort    = "9037"
	DefaultTLSPort = "8037"
)

// ResolveServer finds a server in st by saved name or, failing that, by
// address with ServerForAddress. An address is host, host:port, or either
// prefixed with "tls:" (as saved TLS servers are named); without a port
// the recommended one is used (9037, or 8037 with TLS). want carries the
// TLS, verification and dialect settings for an address.
func ResolveServer(ctx context.Context, st *store.Store, target string, want store.Server) (store.Server, error) {
	sv, err := st.Server(ctx, target)
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		return sv, err
	}
	if rest, ok := strings.CutPrefix(target, "tls:"); ok {
		target, want.TLS = rest, true
	}
	host, port, perr := net.SplitHostPort(target)
	if perr != nil {
		host, port = strings.TrimSuffix(strings.TrimPrefix(target, "["), "]"), DefaultPort
		if want.TLS {
			port = DefaultTLSPort
		}
	}
	addr, err := HostPort(host, port)
	if err != nil {
		return sv, fmt.Errorf("no saved server %q, and not an address: %w", target, err)
	}
	want.Address = addr
	return ServerForAddress(ctx, st, want)
}

// ParseServerOptions applies "[-tls] [-insecure] [-dialect spec|gochat1]",
// in any order, to sv. -noverify is taken for -insecure.
func ParseServerOptions(sv *store.Server, flags []string) error {
	for i := 0; i < len(flags); i++ {
		switch strings.ToLower(flags[i]) {
		case "-tls":
			sv.TLS = true
		case "-insecure", "-noverify":
			sv.InsecureSkipVerify = true
		case "-dialect":
			if i+1 == len(flags) {
				return errors.New("-dialect needs spec or gochat1")
			}
			i++
			d, err := spec.ParseDialect(flags[i])
			if err != nil {
				return err
			}
			sv.Dialect = store.Dialect(d.String())
		default:
			return fmt.Errorf("unknown option %q (-tls, -insecure, -dialect spec|gochat1)", flags[i])
		}
	}
	if sv.InsecureSkipVerify && !sv.TLS {
		return errors.New("-insecure only makes sense with -tls")
	}
	return nil
}

// ServerForAddress looks want.Address up among the saved servers (same
// address and TLS setting) and saves it as a new server named "host:port",
// or "tls:host:port", when new. A saved server whose verification or
// dialect differ from want's is updated to want's.
func ServerForAddress(ctx context.Context, st *store.Store, want store.Server) (store.Server, error) {
	want.Name = want.Address
	if want.Dialect == "" {
		want.Dialect = store.DialectSpec
	}
	saved, err := st.Servers(ctx)
	if err != nil {
		return want, err
	}
	for _, sv := range saved {
		if sv.Address == want.Address && sv.TLS == want.TLS {
			if sv.InsecureSkipVerify != want.InsecureSkipVerify || sv.Dialect != want.Dialect {
				sv.InsecureSkipVerify, sv.Dialect = want.InsecureSkipVerify, want.Dialect
				if err := st.UpdateServer(ctx, sv); err != nil {
					return sv, err
				}
			}
			return sv, nil
		}
	}
	if want.TLS {
		want.Name = "tls:" + want.Address
	}
	if err := st.AddServer(ctx, want); err != nil {
		return want, fmt.Errorf("saving server: %w", err)
	}
	return want, nil
}

// HostPort joins host and a port that must be 1..65535.
func HostPort(host, port string) (string, error) {
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("bad port %q", port)
	}
	if strings.TrimSpace(host) == "" {
		return "", errors.New("empty host")
	}
	return net.JoinHostPort(host, port), nil
}
