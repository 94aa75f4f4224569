package model

import "time"

// Kind says how a timeline line is drawn and whether it counts as unread.
type Kind int

// Line kinds. Only KindMessage lines count as unread and can notify;
// notices and errors only mark their buffer as having activity, and the
// user's own messages do neither.
const (
	KindMessage Kind = iota
	KindNotice
	KindError
	KindSelf
)

// Line is one entry in a buffer's timeline.
type Line struct {
	Time   time.Time
	Sender string // empty for notices and errors
	Text   string
	Kind   Kind
	// ID is the message's row in the local store, 0 if it has none
	// (notices, or a message that could not be stored). History pages by
	// it.
	ID int64
	// Queued marks a sent message the server holds for an offline peer.
	Queued bool
}

// BufferKind separates the per-server system buffer from conversations.
type BufferKind int

// Buffer kinds.
const (
	BufferSystem BufferKind = iota
	BufferQuery
)

// MaxLines bounds a buffer's timeline so a chatty peer cannot grow the
// client's memory without limit; older lines are dropped first and can be
// loaded again from the local history.
const MaxLines = 5000

// Buffer is one timeline: the server's system buffer or a conversation.
type Buffer struct {
	Name string
	Kind BufferKind

	lines    []Line
	unread   int  // message lines not yet seen
	activity bool // notices or errors not yet seen
	// marker is the index of the first line that arrived while the buffer
	// was not being looked at, or -1. It survives focusing the buffer so the
	// ruler can be drawn, and is cleared when the user leaves the buffer.
	marker int
	// scroll is how many lines are hidden below the bottom of the view.
	// It counts timeline lines, not screen rows, so it stays meaningful
	// across resizes and new lines can keep the view anchored.
	scroll int
	// draft holds unsent input while the user is in another buffer.
	draft string
}

func newBuffer(name string, kind BufferKind) *Buffer {
	return &Buffer{Name: name, Kind: kind, marker: -1}
}

// Lines returns the timeline, oldest first. The slice must not be modified.
func (b *Buffer) Lines() []Line { return b.lines }

// Unread returns the number of message lines not yet seen.
func (b *Buffer) Unread() int { return b.unread }

// Activity reports notices or errors not yet seen.
func (b *Buffer) Activity() bool { return b.activity }

// Marker returns the index of the first unread line at the time the buffer
// was focused, or -1 when there is no ruler to draw.
func (b *Buffer) Marker() int { return b.marker }

// Scroll returns how many lines are hidden below the view.
func (b *Buffer) Scroll() int { return b.scroll }

// append adds l. active says the user is looking at the buffer, in which
// case the line is read at once.
func (b *Buffer) append(l Line, active bool) {
	b.lines = append(b.lines, l)
	if b.scroll > 0 {
		b.scroll++ // keep the view still while the user reads older lines
	}
	if !active && l.Kind != KindSelf {
		if b.marker < 0 {
			b.marker = len(b.lines) - 1
		}
		if l.Kind == KindMessage {
			b.unread++
		} else {
			b.activity = true
		}
	}
	b.trim()
}

// prepend adds older lines at the top, for history loading.
func (b *Buffer) prepend(ls []Line) {
	if len(ls) == 0 {
		return
	}
	merged := make([]Line, 0, len(ls)+len(b.lines))
	merged = append(merged, ls...)
	b.lines = append(merged, b.lines...)
	if b.marker >= 0 {
		b.marker += len(ls)
	}
	b.trimTop()
}

// trim drops the oldest lines beyond MaxLines.
func (b *Buffer) trim() {
	extra := len(b.lines) - MaxLines
	if extra <= 0 {
		return
	}
	b.lines = append([]Line(nil), b.lines[extra:]...)
	if b.marker >= 0 {
		b.marker = max(b.marker-extra, 0)
	}
	b.scroll = min(b.scroll, len(b.lines)-1)
}

// trimTop drops the newest lines beyond MaxLines after a prepend would
// overflow; it keeps what the user scrolled up to read.
func (b *Buffer) trimTop() {
	if len(b.lines) <= MaxLines {
		return
	}
	extra := len(b.lines) - MaxLines
	b.lines = b.lines[:MaxLines]
	b.scroll = max(b.scroll-extra, 0)
	if b.marker >= len(b.lines) {
		b.marker = -1
	}
}

// focus marks everything as seen but keeps the ruler for drawing.
func (b *Buffer) focus() {
	b.unread = 0
	b.activity = false
}

// leave forgets the ruler: the user has seen the new lines.
func (b *Buffer) leave() {
	b.marker = -1
	b.unread = 0
	b.activity = false
}

// ScrollUp moves the view n lines towards older lines.
func (b *Buffer) ScrollUp(n int) {
	b.scroll = min(b.scroll+max(n, 0), max(len(b.lines)-1, 0))
}

// ScrollDown moves the view n lines towards newer lines.
func (b *Buffer) ScrollDown(n int) {
	b.scroll = max(b.scroll-max(n, 0), 0)
}

// ScrollTop scrolls back as far as the loaded timeline goes.
func (b *Buffer) ScrollTop() { b.scroll = max(len(b.lines)-1, 0) }

// ScrollBottom returns to the newest line.
func (b *Buffer) ScrollBottom() { b.scroll = 0 }

// AtTop reports whether the view shows the oldest loaded line, which is
// when the UI asks for older history.
func (b *Buffer) AtTop() bool { return len(b.lines) == 0 || b.scroll >= len(b.lines)-1 }

// OldestID returns the smallest store row among the loaded lines, or 0
// when none is stored: older history is what the store has before it.
func (b *Buffer) OldestID() int64 {
	var id int64
	for _, l := range b.lines {
		if l.ID > 0 && (id == 0 || l.ID < id) {
			id = l.ID
		}
	}
	return id
}

// Has reports whether a line with store row id is loaded, so history
// that overlaps live lines is not shown twice.
func (b *Buffer) Has(id int64) bool {
	for _, l := range b.lines {
		if l.ID == id {
			return true
		}
	}
	return false
}

// Clear empties the timeline.
func (b *Buffer) Clear() {
	b.lines = nil
	b.marker, b.scroll, b.unread, b.activity = -1, 0, 0, false
}
