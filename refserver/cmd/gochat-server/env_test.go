package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Every setting flag is read from its variable, whatever flags are added
// later: the mapping is derived, and this checks the derivation on the
// flag set as it is.
func TestEveryFlagHasAVariable(t *testing.T) {
	c := defaults()
	fs, _ := flags(&c, io.Discard)
	asked := map[string]bool{}
	require.NoError(t, applyEnv(fs, nil, func(name string) (string, bool) {
		asked[name] = true
		return "", false
	}))
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		n++
		require.True(t, asked[envName(f.Name)], "-%s has no variable", f.Name)
	})
	require.Len(t, asked, n)
	require.Equal(t, "GOCHAT_MAX_CLIENTS", envName("max-clients"))
	require.Equal(t, "GOCHAT_DB", envName("db"))
}

// Strongest first: flag, environment, file, default.
func TestEnvPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	require.NoError(t, os.WriteFile(file, []byte("motd: file\nmax_clients: 7\nmax_pending: 9\n"), 0o600))
	t.Setenv("GOCHAT_MOTD", "env")
	t.Setenv("GOCHAT_MAX_CLIENTS", "8")
	t.Setenv("GOCHAT_IDLE_TIMEOUT", "3m")
	t.Setenv("GOCHAT_TLS_SELF_SIGNED", "true")
	t.Setenv("GOCHAT_CONFIG", file)

	c, _, err := parseConfig([]string{"-motd", "flag"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, "flag", c.MOTD, "a flag wins over the environment")
	require.Equal(t, 8, c.MaxClients, "the environment wins over the file")
	require.Equal(t, 9, c.MaxPending, "the file (named by GOCHAT_CONFIG) wins over the default")
	require.Equal(t, duration(3*time.Minute), c.IdleTimeout)
	require.True(t, c.TLSSelfSigned)
	require.Equal(t, ":9037", c.Addr, "the default stays")

	// -config wins over GOCHAT_CONFIG; without a file the environment
	// still applies.
	other := filepath.Join(t.TempDir(), "other.yaml")
	require.NoError(t, os.WriteFile(other, []byte("max_pending: 3\n"), 0o600))
	c, _, err = parseConfig([]string{"-config", other}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 3, c.MaxPending)
	os.Unsetenv("GOCHAT_CONFIG") // t.Setenv restores it
	c, _, err = parseConfig(nil, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 8, c.MaxClients)
	require.Equal(t, 1024, c.MaxPending)
}

// An empty variable is a value, as an empty flag is.
func TestEnvEmptyValue(t *testing.T) {
	t.Setenv("GOCHAT_ADDR", "")
	c, _, err := parseConfig(nil, io.Discard)
	require.NoError(t, err)
	require.Empty(t, c.Addr)
}

// A bad value fails with the variable's name, and the checks that apply to
// flags and the file apply to the environment.
func TestEnvBadValues(t *testing.T) {
	for name, value := range map[string]string{
		"GOCHAT_MAX_CLIENTS":     "many",
		"GOCHAT_IDLE_TIMEOUT":    "-1s",
		"GOCHAT_TLS_SELF_SIGNED": "maybe",
		"GOCHAT_DIALECT":         "klingon",
		"GOCHAT_CONFIG":          "/nonexistent/server.yaml",
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, value)
			_, _, err := parseConfig(nil, io.Discard)
			require.Error(t, err)
			if name != "GOCHAT_DIALECT" && name != "GOCHAT_CONFIG" { // checked after parsing, by value
				require.ErrorContains(t, err, name)
			} else {
				require.ErrorContains(t, err, value)
			}
		})
	}
	// A flag given on the command line is not read from the environment,
	// so a bad variable it overrides is harmless.
	t.Setenv("GOCHAT_MAX_CLIENTS", "many")
	c, _, err := parseConfig([]string{"-max-clients", "4"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 4, c.MaxClients)
}

func TestVersionFlag(t *testing.T) {
	_, _, err := parseConfig([]string{"--version"}, io.Discard)
	require.ErrorIs(t, err, errShowVersion)
	t.Setenv("GOCHAT_VERSION", "true") // an action, not a setting
	_, _, err = parseConfig(nil, io.Discard)
	require.NoError(t, err)
}

// -help lists the variable of every setting.
func TestHelpListsVariables(t *testing.T) {
	var out strings.Builder
	_, _, err := parseConfig([]string{"-help"}, &out)
	require.ErrorIs(t, err, flag.ErrHelp)
	c := defaults()
	fs, _ := flags(&c, io.Discard)
	fs.VisitAll(func(f *flag.Flag) {
		require.Regexp(t, `(?m) `+envName(f.Name)+`( |$)`, out.String(), f.Name)
	})
	require.NotContains(t, out.String(), "GOCHAT_VERSION")
}
