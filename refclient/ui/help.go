package ui

import (
	"fmt"

	"github.com/gochatproto/gochat/refclient/model"
)

// helpLines is the help page, generated from the key and command tables
// so it cannot fall out of date.
func helpLines() []string {
	lines := []string{"Keys"}
	for _, b := range bindings {
		lines = append(lines, fmt.Sprintf("  %-11s %s", b.label, b.help))
	}
	lines = append(lines, "", "Commands (type them in the input line)")
	for _, c := range model.Commands {
		name := "/" + c.Name
		for _, a := range c.Aliases {
			name += ", /" + a
		}
		if c.Usage != "" {
			name += " " + c.Usage
		}
		lines = append(lines, "  "+name, "      "+c.Help)
	}
	return lines
}

// drawHelp draws the help page as a box over the timeline.
func (u *ui) drawHelp(l layout) {
	s := u.screen
	x0, y0 := 0, 0
	w, h := l.w, l.h-2
	if w < 10 || h < 3 {
		return
	}
	fill(s, x0, y0, w, h, styleDefault)
	var rows []string
	for _, line := range helpLines() {
		pieces := wrap(line, w-4, w-4-14)
		rows = append(rows, pieces[0])
		for _, p := range pieces[1:] {
			rows = append(rows, "              "+p)
		}
	}
	inner := h - 2
	u.helpTop = max(min(u.helpTop, len(rows)-inner), 0)
	u.box(x0, y0, w, h, " Help: Esc closes, Up/Down/PgUp/PgDn scroll ")
	for i := 0; i < inner && u.helpTop+i < len(rows); i++ {
		put(s, x0+2, y0+1+i, x0+w-1, rows[u.helpTop+i], styleDefault)
	}
	if more := len(rows) - u.helpTop - inner; more > 0 {
		put(s, x0+w-16, y0+h-1, x0+w-1, fmt.Sprintf(" %d more ", more), styleDim)
	}
}

// box draws a single-line frame with a title in the top edge.
func (u *ui) box(x, y, w, h int, title string) {
	s := u.screen
	for i := x + 1; i < x+w-1; i++ {
		s.SetContent(i, y, '─', nil, styleDim)
		s.SetContent(i, y+h-1, '─', nil, styleDim)
	}
	for j := y + 1; j < y+h-1; j++ {
		s.SetContent(x, j, '│', nil, styleDim)
		s.SetContent(x+w-1, j, '│', nil, styleDim)
	}
	s.SetContent(x, y, '┌', nil, styleDim)
	s.SetContent(x+w-1, y, '┐', nil, styleDim)
	s.SetContent(x, y+h-1, '└', nil, styleDim)
	s.SetContent(x+w-1, y+h-1, '┘', nil, styleDim)
	put(s, x+2, y, x+w-2, title, styleDim.Bold(true))
}
