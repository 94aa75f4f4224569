package model

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// editOp is one editing step in a table test.
type editOp func(e *Editor)

func typed(s string) editOp { return func(e *Editor) { e.InsertString(s) } }

func TestEditor(t *testing.T) {
	tests := []struct {
		name       string
		ops        []editOp
		wantText   string
		wantCursor int
	}{
		{"insert", []editOp{typed("héllo")}, "héllo", 5},
		{"insert in middle", []editOp{typed("hllo"), (*Editor).Home, (*Editor).Right, typed("e")}, "hello", 2},
		{"backspace", []editOp{typed("abc"), (*Editor).Backspace}, "ab", 2},
		{"backspace at start", []editOp{typed("abc"), (*Editor).Home, (*Editor).Backspace}, "abc", 0},
		{"delete", []editOp{typed("abc"), (*Editor).Home, (*Editor).Delete}, "bc", 0},
		{"delete at end", []editOp{typed("abc"), (*Editor).Delete}, "abc", 3},
		{"left clamps", []editOp{typed("a"), (*Editor).Left, (*Editor).Left}, "a", 0},
		{"right clamps", []editOp{typed("a"), (*Editor).Right}, "a", 1},
		{"end", []editOp{typed("abc"), (*Editor).Home, (*Editor).End}, "abc", 3},
		{"word delete", []editOp{typed("hello big world"), (*Editor).DeleteWord}, "hello big ", 10},
		{"word delete trailing spaces", []editOp{typed("hello world  "), (*Editor).DeleteWord}, "hello ", 6},
		{"word delete mid line", []editOp{typed("one two three"), (*Editor).WordLeft, (*Editor).DeleteWord}, "one three", 4},
		{"word delete at start", []editOp{typed("x"), (*Editor).Home, (*Editor).DeleteWord}, "x", 0},
		{"word right", []editOp{typed("one two"), (*Editor).Home, (*Editor).WordRight}, "one two", 3},
		{"kill to end", []editOp{typed("one two"), (*Editor).WordLeft, (*Editor).KillToEnd}, "one ", 4},
		{"clear", []editOp{typed("one two"), (*Editor).Clear}, "", 0},
		{"control chars dropped", []editOp{typed("a\x1b[2Jb\tc")}, "a[2Jbc", 6},
		{"newline kept", []editOp{typed("a\nb")}, "a\nb", 3},
		{"length bounded", []editOp{typed(strings.Repeat("x", MaxInput+10))}, strings.Repeat("x", MaxInput), MaxInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e Editor
			for _, op := range tt.ops {
				op(&e)
			}
			assert.Equal(t, tt.wantText, e.String())
			assert.Equal(t, tt.wantCursor, e.Cursor())
		})
	}
}

func TestEditorHistory(t *testing.T) {
	var e Editor
	for _, s := range []string{"first", "second", "second", "", "third"} {
		e.Set(s)
		e.Submit()
	}
	assert.Equal(t, []string{"first", "second", "third"}, e.History(), "blank and repeated lines are not recorded")

	e.InsertString("draft")
	e.HistoryPrev()
	assert.Equal(t, "third", e.String())
	e.HistoryPrev()
	e.HistoryPrev()
	e.HistoryPrev() // stays at the oldest
	assert.Equal(t, "first", e.String())
	e.HistoryNext()
	assert.Equal(t, "second", e.String())
	e.HistoryNext()
	e.HistoryNext()
	assert.Equal(t, "draft", e.String(), "the line being typed comes back")
	e.HistoryNext()
	assert.Equal(t, "draft", e.String())
}

func TestEditorSecret(t *testing.T) {
	var e Editor
	e.Set("visible")
	e.Submit()
	e.Secret = true
	e.InsertString("hunter2")
	e.HistoryPrev()
	assert.Equal(t, "hunter2", e.String(), "no history while typing a secret")
	assert.Equal(t, "hunter2", e.Submit())
	assert.Equal(t, []string{"visible"}, e.History(), "secrets never reach the history")
}
