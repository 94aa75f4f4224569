package e2e

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/internal/testserver"
	"github.com/gochatproto/gochat/refserver/store/sqlstore"
	"github.com/gochatproto/gochat/spec"
)

// restartable is a reference server on a fixed address with its store on
// disk, so it can be stopped and started again where clients expect it.
type restartable struct {
	t    *testing.T
	addr string
	db   string
	srv  *testserver.Server
}

func newRestartable(t *testing.T) *restartable {
	t.Helper()
	first := testserver.Start(t) // borrow a free port
	addr := first.Addr()
	require.NoError(t, first.Stop())
	r := &restartable{t: t, addr: addr, db: filepath.Join(t.TempDir(), "server.db")}
	r.start()
	return r
}

func (r *restartable) start() {
	r.t.Helper()
	st, err := sqlstore.OpenSQLite(context.Background(), r.db)
	require.NoError(r.t, err)
	r.srv = testserver.Start(r.t, testserver.WithStore(st), testserver.WithAddr(r.addr), testserver.WithMOTD("e2e"))
}

func (r *restartable) stop() { require.NoError(r.t, r.srv.Stop()) }

func writePassword(t *testing.T, dir string) string {
	t.Helper()
	pw := filepath.Join(dir, "pw")
	require.NoError(t, os.WriteFile(pw, []byte("secret\n"), 0o600))
	return pw
}

// The server is killed in the middle of a conversation and started again:
// the TUI keeps the conversation and the half-typed draft, counts down,
// reconnects and logs in by itself, and the conversation goes on.
func TestTUIReconnectsAfterServerRestart(t *testing.T) {
	t.Parallel()
	tmux := needTmux(t)
	dir := t.TempDir()
	bin := buildClient(t)
	srv := newRestartable(t)
	host, port, _ := net.SplitHostPort(srv.addr)
	pw := writePassword(t, dir)
	aliceData, bobData := filepath.Join(dir, "alice"), filepath.Join(dir, "bob")
	seed(t, bin, aliceData, pw, nil, "CONN "+host+" "+port, "IMPORT alice "+fixture(t, "alice"), "REG alice")
	bob := startShell(t, bin, bobData, pw)
	bob.run(t, "CONN "+host+" "+port, "[INFO] server MOTD: e2e")
	bob.run(t, "IMPORT bob "+fixture(t, "bob"), "[OK] key imported")
	bob.run(t, "REG bob", "[OK] user bob registered")
	bob.run(t, "LOGIN bob", "[OK] logged in as bob")

	u := newTUI(t, tmux, dir)
	u.start(t, bin, "-data", aliceData)
	u.wait(t, "Welcome to gochat")
	u.line(t, "/connect "+srv.addr)
	u.wait(t, "Connected.")
	u.line(t, "/login alice")
	u.wait(t, "Password for alice")
	u.line(t, "secret")
	u.wait(t, "Logged in as alice.")
	u.line(t, "/msg bob before the restart")
	bob.wait(t, " alice: before the restart")
	u.keys(t, "half-typed draft")

	srv.stop()
	u.wait(t, "reconnecting in")
	bob.wait(t, "[INFO] disconnected")
	screen := u.capture(t)
	require.Contains(t, screen, "before the restart", "the conversation stays")
	require.Contains(t, screen, "half-typed draft", "the draft stays")

	srv.start()
	u.wait(t, "Reconnected; logged in as alice.")
	bob.run(t, "RECONN", "[OK] logged in as bob")
	u.keys(t, "", "Enter") // the draft, sent after all
	bob.wait(t, " alice: half-typed draft")
	bob.run(t, "MSG alice welcome back", "[OK] message sent to alice")
	u.wait(t, "welcome back")
	t.Logf("TUI after the server restart:\n%s", u.capture(t))
	u.keys(t, "", "C-q")
	u.waitGone(t)
}

// A TUI set to one dialect meets a server of the other with messages
// queued for it: it learns the server's dialect before the catch-up, says
// so naming the flag, switches, and the queued messages arrive.
func TestTUIDialectMismatch(t *testing.T) {
	t.Parallel()
	tmux := needTmux(t)
	bin := buildClient(t)
	for _, server := range []spec.Dialect{spec.DialectGochat1, spec.DialectSpec} {
		client := spec.DialectSpec
		if server == spec.DialectSpec {
			client = spec.DialectGochat1
		}
		t.Run("tui "+client.String()+" server "+server.String(), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			addr := testserver.Start(t, testserver.WithDialect(server), testserver.WithMOTD("e2e")).Addr()
			host, port, _ := net.SplitHostPort(addr)
			pw := writePassword(t, dir)
			aliceData, bobData := filepath.Join(dir, "alice"), filepath.Join(dir, "bob")
			clientFlag := []string{"-dialect", client.String()}
			seed(t, bin, aliceData, pw, clientFlag, "CONN "+host+" "+port, "IMPORT alice "+fixture(t, "alice"), "REG alice")
			bob := startShell(t, bin, bobData, pw, "-dialect", server.String())
			bob.run(t, "CONN "+host+" "+port, "[INFO] server MOTD: e2e")
			bob.run(t, "IMPORT bob "+fixture(t, "bob"), "[OK] key imported")
			bob.run(t, "REG bob", "[OK] user bob registered")
			bob.run(t, "LOGIN bob", "[OK] logged in as bob")
			bob.run(t, "MSG alice queued one", "queued on the server")
			bob.run(t, "MSG alice queued two", "queued on the server")

			u := newTUI(t, tmux, dir)
			u.start(t, append([]string{bin, "-data", aliceData}, clientFlag...)...)
			u.wait(t, "Welcome to gochat")
			u.line(t, "/connect "+addr)
			u.wait(t, "Connected.")
			u.line(t, "/login alice")
			u.wait(t, "Password for alice")
			u.line(t, "secret")
			u.wait(t, "2 messages received while you were away.")
			// The notice comes through the session's event pump, so it may
			// reach the screen just after the catch-up count; it wraps, so
			// the screen is compared with its white space folded.
			notice := "This server speaks the " + server.String() + " dialect"
			u.poll(t, "screen lacks "+strconv.Quote(notice), func(screen string) bool {
				return strings.Contains(strings.Join(strings.Fields(screen), " "), notice)
			})
			require.Contains(t, strings.Join(strings.Fields(u.capture(t)), " "), "-dialect "+server.String())
			u.keys(t, "", "C-n")
			u.wait(t, "queued two")
			require.Contains(t, u.capture(t), "queued one")
			u.line(t, "thanks")
			bob.wait(t, " alice: thanks")
			u.keys(t, "", "C-q")
			u.waitGone(t)
		})
	}
}
