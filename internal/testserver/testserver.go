// Package testserver starts the in-process reference server for a test:
// loopback listeners, an in-memory SQLite store unless one is given, and a
// cleanup that shuts the server down and closes the store.
//
// The limits for the open internet (server.Limits: per-source connection
// cap, login deadline, REG/LOGIN throttles...) are off unless WithLimits
// sets them: the load generator, the fuzzer and many tests open hundreds
// or thousands of connections and accounts from 127.0.0.1, which the
// shipped limits (server.DefaultLimits) would refuse.
package testserver

import (
	"context"
	"crypto/rsa"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/refserver/server"
	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/refserver/store/sqlstore"
	"github.com/gochatproto/gochat/spec"
)

// loopback lets the kernel choose a free port on 127.0.0.1.
const loopback = "127.0.0.1:0"

// Server is a started reference server. Addr and TLSAddr (the latter only
// with WithTLS) come from the embedded *server.Server.
type Server struct {
	*server.Server
	Store store.Store

	shutdownTimeout time.Duration
	stopOnce        sync.Once
	stopErr         error
}

type user struct {
	name string
	key  *rsa.PublicKey
	perm uint8
}

type options struct {
	cfg             server.Config
	st              store.Store
	users           []user
	shutdownTimeout time.Duration
}

// Option adjusts the server Start builds.
type Option func(*options)

// WithTLS adds a TLS listener with the server's self-signed certificate.
func WithTLS() Option { return func(o *options) { o.cfg.TLSAddr = loopback } }

// WithAddr listens for plain TCP on addr instead of a free loopback port,
// so a test can stop a server and start another where clients expect it.
func WithAddr(addr string) Option { return func(o *options) { o.cfg.Addr = addr } }

// WithDialect sets the server's dialect.
func WithDialect(d spec.Dialect) Option { return func(o *options) { o.cfg.Dialect = d } }

// WithMOTD sets the initial message of the day.
func WithMOTD(motd string) Option { return func(o *options) { o.cfg.MOTD = motd } }

// WithTimeouts sets the idle, verification and write timeouts; zero keeps
// the server's default.
func WithTimeouts(idle, verify, write time.Duration) Option {
	return func(o *options) {
		o.cfg.IdleTimeout, o.cfg.VerifyTimeout, o.cfg.WriteTimeout = idle, verify, write
	}
}

// WithLimits sets the limits for the open internet (default: all off).
func WithLimits(l server.Limits) Option { return func(o *options) { o.cfg.Limits = l } }

// WithObserver passes the server's events to obs (metrics).
func WithObserver(obs server.Observer) Option { return func(o *options) { o.cfg.Observer = obs } }

// WithStore serves st instead of a fresh in-memory SQLite store. The
// cleanup closes it all the same.
func WithStore(st store.Store) Option { return func(o *options) { o.st = st } }

// WithUser bootstraps an account with key and perm before the server
// starts, as gochat-server's bootstrap does.
func WithUser(name string, key *rsa.PublicKey, perm uint8) Option {
	return func(o *options) { o.users = append(o.users, user{name, key, perm}) }
}

// WithShutdownTimeout bounds the shutdown at cleanup (default 5s).
func WithShutdownTimeout(d time.Duration) Option {
	return func(o *options) { o.shutdownTimeout = d }
}

// Start starts the reference server on loopback (plain TCP always) and
// registers its Stop with tb.Cleanup.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	o := options{cfg: server.Config{Addr: loopback}, shutdownTimeout: 5 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	ctx := context.Background()
	if o.st == nil {
		st, err := sqlstore.OpenSQLite(ctx, ":memory:")
		require.NoError(tb, err)
		o.st = st
	}
	for _, u := range o.users {
		der, err := spec.DialectSpec.MarshalPublicKey(u.key)
		require.NoError(tb, err)
		require.NoError(tb, server.BootstrapUser(ctx, o.st, u.name, der, u.perm))
	}
	srv, err := server.New(o.cfg, o.st)
	require.NoError(tb, err)
	s := &Server{Server: srv, Store: o.st, shutdownTimeout: o.shutdownTimeout}
	require.NoError(tb, srv.Start(ctx))
	tb.Cleanup(func() { s.Stop() })
	return s
}

// Stop shuts the server down within the shutdown timeout and closes the
// store. It may be called more than once; later calls return the first
// call's shutdown error.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.shutdownTimeout)
		defer cancel()
		s.stopErr = s.Server.Shutdown(ctx)
		s.Store.Close()
	})
	return s.stopErr
}
