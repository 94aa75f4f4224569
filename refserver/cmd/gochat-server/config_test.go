package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/refserver/server"
)

func TestParseConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	require.NoError(t, os.WriteFile(file, []byte("max_clients: 7\nidle_timeout: 3m\ndialect: gochat1\nmotd: file\n"), 0o600))

	c, rest, err := parseConfig([]string{"-config", file, "-motd", "flag", "-db", ":memory:", "user", "set-perm", "x", "1"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 7, c.MaxClients)
	require.Equal(t, duration(3*time.Minute), c.IdleTimeout)
	require.Equal(t, "gochat1", c.Dialect)
	require.Equal(t, "flag", c.MOTD, "flags win over the file")
	require.Equal(t, "sqlite::memory:", c.DB)
	require.Equal(t, ":9037", c.Addr, "defaults stay")
	require.Equal(t, []string{"user", "set-perm", "x", "1"}, rest)

	sc, err := serverConfig(c)
	require.NoError(t, err)
	require.Empty(t, sc.TLSAddr, "no TLS without a certificate or -tls-self-signed")
	c.TLSSelfSigned = true
	sc, err = serverConfig(c)
	require.NoError(t, err)
	require.Equal(t, ":8037", sc.TLSAddr)
}

func TestParseConfigErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("no_such_key: 1\n"), 0o600))
	for _, args := range [][]string{
		{"-config", bad},
		{"-dialect", "nope"},
		{"-tls-cert", "x"},
		{"-owner", "root"},
		{"-admin", "ops"},
		{"-idle-timeout", "soon"},
	} {
		_, _, err := parseConfig(args, io.Discard)
		require.Error(t, err, "%v", args)
	}
}

// Negative durations are refused with the setting's name, from a flag
// (-write-timeout) or from the file (idle_timeout); zero still means the
// default.
func TestParseConfigNegativeDurations(t *testing.T) {
	dir := t.TempDir()
	neg := filepath.Join(dir, "neg.yaml")
	require.NoError(t, os.WriteFile(neg, []byte("max_clients: 3\nidle_timeout: -5m\n"), 0o600))
	_, _, err := parseConfig([]string{"-config", neg}, io.Discard)
	require.ErrorContains(t, err, "idle_timeout")
	require.ErrorContains(t, err, "negative")

	for _, name := range []string{"idle-timeout", "verify-timeout", "handshake-timeout", "write-timeout", "token-ttl"} {
		_, _, err := parseConfig([]string{"-" + name, "-1s"}, io.Discard)
		require.ErrorContains(t, err, "-"+name, name)
		require.ErrorContains(t, err, "negative", name)
	}

	// A flag cannot hide a negative value in the file, and zero is fine.
	_, _, err = parseConfig([]string{"-config", neg, "-idle-timeout", "1m"}, io.Discard)
	require.ErrorContains(t, err, "idle_timeout")
	zero := filepath.Join(dir, "zero.yaml")
	require.NoError(t, os.WriteFile(zero, []byte("token_ttl: 0s\n"), 0o600))
	c, _, err := parseConfig([]string{"-config", zero, "-write-timeout", "0"}, io.Discard)
	require.NoError(t, err)
	require.Zero(t, c.TokenTTL)
	require.Zero(t, c.WriteTimeout)
}

