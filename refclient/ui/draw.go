package ui

import (
	"fmt"
	"hash/fnv"
	"strings"
	"unicode"

	"github.com/gdamore/tcell/v2"

	"github.com/gochatproto/gochat/refclient/model"
	"github.com/gochatproto/gochat/refclient/split"
)

// Pane sizes. Below narrowWidth columns the side panes are hidden so the
// timeline stays readable.
const (
	listWidth   = 20 // server and buffer list, separator included
	usersWidth  = 16 // online users, separator included
	narrowWidth = 60
	minWidth    = 20
	minHeight   = 4
)

var (
	styleDefault = tcell.StyleDefault
	styleDim     = styleDefault.Foreground(tcell.ColorGray)
	styleBar     = styleDefault.Reverse(true)
	styleError   = styleDefault.Foreground(tcell.ColorRed)
	styleNotice  = styleDefault.Foreground(tcell.ColorTeal)
	styleMarker  = styleDefault.Foreground(tcell.ColorRed)
	styleCurrent = styleDefault.Reverse(true)
	styleUnread  = styleDefault.Bold(true)
	styleOnline  = styleDefault.Foreground(tcell.ColorGreen)
	styleConnect = styleDefault.Foreground(tcell.ColorYellow)
)

// nickColors are readable on both dark and light backgrounds.
var nickColors = []tcell.Color{
	tcell.ColorRed, tcell.ColorGreen, tcell.ColorOlive, tcell.ColorBlue,
	tcell.ColorPurple, tcell.ColorTeal, tcell.ColorMaroon, tcell.ColorNavy,
	tcell.ColorFuchsia, tcell.ColorDarkCyan, tcell.ColorOrange, tcell.ColorDarkGreen,
}

// nickStyle gives each nick a stable colour so speakers are told apart.
func nickStyle(nick string) tcell.Style {
	h := fnv.New32a()
	h.Write([]byte(nick))
	return styleDefault.Foreground(nickColors[h.Sum32()%uint32(len(nickColors))])
}

// layout is where each region goes for one screen size.
type layout struct {
	w, h          int
	listW, usersW int // 0 when hidden
	mainX, mainW  int
	bodyH         int // rows above the status line
}

func (u *ui) layout() layout {
	w, h := u.screen.Size()
	l := layout{w: w, h: h, bodyH: h - 2}
	s, _ := u.m.Current()
	if w >= narrowWidth && u.m.ShowBuffers {
		l.listW = listWidth
	}
	if w >= narrowWidth && u.m.ShowUsers && s.State == model.LoggedIn {
		l.usersW = usersWidth
	}
	l.mainX = l.listW
	l.mainW = w - l.listW - l.usersW
	return l
}

// draw renders the whole model once and flushes it to the terminal.
func (u *ui) draw() {
	s := u.screen
	s.Clear()
	s.HideCursor()
	l := u.layout()
	if l.w < minWidth || l.h < minHeight {
		put(s, 0, 0, l.w, "terminal too small", styleDefault)
	} else {
		u.drawList(l)
		u.drawTimeline(l)
		u.drawUsers(l)
		u.drawStatus(l)
		u.drawInput(l)
		u.drawCompletions(l)
		if u.m.ShowHelp {
			u.drawHelp(l)
		}
	}
	if u.redraw {
		u.redraw = false
		s.Sync()
	} else {
		s.Show()
	}
	if t := u.m.Title(); t != u.lastTitle {
		u.lastTitle = t
		s.SetTitle(t)
	}
	if u.m.TakeNotifications() > 0 {
		_ = s.Beep() // best effort: some terminals cannot beep
	}
	if u.opts.AfterDraw != nil {
		u.opts.AfterDraw(s)
	}
}

func (u *ui) drawList(l layout) {
	if l.listW == 0 {
		return
	}
	s := u.screen
	var rows []row
	cur := 0
	curS, curB := u.m.Current()
	for _, srv := range u.m.Servers() {
		st := styleDim
		switch srv.State {
		case model.LoggedIn:
			st = styleOnline
		case model.Connected, model.Connecting, model.Reconnecting:
			st = styleConnect
		}
		rows = append(rows, row{{srv.Name, st.Bold(true)}})
		for _, b := range srv.Buffers() {
			if srv == curS && b == curB {
				cur = len(rows)
			}
			rows = append(rows, u.listRow(b, srv == curS && b == curB))
		}
	}
	top := max(cur-l.bodyH+1, 0) // keep the current buffer in view
	for y := 0; y < l.bodyH && top+y < len(rows); y++ {
		r := rows[top+y]
		if len(r) > 0 && r[0].style == styleCurrent {
			fill(s, 0, y, l.listW-1, 1, styleCurrent)
		}
		drawRow(s, 0, y, l.listW-1, r)
	}
	for y := 0; y < l.bodyH; y++ {
		s.SetContent(l.listW-1, y, '│', nil, styleDim)
	}
}

// listRow shows a buffer name with its unread count right-aligned; the
// current buffer gets a ">" so it is visible without colours too.
func (u *ui) listRow(b *model.Buffer, current bool) row {
	mark, st := " ", styleDefault
	if current {
		mark, st = ">", styleCurrent
	} else if b.Unread() > 0 {
		st = styleUnread
	} else if !b.Activity() {
		st = styleDim
	}
	count := ""
	if b.Unread() > 0 {
		count = fmt.Sprint(b.Unread())
	}
	nameW := listWidth - 1 - 2 - len(count) - 1
	name := truncate(b.Name, nameW)
	pad := strings.Repeat(" ", nameW-width(name)+1)
	return row{{mark + " " + name + pad + count, st}}
}

