package model

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func msg(from, text string) Line {
	return Line{Time: time.Unix(0, 0), Sender: from, Text: text, Kind: KindMessage}
}

func TestUnreadAndMarker(t *testing.T) {
	m := New()
	m.AddServer("home")
	m.Add("home", "alice", msg("alice", "one"))
	m.Add("home", "alice", msg("alice", "two"))
	m.Notice("home", "server notice")

	s := m.Server("home")
	a := s.Buffer("alice")
	require.NotNil(t, a)
	assert.Equal(t, 2, a.Unread())
	assert.Equal(t, 0, a.Marker())
	assert.True(t, s.System().Activity())
	assert.Equal(t, 0, s.System().Unread(), "notices are activity, not unread")
	assert.Equal(t, 2, m.UnreadTotal())
	assert.Equal(t, 2, m.TakeNotifications())
	assert.Equal(t, 0, m.TakeNotifications(), "taken once")

	require.True(t, m.Select("home", "alice"))
	assert.Equal(t, 0, a.Unread(), "focusing reads the buffer")
	assert.Equal(t, 0, a.Marker(), "but the ruler stays while focused")

	m.Add("home", "alice", msg("alice", "three"))
	assert.Equal(t, 0, a.Unread(), "lines in the focused buffer are read at once")
	assert.Equal(t, 0, m.TakeNotifications())

	m.NextBuffer(-1)
	assert.Equal(t, -1, a.Marker(), "leaving forgets the ruler")
	m.Add("home", "alice", msg("alice", "four"))
	assert.Equal(t, 3, a.Marker(), "a new ruler above the first new line")
}

func TestOwnMessagesAreNotUnread(t *testing.T) {
	m := New()
	m.Add("s", "bob", Line{Sender: "me", Text: "hi", Kind: KindSelf})
	b := m.Server("s").Buffer("bob")
	assert.Equal(t, 0, b.Unread())
	assert.Equal(t, -1, b.Marker())
	assert.False(t, b.Activity())
	assert.Equal(t, 0, m.TakeNotifications())
}

func TestSecretInputSurvivesSwitching(t *testing.T) {
	m := New()
	m.Open("s", "a")
	m.Editor.Secret = true
	m.Editor.InsertString("pw")
	m.Select("s", "a")
	assert.Equal(t, "pw", m.Editor.String())
	m.Editor.Secret = false
	m.Editor.Clear()
	m.Select(LocalServer, "")
	assert.Equal(t, "", m.Editor.String(), "no draft was saved from the secret")
}

func TestUnfocusedTerminalKeepsUnread(t *testing.T) {
	m := New()
	m.SetFocused(false)
	m.Add(LocalServer, "", msg("x", "hi"))
	_, b := m.Current()
	assert.Equal(t, 1, b.Unread())
	assert.Equal(t, 0, b.Marker())
	assert.Equal(t, 1, m.TakeNotifications())
	m.SetFocused(true)
	assert.Equal(t, 0, b.Unread())
	assert.Equal(t, 0, b.Marker())
}

func TestNavigation(t *testing.T) {
	m := New()
	for _, p := range []string{"a", "b", "c"} {
		m.Open("s1", p)
	}
	m.Open("s2", "d")
	names := func() string {
		s, b := m.Current()
		return s.Name + "/" + b.Name
	}
	tests := []struct {
		op   func()
		want string
	}{
		{func() { m.NextServer(1) }, "s1/" + SystemBuffer},
		{func() { m.NextBuffer(1) }, "s1/a"},
		{func() { m.NextBuffer(-2) }, "s1/c"},
		{func() { m.NextBuffer(1) }, "s1/" + SystemBuffer},
		{func() { m.NextServer(1) }, "s2/" + SystemBuffer},
		{func() { m.NextServer(1) }, LocalServer + "/" + SystemBuffer},
		{func() { m.NextServer(-1) }, "s2/" + SystemBuffer},
		{func() { m.Select("s1", "b") }, "s1/b"},
		{func() { m.NextServer(1); m.NextServer(-1) }, "s1/b"}, // each server remembers its buffer
	}
	for i, tt := range tests {
		tt.op()
		assert.Equal(t, tt.want, names(), "step %d", i)
	}
	assert.False(t, m.Select("s1", "zzz"))
	assert.False(t, m.Select("nope", ""))
}

func TestNextUnreadCyclesInBufferOrder(t *testing.T) {
	m := New()
	m.Add("s1", "a", msg("a", "x"))
	m.Open("s1", "b")
	m.Add("s2", "c", msg("c", "x"))
	m.Add("s1", "", msg("sys", "x"))

	var visited []string
	for m.NextUnread() {
		s, b := m.Current()
		visited = append(visited, s.Name+"/"+b.Name)
	}
	assert.Equal(t, []string{"s1/" + SystemBuffer, "s1/a", "s2/c"}, visited)
	assert.Equal(t, 0, m.UnreadTotal())
}

func TestDraftsFollowBuffers(t *testing.T) {
	m := New()
	m.Open("s", "a")
	m.Editor.InsertString("half typed")
	m.Select("s", "a")
	assert.Equal(t, "", m.Editor.String())
	m.Editor.InsertString("for a")
	m.Select(LocalServer, "")
	assert.Equal(t, "half typed", m.Editor.String())
	m.Select("s", "a")
	assert.Equal(t, "for a", m.Editor.String())
}

