package target

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/internal/procgroup"
	"github.com/gochatproto/gochat/spec"
)

// Command launches servers from a shell command template. Placeholders:
//
//	{addr} {tls_addr}                  loopback addresses chosen by the runner
//	{idle_timeout} {verify_timeout}    Go durations ("300ms"; the spec's 25m and 2m unless a scenario sets them)
//	{max_clients}                      0 = unlimited
//	{token_ttl} {write_timeout}        Go durations (30m and 30s unless a scenario sets them)
//	{admin_user} {admin_pub}           fixture admin name and public-key PEM file
//	{owner_user} {owner_pub}           the same for the owner
//
// A template that mentions {admin_user} promises the launched server has
// that account at level 1 (likewise owner, level 2).
type Command struct {
	Template  string
	D         spec.Dialect
	Admin     *Account
	Owner     *Account
	StartWait time.Duration // how long to wait for the port (default 10s)

	dir    string
	mu     sync.Mutex // guards shared and stop, which Restart replaces
	shared *Endpoint
	stop   func()
}

// Offer gives the launched servers the admin and owner accounts, each only
// when the template names it ({admin_user}, {owner_user}): a template that
// names an account promises the server it starts has it.
func (c *Command) Offer(admin, owner *Account) {
	if strings.Contains(c.Template, "{admin_user}") {
		c.Admin = admin
	}
	if strings.Contains(c.Template, "{owner_user}") {
		c.Owner = owner
	}
}

// StartCommand launches the shared server.
func StartCommand(ctx context.Context, c *Command) (*Command, error) {
	dir, err := os.MkdirTemp("", "gochat-conformance-")
	if err != nil {
		return nil, err
	}
	c.dir = dir
	for _, a := range []struct {
		acc  *Account
		file string
	}{{c.Admin, "admin.pub.pem"}, {c.Owner, "owner.pub.pem"}} {
		if a.acc != nil {
			if err := writePub(filepath.Join(dir, a.file), &a.acc.Key.PublicKey); err != nil {
				return nil, err
			}
		}
	}
	ep, stop, err := c.launch(ctx, scenario.ServerConfig{})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	c.shared, c.stop = ep, stop
	return c, nil
}

func writePub(path string, pub *rsa.PublicKey) error {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return err
	}
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600)
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func (c *Command) launch(ctx context.Context, sc scenario.ServerConfig) (*Endpoint, func(), error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, nil, err
	}
	tlsAddr, err := freeAddr()
	if err != nil {
		return nil, nil, err
	}
	line := c.expand(addr, tlsAddr, sc)
	cmd := exec.Command("sh", "-c", line)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	procgroup.Isolate(cmd)
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = procgroup.Terminate(cmd)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = procgroup.Kill(cmd)
			<-exited
		}
	}
	if err := waitPort(ctx, addr, c.startWait(), exited); err != nil {
		stop()
		return nil, nil, fmt.Errorf("server command %q: %w", line, err)
	}
	ep := &Endpoint{Addr: addr, Admin: c.Admin, Owner: c.Owner, Describe: "--server-cmd " + strconv.Quote(c.Template)}
	if strings.Contains(c.Template, "{tls_addr}") {
		ep.TLSAddr = tlsAddr
	}
	return ep, stop, nil
}

func (c *Command) startWait() time.Duration {
	if c.StartWait > 0 {
		return c.StartWait
	}
	return 10 * time.Second
}

func (c *Command) expand(addr, tlsAddr string, sc scenario.ServerConfig) string {
	r := []string{"{addr}", addr, "{tls_addr}", tlsAddr,
		"{idle_timeout}", orDefault(sc.IdleTimeout, 25*time.Minute),
		"{verify_timeout}", orDefault(sc.VerifyTimeout, 2*time.Minute),
		"{max_clients}", strconv.Itoa(sc.MaxClients),
		"{token_ttl}", orDefault(sc.TokenTTL, 30*time.Minute),
		"{write_timeout}", orDefault(sc.WriteTimeout, 30*time.Second),
		"{admin_pub}", filepath.Join(c.dir, "admin.pub.pem"), "{owner_pub}", filepath.Join(c.dir, "owner.pub.pem")}
	if c.Admin != nil {
		r = append(r, "{admin_user}", c.Admin.Name)
	}
	if c.Owner != nil {
		r = append(r, "{owner_user}", c.Owner.Name)
	}
	return strings.NewReplacer(r...).Replace(c.Template)
}

func waitPort(ctx context.Context, addr string, limit time.Duration, exited <-chan struct{}) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("exited before listening")
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			_ = c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("not listening on %s after %v", addr, limit)
}

// Shared implements Target.
func (c *Command) Shared() *Endpoint {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.shared
}

// Restart implements Restarter: the shared server (which died) is
// stopped for good and a new one launched on new ports.
func (c *Command) Restart(ctx context.Context) error {
	c.mu.Lock()
	stop := c.stop
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
	ep, stop, err := c.launch(ctx, scenario.ServerConfig{})
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stop = nil
	if err != nil {
		return fmt.Errorf("restarting the server: %w", err)
	}
	c.shared, c.stop = ep, stop
	return nil
}

// CanFresh implements FreshCapable.
func (c *Command) CanFresh() bool { return true }

// capPlaceholder is the template placeholder through which a scenario's
// setting reaches the launched server.
var capPlaceholder = map[string]string{
	scenario.CapIdleTimeout:   "{idle_timeout}",
	scenario.CapVerifyTimeout: "{verify_timeout}",
	scenario.CapMaxClients:    "{max_clients}",
	scenario.CapTokenTTL:      "{token_ttl}",
	scenario.CapWriteTimeout:  "{write_timeout}",
}

// Unsupported implements Configurable: a setting the template does not
// pass cannot be honoured.
func (c *Command) Unsupported(capability string) string {
	if ph, ok := capPlaceholder[capability]; ok && !strings.Contains(c.Template, ph) {
		return "the --server-cmd template has no " + ph + " placeholder"
	}
	return ""
}

// Fresh implements Target.
func (c *Command) Fresh(ctx context.Context, sc scenario.ServerConfig) (*Endpoint, func(), error) {
	return c.launch(ctx, sc)
}

// Dialect implements Target.
func (c *Command) Dialect() spec.Dialect { return c.D }

// Close stops the shared server.
func (c *Command) Close() error {
	c.mu.Lock()
	stop := c.stop
	c.stop = nil
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
	return os.RemoveAll(c.dir)
}

func orDefault(d, def time.Duration) string {
	if d <= 0 {
		d = def
	}
	return d.String()
}
