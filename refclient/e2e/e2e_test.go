// Package e2e drives the gochat-client binary end to end: the terminal
// interface in a real terminal (tmux) and the line shell, both against the
// in-process reference server.
package e2e

import (
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/internal/testbin"
	"github.com/gochatproto/gochat/internal/testserver"
)

// waitFor bounds every poll: generous for a loaded machine, short enough
// that a broken client fails the test quickly.
const waitFor = 10 * time.Second

func startServer(t *testing.T) string {
	t.Helper()
	return testserver.Start(t, testserver.WithTLS(), testserver.WithMOTD("e2e")).Addr()
}

// buildClient builds gochat-client once for all the tests of the package.
func buildClient(t *testing.T) string {
	t.Helper()
	return testbin.Path(t, "github.com/gochatproto/gochat/refclient/cmd/gochat-client")
}

func TestMain(m *testing.M) { testbin.Main(m) }

// needTmux returns the tmux binary, skipping (or failing in CI) without it.
func needTmux(t *testing.T) string {
	t.Helper()
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is required for the end-to-end test in CI")
		}
		t.Skip("tmux not installed; skipping the end-to-end TUI test")
	}
	return tmux
}

// newTUI returns a tmux session for the terminal interface, with its own
// tmux server socket, killed at the end of the test.
func newTUI(t *testing.T, tmux, dir string) *tui {
	u := &tui{tmux: tmux, sock: filepath.Join(dir, "tmux.sock"), name: "gochat-e2e"}
	t.Cleanup(func() { u.cmd("kill-server").Run() })
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the TUI's last screen:\n%s", u.capture(t))
		}
	})
	return u
}

// seed runs a shell script against a data directory, to prepare accounts
// without the TUI (and without generating RSA keys).
func seed(t *testing.T, bin, data, pw string, extra []string, lines ...string) {
	t.Helper()
	args := append([]string{"-shell", "-e", "-data", data, "-password-file", pw}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "seeding %s:\n%s", data, out)
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "scenarios", "fixtures", "keys", name+".pem"))
	require.NoError(t, err)
	return p
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// shell is a gochat-client -shell process fed line by line.
type shell struct {
	in  io.WriteCloser
	out *lockedBuffer
}

func startShell(t *testing.T, bin, data, pwFile string, extra ...string) *shell {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-shell", "-data", data, "-password-file", pwFile, "-keepalive", "-1s"}, extra...)...)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	in, err := cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		in.Close() // EOF ends the shell
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	return &shell{in: in, out: out}
}

// run sends a command and waits for want in what the shell prints after
// it (earlier output may hold the same words).
func (s *shell) run(t *testing.T, line, want string) {
	t.Helper()
	from := len(s.out.String())
	_, err := io.WriteString(s.in, line+"\n")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return strings.Contains(s.out.String()[from:], want) },
		waitFor, 20*time.Millisecond, "shell output after %q lacks %q:\n%s", line, want, s.out)
}

func (s *shell) wait(t *testing.T, want string) {
	t.Helper()
	require.Eventually(t, func() bool { return strings.Contains(s.out.String(), want) },
		waitFor, 20*time.Millisecond, "shell output lacks %q:\n%s", want, s.out)
}

// tui is the terminal interface running in a detached tmux session with
// its own server socket, so the user's tmux is never touched.
type tui struct {
	tmux, sock, name string
}

func (u *tui) cmd(args ...string) *exec.Cmd {
	return exec.Command(u.tmux, append([]string{"-S", u.sock, "-f", "/dev/null"}, args...)...)
}

func (u *tui) start(t *testing.T, command ...string) {
	t.Helper()
	args := append([]string{"new-session", "-d", "-x", "120", "-y", "40", "-s", u.name}, command...)
	out, err := u.cmd(args...).CombinedOutput()
	require.NoError(t, err, "tmux new-session: %s", out)
}

func (u *tui) capture(t *testing.T) string {
	out, err := u.cmd("capture-pane", "-p", "-t", u.name).CombinedOutput()
	if err != nil {
		return "(no pane: " + strings.TrimSpace(string(out)) + ")"
	}
	return string(out)
}

// keys types text literally, then presses each of the named keys.
func (u *tui) keys(t *testing.T, text string, named ...string) {
	t.Helper()
	if text != "" {
		out, err := u.cmd("send-keys", "-t", u.name, "-l", text).CombinedOutput()
		require.NoError(t, err, "send-keys: %s", out)
	}
	for _, k := range named {
		out, err := u.cmd("send-keys", "-t", u.name, k).CombinedOutput()
		require.NoError(t, err, "send-keys %s: %s", k, out)
	}
}

func (u *tui) line(t *testing.T, text string) { u.keys(t, text, "Enter") }

func (u *tui) wait(t *testing.T, want string) {
	t.Helper()
	u.poll(t, "screen lacks "+strconv.Quote(want), func(screen string) bool { return strings.Contains(screen, want) })
}

