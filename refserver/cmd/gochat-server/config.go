package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/gochatproto/gochat/refserver/metrics"
	"github.com/gochatproto/gochat/refserver/server"
	"github.com/gochatproto/gochat/spec"
)

// duration is a time.Duration written as "25m", "2s" in flags and files.
// Negative values are refused (Set for flags, checkDurations for the
// file): every duration setting is a time limit, and server.Config would
// silently take a negative one as "use the default".
type duration time.Duration

func (d *duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = duration(v)
	return nil
}

func (d duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }
func (d *duration) String() string              { return time.Duration(*d).String() }

// Set parses a flag value; the flag package names the flag in the error.
func (d *duration) Set(s string) error {
	var v duration
	if err := v.UnmarshalText([]byte(s)); err != nil {
		return err
	}
	if v < 0 {
		return fmt.Errorf("negative duration %s", time.Duration(v))
	}
	*d = v
	return nil
}

// checkDurations refuses negative duration settings, naming the file key.
func (c *config) checkDurations() error {
	for _, s := range []struct {
		key string
		v   duration
	}{
		{"idle_timeout", c.IdleTimeout},
		{"verify_timeout", c.VerifyTimeout},
		{"handshake_timeout", c.HandshakeTimeout},
		{"write_timeout", c.WriteTimeout},
		{"token_ttl", c.TokenTTL},
		{"login_deadline", c.LoginDeadline},
	} {
		if s.v < 0 {
			return fmt.Errorf("%s: negative duration %s", s.key, time.Duration(s.v))
		}
	}
	return nil
}

// config is everything the server can be told, from a YAML (or JSON) file
// and from flags; flags win over the file, the file over the defaults.
type config struct {
	Addr             string   `yaml:"addr"`
	TLSAddr          string   `yaml:"tls_addr"`
	TLSCert          string   `yaml:"tls_cert"`
	TLSKey           string   `yaml:"tls_key"`
	TLSSelfSigned    bool     `yaml:"tls_self_signed"`
	DB               string   `yaml:"db"`
	Dialect          string   `yaml:"dialect"`
	MOTD             string   `yaml:"motd"`
	MaxClients       int      `yaml:"max_clients"`
	MaxPending       int      `yaml:"max_pending"`
	IdleTimeout      duration `yaml:"idle_timeout"`
	VerifyTimeout    duration `yaml:"verify_timeout"`
	HandshakeTimeout duration `yaml:"handshake_timeout"`
	WriteTimeout     duration `yaml:"write_timeout"`
	TokenTTL         duration `yaml:"token_ttl"`
	LogLevel         string   `yaml:"log_level"`
	LogFormat        string   `yaml:"log_format"`
	Owner            string   `yaml:"owner"`
	OwnerKey         string   `yaml:"owner_key"`
	Admin            string   `yaml:"admin"`
	AdminKey         string   `yaml:"admin_key"`

	// Limits for the open internet (server.Limits, docs/operations.md).
	MaxConnsPerIP   int      `yaml:"max_conns_per_ip"`
	LoginDeadline   duration `yaml:"login_deadline"`
	RegRate         rate     `yaml:"reg_rate"`
	RegBurst        int      `yaml:"reg_burst"`
	LoginRate       rate     `yaml:"login_rate"`
	LoginBurst      int      `yaml:"login_burst"`
	VerifFailRate   rate     `yaml:"verif_fail_rate"`
	VerifFailBurst  int      `yaml:"verif_fail_burst"`
	MaxPendingPerIP int      `yaml:"max_pending_per_ip"`
	FDReserve       int      `yaml:"fd_reserve"`
	MetricsAddr     string   `yaml:"metrics_addr"`
}

