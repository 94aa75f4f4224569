package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/gochatproto/gochat/refclient/model"
)

// timeFormat is the timestamp column; day-change lines carry the date.
const timeFormat = "15:04"

// dayFormat labels a day-change line.
const dayFormat = "Monday, 2 January 2006"

// drawTimeline draws the current buffer bottom-up from the line the
// scroll offset leaves at the bottom, with the unread ruler above the
// first unread line and a day line where the date changes. A view
// scrolled past the oldest line is pulled back so the screen stays full.
func (u *ui) drawTimeline(l layout) {
	_, b := u.m.Current()
	u.clampScroll(b, l)
	rows := u.timelineRows(b, l, len(b.Lines())-1-b.Scroll())
	y := l.bodyH - len(rows) // bottom-aligned, like a terminal
	for i, r := range rows {
		drawRow(u.screen, l.mainX, y+i, l.mainX+l.mainW, r)
	}
}

// timelineRows returns the rows that end with line end, at most a screen.
func (u *ui) timelineRows(b *model.Buffer, l layout, end int) []row {
	lines := b.Lines()
	var rows []row
	for i := end; i >= 0 && len(rows) < l.bodyH; i-- {
		rows = append(u.lineRows(lines[i], l.mainW), rows...)
		if i == b.Marker() {
			rows = append([]row{markerRow(l.mainW)}, rows...)
		}
		if u.dayChanges(lines, i) {
			rows = append([]row{u.dayRow(lines[i].Time, l.mainW)}, rows...)
		}
	}
	if len(rows) > l.bodyH {
		rows = rows[len(rows)-l.bodyH:]
	}
	return rows
}

// clampScroll lowers the scroll offset while the view would show empty
// rows above the oldest line; a long scroll back used to leave one line
// at the bottom of a blank screen.
func (u *ui) clampScroll(b *model.Buffer, l layout) {
	for b.Scroll() > 0 && u.rowsFrom(b, l, len(b.Lines())-1-b.Scroll()) < l.bodyH {
		b.ScrollDown(1)
	}
}

// rowsFrom counts the rows of lines 0..end, stopping past a screen.
func (u *ui) rowsFrom(b *model.Buffer, l layout, end int) int {
	lines := b.Lines()
	n := 0
	for i := min(end, len(lines)-1); i >= 0 && n <= l.bodyH; i-- {
		n += len(u.lineRows(lines[i], l.mainW))
		if i == b.Marker() {
			n++
		}
		if u.dayChanges(lines, i) {
			n++
		}
	}
	return n
}

// atTop reports whether the view shows the oldest loaded line, which is
// when older history is asked for.
func (u *ui) atTop(b *model.Buffer, l layout) bool {
	return u.rowsFrom(b, l, len(b.Lines())-1-b.Scroll()) <= l.bodyH
}

// dayChanges reports whether a day line goes above line i: its date
// differs from the line before, or, for the first line, from today.
func (u *ui) dayChanges(lines []model.Line, i int) bool {
	day := func(t time.Time) string { return t.In(u.opts.Location).Format(time.DateOnly) }
	if i == 0 {
		return day(lines[0].Time) != day(u.now())
	}
	return day(lines[i].Time) != day(lines[i-1].Time)
}

func (u *ui) dayRow(t time.Time, w int) row {
	label := "── " + t.In(u.opts.Location).Format(dayFormat) + " "
	return row{{label + strings.Repeat("─", max(w-width(label), 0)), styleDim}}
}

func markerRow(w int) row {
	label := "── new messages "
	return row{{label + strings.Repeat("─", max(w-width(label), 0)), styleMarker}}
}

// lineRows wraps one timeline line; continuation rows are indented to
// where the text starts so the sender column stays clear.
func (u *ui) lineRows(ln model.Line, w int) []row {
	stamp := seg{ln.Time.In(u.opts.Location).Format(timeFormat) + " ", styleDim}
	var who seg
	textStyle := styleDefault
	switch ln.Kind {
	case model.KindNotice:
		who, textStyle = seg{"-- ", styleNotice}, styleNotice
	case model.KindError:
		who, textStyle = seg{"!! ", styleError}, styleError
	case model.KindSelf:
		who = seg{fmt.Sprintf("<%s> ", ln.Sender), styleDefault.Bold(true)}
	default:
		who = seg{fmt.Sprintf("<%s> ", ln.Sender), nickStyle(ln.Sender)}
	}
	text := clean(ln.Text)
	if ln.Queued {
		text += queuedMark
	}
	indent := width(stamp.text) + width(who.text)
	if indent > w/2 {
		indent = width(stamp.text)
	}
	pieces := wrap(text, w-width(stamp.text)-width(who.text), w-indent)
	rows := make([]row, len(pieces))
	rows[0] = row{stamp, who, {pieces[0], textStyle}}
	pad := strings.Repeat(" ", indent)
	for i, p := range pieces[1:] {
		rows[i+1] = row{{pad, styleDefault}, {p, textStyle}}
	}
	if ln.Queued { // the mark is dim, whichever row it wrapped onto
		last := rows[len(rows)-1]
		if t, ok := strings.CutSuffix(last[len(last)-1].text, queuedMark); ok {
			last[len(last)-1].text = t
			rows[len(rows)-1] = append(last, seg{queuedMark, styleDim})
		}
	}
	return rows
}

// queuedMark follows a message the server holds for an offline peer.
const queuedMark = " (queued)"
