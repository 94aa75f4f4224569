package ui

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/refclient/app"
	"github.com/gochatproto/gochat/refclient/core"
	"github.com/gochatproto/gochat/refclient/model"
	"github.com/gochatproto/gochat/spec"
)

// Every ERR code a request can get is shown in words, never as its
// protocol name; the words are the application's one table.
func TestGoldenErrorWords(t *testing.T) {
	be := newFakeBackend()
	h := newHarness(t, 110, 32, be)
	h.login()
	for c := spec.CodeUndefined; c <= spec.CodeDiscn; c++ {
		be.mu.Lock()
		be.failOn["Query"] = errors.New(app.Explain(&core.ServerError{Code: c, Action: spec.REQ}))
		be.mu.Unlock()
		h.enter(fmt.Sprintf("/query u%02d", uint8(c)))
		h.waitText(fmt.Sprintf("query u%02d: ", uint8(c)))
	}
	be.mu.Lock()
	be.failOn["Admin"] = errors.New(app.Explain(&core.ServerError{Code: spec.CodePerms, Action: spec.ADMIN, Info: uint8(spec.AdminKick)}))
	be.mu.Unlock()
	h.enter("/admin kick bob")
	screen := h.waitText("you need admin rights for /admin kick")
	golden(t, "error-words", screen)
	assert.NotContains(t, screen, "ERR_")
}

func TestGoldenDayChange(t *testing.T) {
	be := newFakeBackend()
	be.users = []string{"alice", "bob"}
	be.history["bob"] = []Message{
		{Time: time.Date(2025, 12, 31, 23, 58, 0, 0, time.UTC), From: "bob", Text: "happy new year soon"},
		{Time: time.Date(2026, 1, 1, 0, 1, 0, 0, time.UTC), From: "alice", Text: "happy new year!"},
		{Time: time.Date(2026, 1, 2, 9, 30, 0, 0, time.UTC), From: "bob", Text: "back to work"},
	}
	h := newHarness(t, 80, 16, be)
	h.login()
	h.enter("/query bob")
	golden(t, "day-change", h.waitText("back to work", "Thursday, 1 January 2026", "Wednesday, 31 December 2025", "Friday, 2 January 2026"))
}

// A message too long for one RSA block shows how many messages it will
// take while it is typed; to an offline peer each part is marked queued.
func TestGoldenLongMessageToOfflinePeer(t *testing.T) {
	be := newFakeBackend()
	be.users = []string{"alice"} // bob is offline
	h := newHarness(t, 90, 20, be)
	h.login()
	h.enter("/query bob")
	h.waitText("alice │ bob")
	h.typeText("short")
	assert.True(t, strings.HasSuffix(screenRow(h.waitText("5/446"), -1), " 5/446"))
	h.key(tcell.KeyEsc, tcell.ModNone)
	long := strings.TrimSpace(strings.Repeat("lorem ipsum ", 45)) // 539 bytes
	h.typeText(long)
	golden(t, "long-typing", h.waitText("539/446: 2 messages"))
	h.key(tcell.KeyEnter, tcell.ModNone)
	screen := h.waitText("sent as 2", "bob is offline")
	golden(t, "queued", screen)
	assert.Equal(t, 2, strings.Count(screen, "(queued)"))
}

func TestGoldenCompletion(t *testing.T) {
	be := newFakeBackend()
	be.users = []string{"alice", "bob", "bobby", "boris"}
	h := newHarness(t, 80, 16, be)
	h.login()
	h.enter("/query bob")
	h.waitText("alice │ bob")
	h.typeText("hi bo")
	h.key(tcell.KeyTab, tcell.ModNone)
	h.waitText("Tab: bob  bobby  boris")
	h.key(tcell.KeyTab, tcell.ModNone)
	h.key(tcell.KeyTab, tcell.ModNone)
	golden(t, "completion", h.waitText("<alice> hi bobby _"[:len("<alice> hi bobby")]))
	h.typeText("x")
	h.waitFor("popup closed", func(s string) bool { return !strings.Contains(s, "Tab:") })
}