// waitNot waits until the screen no longer shows text.
func (u *tui) waitNot(t *testing.T, text string) {
	t.Helper()
	u.poll(t, "screen still shows "+strconv.Quote(text), func(screen string) bool { return !strings.Contains(screen, text) })
}

// poll captures the screen until ok accepts it, failing with the last
// screen after waitFor.
func (u *tui) poll(t *testing.T, what string, ok func(screen string) bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		screen := u.capture(t)
		if ok(screen) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s:\n%s", what, screen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitGone waits until the TUI process has exited (and with it the
// session).
func (u *tui) waitGone(t *testing.T) {
	t.Helper()
	require.Eventually(t, func() bool { return u.cmd("has-session", "-t", u.name).Run() != nil },
		waitFor, 50*time.Millisecond, "the TUI did not exit:\n%s", u.capture(t))
}

func TestTUIAndShell(t *testing.T) {
	t.Parallel() // the tests mostly wait on screens: they overlap well
	tmux := needTmux(t)
	dir := t.TempDir()
	bin := buildClient(t)
	addr := startServer(t)
	host, port, _ := net.SplitHostPort(addr)
	pw := filepath.Join(dir, "pw")
	require.NoError(t, os.WriteFile(pw, []byte("secret\n"), 0o600))
	aliceData, bobData := filepath.Join(dir, "alice"), filepath.Join(dir, "bob")

	// Give alice's data directory a fixture key, so the TUI's REG uses it
	// instead of spending seconds generating an RSA-4096 key.
	seed(t, bin, aliceData, pw, nil, "CONN "+host+" "+port, "IMPORT alice "+fixture(t, "alice"))

	bob := startShell(t, bin, bobData, pw)
	bob.run(t, "CONN "+host+" "+port, "[INFO] server MOTD: e2e")
	bob.run(t, "IMPORT bob "+fixture(t, "bob"), "[OK] key imported")
	bob.run(t, "REG bob", "[OK] user bob registered")
	bob.run(t, "LOGIN bob", "[OK] logged in as bob")

	u := newTUI(t, tmux, dir)
	u.start(t, bin, "-data", aliceData)
	u.wait(t, "Welcome to gochat")
	u.line(t, "/connect "+addr)
	u.wait(t, "MOTD: e2e")
	u.line(t, "/register alice")
	u.wait(t, "Password for new user alice")
	u.line(t, "secret")
	u.wait(t, "Repeat the password")
	u.line(t, "secret")
	u.wait(t, "Registered alice.")
	u.line(t, "/login alice")
	u.wait(t, "Password for alice")
	u.line(t, "secret")
	u.wait(t, "Logged in as alice.")

	// Both directions, live.
	u.line(t, "/msg bob hi from the tui")
	bob.wait(t, " alice: hi from the tui")
	u.wait(t, "hi from the tui")
	bob.run(t, "MSG alice hello from the shell", "[OK] message sent to alice")
	u.wait(t, "hello from the shell")

	// The keys tmux sends as ESC and a control byte: Alt-Enter inserts a
	// new line, Ctrl-Alt-L opens the help page.
	u.keys(t, "two", "M-Enter")
	u.keys(t, "lines")
	u.wait(t, "two↵lines")
	u.keys(t, "", "C-M-l")
	u.wait(t, "Help: Esc closes")
	u.keys(t, "q") // closes the help page
	u.waitNot(t, "Help: Esc closes")
	u.keys(t, "", "Enter")
	bob.wait(t, "lines")

	// Offline delivery: the message waits on the server until alice logs
	// in again, and then appears in her conversation.
	u.line(t, "/logout")
	u.wait(t, "Logged out.")
	bob.run(t, "MSG alice sent while you were out", "queued on the server until they log in")
	u.line(t, "/login alice")
	u.wait(t, "Password for alice")
	u.line(t, "secret")
	u.wait(t, "1 messages received while you were away.")
	u.keys(t, "", "C-n") // next buffer with unread messages: bob's
	u.wait(t, "sent while you were out")

	// History survives a restart.
	u.keys(t, "", "C-q")
	u.waitGone(t)
	u.start(t, bin, "-data", aliceData)
	u.wait(t, "Welcome to gochat")
	u.line(t, "/connect "+addr)
	u.wait(t, "Connected.")
	u.line(t, "/login alice")
	u.wait(t, "Password for alice")
	u.line(t, "secret")
	u.wait(t, "Logged in as alice.")
	u.line(t, "/query bob")
	u.wait(t, "sent while you were out")
	screen := u.capture(t)
	for _, want := range []string{"hi from the tui", "hello from the shell"} {
		require.Contains(t, screen, want)
	}
	t.Logf("TUI after restart:\n%s", screen)
	u.keys(t, "", "C-q")
	u.waitGone(t)
}
