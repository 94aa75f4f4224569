package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/internal/testserver"
	"github.com/gochatproto/gochat/refclient/internal/testkeys"
)

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

// The binary's shell mode runs a script from a non-terminal stdin, takes
// the password from a file and reports failures in its exit status.
func TestShellScript(t *testing.T) {
	ctx := context.Background()
	srv := testserver.Start(t, testserver.WithMOTD("bin test"))
	host, port, _ := net.SplitHostPort(srv.Addr())

	dir := t.TempDir()
	pw := writeFile(t, dir, "pw", "secret\n")
	script := writeFile(t, dir, "script", strings.Join([]string{
		"conn " + host + " " + port,
		"IMPORT alice " + testkeys.Path(t, "alice"),
		"REG alice",
		"LOGIN alice",
		"USRS all",
		"REQ nobody",
		"RECIV",
	}, "\n"))
	in, err := os.Open(script)
	require.NoError(t, err)
	defer in.Close()
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"-shell", "-data", filepath.Join(dir, "data"), "-password-file", pw}, in, &out, &errOut)
	assert.Equal(t, 1, code, "one command failed\nstdout:\n%s\nstderr:\n%s", &out, &errOut)
	assert.Contains(t, out.String(), "[INFO] server MOTD: bin test")
	assert.Contains(t, out.String(), "[OK] logged in as alice")
	assert.Contains(t, out.String(), "[OK] 0 cached messages received")
	assert.Contains(t, errOut.String(), "[ERROR] line 6: no such user [ERR_NOTFOUND]")
	assert.NotContains(t, out.String(), "gochat(", "no prompt without a terminal")
	_, err = os.Stat(filepath.Join(dir, "data", "client.db"))
	require.NoError(t, err)

	// A second run reuses the saved server and account.
	in2 := writeFile(t, dir, "script2", "CONN "+host+":"+port+"\nLOGIN alice\nEXIT\n")
	f, err := os.Open(in2)
	require.NoError(t, err)
	defer f.Close()
	out.Reset()
	code = run(ctx, []string{"-shell", "-e", "-data", filepath.Join(dir, "data"), "-password", "secret"}, f, &out, &errOut)
	assert.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", &out, &errOut)
}

func TestUsage(t *testing.T) {
	var out bytes.Buffer
	assert.Equal(t, 0, run(context.Background(), []string{"--help"}, os.Stdin, &out, &out))
	for _, want := range []string{"-shell", "-password-file", "GOCHAT_PASSWORD", "CONN <addr> <port>", "TRUST <user>"} {
		assert.Contains(t, out.String(), want)
	}
	assert.Equal(t, 2, run(context.Background(), []string{"-dialect", "nope"}, os.Stdin, &out, &out))
}
