package model

import (
	"slices"
	"strings"
	"unicode"
)

// completion is a Tab completion in progress: the word that was typed,
// the candidates for it, and which one is shown (-1: only their common
// prefix has been inserted).
type completion struct {
	start  int // rune index of the word in the input
	typed  string
	cands  []string
	idx    int
	suffix string
	after  string // the input as the completion left it
}

// Complete completes the word before the cursor, as irssi and weechat do:
// the first Tab inserts the only candidate, or the longest prefix the
// candidates share; each further Tab (dir 1) or Shift-Tab (dir -1) shows
// the next or previous candidate. A line starting with "/" completes
// command names, the server names after /connect and /server, and the
// operations after /admin; anything else completes nicks (the online
// users and the open conversations), with ": " after a nick that starts a
// message. It reports whether anything changed.
func (m *Model) Complete(dir int) bool {
	e := &m.Editor
	if e.Secret {
		return false
	}
	if c := m.comp; c != nil && c.after != e.String() {
		m.comp = nil // the input changed under the completion
	}
	if c := m.comp; c != nil && len(c.cands) > 1 {
		n := len(c.cands)
		switch {
		case c.idx < 0 && dir < 0:
			c.idx = n - 1
		case c.idx < 0:
			c.idx = 0
		default:
			c.idx = ((c.idx+dir)%n + n) % n
		}
		m.replaceWord(c.start, c.cands[c.idx]+c.suffix)
		c.after = e.String()
		return true
	}
	start := e.wordStart()
	word := string(e.text[start:e.cursor])
	cands, suffix := m.candidates(start, word)
	if len(cands) == 0 {
		m.comp = nil
		return false
	}
	if len(cands) == 1 {
		m.replaceWord(start, cands[0]+suffix)
		m.comp = nil
		return true
	}
	if p := commonPrefix(cands); len([]rune(p)) > len([]rune(word)) {
		m.replaceWord(start, p)
	}
	m.comp = &completion{start: start, typed: word, cands: cands, idx: -1, suffix: suffix, after: e.String()}
	return true
}

// Completions returns the candidates of the completion in progress and
// the index of the one shown (-1 if none), for the popup.
func (m *Model) Completions() ([]string, int) {
	if m.comp == nil || m.comp.after != m.Editor.String() {
		return nil, -1
	}
	return m.comp.cands, m.comp.idx
}

// EndCompletion forgets the completion in progress; any key but Tab does.
func (m *Model) EndCompletion() { m.comp = nil }

// replaceWord replaces the input from start to the cursor with s.
func (m *Model) replaceWord(start int, s string) {
	e := &m.Editor
	rest := append([]rune(nil), e.text[e.cursor:]...)
	e.text = append(append(e.text[:start:start], []rune(s)...), rest...)
	if len(e.text) > MaxInput {
		e.text = e.text[:MaxInput]
	}
	e.cursor = min(start+len([]rune(s)), len(e.text))
}

// adminOpNames are the operations /admin takes, for completion.
var adminOpNames = []string{"broadcast", "chgperms", "dereg", "kick", "motd", "shutdown"}

// candidates lists what the word at start may become, sorted, and what to
// insert after a full completion.
func (m *Model) candidates(start int, word string) ([]string, string) {
	e := &m.Editor
	before := strings.Fields(string(e.text[:start]))
	isCmd := len(e.text) > 0 && e.text[0] == '/' && !strings.HasPrefix(string(e.text), "//")
	var pool []string
	suffix := " "
	switch {
	case isCmd && len(before) == 0:
		for _, c := range Commands {
			pool = append(pool, "/"+c.Name)
			for _, a := range c.Aliases {
				pool = append(pool, "/"+a)
			}
		}
	case isCmd && len(before) == 1 && (before[0] == "/connect" || before[0] == "/server"):
		if before[0] == "/server" {
			pool = []string{"add", "del", "list"}
			break
		}
		for _, s := range m.servers[1:] {
			pool = append(pool, s.Name)
		}
	case isCmd && len(before) == 2 && before[0] == "/server" && before[1] == "del":
		for _, s := range m.servers[1:] {
			pool = append(pool, s.Name)
		}
	case isCmd && len(before) == 1 && before[0] == "/admin":
		pool = adminOpNames
	default:
		pool = m.nicks()
		if !isCmd && start == 0 {
			suffix = ": "
		}
	}
	var out []string
	for _, p := range pool {
		if len(p) >= len(word) && strings.EqualFold(p[:len(word)], word) && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out, suffix
}

// nicks are the users worth completing on the current server: who is
// online and whom a conversation is open with, the user excepted.
func (m *Model) nicks() []string {
	s := m.servers[m.cur]
	out := slices.Clone(s.users)
	for _, b := range s.buffers[1:] {
		out = append(out, b.Name)
	}
	return slices.DeleteFunc(out, func(n string) bool { return n == s.User })
}

func commonPrefix(ss []string) string {
	p := []rune(ss[0])
	for _, s := range ss[1:] {
		r := []rune(s)
		n := 0
		for n < len(p) && n < len(r) && unicode.ToLower(p[n]) == unicode.ToLower(r[n]) {
			n++
		}
		p = p[:n]
	}
	return string(p)
}