// The limits for the open internet default to server.DefaultLimits, can be
// set from the file and the flags (0 turns each off), and reach
// server.Config.
func TestParseConfigLimits(t *testing.T) {
	c, _, err := parseConfig(nil, io.Discard)
	require.NoError(t, err)
	sc, err := serverConfig(c)
	require.NoError(t, err)
	require.Equal(t, server.DefaultLimits(), sc.Limits, "the defaults are the server's")
	require.Empty(t, c.MetricsAddr, "no metrics endpoint unless asked")

	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	require.NoError(t, os.WriteFile(file, []byte("max_conns_per_ip: 8\nlogin_deadline: 30s\nreg_rate: 5/m\nreg_burst: 2\n"+
		"login_rate: 0\nverif_fail_rate: 3/1h\nmax_pending_per_ip: 0\nfd_reserve: 64\nmetrics_addr: \":9100\"\n"), 0o600))
	c, _, err = parseConfig([]string{"-config", file, "-verif-fail-burst", "1", "-max-conns-per-ip", "0"}, io.Discard)
	require.NoError(t, err)
	sc, err = serverConfig(c)
	require.NoError(t, err)
	require.Equal(t, server.Limits{
		LoginDeadline: 30 * time.Second,
		Reg:           server.Rate{N: 5, Per: time.Minute, Burst: 2},
		Login:         server.Rate{Burst: server.DefaultLimits().Login.Burst},
		VerifyFail:    server.Rate{N: 3, Per: time.Hour, Burst: 1},
		FDReserve:     64,
	}, sc.Limits)
	require.True(t, sc.Limits.Login.Off())
	require.Equal(t, ":9100", c.MetricsAddr)
}

// Bad limit settings are refused with the setting's name, from a flag or
// from the file (whose name the error carries too).
func TestParseConfigLimitErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-reg-rate", "lots"}, "-reg-rate"},
		{[]string{"-login-rate", "5/0s"}, "-login-rate"},
		{[]string{"-max-conns-per-ip", "-1"}, "max-conns-per-ip"},
		{[]string{"-reg-burst", "-3"}, "reg-burst"},
		{[]string{"-login-deadline", "-1s"}, "-login-deadline"},
		{[]string{"-metrics-addr", "9100"}, "metrics address"},
	} {
		_, _, err := parseConfig(tc.args, io.Discard)
		require.ErrorContains(t, err, tc.want, "%v", tc.args)
	}
	dir := t.TempDir()
	for body, want := range map[string]string{
		"verif_fail_rate: 1/never\n": `rate "1/never"`,
		"fd_reserve: -1\n":           "fd_reserve",
		"login_deadline: -5s\n":      "login_deadline",
		"metrics_addr: nope\n":       "metrics address",
	} {
		file := filepath.Join(dir, "bad.yaml")
		require.NoError(t, os.WriteFile(file, []byte(body), 0o600))
		_, _, err := parseConfig([]string{"-config", file}, io.Discard)
		require.ErrorContains(t, err, want, body)
		require.ErrorContains(t, err, file, body)
	}
}

// The --server-cmd template that docs/implementers.md gives for
// gochat-server parses, and turns the per-source limits off (the suite is
// one source; docs/operations.md).
func TestImplementersTemplateParses(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "implementers.md"))
	require.NoError(t, err)
	doc := string(b)
	start := strings.Index(doc, "--server-cmd 'gochat-server ")
	require.GreaterOrEqual(t, start, 0, "template not found")
	tmpl := doc[start+len("--server-cmd 'gochat-server "):]
	tmpl = tmpl[:strings.Index(tmpl, "'")]
	tmpl = strings.NewReplacer("\\\n", " ", "{addr}", "127.0.0.1:1", "{tls_addr}", "127.0.0.1:2",
		"{idle_timeout}", "300ms", "{verify_timeout}", "2m", "{max_clients}", "0", "{token_ttl}", "30m",
		"{write_timeout}", "30s", "{admin_user}", "adm", "{admin_pub}", "a.pem",
		"{owner_user}", "own", "{owner_pub}", "o.pem").Replace(tmpl)
	c, rest, err := parseConfig(strings.Fields(tmpl), io.Discard)
	require.NoError(t, err, tmpl)
	require.Empty(t, rest)
	l := c.limits()
	require.Zero(t, l.MaxConnsPerSource)
	require.Zero(t, l.MaxPendingPerSource)
	require.True(t, l.Reg.Off() && l.Login.Off() && l.VerifyFail.Off())
}
