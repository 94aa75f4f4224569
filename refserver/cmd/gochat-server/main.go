// Command gochat-server runs the gochat v1 reference server. See
// `gochat-server -help` for options and docs/architecture.md for design.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gochatproto/gochat/internal/version"
	"github.com/gochatproto/gochat/refserver/metrics"
	"github.com/gochatproto/gochat/refserver/server"
	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/refserver/store/sqlstore"
	"github.com/gochatproto/gochat/spec"
)

// errShowVersion is parseConfig's answer to -version: main prints the
// version on stdout and exits 0.
var errShowVersion = errors.New("version requested")

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		if errors.Is(err, errShowVersion) {
			fmt.Println(version.Line("gochat-server"))
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "gochat-server:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cfg, rest, err := parseConfig(args, os.Stderr)
	if err != nil {
		return err
	}
	log, err := cfg.logger(os.Stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(rest) > 0 && rest[0] == "health" { // health.go; needs no store
		return healthCommand(ctx, cfg, rest[1:])
	}
	st, err := sqlstore.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	if len(rest) > 0 {
		return userCommand(ctx, st, rest)
	}
	if cfg.Owner != "" {
		if err := ensureUser(ctx, st, cfg.Owner, cfg.OwnerKey, store.PermOwner); err != nil {
			return err
		}
	}
	if cfg.Admin != "" {
		if err := ensureUser(ctx, st, cfg.Admin, cfg.AdminKey, store.PermAdmin); err != nil {
			return err
		}
	}
	scfg, err := serverConfig(cfg)
	if err != nil {
		return err
	}
	scfg.Logger = log
	var served store.Store = st
	var m *metrics.Metrics
	if cfg.MetricsAddr != "" {
		m = metrics.New()
		scfg.Observer = m
		served = m.WrapStore(st)
	}
	srv, err := server.New(scfg, served)
	if err != nil {
		return err
	}
	if err := srv.Start(ctx); err != nil {
		return err
	}
	var web *metrics.Endpoint
	if m != nil {
		if web, err = serveMetrics(cfg.MetricsAddr, m, srv, served, log); err != nil {
			_ = srv.Shutdown(context.Background())
			return err
		}
	}
	select {
	case <-ctx.Done():
		log.Info("signal received, shutting down")
	case <-srv.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	if web != nil {
		_ = web.Close(sctx)
	}
	return err
}

// healthTimeout bounds the store read behind /healthz.
const healthTimeout = 2 * time.Second

// serveMetrics starts -metrics-addr: /metrics, and /healthz, healthy while
// the server runs and its store answers.
func serveMetrics(addr string, m *metrics.Metrics, srv *server.Server, st store.Store, log *slog.Logger) (*metrics.Endpoint, error) {
	storeOK := metrics.StoreHealth(st, healthTimeout)
	health := func(ctx context.Context) error {
		select {
		case <-srv.Done():
			return errors.New("server stopped")
		default:
		}
		return storeOK(ctx)
	}
	web, err := metrics.Listen(addr, m.Handler(health), log)
	if err != nil {
		return nil, err
	}
	log.Info("metrics", "addr", web.Addr(), "paths", "/metrics /healthz")
	return web, nil
}

// serverConfig maps the command's settings onto server.Config.
func serverConfig(c config) (server.Config, error) {
	d, _ := spec.ParseDialect(c.Dialect)
	sc := server.Config{
		Addr:             c.Addr,
		Dialect:          d,
		MOTD:             c.MOTD,
		MaxClients:       c.MaxClients,
		MaxPending:       c.MaxPending,
		IdleTimeout:      time.Duration(c.IdleTimeout),
		VerifyTimeout:    time.Duration(c.VerifyTimeout),
		HandshakeTimeout: time.Duration(c.HandshakeTimeout),
		WriteTimeout:     time.Duration(c.WriteTimeout),
		TokenTTL:         time.Duration(c.TokenTTL),
		Limits:           c.limits(),
	}
	switch {
	case c.TLSCert != "":
		cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
		if err != nil {
			return sc, err
		}
		sc.TLSAddr = c.TLSAddr
		sc.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	case c.TLSSelfSigned:
		sc.TLSAddr = c.TLSAddr // nil TLSConfig: self-signed
	}
	return sc, nil
}

// ensureUser creates or updates name with the key in keyFile at level perm
// (-owner, -admin).
func ensureUser(ctx context.Context, st store.Store, name, keyFile string, perm uint8) error {
	key, err := readPublicKey(keyFile)
	if err != nil {
		return err
	}
	return server.BootstrapUser(ctx, st, name, key, perm)
}

// readPublicKey reads a public key file (PEM or DER); a PEM private key is
// accepted too, so test fixtures can be used directly.
func readPublicKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if _, err := spec.ParsePublicKey(b); err == nil {
		return b, nil
	}
	priv, err := spec.ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: neither a public nor a private key", path)
	}
	return spec.DialectSpec.MarshalPublicKey(&priv.PublicKey)
}
