package shell

import (
	"bytes"
	"context"
	"crypto/rsa"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/internal/testserver"
	"github.com/gochatproto/gochat/refclient/core"
	"github.com/gochatproto/gochat/refclient/internal/testkeys"
	"github.com/gochatproto/gochat/refclient/keyring"
	"github.com/gochatproto/gochat/refclient/store"
	"github.com/gochatproto/gochat/spec"
)

// syncBuffer is an io.Writer that the test can read while the shell's
// event pump writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type testShell struct {
	*Shell
	out *syncBuffer
	st  *store.Store
}

// newShell returns a shell with its own in-memory store whose REG uses
// the fixture key named name and a cheap keyring cost.
func newShell(t *testing.T, name string) *testShell {
	t.Helper()
	st, err := store.Open(context.Background(), store.MemoryPath)
	require.NoError(t, err)
	out := &syncBuffer{}
	key := testkeys.Load(t, name)
	sh := New(Options{
		Store: st, Out: out,
		Password:       func(string, bool) ([]byte, error) { return []byte("pw-" + name), nil },
		GenerateKey:    func() (*rsa.PrivateKey, error) { return key, nil },
		KeyParams:      keyring.Params{Time: 1, MemoryKiB: 64, Threads: 1},
		RequestTimeout: 5 * time.Second, KeepAlive: -1,
		ExportDir: t.TempDir(),
	})
	t.Cleanup(func() { sh.disconnect(); st.Close() })
	return &testShell{Shell: sh, out: out, st: st}
}

func (ts *testShell) run(t *testing.T, lines ...string) {
	t.Helper()
	for _, ln := range lines {
		err := ts.Exec(context.Background(), ln)
		ts.syncEvents()
		require.NoError(t, err, "%s\noutput so far:\n%s", ln, ts.out)
	}
}

func (ts *testShell) fail(t *testing.T, line, want string) {
	t.Helper()
	err := ts.Exec(context.Background(), line)
	require.Error(t, err, line)
	assert.Contains(t, err.Error(), want)
}

func (ts *testShell) waitOutput(t *testing.T, want string) {
	t.Helper()
	require.Eventually(t, func() bool { return strings.Contains(ts.out.String(), want) },
		5*time.Second, 10*time.Millisecond, "want %q in:\n%s", want, ts.out)
}

func startServer(t *testing.T) (plain, tlsAddr string) {
	t.Helper()
	srv := testserver.Start(t, testserver.WithTLS(), testserver.WithMOTD("shell test"))
	return srv.Addr(), srv.TLSAddr()
}

func connLine(addr string, flags string) string {
	host, port, _ := net.SplitHostPort(addr)
	return strings.TrimSpace(fmt.Sprintf("CONN %s %s %s", host, port, flags))
}

func TestShellConversation(t *testing.T) {
	plain, secure := startServer(t)
	alice, bob := newShell(t, "alice"), newShell(t, "bob")

	alice.run(t, connLine(secure, "-tls -insecure"), "REG alice", "login ALICE")
	bob.run(t, connLine(plain, ""), "REG bob", "LOGIN bob", "SUB all")
	assert.Contains(t, alice.out.String(), "[INFO] server MOTD: shell test")
	assert.Contains(t, alice.out.String(), "reusable token kept")

	alice.run(t, "USRS onlineperms", "MSG bob hello   bob, how are you?")
	assert.Contains(t, alice.out.String(), "alice 0\nbob 0\n")
	bob.waitOutput(t, " alice: hello   bob, how are you?")
	bob.run(t, "msg alice fine")
	alice.waitOutput(t, " bob: fine")

	alice.run(t, "HISTORY bob")
	assert.Contains(t, alice.out.String(), "alice: hello   bob, how are you?")
	assert.Contains(t, alice.out.String(), "bob: fine")

	// Offline delivery and catch-up.
	alice.run(t, "LOGOUT")
	bob.waitOutput(t, "[HOOK] new_logout alice")
	bob.run(t, "MSG alice are you there?")
	alice.run(t, "LOGIN alice", "RECIV")
	out := alice.out.String()
	i, j := strings.Index(out, " bob: are you there?"), strings.Index(out, "[OK] 1 cached messages received")
	require.True(t, i >= 0 && j > i, "message before summary:\n%s", out)

	// Errors are reported, not fatal.
	bob.fail(t, "ADMIN kick alice", "you need admin rights for /admin kick (and a higher level than the user) [ERR_PERMS]")
	bob.fail(t, "REQ nobody", "no such user [ERR_NOTFOUND]")
	bob.fail(t, "USRS sideways", "list kind")
	bob.fail(t, "FLY away", "unknown command")
	bob.fail(t, "ADMIN broadcast hi", "TLS")
}

