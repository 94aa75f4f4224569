package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/gochatproto/gochat/spec"
)

// probeTimeout bounds the probe: a server that cannot greet within it is
// unhealthy, including one whose -max-clients queue is full.
const probeTimeout = 5 * time.Second

// healthCommand runs `gochat-server health`: it connects to the plain TCP
// address this configuration listens on and succeeds when the server greets
// with HELLO. Container images have no shell, so their health checks run
// the server binary itself.
func healthCommand(ctx context.Context, c config, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("health takes no arguments, got %q", args)
	}
	if c.Addr == "" {
		return errors.New("health: plain TCP is disabled (-addr is empty)")
	}
	addr, err := probeAddr(c.Addr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl) // a failure shows up as a read error below
	}
	dialect, err := spec.ParseDialect(c.Dialect)
	if err != nil {
		return err
	}
	var p spec.Packet
	if err := spec.NewRawDecoder(conn, spec.ClientBound, dialect).ReadPacket(&p); err != nil {
		return fmt.Errorf("health: %s: %w", addr, err)
	}
	if p.Action != spec.HELLO {
		return fmt.Errorf("health: %s greeted with %s, not HELLO", addr, p.Action)
	}
	return nil
}

// probeAddr turns a listen address into one to dial: an empty or
// unspecified host means this machine.
func probeAddr(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("health: -addr %q: %w", listen, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	return net.JoinHostPort(host, port), nil
}
