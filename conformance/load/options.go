package load

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/gochatproto/gochat/spec"
)

// Options configures a load run. Every profile stops by itself: at Duration
// (after Warmup) or after Count operations, whichever comes first.
type Options struct {
	Addr        string       // server address, host:port
	AllowRemote bool         // permit a non-loopback Addr
	Dialect     spec.Dialect // the server's dialect
	Duration    time.Duration
	Count       int64 // operations to measure, 0 = bounded by Duration only
	Warmup      time.Duration
	Seed        uint64
	// Accounts: with ReuseAccounts the names are derived from the pool
	// keys, registered once and kept; otherwise every run registers fresh
	// names and deregisters them at the end, releasing the keys (E-20).
	ReuseAccounts bool
	Prefix        string // account name prefix (letters and digits)

	Pairs    int // online: sender/receiver pairs
	Window   int // online: messages in flight per sender
	Payload  int // online, catchup: ciphertext size in bytes
	Logins   int // login: concurrent login workers
	Messages int // catchup: messages cached per round
	Conns    int // conns: idle connections to open
	Hold     time.Duration
	// ServerPID, if set, is read for the server's VmRSS (conns profile).
	ServerPID int
	// InProcess says the server runs in this process, so this process's
	// RSS includes it (and the generator's own share).
	InProcess bool

	Progress ProgressFunc // optional; called about once a second
}

// ProgressFunc reports a long run's progress: done of total (total 0 when
// only the duration bounds it) and the elapsed fraction of the duration.
type ProgressFunc func(profile string, done, total int64, elapsed, limit time.Duration)

// DefaultOptions are the CLI defaults.
func DefaultOptions() Options {
	return Options{
		Addr:     "127.0.0.1:9037",
		Duration: 10 * time.Second,
		Warmup:   time.Second,
		Seed:     1,
		Prefix:   "ld",
		Pairs:    16,
		Window:   16,
		Payload:  512,
		Logins:   8,
		Messages: 10000,
		Conns:    1000,
		Hold:     time.Second,
	}
}

// Limits of the options. Window stays well below the 1023 request IDs.
const (
	maxWindow  = 512
	maxPayload = 2045 // fits both dialects (E-3)
	maxPrefix  = 8
)

// Validate checks the options, including that Addr is a loopback address
// unless AllowRemote is set: a load run against someone else's server is
// a denial of service.
func (o *Options) Validate() error {
	if err := CheckAddr(o.Addr, o.AllowRemote); err != nil {
		return err
	}
	if !o.Dialect.Valid() {
		return fmt.Errorf("load: invalid dialect %d", o.Dialect)
	}
	if o.Duration <= 0 && o.Count <= 0 {
		return errors.New("load: need a positive duration or count, or the run would not end")
	}
	if o.Duration < 0 || o.Count < 0 || o.Warmup < 0 || o.Hold < 0 {
		return errors.New("load: negative duration, count, warmup or hold")
	}
	if o.Prefix == "" || len(o.Prefix) > maxPrefix || !spec.ValidUsername(o.Prefix) {
		return fmt.Errorf("load: prefix %q must be 1..%d of [a-z0-9]", o.Prefix, maxPrefix)
	}
	checks := []struct {
		name      string
		v, lo, hi int
	}{
		{"pairs", o.Pairs, 1, poolSize / 2},
		{"window", o.Window, 1, maxWindow},
		{"payload", o.Payload, 1, maxPayload},
		{"logins", o.Logins, 1, poolSize},
		{"messages", o.Messages, 1, 1 << 20},
		{"conns", o.Conns, 1, 1 << 20},
	}
	for _, c := range checks {
		if c.v < c.lo || c.v > c.hi {
			return fmt.Errorf("load: %s = %d, want %d..%d", c.name, c.v, c.lo, c.hi)
		}
	}
	return nil
}

// CheckAddr accepts host:port whose host is a loopback IP or "localhost";
// anything else needs allowRemote. Names other than localhost are refused
// without resolving them, so DNS cannot turn a loopback check into a remote
// target.
func CheckAddr(addr string, allowRemote bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("load: address %q: %w", addr, err)
	}
	if port == "" {
		return fmt.Errorf("load: address %q has no port", addr)
	}
	if allowRemote {
		return nil
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("load: %q is not a loopback address; pass --allow-remote to load a remote server", addr)
}