func defaults() config {
	lim := server.DefaultLimits()
	return config{
		Addr:             ":9037",
		TLSAddr:          ":8037",
		DB:               "sqlite:gochat.db",
		Dialect:          "spec",
		MOTD:             "Welcome to the gochat reference server!",
		IdleTimeout:      duration(25 * time.Minute),
		VerifyTimeout:    duration(2 * time.Minute),
		HandshakeTimeout: duration(20 * time.Second),
		WriteTimeout:     duration(30 * time.Second),
		TokenTTL:         duration(30 * time.Minute),
		MaxPending:       1024,
		LogLevel:         "info",
		LogFormat:        "text",
		MaxConnsPerIP:    lim.MaxConnsPerSource,
		LoginDeadline:    duration(lim.LoginDeadline),
		RegRate:          rate{N: lim.Reg.N, Per: lim.Reg.Per},
		RegBurst:         lim.Reg.Burst,
		LoginRate:        rate{N: lim.Login.N, Per: lim.Login.Per},
		LoginBurst:       lim.Login.Burst,
		VerifFailRate:    rate{N: lim.VerifyFail.N, Per: lim.VerifyFail.Per},
		VerifFailBurst:   lim.VerifyFail.Burst,
		MaxPendingPerIP:  lim.MaxPendingPerSource,
		FDReserve:        lim.FDReserve,
	}
}

const usageHead = `Usage:
  gochat-server [flags]                          run the server
  gochat-server [flags] user add NAME --key FILE [--perm LEVEL]
  gochat-server [flags] user set-perm NAME LEVEL
  gochat-server [flags] health                   probe the running server (exit 0: it greets)

The server speaks gochat v1 on plain TCP (-addr) and, when a certificate is
given or -tls-self-signed is set, on TLS (-tls-addr). Settings come from
the defaults, then the -config file (YAML or JSON; keys are the flag names
with "_" for "-", e.g. "max_clients: 10", durations like "25m"), then the
environment (every flag has a variable: GOCHAT_ and its name in upper case
with "_" for "-", e.g. GOCHAT_DB, GOCHAT_MAX_CLIENTS, GOCHAT_CONFIG), then
the flags. Levels: 0 user, 1 admin, 2 owner.

Flags:
`

// flags binds every option to c.
func flags(c *config, out io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("gochat-server", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprint(out, usageHead)
		fs.PrintDefaults()
		printEnv(fs, out) // env.go
	}
	path := fs.String("config", "", "read settings from this YAML/JSON `file` (flags override it)")
	fs.StringVar(&c.Addr, "addr", c.Addr, "plain TCP listen `address`; empty disables plain TCP")
	fs.StringVar(&c.TLSAddr, "tls-addr", c.TLSAddr, "TLS listen `address`, used when a certificate is configured")
	fs.StringVar(&c.TLSCert, "tls-cert", c.TLSCert, "TLS certificate chain PEM `file` (with -tls-key)")
	fs.StringVar(&c.TLSKey, "tls-key", c.TLSKey, "TLS private key PEM `file` (with -tls-cert)")
	fs.BoolVar(&c.TLSSelfSigned, "tls-self-signed", c.TLSSelfSigned, "serve TLS with an in-memory self-signed certificate")
	fs.StringVar(&c.DB, "db", c.DB, "store `URL`: sqlite:PATH, sqlite::memory:, mariadb:DSN; \":memory:\" means sqlite::memory:")
	fs.StringVar(&c.Dialect, "dialect", c.Dialect, "wire `dialect`: spec (DER keys, 4-byte stamps) or gochat1 (the original's PEM keys, varint stamps)")
	fs.StringVar(&c.MOTD, "motd", c.MOTD, "message of the day sent in HELLO (a MOTD set by ADMIN_MOTD is stored and wins)")
	fs.IntVar(&c.MaxClients, "max-clients", c.MaxClients, "admitted connections at once; more wait in a FIFO queue (0 = unlimited)")
	fs.IntVar(&c.MaxPending, "max-pending", c.MaxPending, "pending login verifications server-wide; more get ERR_LOGIN")
	fs.Var(&c.IdleTimeout, "idle-timeout", "close a connection after this `duration` without a packet (KEEP counts)")
	fs.Var(&c.VerifyTimeout, "verify-timeout", "`duration` allowed between LOGIN and VERIF")
	fs.Var(&c.HandshakeTimeout, "handshake-timeout", "TLS handshake time limit (`duration`)")
	fs.Var(&c.WriteTimeout, "write-timeout", "time limit (`duration`) for one write; slower clients are disconnected")
	fs.Var(&c.TokenTTL, "token-ttl", "life (`duration`) of a TLS reusable login token, fixed when issued")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log `level`: debug, info, warn, error")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log `format`: text or json")
	fs.StringVar(&c.Owner, "owner", c.Owner, "ensure this user exists as owner (level 2) at start; needs -owner-key")
	fs.StringVar(&c.OwnerKey, "owner-key", c.OwnerKey, "key `file` for -owner: RSA 4096 public key (PEM or DER) or PEM private key")
	fs.StringVar(&c.Admin, "admin", c.Admin, "ensure this user exists as admin (level 1) at start; needs -admin-key")
	fs.StringVar(&c.AdminKey, "admin-key", c.AdminKey, "key `file` for -admin, like -owner-key")
	limitFlags(fs, c)
	return fs, path
}

