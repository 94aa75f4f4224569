package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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