func (u *ui) drawUsers(l layout) {
	if l.usersW == 0 {
		return
	}
	s := u.screen
	x := l.w - l.usersW
	srv, _ := u.m.Current()
	users := srv.Users()
	for y := 0; y < l.bodyH; y++ {
		s.SetContent(x, y, '│', nil, styleDim)
	}
	put(s, x+1, 0, l.w, fmt.Sprintf(" Online (%d)", len(users)), styleDim.Bold(true))
	for i, name := range users {
		y := i + 1
		if y >= l.bodyH {
			break
		}
		st := nickStyle(name)
		if name == srv.User {
			st = styleDefault.Bold(true)
		}
		put(s, x+2, y, l.w, truncate(name, l.usersW-2), st)
	}
}

func (u *ui) drawStatus(l layout) {
	st := u.m.Status()
	var b strings.Builder
	fmt.Fprintf(&b, " %s: %s", st.Server, st.State)
	if st.State == model.Reconnecting {
		srv, _ := u.m.Current()
		fmt.Fprintf(&b, " in %s (/reconnect)", u.countdown(srv.RetryAt))
	}
	if st.User != "" {
		fmt.Fprintf(&b, " as %s", st.User)
	}
	fmt.Fprintf(&b, " │ %s", st.Buffer)
	if st.Unread > 0 {
		fmt.Fprintf(&b, " │ %d unread (Alt-A)", st.Unread)
	}
	if st.Below > 0 {
		fmt.Fprintf(&b, " │ %d more below (PgDn)", st.Below)
	}
	y := l.h - 2
	fill(u.screen, 0, y, l.w, 1, styleBar)
	put(u.screen, 0, y, l.w, b.String(), styleBar)
	if !u.m.ShowHelp {
		hint := " F1 help "
		if l.w-width(hint) > width(b.String())+1 {
			put(u.screen, l.w-width(hint), y, l.w, hint, styleBar)
		}
	}
}

// drawInput draws the prompt and the input line, scrolled horizontally so
// the cursor stays visible, and, while a message is typed in a
// conversation, how many bytes of one message it takes.
func (u *ui) drawInput(l layout) {
	e := &u.m.Editor
	y := l.h - 1
	srv, b := u.m.Current()
	prompt := e.Prompt
	if prompt == "" {
		prompt = "> "
		if srv.User != "" && b.Kind == model.BufferQuery {
			prompt = "<" + srv.User + "> "
		}
	}
	right := u.lengthIndicator(b)
	maxX := l.w
	if right != "" && l.w-width(right) > l.w/2 {
		maxX = l.w - width(right)
		put(u.screen, maxX, y, l.w, right, styleDim)
	}
	x := put(u.screen, 0, y, maxX, truncate(prompt, l.w/2), styleDim)
	avail := maxX - x - 1
	cells := make([]string, e.Len())
	for i, r := range e.Runes() {
		switch {
		case e.Secret:
			cells[i] = "*"
		case r == '\n':
			cells[i] = "↵"
		default:
			cells[i] = string(r)
		}
	}
	start, used := e.Cursor(), 0
	for start > 0 {
		w := width(cells[start-1])
		if used+w >= avail {
			break
		}
		start--
		used += w
	}
	cx := x
	for i := start; i < len(cells); i++ {
		if i == e.Cursor() {
			cx = x
		}
		if x+width(cells[i]) > maxX {
			break
		}
		x = put(u.screen, x, y, maxX, cells[i], styleDefault)
	}
	if e.Cursor() == len(cells) {
		cx = x
	}
	u.screen.ShowCursor(cx, y)
}

// lengthIndicator is " 120/446" for a message being typed in a
// conversation, and says into how many messages a longer one is split.
func (u *ui) lengthIndicator(b *model.Buffer) string {
	e := &u.m.Editor
	text := e.String()
	if e.Secret || b.Kind != model.BufferQuery || text == "" || model.IsCommand(text) {
		return ""
	}
	text = model.MessageText(text)
	n := len(text)
	if parts := split.Count(text, model.MaxMessageBytes); parts > 1 {
		return fmt.Sprintf(" %d/%d: %d messages ", n, model.MaxMessageBytes, parts)
	}
	return fmt.Sprintf(" %d/%d ", n, model.MaxMessageBytes)
}

// drawCompletions shows the candidates of a Tab completion in progress on
// the row above the status line, the one shown highlighted.
func (u *ui) drawCompletions(l layout) {
	cands, idx := u.m.Completions()
	if len(cands) == 0 || l.bodyH < 2 {
		return
	}
	y := l.bodyH - 1
	fill(u.screen, l.mainX, y, l.mainW, 1, styleBar)
	x := put(u.screen, l.mainX, y, l.mainX+l.mainW, " Tab:", styleBar)
	for i, c := range cands {
		item := " " + c + " "
		if x+width(item)+5 > l.mainX+l.mainW && i < len(cands)-1 {
			put(u.screen, x, y, l.mainX+l.mainW, fmt.Sprintf(" +%d", len(cands)-i), styleBar)
			return
		}
		st := styleBar
		if i == idx {
			st = styleDefault.Bold(true)
		}
		x = put(u.screen, x, y, l.mainX+l.mainW, item, st)
	}
}

// clean replaces control characters that would move the cursor or change
// terminal modes; message text comes from other users.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r != '\n' && unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
}