// A changed key blocks MSG until TRUST.
func TestShellKeyChange(t *testing.T) {
	plain, _ := startServer(t)
	alice, bob := newShell(t, "alice"), newShell(t, "bob")
	bob.run(t, connLine(plain, ""), "REG bob")
	alice.run(t, connLine(plain, ""), "REG alice", "LOGIN alice", "REQ bob")

	// Pretend the server once reported another key for bob.
	other := testkeys.Load(t, "alice")
	der, err := spec.DialectSpec.MarshalPublicKey(&other.PublicKey)
	require.NoError(t, err)
	res, err := alice.st.PinContactKey(context.Background(), "127.0.0.1:"+port(plain), "alice", "bob", der)
	require.NoError(t, err)
	require.Equal(t, store.PinChanged, res)

	alice.fail(t, "MSG bob hi", "TRUST bob")
	alice.run(t, "TRUST bob")
	alice.fail(t, "TRUST bob", "no key change pending")
}

func port(addr string) string { _, p, _ := net.SplitHostPort(addr); return p }

// Run reads a script, counts failures and honours ErrExit.
func TestRunScript(t *testing.T) {
	plain, _ := startServer(t)
	ts := newShell(t, "alice")
	script := strings.Join([]string{
		"# comment",
		connLine(plain, ""),
		"REG alice",
		"LOGIN nobody",
		"LOGIN alice",
		"SERVERS",
		"HELP msg",
		"EXIT",
		"USRS all",
	}, "\n")
	assert.Equal(t, 1, ts.Run(context.Background(), strings.NewReader(script)))
	out := ts.out.String()
	assert.Contains(t, out, "[ERROR] line 4: no local account nobody", "a script error names its line")
	assert.Contains(t, out, "[OK] logged in as alice with permission level 0")
	assert.Contains(t, out, "127.0.0.1:"+port(plain)+" 127.0.0.1:"+port(plain)+" dialect=spec")
	assert.Contains(t, out, "MSG <user> <text...>")
	assert.NotContains(t, out, "users (all)", "EXIT stops the script")

	ts2 := newShell(t, "alice")
	ts2.opts.ErrExit = true
	assert.Equal(t, 1, ts2.Run(context.Background(), strings.NewReader("LOGIN alice\nSERVERS\n")))
	assert.NotContains(t, ts2.out.String(), "no saved servers")
}

func TestImportExport(t *testing.T) {
	plain, _ := startServer(t)
	ts := newShell(t, "alice")
	dir := t.TempDir()
	pemPath := filepath.Join(dir, "bob.pem")
	require.NoError(t, keyring.ExportPEM(pemPath, testkeys.Load(t, "bob"), false))
	out := filepath.Join(dir, "out.pem")
	ts.run(t, connLine(plain, ""), "IMPORT bob "+pemPath, "REG bob", "LOGIN bob", "EXPORT bob "+out, "ACCOUNTS")
	k, err := keyring.ImportPEM(out)
	require.NoError(t, err)
	assert.True(t, k.Equal(testkeys.Load(t, "bob")))
	assert.Contains(t, ts.out.String(), "[INFO] using the key of local account bob")
}

// RECONN restores the session with the token over TLS and with the
// handshake over plain TCP.
func TestShellReconnect(t *testing.T) {
	plain, secure := startServer(t)
	alice, bob := newShell(t, "alice"), newShell(t, "bob")
	alice.run(t, connLine(secure, "-tls -insecure"), "REG alice", "LOGIN alice", "DISCN", "RECONN", "USRS online")
	assert.Contains(t, alice.out.String(), "[OK] logged in as alice with the reusable token")
	bob.run(t, connLine(plain, ""), "REG bob", "LOGIN bob", "DISCN", "RECONN")
	assert.Contains(t, bob.out.String(), "[OK] logged in as bob with the handshake")
	bob.fail(t, "RECONN", "already connected")
}

// A long MSG to an offline user is split and said to be queued; a
// message from another day shows its date.
func TestShellSplitQueuedAndDates(t *testing.T) {
	plain, _ := startServer(t)
	alice, bob := newShell(t, "alice"), newShell(t, "bob")
	bob.run(t, connLine(plain, ""), "REG bob")
	alice.run(t, "CONN "+plain, "REG alice", "LOGIN alice", "MSG bob "+strings.Repeat("word ", 120))
	assert.Contains(t, alice.out.String(), "[OK] message sent to bob in 2 parts (too long for one); bob is offline: queued on the server until they log in")
	alice.run(t, "HISTORY bob")
	assert.Contains(t, alice.out.String(), "(queued)")

	alice.opts.Now = func() time.Time { return time.Date(2026, 1, 2, 12, 0, 0, 0, time.Local) }
	alice.printMessage(core.Message{From: "bob", Text: "old", Stamp: time.Date(2025, 12, 31, 23, 0, 0, 0, time.Local)})
	alice.printMessage(core.Message{From: "bob", Text: "new", Stamp: time.Date(2026, 1, 2, 9, 0, 0, 0, time.Local)})
	assert.Contains(t, alice.out.String(), "[MSG] 2025-12-31 23:00:00 bob: old")
	assert.Contains(t, alice.out.String(), "[MSG] 09:00:00 bob: new")
}