// limitFlags binds the limits for the open internet and the metrics
// endpoint (docs/operations.md). A source is an IPv4 address or an IPv6 /64.
func limitFlags(fs *flag.FlagSet, c *config) {
	fs.IntVar(&c.MaxConnsPerIP, "max-conns-per-ip", c.MaxConnsPerIP, "client sockets one source may hold; more are closed at accept (0 = no cap)")
	fs.Var(&c.LoginDeadline, "login-deadline", "close a connection not logged in this `duration` after HELLO (0 = none)")
	fs.Var(&c.RegRate, "reg-rate", "REGs per source, as `N/PERIOD` (30/1h); more get ERR_LOGIN (0 = no limit)")
	fs.IntVar(&c.RegBurst, "reg-burst", c.RegBurst, "REGs a source may make at once before -reg-rate applies")
	fs.Var(&c.LoginRate, "login-rate", "LOGINs per source, as `N/PERIOD`; more get ERR_LOGIN (0 = no limit)")
	fs.IntVar(&c.LoginBurst, "login-burst", c.LoginBurst, "LOGINs a source may make at once before -login-rate applies")
	fs.Var(&c.VerifFailRate, "verif-fail-rate", "failed VERIFs per source, as `N/PERIOD`; past it VERIF gets ERR_LOGIN (0 = no limit)")
	fs.IntVar(&c.VerifFailBurst, "verif-fail-burst", c.VerifFailBurst, "failed VERIFs a source may make at once before -verif-fail-rate applies")
	fs.IntVar(&c.MaxPendingPerIP, "max-pending-per-ip", c.MaxPendingPerIP, "login verifications one source may have waiting; more LOGINs get ERR_LOGIN (0 = no cap)")
	fs.IntVar(&c.FDReserve, "fd-reserve", c.FDReserve, "descriptors of the open-file limit kept for the store; client sockets beyond the rest are closed at accept (0 = no budget)")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", c.MetricsAddr, "serve Prometheus /metrics and /healthz on `HOST:PORT` (\":9100\" means 127.0.0.1:9100; empty = off)")
}

// rate is a server.Rate's N/PERIOD part in flags and files ("30/1h", "0").
type rate struct {
	N   int
	Per time.Duration
}

func (r *rate) UnmarshalText(b []byte) error {
	v, err := server.ParseRate(string(b))
	if err != nil {
		return err
	}
	*r = rate{N: v.N, Per: v.Per}
	return nil
}

func (r rate) MarshalText() ([]byte, error) { return []byte(r.server(0).String()), nil }
func (r *rate) String() string              { return r.server(0).String() }
func (r *rate) Set(s string) error          { return r.UnmarshalText([]byte(s)) }