func TestScrollAnchorsOnNewLines(t *testing.T) {
	m := New()
	for i := range 10 {
		m.Add(LocalServer, "", msg("x", fmt.Sprint(i)))
	}
	_, b := m.Current()
	b.ScrollUp(3)
	m.Add(LocalServer, "", msg("x", "new"))
	assert.Equal(t, 4, b.Scroll(), "the view stays on the same lines")
	assert.Equal(t, 4, m.Status().Below)
	b.ScrollUp(100)
	assert.Equal(t, 10, b.Scroll())
	assert.True(t, b.AtTop())
	b.ScrollDown(100)
	assert.Equal(t, 0, b.Scroll())
	m.Add(LocalServer, "", msg("x", "newer"))
	assert.Equal(t, 0, b.Scroll(), "sticky bottom")
	b.ScrollTop()
	assert.True(t, b.AtTop())
	b.ScrollBottom()
	assert.Equal(t, 0, b.Scroll())
}

func TestPrependKeepsMarker(t *testing.T) {
	m := New()
	live := msg("a", "new")
	live.ID = 9
	m.Add("s", "a", live)
	b := m.Server("s").Buffer("a")
	assert.Equal(t, int64(9), b.OldestID())
	old1, old2 := msg("a", "old1"), msg("a", "old2")
	old1.ID, old2.ID = 4, 7
	m.Prepend("s", "a", []Line{old1, old2})
	assert.Equal(t, 2, b.Marker())
	assert.Equal(t, "old1", b.Lines()[0].Text)
	assert.Equal(t, int64(4), b.OldestID())
	assert.True(t, b.Has(7))
	assert.False(t, b.Has(8))
}

func TestBufferBounded(t *testing.T) {
	m := New()
	for i := range MaxLines + 5 {
		m.Add("s", "a", msg("a", fmt.Sprint(i)))
	}
	b := m.Server("s").Buffer("a")
	assert.Len(t, b.Lines(), MaxLines)
	assert.Equal(t, "5", b.Lines()[0].Text)
	assert.Equal(t, 0, b.Marker())
	assert.Equal(t, MaxLines+5, b.Unread(), "the count still says how many arrived")
}

func TestCloseBuffers(t *testing.T) {
	m := New()
	m.Open("s", "a")
	m.Open("s", "b")
	m.Select("s", "b")
	assert.True(t, m.CloseBuffer())
	_, b := m.Current()
	assert.Equal(t, "a", b.Name)
	m.CloseQueries("s")
	_, b = m.Current()
	assert.Equal(t, SystemBuffer, b.Name)
	assert.Len(t, m.Server("s").Buffers(), 1)
	assert.False(t, m.CloseBuffer(), "system buffers stay")
}

func TestUsersAndStatus(t *testing.T) {
	m := New()
	s := m.AddServer("s")
	s.SetUsers([]string{"carol", "alice", "bob", "alice"})
	s.AddUser("dave")
	s.AddUser("bob")
	s.RemoveUser("carol")
	s.RemoveUser("nobody")
	assert.Equal(t, []string{"alice", "bob", "dave"}, s.Users())

	s.State, s.User = LoggedIn, "alice"
	m.Select("s", "")
	m.Add("s", "bob", msg("bob", "hi"))
	assert.Equal(t, Status{Server: "s", User: "alice", State: LoggedIn, Buffer: SystemBuffer, Unread: 1}, m.Status())
	assert.Equal(t, "gochat: s/*system* (1)", m.Title())
	assert.Equal(t, "logged in", LoggedIn.String())
	assert.Same(t, m.Open("s", "BOB"), m.Open("s", "bob"), "names are case-folded")
}

// TestUsersFetchKeepsNewerHooks: a user list requested before a login hook
// arrives must not undo that hook when its (older) answer comes in.
func TestUsersFetchKeepsNewerHooks(t *testing.T) {
	tests := []struct {
		name   string
		during func(s *Server)
		answer []string
		ok     bool
		want   []string
	}{
		{"login during fetch", func(s *Server) { s.AddUser("dave") }, []string{"alice"}, true, []string{"alice", "dave"}},
		{"logout during fetch", func(s *Server) { s.RemoveUser("bob") }, []string{"alice", "bob"}, true, []string{"alice"}},
		{"login then logout", func(s *Server) { s.AddUser("dave"); s.RemoveUser("dave") }, []string{"alice"}, true, []string{"alice"}},
		{"no change", func(*Server) {}, []string{"bob", "alice"}, true, []string{"alice", "bob"}},
		{"failed fetch keeps list", func(s *Server) { s.AddUser("dave") }, nil, false, []string{"carol", "dave"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer("home")
			s.SetUsers([]string{"carol"})
			tok := s.BeginUsersFetch()
			tc.during(s)
			s.FinishUsersFetch(tok, tc.answer, tc.ok)
			if got := s.Users(); !slices.Equal(got, tc.want) {
				t.Fatalf("users = %v, want %v", got, tc.want)
			}
			if len(s.userDelta) != 0 {
				t.Fatalf("change log not cleared after the last fetch: %v", s.userDelta)
			}
		})
	}
}

// TestUsersFetchOverlapping: changes stay logged until the last of several
// overlapping fetches finishes, and each replays only what is newer than it.
func TestUsersFetchOverlapping(t *testing.T) {
	s := newServer("home")
	first := s.BeginUsersFetch()
	s.AddUser("dave")
	second := s.BeginUsersFetch()
	s.AddUser("erin")
	s.FinishUsersFetch(first, []string{"alice"}, true)
	if got, want := s.Users(), []string{"alice", "dave", "erin"}; !slices.Equal(got, want) {
		t.Fatalf("after first: %v, want %v", got, want)
	}
	s.FinishUsersFetch(second, []string{"alice", "dave"}, true)
	if got, want := s.Users(), []string{"alice", "dave", "erin"}; !slices.Equal(got, want) {
		t.Fatalf("after second: %v, want %v", got, want)
	}
}
