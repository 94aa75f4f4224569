package model

import "unicode"

// MaxInput is the longest input line in runes, as in the original client.
const MaxInput = 2047

// MaxHistory bounds the input history.
const MaxHistory = 500

// Editor is a one-line input editor with a global history. The zero value
// is ready to use.
type Editor struct {
	text   []rune
	cursor int

	history []string
	// hpos is the history entry being shown; len(history) means the line
	// being typed, which is kept in pending while browsing.
	hpos    int
	pending string

	// Secret hides the text when drawn and keeps it out of the history;
	// it is set while a password is being typed.
	Secret bool
	// Prompt is drawn before the text, e.g. "Password: ".
	Prompt string
}

// String returns the input text.
func (e *Editor) String() string { return string(e.text) }

// Runes returns the input text. The slice must not be modified.
func (e *Editor) Runes() []rune { return e.text }

// Cursor returns the cursor position in runes.
func (e *Editor) Cursor() int { return e.cursor }

// Len returns the text length in runes.
func (e *Editor) Len() int { return len(e.text) }

// Set replaces the text and puts the cursor at its end.
func (e *Editor) Set(s string) {
	e.text = []rune(s)
	if len(e.text) > MaxInput {
		e.text = e.text[:MaxInput]
	}
	e.cursor = len(e.text)
	e.hpos = len(e.history)
}

// Insert adds r at the cursor. Control characters other than newline are
// dropped so pasted escape sequences cannot reach the screen or the wire.
func (e *Editor) Insert(r rune) {
	if len(e.text) >= MaxInput || (unicode.IsControl(r) && r != '\n') {
		return
	}
	e.text = append(e.text, 0)
	copy(e.text[e.cursor+1:], e.text[e.cursor:])
	e.text[e.cursor] = r
	e.cursor++
}

// InsertString inserts every rune of s.
func (e *Editor) InsertString(s string) {
	for _, r := range s {
		e.Insert(r)
	}
}

// Backspace deletes the rune before the cursor.
func (e *Editor) Backspace() {
	if e.cursor > 0 {
		e.cursor--
		e.text = append(e.text[:e.cursor], e.text[e.cursor+1:]...)
	}
}

// Delete deletes the rune under the cursor.
func (e *Editor) Delete() {
	if e.cursor < len(e.text) {
		e.text = append(e.text[:e.cursor], e.text[e.cursor+1:]...)
	}
}

// Left moves the cursor one rune left.
func (e *Editor) Left() { e.cursor = max(e.cursor-1, 0) }

// Right moves the cursor one rune right.
func (e *Editor) Right() { e.cursor = min(e.cursor+1, len(e.text)) }

// Home moves the cursor to the start of the line.
func (e *Editor) Home() { e.cursor = 0 }

// End moves the cursor to the end of the line.
func (e *Editor) End() { e.cursor = len(e.text) }

// wordStart returns where the word before the cursor starts: spaces are
// skipped first, then non-spaces, as readline's Ctrl-W does.
func (e *Editor) wordStart() int {
	i := e.cursor
	for i > 0 && unicode.IsSpace(e.text[i-1]) {
		i--
	}
	for i > 0 && !unicode.IsSpace(e.text[i-1]) {
		i--
	}
	return i
}

// WordLeft moves the cursor to the start of the previous word.
func (e *Editor) WordLeft() { e.cursor = e.wordStart() }

// WordRight moves the cursor past the end of the next word.
func (e *Editor) WordRight() {
	i := e.cursor
	for i < len(e.text) && unicode.IsSpace(e.text[i]) {
		i++
	}
	for i < len(e.text) && !unicode.IsSpace(e.text[i]) {
		i++
	}
	e.cursor = i
}

// DeleteWord deletes the word before the cursor (Ctrl-W).
func (e *Editor) DeleteWord() {
	i := e.wordStart()
	e.text = append(e.text[:i], e.text[e.cursor:]...)
	e.cursor = i
}

// KillToEnd deletes from the cursor to the end of the line.
func (e *Editor) KillToEnd() { e.text = e.text[:e.cursor] }

// Clear empties the line and stops history browsing.
func (e *Editor) Clear() { e.Set("") }

// HistoryPrev shows the previous history entry, keeping the line being
// typed so HistoryNext can return to it.
func (e *Editor) HistoryPrev() {
	if e.Secret || e.hpos == 0 {
		return
	}
	if e.hpos == len(e.history) {
		e.pending = string(e.text)
	}
	e.hpos--
	e.show(e.history[e.hpos])
}

// HistoryNext shows the next history entry, or the line that was being
// typed after the newest one.
func (e *Editor) HistoryNext() {
	if e.Secret || e.hpos >= len(e.history) {
		return
	}
	e.hpos++
	if e.hpos == len(e.history) {
		e.show(e.pending)
		return
	}
	e.show(e.history[e.hpos])
}

func (e *Editor) show(s string) {
	e.text = []rune(s)
	e.cursor = len(e.text)
}

// Submit returns the text, records it in the history (unless secret,
// blank, or the same as the newest entry) and clears the line.
func (e *Editor) Submit() string {
	s := string(e.text)
	if !e.Secret && s != "" && (len(e.history) == 0 || e.history[len(e.history)-1] != s) {
		e.history = append(e.history, s)
		if len(e.history) > MaxHistory {
			e.history = e.history[len(e.history)-MaxHistory:]
		}
	}
	e.pending = ""
	e.Clear()
	return s
}

// History returns the input history, oldest first.
func (e *Editor) History() []string { return e.history }
