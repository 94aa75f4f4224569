// Package model holds the reference client's interface state: servers,
// their buffers and timelines, unread counts and markers, scrollback, the
// input editor, command parsing and the status line. It has no terminal
// and no network code; the ui package draws it and feeds it events, and
// every method must be called from the single goroutine that owns it.
package model

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// ConnState is a server connection's state as shown in the status line.
type ConnState int

// Connection states, in the order a session goes through them.
const (
	Disconnected ConnState = iota
	// Reconnecting: the connection was lost and the client will connect
	// and log in again by itself (Server.RetryAt).
	Reconnecting
	Connecting
	Connected
	LoggedIn
)

func (s ConnState) String() string {
	switch s {
	case Reconnecting:
		return "reconnecting"
	case Connecting:
		return "connecting"
	case Connected:
		return "connected"
	case LoggedIn:
		return "logged in"
	}
	return "disconnected"
}

// SystemBuffer is the name of every server's system buffer.
const SystemBuffer = "*system*"

// LocalServer is the name of the pseudo-server that always exists and holds
// the client's own messages; it cannot be connected.
const LocalServer = "local"

// Server is one server entry with its buffers and online users.
type Server struct {
	Name  string
	State ConnState
	User  string // logged-in user, empty otherwise
	// RetryAt is when the next reconnection attempt starts (Reconnecting).
	RetryAt time.Time

	buffers []*Buffer // buffers[0] is the system buffer
	cur     int
	users   []string // online users, sorted

	// A user-list fetch returns a snapshot taken when the server answered,
	// but hooks that arrive while it is in flight are newer. Changes are
	// logged while any fetch is pending and replayed over its snapshot.
	userSeq   uint64
	fetches   int
	userDelta []userChange
}

type userChange struct {
	seq    uint64
	user   string
	online bool
}

func newServer(name string) *Server {
	return &Server{Name: name, buffers: []*Buffer{newBuffer(SystemBuffer, BufferSystem)}}
}

// Buffers returns the server's buffers in display order, system first.
func (s *Server) Buffers() []*Buffer { return s.buffers }

// System returns the server's system buffer.
func (s *Server) System() *Buffer { return s.buffers[0] }

// Buffer returns the named buffer or nil. The system buffer is also found
// by the empty name.
func (s *Server) Buffer(name string) *Buffer {
	if name == "" {
		return s.buffers[0]
	}
	for _, b := range s.buffers {
		if b.Name == name {
			return b
		}
	}
	return nil
}

// Current returns the selected buffer of this server.
func (s *Server) Current() *Buffer { return s.buffers[s.cur] }

// Unread returns the unread message count over all buffers.
func (s *Server) Unread() int {
	n := 0
	for _, b := range s.buffers {
		n += b.unread
	}
	return n
}

// Users returns the online users, sorted. The slice must not be modified.
func (s *Server) Users() []string { return s.users }

// SetUsers replaces the online list.
func (s *Server) SetUsers(users []string) {
	s.users = slices.Clone(users)
	slices.Sort(s.users)
	s.users = slices.Compact(s.users)
}

// BeginUsersFetch marks a user-list request as sent and returns the token
// to hand to FinishUsersFetch with its answer.
func (s *Server) BeginUsersFetch() uint64 {
	s.fetches++
	return s.userSeq
}

// FinishUsersFetch ends the fetch begun with token. With ok, users (the
// server's answer) replaces the list, and the changes that arrived after
// the request was sent are applied again on top of it, so a stale snapshot
// never undoes a newer login or logout.
func (s *Server) FinishUsersFetch(token uint64, users []string, ok bool) {
	if ok {
		s.SetUsers(users)
		for _, c := range s.userDelta {
			if c.seq > token {
				s.applyUser(c.user, c.online)
			}
		}
	}
	if s.fetches > 0 {
		s.fetches--
	}
	if s.fetches == 0 {
		s.userDelta = s.userDelta[:0]
	}
}