// The connection drops: the buffer and its draft stay, the status line
// counts down, and text sent meanwhile returns to the input.
func TestGoldenReconnecting(t *testing.T) {
	be := newFakeBackend()
	be.users = []string{"alice", "bob"}
	h := newHarness(t, 90, 16, be)
	h.login()
	h.enter("/query bob")
	h.waitText("alice │ bob")
	h.enter("see you")
	h.waitText("<alice> see you")
	be.events <- StatusEvent{Server: "home", State: model.Reconnecting, RetryAt: testNow.Add(4 * time.Second),
		Text: "Connection lost: the server closed the connection. Reconnecting..."}
	h.waitText("reconnecting in 4s")
	h.enter("are you there?")
	screen := h.waitText("Not connected to home: reconnecting in 4s")
	golden(t, "reconnecting", screen)
	assert.Contains(t, screenRow(screen, -1), "are you there?", "the text waits in the input")
	assert.Contains(t, screen, "<alice> see you", "the conversation stays")

	be.events <- StatusEvent{Server: "home", State: model.LoggedIn, User: "alice", Text: "Reconnected; logged in as alice."}
	h.waitText("home: logged in as alice │ bob")
	h.key(tcell.KeyEnter, tcell.ModNone)
	h.waitText("<alice> are you there?")
}

// /msg to a user the server does not know opens no buffer and keeps the
// command for fixing.
func TestMsgUnknownUserOpensNothing(t *testing.T) {
	be := newFakeBackend()
	be.failOn["Query"] = errors.New("no such user")
	h := newHarness(t, 80, 16, be)
	h.login()
	h.enter("/msg nosuch hello there")
	s := h.waitText("msg nosuch: no such user")
	assert.NotContains(t, s, "  nosuch", "no buffer in the list")
	assert.Contains(t, screenRow(s, -1), "/msg nosuch hello there")
	assert.NotContains(t, be.Calls(), "Send home nosuch hello there")
}

// tmux sends Alt-Enter and Ctrl-Alt-L as ESC and a control byte, which
// tcell reports as Alt+Ctrl and a letter.
func TestTmuxKeyForms(t *testing.T) {
	h := newHarness(t, 80, 16, newFakeBackend())
	h.waitText("Welcome")
	h.typeText("one")
	h.screen.InjectKey(tcell.KeyRune, 'm', tcell.ModAlt|tcell.ModCtrl)
	h.typeText("two")
	h.waitText("> one↵two")
	h.screen.InjectKey(tcell.KeyRune, 'l', tcell.ModAlt|tcell.ModCtrl)
	h.waitText("Help: Esc closes")
	h.key(tcell.KeyEsc, tcell.ModNone)
	h.waitFor("help closed", func(s string) bool { return !strings.Contains(s, "Help: Esc") })
	h.key(tcell.KeyCtrlC, tcell.ModNone)
	h.waitText("Ctrl-C does not quit gochat: use Ctrl-Q or /quit.")
}

// Scrolling back past the oldest line keeps the screen full.
func TestScrollPastTopStaysFull(t *testing.T) {
	be := newFakeBackend()
	h := newHarness(t, 80, 14, be)
	h.login()
	for i := range 30 {
		be.events <- MessageEvent{Server: "home", Peer: "bob", Message: Message{Time: at(9, i), From: "bob", Text: fmt.Sprint("line ", i)}}
	}
	h.waitText("30 unread")
	h.key(tcell.KeyCtrlN, tcell.ModNone)
	h.waitText("line 29")
	for range 10 {
		h.key(tcell.KeyPgUp, tcell.ModNone)
	}
	screen := h.waitText("line 0")
	golden(t, "scrolled-to-top", screen)
	for y := range 12 {
		assert.NotEqual(t, strings.Repeat(" ", 60), screenRow(screen, y)[20:min(80, len(screenRow(screen, y)))], "row %d blank", y)
	}
	assert.Contains(t, screenRow(screen, 1), "line 0", "under the unread ruler")
}

func TestConnectOptionsAndNamedServers(t *testing.T) {
	be := newFakeBackend()
	h := newHarness(t, 140, 20, be)
	h.waitText("Welcome")
	h.enter("/connect tls:chat.example.org -insecure")
	h.waitText("chat.example.org: connected")
	assert.Contains(t, be.Calls(), "Connect tls:chat.example.org -insecure")
	h.enter("/server add work chat.example.com:9100 -dialect gochat1")
	h.waitText("Saved server work") // shown once the call returned
	assert.Contains(t, be.Calls(), "AddServer work chat.example.com:9100 -dialect gochat1")
	h.enter("/server list")
	h.waitText("Servers (3): home (disconnected), tls:chat.example.org (connected), work (disconnected)")
	h.enter("/server del work")
	h.waitText("Deleted server work")
	h.enter("/server frob")
	h.waitText("Usage: /server list")
	h.enter("/reconnect")
	h.waitText("Reconnecting...")
	require.Eventually(t, func() bool { return slices.Contains(be.Calls(), "Reconnect tls:chat.example.org") },
		10*time.Second, time.Millisecond)
}
