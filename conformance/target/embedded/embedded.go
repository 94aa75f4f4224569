// Package embedded runs the reference server in-process as a conformance
// target: loopback listeners (plain and TLS with a self-signed
// certificate), an in-memory SQLite store (or any store.Store the caller
// opens), and admin and owner accounts
// bootstrapped with the fixture keys. Fresh servers for scenarios that
// need one are started the same way with the scenario's short timeouts.
package embedded

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"sync"

	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/conformance/target"
	"github.com/gochatproto/gochat/internal/tlsutil"
	"github.com/gochatproto/gochat/refserver/server"
	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/refserver/store/sqlstore"
	"github.com/gochatproto/gochat/spec"
)

// Options configure the embedded target.
type Options struct {
	Dialect spec.Dialect
	// Admin and Owner, if set, are bootstrapped at levels 1 and 2 on every
	// server instance (conformance.Suite.Accounts gives the fixture ones).
	Admin, Owner *target.Account
	// OpenStore opens an empty store for each server instance (the shared
	// one and every fresh one). Nil means an in-memory SQLite store; the
	// suite's MariaDB run passes a fresh MariaDB database per call.
	OpenStore func(ctx context.Context) (store.Store, error)
}

// Target is the embedded reference server.
type Target struct {
	o      Options
	shared *instance
	mu     sync.Mutex
	fresh  map[*instance]bool
}

type instance struct {
	srv *server.Server
	st  store.Store
	ep  *target.Endpoint
}

// New starts the shared server.
func New(ctx context.Context, o Options) (*Target, error) {
	t := &Target{o: o, fresh: map[*instance]bool{}}
	in, err := t.start(ctx, scenario.ServerConfig{})
	if err != nil {
		return nil, err
	}
	t.shared = in
	return t, nil
}

func (t *Target) start(ctx context.Context, sc scenario.ServerConfig) (*instance, error) {
	open := t.o.OpenStore
	if open == nil {
		open = func(ctx context.Context) (store.Store, error) { return sqlstore.OpenSQLite(ctx, ":memory:") }
	}
	st, err := open(ctx)
	if err != nil {
		return nil, fmt.Errorf("embedded: opening the store: %w", err)
	}
	in := &instance{st: st}
	if err := t.bootstrap(ctx, in); err != nil {
		_ = st.Close()
		return nil, err
	}
	tlsCfg, err := tlsutil.SelfSignedTLS()
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	cfg := server.Config{Addr: "127.0.0.1:0", TLSAddr: "127.0.0.1:0", TLSConfig: tlsCfg,
		Dialect: t.o.Dialect, MOTD: "gochat conformance", MaxClients: sc.MaxClients,
		IdleTimeout: sc.IdleTimeout, VerifyTimeout: sc.VerifyTimeout,
		TokenTTL: sc.TokenTTL, WriteTimeout: sc.WriteTimeout, Limits: suiteLimits()}
	srv, err := server.New(cfg, st)
	if err == nil {
		err = srv.Start(ctx)
	}
	if err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("embedded: starting the reference server: %w", err)
	}
	in.srv = srv
	in.ep = &target.Endpoint{Addr: srv.Addr(), TLSAddr: srv.TLSAddr(),
		TLSConfig: clientTLS(tlsCfg), Describe: "--addr " + srv.Addr() + " --tls-addr " + srv.TLSAddr() + " --tls-insecure"}
	in.ep.Admin, in.ep.Owner = t.o.Admin, t.o.Owner
	return in, nil
}

// suiteLimits are gochat-server's shipped limits less the per-source
// ones: the suite comes from one address, registers hundreds of accounts
// and runs many scenarios at once, which is no abuse. The login deadline
// and the descriptor budget stay as shipped, so the suite also shows they
// disturb no conforming exchange.
func suiteLimits() server.Limits {
	l := server.DefaultLimits()
	l.MaxConnsPerSource, l.MaxPendingPerSource = 0, 0
	l.Reg, l.Login, l.VerifyFail = server.Rate{}, server.Rate{}, server.Rate{}
	return l
}

func (t *Target) bootstrap(ctx context.Context, in *instance) error {
	for perm, acc := range map[uint8]*target.Account{1: t.o.Admin, 2: t.o.Owner} {
		if acc == nil {
			continue
		}
		der, err := x509.MarshalPKIXPublicKey(&acc.Key.PublicKey)
		if err != nil {
			return err
		}
		if err := server.BootstrapUser(ctx, in.st, acc.Name, der, perm); err != nil {
			return fmt.Errorf("embedded: bootstrapping %s: %w", acc.Name, err)
		}
	}
	return nil
}

// clientTLS trusts the self-signed certificate's leaf only by skipping
// verification: the listener is loopback-only and in-process.
func clientTLS(*tls.Config) *tls.Config {
	return &tls.Config{InsecureSkipVerify: true} //nolint:gosec // in-process loopback server with a throwaway certificate
}

// Shared implements target.Target.
func (t *Target) Shared() *target.Endpoint { return t.shared.ep }

// CanFresh implements target.FreshCapable.
func (t *Target) CanFresh() bool { return true }

// Fresh implements target.Target.
func (t *Target) Fresh(ctx context.Context, sc scenario.ServerConfig) (*target.Endpoint, func(), error) {
	in, err := t.start(ctx, sc)
	if err != nil {
		return nil, nil, err
	}
	t.mu.Lock()
	t.fresh[in] = true
	t.mu.Unlock()
	return in.ep, func() {
		t.mu.Lock()
		delete(t.fresh, in)
		t.mu.Unlock()
		in.stop()
	}, nil
}

// Dialect implements target.Target.
func (t *Target) Dialect() spec.Dialect { return t.o.Dialect }

// Close stops every server.
func (t *Target) Close() error {
	t.mu.Lock()
	for in := range t.fresh {
		in.stop()
	}
	t.fresh = nil
	t.mu.Unlock()
	t.shared.stop()
	return nil
}

func (in *instance) stop() {
	_ = in.srv.Shutdown(context.Background())
	_ = in.st.Close()
}