// AddUser records a user coming online.
func (s *Server) AddUser(u string) { s.changeUser(u, true) }

// RemoveUser records a user going offline.
func (s *Server) RemoveUser(u string) { s.changeUser(u, false) }

func (s *Server) changeUser(u string, online bool) {
	s.userSeq++
	if s.fetches > 0 {
		s.userDelta = append(s.userDelta, userChange{seq: s.userSeq, user: u, online: online})
	}
	s.applyUser(u, online)
}

func (s *Server) applyUser(u string, online bool) {
	i, found := slices.BinarySearch(s.users, u)
	switch {
	case online && !found:
		s.users = slices.Insert(s.users, i, u)
	case !online && found:
		s.users = slices.Delete(s.users, i, i+1)
	}
}

// Model is the whole interface state.
type Model struct {
	servers []*Server
	cur     int
	unfocus bool // the terminal lost focus: new lines stay unread
	notify  int  // messages that should alert the user, not yet taken
	Editor  Editor
	comp    *completion // Tab completion in progress, or nil

	// Pane visibility, toggled by keys.
	ShowUsers   bool
	ShowBuffers bool
	ShowHelp    bool
}

// New returns a model holding only the local pseudo-server.
func New() *Model {
	return &Model{servers: []*Server{newServer(LocalServer)}, ShowUsers: true, ShowBuffers: true}
}

// Servers returns the servers in display order.
func (m *Model) Servers() []*Server { return m.servers }

// Server returns the named server or nil.
func (m *Model) Server(name string) *Server {
	for _, s := range m.servers {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// AddServer returns the named server, creating it at the end of the list.
func (m *Model) AddServer(name string) *Server {
	if s := m.Server(name); s != nil {
		return s
	}
	s := newServer(name)
	m.servers = append(m.servers, s)
	return s
}

// Current returns the selected server and buffer.
func (m *Model) Current() (*Server, *Buffer) {
	s := m.servers[m.cur]
	return s, s.Current()
}

// Open returns the named conversation buffer on server, creating both
// as needed. Peer names are case-folded: usernames are lower case on the
// wire and the original client folded them too.
func (m *Model) Open(server, peer string) *Buffer {
	s := m.AddServer(server)
	if peer == "" {
		return s.System()
	}
	peer = strings.ToLower(peer)
	if b := s.Buffer(peer); b != nil {
		return b
	}
	b := newBuffer(peer, BufferQuery)
	s.buffers = append(s.buffers, b)
	return b
}

// Add appends l to the buffer for peer on server (the system buffer when
// peer is empty), creating it if needed. A message that the user is not
// looking at is counted unread and raises a notification.
func (m *Model) Add(server, peer string, l Line) {
	b := m.Open(server, peer)
	_, cur := m.Current()
	active := b == cur && !m.unfocus
	b.append(l, active)
	if !active && l.Kind == KindMessage {
		m.notify++
	}
}

// Prepend adds older lines at the top of a buffer, for history loading.
func (m *Model) Prepend(server, peer string, ls []Line) {
	m.Open(server, peer).prepend(ls)
}

// Notice adds a notice line to a server's system buffer.
func (m *Model) Notice(server, format string, args ...any) {
	m.Add(server, "", Line{Kind: KindNotice, Text: fmt.Sprintf(format, args...)})
}

// TakeNotifications returns how many alerting messages arrived since the
// last call and resets the count, so the UI rings once per batch.
func (m *Model) TakeNotifications() int {
	n := m.notify
	m.notify = 0
	return n
}

// SetFocused records whether the terminal has focus. While unfocused, even
// the current buffer collects unread lines and a marker.
func (m *Model) SetFocused(focused bool) {
	m.unfocus = !focused
	if focused {
		_, b := m.Current()
		b.focus()
	}
}

// UnreadTotal returns the unread message count over all servers.
func (m *Model) UnreadTotal() int {
	n := 0
	for _, s := range m.servers {
		n += s.Unread()
	}
	return n
}
