package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/refclient/model"
)

func at(hour, minute int) time.Time { return time.Date(2026, 1, 2, hour, minute, 0, 0, time.UTC) }

// login connects to "home" and logs in as alice.
func (h *harness) login() {
	h.t.Helper()
	h.key(tcell.KeyDown, tcell.ModShift)
	h.waitText("home: disconnected")
	h.enter("/connect")
	h.waitText("home: connected")
	h.enter("/login alice")
	h.waitText("Password for alice")
	h.enter("secret")
	h.waitText("home: logged in as alice")
}

func TestGoldenStart(t *testing.T) {
	h := newHarness(t, 80, 24, newFakeBackend())
	golden(t, "start", h.waitText("Welcome to gochat"))
}

func TestGoldenConversation(t *testing.T) {
	be := newFakeBackend()
	be.users = []string{"alice", "bob", "carol"}
	be.history["bob"] = []Message{
		{Time: at(9, 0), From: "bob", Text: "morning"},
		{Time: at(9, 1), From: "alice", Text: "morning bob, a long reply that has to wrap onto a second row of the timeline"},
	}
	h := newHarness(t, 80, 24, be)
	h.login()
	h.waitText("Online (3)")
	be.events <- MessageEvent{Server: "home", Peer: "bob", Message: Message{Time: at(10, 1), From: "bob", Text: "are you there?"}}
	be.events <- MessageEvent{Server: "home", Peer: "bob", Message: Message{Time: at(10, 2), From: "bob", Text: "hello?"}}
	be.events <- MessageEvent{Server: "home", Peer: "carol", Message: Message{Time: at(10, 3), From: "carol", Text: "hi alice"}}
	h.waitText("3 unread")

	h.screen.InjectKey(tcell.KeyRune, 'a', tcell.ModAlt) // next unread: bob
	h.waitText("│ bob", "09:01", "new messages")
	h.enter("hi bob")
	screen := h.waitText("<alice> hi bob")
	golden(t, "conversation", screen)

	assert.Contains(t, screenRow(screen, -2), "1 unread", "carol's message is still unread")
	assert.Contains(t, be.Calls(), "Send home bob hi bob")
	assert.Contains(t, be.Calls(), "Login home alice secret")
}

func TestGoldenHelp(t *testing.T) {
	h := newHarness(t, 80, 24, newFakeBackend())
	h.waitText("Welcome")
	h.key(tcell.KeyF1, tcell.ModNone)
	golden(t, "help", h.waitText("Help: Esc closes"))
	h.key(tcell.KeyPgDn, tcell.ModNone)
	h.waitText("Alt-Home")
	h.key(tcell.KeyEsc, tcell.ModNone)
	h.waitFor("help closed", func(s string) bool { return !strings.Contains(s, "Help: Esc") })
}

func TestHelpListsEveryKeyAndCommand(t *testing.T) {
	page := strings.Join(helpLines(), "\n")
	for _, b := range bindings {
		assert.Contains(t, page, b.label)
	}
	for _, c := range model.Commands {
		assert.Contains(t, page, "/"+c.Name)
		require.Contains(t, commandHandlers, c.Name, "every command has a handler")
	}
}

func TestGoldenResize(t *testing.T) {
	be := newFakeBackend()
	be.users = []string{"alice", "bob"}
	h := newHarness(t, 80, 24, be)
	h.login()
	h.waitText("Online (2)")
	h.screen.SetSize(50, 12)
	require.NoError(t, h.screen.PostEvent(tcell.NewEventResize(50, 12)))
	screen := h.waitFor("a 50x12 screen", func(s string) bool { return strings.Count(s, "\n") == 12 })
	golden(t, "resize-narrow", screen)
	assert.NotContains(t, screen, "Online", "side panes hide on narrow terminals")

	h.screen.SetSize(100, 16)
	require.NoError(t, h.screen.PostEvent(tcell.NewEventResize(100, 16)))
	golden(t, "resize-wide", h.waitFor("a 100x16 screen", func(s string) bool { return strings.Count(s, "\n") == 16 }))
}

func TestStatusLine(t *testing.T) {
	be := newFakeBackend()
	be.users = []string{"alice"}
	h := newHarness(t, 100, 12, be)
	status := func(s string) string { return screenRow(s, -2) }

	assert.Equal(t, " local: disconnected │ *system*"+strings.Repeat(" ", 61)+"F1 help",
		status(h.waitText("Welcome")))
	h.login()
	for i := range 30 {
		be.events <- MessageEvent{Server: "home", Peer: "bob", Message: Message{Time: at(10, i), From: "bob", Text: "line"}}
	}
	s := h.waitText("30 unread")
	assert.Equal(t, " home: logged in as alice │ *system* │ 30 unread (Alt-A)", strings.TrimRight(status(s)[:70], " "))

	h.key(tcell.KeyCtrlN, tcell.ModNone)
	h.waitText("│ bob")
	h.key(tcell.KeyPgUp, tcell.ModNone)
	s = h.waitText("more below")
	assert.Equal(t, " home: logged in as alice │ bob │ 5 more below (PgDn)", strings.TrimRight(status(s)[:70], " "))
	h.key(tcell.KeyEsc, tcell.ModNone) // empty input: back to the bottom
	h.waitFor("scrolled to the end", func(s string) bool { return !strings.Contains(s, "more below") })
}