func (r rate) server(burst int) server.Rate { return server.Rate{N: r.N, Per: r.Per, Burst: burst} }

// checkCounts refuses negative counts, naming the setting.
func (c *config) checkCounts() error {
	for _, s := range []struct {
		name string
		v    int
	}{
		{"max-clients", c.MaxClients},
		{"max-pending", c.MaxPending},
		{"max-conns-per-ip", c.MaxConnsPerIP},
		{"reg-burst", c.RegBurst},
		{"login-burst", c.LoginBurst},
		{"verif-fail-burst", c.VerifFailBurst},
		{"max-pending-per-ip", c.MaxPendingPerIP},
		{"fd-reserve", c.FDReserve},
	} {
		if s.v < 0 {
			return fmt.Errorf("%s (%s in a config file): negative value %d", s.name, strings.ReplaceAll(s.name, "-", "_"), s.v)
		}
	}
	return nil
}

// checkSettings refuses negative counts and a malformed metrics address.
func (c *config) checkSettings() error {
	if err := c.checkCounts(); err != nil {
		return err
	}
	if c.MetricsAddr != "" {
		if _, err := metrics.ListenAddr(c.MetricsAddr); err != nil {
			return err
		}
	}
	return nil
}

// limits maps the settings onto server.Limits.
func (c *config) limits() server.Limits {
	return server.Limits{
		MaxConnsPerSource:   c.MaxConnsPerIP,
		LoginDeadline:       time.Duration(c.LoginDeadline),
		Reg:                 c.RegRate.server(c.RegBurst),
		Login:               c.LoginRate.server(c.LoginBurst),
		VerifyFail:          c.VerifFailRate.server(c.VerifFailBurst),
		MaxPendingPerSource: c.MaxPendingPerIP,
		FDReserve:           c.FDReserve,
	}
}

// parseConfig applies defaults, the config file and the flags, and returns
// the remaining arguments (a subcommand).
func parseConfig(args []string, out io.Writer) (config, []string, error) {
	c := defaults()
	fs, path := flags(&c, out)
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return c, nil, err
	}
	if *showVersion {
		return c, nil, errShowVersion
	}
	// env.go: the environment is applied before the file (for
	// GOCHAT_CONFIG) and again after it, so that it wins over the file.
	given := givenFlags(fs)
	if err := applyEnv(fs, given, os.LookupEnv); err != nil {
		return c, nil, err
	}
	if *path != "" {
		b, err := os.ReadFile(*path)
		if err != nil {
			return c, nil, err
		}
		if err := yaml.UnmarshalWithOptions(b, &c, yaml.Strict()); err != nil {
			return c, nil, fmt.Errorf("%s: %w", *path, err)
		}
		// Flags were checked by Set, so a negative value is the file's.
		if err := c.checkDurations(); err != nil {
			return c, nil, fmt.Errorf("%s: %w", *path, err)
		}
		if err := c.checkSettings(); err != nil {
			return c, nil, fmt.Errorf("%s: %w", *path, err)
		}
		if err := applyEnv(fs, given, os.LookupEnv); err != nil {
			return c, nil, err
		}
		// Parse again so that flags override the file.
		if err := fs.Parse(args); err != nil {
			return c, nil, err
		}
	}
	if c.DB == ":memory:" {
		c.DB = "sqlite::memory:"
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return c, nil, errors.New("-tls-cert and -tls-key go together")
	}
	if (c.Owner == "") != (c.OwnerKey == "") {
		return c, nil, errors.New("-owner and -owner-key go together")
	}
	if (c.Admin == "") != (c.AdminKey == "") {
		return c, nil, errors.New("-admin and -admin-key go together")
	}
	if _, err := spec.ParseDialect(c.Dialect); err != nil {
		return c, nil, err
	}
	if err := c.checkSettings(); err != nil {
		return c, nil, err
	}
	return c, fs.Args(), nil
}

func (c *config) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("log level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(c.LogFormat) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("unknown log format %q", c.LogFormat)
}
