package ui

import (
	"fmt"
	"strings"

	"github.com/gochatproto/gochat/refclient/model"
)

// timeFormat is the timestamp column; the date is in the history.
const timeFormat = "15:04"

// drawTimeline draws the current buffer bottom-up from the line the
// scroll offset leaves at the bottom, with the unread ruler above the
// first unread line.
func (u *ui) drawTimeline(l layout) {
	_, b := u.m.Current()
	lines := b.Lines()
	end := len(lines) - 1 - b.Scroll()
	var rows []row
	for i := end; i >= 0 && len(rows) < l.bodyH; i-- {
		rows = append(u.lineRows(lines[i], l.mainW), rows...)
		if i == b.Marker() {
			rows = append([]row{markerRow(l.mainW)}, rows...)
		}
	}
	if len(rows) > l.bodyH {
		rows = rows[len(rows)-l.bodyH:]
	}
	y := l.bodyH - len(rows) // bottom-aligned, like a terminal
	for i, r := range rows {
		drawRow(u.screen, l.mainX, y+i, l.mainX+l.mainW, r)
	}
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
	indent := width(stamp.text) + width(who.text)
	if indent > w/2 {
		indent = width(stamp.text)
	}
	pieces := wrap(clean(ln.Text), w-width(stamp.text)-width(who.text), w-indent)
	rows := make([]row, len(pieces))
	rows[0] = row{stamp, who, {pieces[0], textStyle}}
	pad := strings.Repeat(" ", indent)
	for i, p := range pieces[1:] {
		rows[i+1] = row{{pad, styleDefault}, {p, textStyle}}
	}
	return rows
}
