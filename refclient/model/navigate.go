package model

import (
	"fmt"
	"strings"
)

// selectAt moves to buffer bi of server si. Leaving a buffer forgets its
// unread ruler and keeps its unsent input as a draft; entering one marks
// it read and restores its draft.
func (m *Model) selectAt(si, bi int) {
	oldS, old := m.Current()
	s := m.servers[si]
	if oldS == s && s.cur == bi {
		return
	}
	old.leave()
	m.cur = si
	s.cur = bi
	b := s.buffers[bi]
	b.focus()
	if m.Editor.Secret {
		return // a password being typed stays in the editor and out of drafts
	}
	old.draft = m.Editor.String()
	m.Editor.Set(b.draft)
	b.draft = ""
}

// Select moves to the named buffer of the named server and reports
// whether both exist. An empty buffer name selects the system buffer.
func (m *Model) Select(server, buffer string) bool {
	for si, s := range m.servers {
		if s.Name != server {
			continue
		}
		for bi, b := range s.buffers {
			if b.Name == buffer || (buffer == "" && bi == 0) {
				m.selectAt(si, bi)
				return true
			}
		}
	}
	return false
}

// NextBuffer moves delta buffers along the current server's list,
// wrapping around.
func (m *Model) NextBuffer(delta int) {
	s := m.servers[m.cur]
	m.selectAt(m.cur, wrap(s.cur+delta, len(s.buffers)))
}

// NextServer moves delta servers along the list, wrapping around, and
// shows that server's selected buffer.
func (m *Model) NextServer(delta int) {
	si := wrap(m.cur+delta, len(m.servers))
	m.selectAt(si, m.servers[si].cur)
}

// NextUnread moves to the next buffer with unread messages, in display
// order starting after the current one and continuing across servers, and
// reports whether there was one. Display order was chosen over recency so
// repeated presses visit every buffer in a predictable cycle.
func (m *Model) NextUnread() bool {
	type pos struct{ si, bi int }
	var all []pos
	start := 0
	for si, s := range m.servers {
		for bi := range s.buffers {
			if si == m.cur && bi == s.cur {
				start = len(all)
			}
			all = append(all, pos{si, bi})
		}
	}
	for i := 1; i < len(all); i++ {
		p := all[(start+i)%len(all)]
		if m.servers[p.si].buffers[p.bi].unread > 0 {
			m.selectAt(p.si, p.bi)
			return true
		}
	}
	return false
}

// CloseBuffer removes the current conversation buffer and reports whether
// it did; system buffers cannot be closed.
func (m *Model) CloseBuffer() bool {
	s := m.servers[m.cur]
	if s.cur == 0 {
		return false
	}
	i := s.cur
	m.selectAt(m.cur, i-1)
	s.buffers = append(s.buffers[:i], s.buffers[i+1:]...)
	return true
}

// CloseQueries removes every conversation buffer of a server, as the
// original client did on logout and disconnect.
func (m *Model) CloseQueries(server string) {
	s := m.Server(server)
	if s == nil {
		return
	}
	if m.servers[m.cur] == s && s.cur != 0 {
		m.selectAt(m.cur, 0)
	}
	s.buffers = s.buffers[:1]
	s.cur = 0
}

func wrap(i, n int) int {
	if n == 0 {
		return 0
	}
	return ((i % n) + n) % n
}

// Status is what the status line shows.
type Status struct {
	Server string
	User   string
	State  ConnState
	Buffer string
	Unread int // over all servers
	Below  int // lines hidden below the view of the current buffer
}

// Status returns the current status line data.
func (m *Model) Status() Status {
	s, b := m.Current()
	return Status{
		Server: s.Name, User: s.User, State: s.State, Buffer: b.Name,
		Unread: m.UnreadTotal(), Below: b.scroll,
	}
}

// Title returns the terminal title: where the user is, and how much is
// unread elsewhere so a background terminal tab shows activity.
func (m *Model) Title() string {
	s, b := m.Current()
	var t strings.Builder
	fmt.Fprintf(&t, "gochat: %s/%s", s.Name, b.Name)
	if n := m.UnreadTotal(); n > 0 {
		fmt.Fprintf(&t, " (%d)", n)
	}
	return t.String()
}

// RemoveServer forgets a server and its buffers; the local pseudo-server
// stays. Viewing it moves the view to the local buffer.
func (m *Model) RemoveServer(name string) {
	for i, s := range m.servers {
		if i == 0 || s.Name != name {
			continue
		}
		if m.cur == i {
			m.selectAt(0, m.servers[0].cur)
		}
		m.servers = append(m.servers[:i], m.servers[i+1:]...)
		if m.cur > i {
			m.cur--
		}
		return
	}
}

// RestoreInput gives text that could not be sent back to the user: into
// the input if the user is still in that buffer with an empty input, else
// into the buffer's draft if it has none. It reports whether it could.
func (m *Model) RestoreInput(server, peer, text string) bool {
	s := m.Server(server)
	if s == nil {
		return false
	}
	b := s.Buffer(peer)
	if b == nil {
		return false
	}
	if cs, cb := m.Current(); cs == s && cb == b {
		if m.Editor.Len() > 0 || m.Editor.Secret {
			return false
		}
		m.Editor.Set(text)
		return true
	}
	if b.draft != "" {
		return false
	}
	b.draft = text
	return true
}