func TestBurstDrawsOnce(t *testing.T) {
	be := newFakeBackend()
	for i := range 1000 {
		be.events <- MessageEvent{Server: "home", Peer: "bob", Message: Message{Time: testNow, From: "bob", Text: "flood"}}
		_ = i
	}
	h := newHarness(t, 80, 24, be)
	h.waitText("1000 unread")
	// One draw at start-up, one after the batch, perhaps one more if the
	// history reply lands separately; never one per event.
	assert.LessOrEqual(t, h.draws.Load(), int64(4))
}

func TestPasswordIsMasked(t *testing.T) {
	be := newFakeBackend()
	h := newHarness(t, 80, 24, be)
	h.key(tcell.KeyDown, tcell.ModShift)
	h.enter("/connect")
	h.waitText("home: connected")
	h.enter("/register bob")
	h.waitText("Password for new user bob")
	h.typeText("hunter2")
	s := h.waitText("*******")
	assert.NotContains(t, s, "hunter2")
	h.key(tcell.KeyEnter, tcell.ModNone)
	h.waitText("Repeat the password")
	h.enter("hunter2")
	h.waitText("Registered bob")
	assert.Contains(t, be.Calls(), "Register home bob hunter2")

	h.key(tcell.KeyUp, tcell.ModNone) // history holds the command, not the password
	s = h.waitText("> /register bob")
	assert.NotContains(t, s, "hunter2")
}

func TestCommandsReachBackend(t *testing.T) {
	be := newFakeBackend()
	be.all = []string{"alice", "bob", "zed"}
	h := newHarness(t, 100, 30, be)
	h.login()
	steps := []struct{ line, call, shows string }{
		{"/users all", "Users home all", "Registered users (3): alice bob zed"},
		{"/sub all", "Subscribe home all", "Subscribed to all."},
		{"/unsub newlogin", "Unsubscribe home newlogin", "Unsubscribed from newlogin."},
		{"/admin broadcast be  right back", "Admin home broadcast be  right back", "Admin broadcast: done."},
		{"/admin chgperms bob 1", "Admin home chgperms bob|1", "Admin chgperms: done."},
		{"/trust bob", "Trust home bob", "Trusting the current key of bob."},
		{"/query Bob", "Query home bob", "│ bob"},
		{"/msg carol hey there", "Send home carol hey there", "<alice> hey there"},
	}
	for _, st := range steps {
		h.enter(st.line)
		h.waitText(st.shows)
		assert.Contains(t, be.Calls(), st.call, st.line)
	}
	h.enter("/frobnicate")
	h.waitText("unknown command /frobnicate")
	h.enter("/logout")
	s := h.waitText("home: connected │ *system*")
	assert.NotContains(t, s, "carol", "conversations close at logout")
}

func TestServerEvents(t *testing.T) {
	be := newFakeBackend()
	be.users = []string{"alice"}
	h := newHarness(t, 100, 30, be)
	h.login()
	be.events <- HookEvent{Server: "home", Hook: "NEWLOGIN", User: "dave", Perm: 0}
	h.waitText("dave logged in", "Online (2)")
	be.events <- HookEvent{Server: "home", Hook: "NEWLOGOUT", User: "dave"}
	h.waitText("dave logged out", "Online (1)")
	be.events <- HookEvent{Server: "home", Hook: "DUPSESS", Addr: "127.0.0.1"}
	h.waitText("Someone has tried to log in")
	be.events <- HookEvent{Server: "home", Hook: "PERMSCHG", User: "alice", Perm: 1}
	h.waitText("you (alice) is now 1")
	be.events <- ShutdownEvent{Server: "home", At: at(11, 0)}
	h.waitText("shutdown scheduled at 2026-01-02 11:00:00")
	be.events <- NoticeEvent{Server: "home", Text: "motd: be nice"}
	h.waitText("motd: be nice")
	be.events <- ErrorEvent{Server: "home", Text: "key of bob changed"}
	h.waitText("!! key of bob changed")
	be.events <- StatusEvent{Server: "home", State: model.Disconnected, Text: "server closed the connection"}
	h.waitText("home: disconnected", "server closed the connection")
	close(be.events)
	h.enter("still alive")
	h.waitText("This buffer is for system messages")
}

func TestQuitStopsAndQuitsBackend(t *testing.T) {
	be := newFakeBackend()
	h := newHarness(t, 80, 24, be)
	h.waitText("Welcome")
	h.key(tcell.KeyCtrlQ, tcell.ModNone)
	select {
	case err := <-h.errc:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Ctrl-Q did not stop the UI")
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	assert.True(t, be.quit)
	h.errc <- nil // for the cleanup
}
