package model

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func completionModel() *Model {
	m := New()
	s := m.AddServer("home")
	m.AddServer("work")
	s.User = "alice"
	s.SetUsers([]string{"alice", "bob", "bobby", "carol"})
	m.Open("home", "dave")
	m.Select("home", "")
	return m
}

func TestCompleteNickAtLineStart(t *testing.T) {
	m := completionModel()
	m.Editor.InsertString("ca")
	assert.True(t, m.Complete(1))
	assert.Equal(t, "carol: ", m.Editor.String(), "a nick that starts a message gets a colon")
	cands, _ := m.Completions()
	assert.Empty(t, cands, "a single candidate needs no popup")
}

func TestCompleteCyclesThroughCandidates(t *testing.T) {
	m := completionModel()
	m.Editor.InsertString("hi b")
	assert.True(t, m.Complete(1))
	assert.Equal(t, "hi bob", m.Editor.String(), "the common prefix first")
	cands, idx := m.Completions()
	assert.Equal(t, []string{"bob", "bobby"}, cands)
	assert.Equal(t, -1, idx)
	m.Complete(1)
	assert.Equal(t, "hi bob ", m.Editor.String())
	m.Complete(1)
	assert.Equal(t, "hi bobby ", m.Editor.String())
	m.Complete(1)
	assert.Equal(t, "hi bob ", m.Editor.String(), "wraps around")
	m.Complete(-1)
	assert.Equal(t, "hi bobby ", m.Editor.String(), "Shift-Tab goes back")
	_, idx = m.Completions()
	assert.Equal(t, 1, idx)
	m.EndCompletion()
	cands, _ = m.Completions()
	assert.Empty(t, cands)
}

func TestCompleteKeepsTextAfterCursor(t *testing.T) {
	m := completionModel()
	m.Editor.InsertString("say hi to da please")
	for range len(" please") {
		m.Editor.Left()
	}
	m.Complete(1)
	assert.Equal(t, "say hi to dave  please", m.Editor.String())
	assert.Equal(t, len([]rune("say hi to dave ")), m.Editor.Cursor())
}

func TestCompleteCommandsAndArguments(t *testing.T) {
	cases := []struct{ typed, want string }{
		{"/que", "/query "},
		{"/DISC", "/disconnect "},
		{"/msg ca", "/msg carol "},
		{"/connect w", "/connect work "},
		{"/server d", "/server del "},
		{"/server del wo", "/server del work "},
		{"/admin ki", "/admin kick "},
		{"/admin kick bobb", "/admin kick bobby "},
	}
	for _, tc := range cases {
		m := completionModel()
		m.Editor.InsertString(tc.typed)
		m.Complete(1)
		assert.Equal(t, tc.want, m.Editor.String(), tc.typed)
	}
}

func TestCompleteNothing(t *testing.T) {
	m := completionModel()
	m.Editor.InsertString("zz")
	assert.False(t, m.Complete(1))
	assert.Equal(t, "zz", m.Editor.String())
	m.Editor.Clear()
	m.Editor.InsertString("al")
	assert.False(t, m.Complete(1), "the user's own nick is not offered")
	m.Editor.Secret = true
	m.Editor.Clear()
	m.Editor.InsertString("b")
	assert.False(t, m.Complete(1), "never inside a password")
}
