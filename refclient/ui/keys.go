package ui

import (
	"unicode"

	"github.com/gdamore/tcell/v2"

	"github.com/gochatproto/gochat/refclient/model"
)

// binding maps one key to an action. The table is also the help page, so a
// key cannot work without being documented.
type binding struct {
	label string // as shown in help, e.g. "Alt-Up"
	key   tcell.Key
	r     rune          // for tcell.KeyRune
	mod   tcell.ModMask // Alt and Shift only; Ctrl is part of KeyCtrlX
	help  string
	do    func(u *ui)
}

// bindings keeps the original client's global keys (Ctrl-Q, Ctrl-U, Ctrl-B,
// Alt-Up/Down, Shift-Up/Down, Ctrl-R, Esc, Up) and adds what senpai and
// catgirl users expect (Alt-A next unread, PgUp/PgDn, readline editing).
// Ctrl-U keeps its original meaning, so Esc is the way to clear the input.
var bindings = []binding{
	{label: "Ctrl-Q", key: tcell.KeyCtrlQ, help: "quit", do: func(u *ui) { u.quit = true }},
	{label: "Ctrl-C", key: tcell.KeyCtrlC, help: "does not quit, as in the original: use Ctrl-Q or /quit", do: (*ui).ctrlC},
	{label: "F1", key: tcell.KeyF1, help: "show or hide this help", do: (*ui).toggleHelp},
	{label: "Ctrl-L", key: tcell.KeyCtrlL, help: "show or hide this help", do: (*ui).toggleHelp},
	{label: "Ctrl-Alt-L", key: tcell.KeyCtrlL, mod: tcell.ModAlt, help: "show or hide this help (the original's key)", do: (*ui).toggleHelp},
	{label: "Ctrl-R", key: tcell.KeyCtrlR, help: "redraw the screen", do: func(u *ui) { u.redraw = true }},
	{label: "Ctrl-U", key: tcell.KeyCtrlU, help: "show or hide the online users", do: func(u *ui) { u.m.ShowUsers = !u.m.ShowUsers }},
	{label: "Ctrl-B", key: tcell.KeyCtrlB, help: "show or hide the server and buffer list", do: func(u *ui) { u.m.ShowBuffers = !u.m.ShowBuffers }},
	{label: "Alt-Up", key: tcell.KeyUp, mod: tcell.ModAlt, help: "previous buffer", do: func(u *ui) { u.m.NextBuffer(-1) }},
	{label: "Alt-Down", key: tcell.KeyDown, mod: tcell.ModAlt, help: "next buffer", do: func(u *ui) { u.m.NextBuffer(1) }},
	{label: "Shift-Up", key: tcell.KeyUp, mod: tcell.ModShift, help: "previous server", do: func(u *ui) { u.m.NextServer(-1) }},
	{label: "Shift-Down", key: tcell.KeyDown, mod: tcell.ModShift, help: "next server", do: func(u *ui) { u.m.NextServer(1) }},
	{label: "Alt-A", key: tcell.KeyRune, r: 'a', mod: tcell.ModAlt, help: "jump to the next buffer with unread messages", do: (*ui).nextUnread},
	{label: "Ctrl-N", key: tcell.KeyCtrlN, help: "jump to the next buffer with unread messages", do: (*ui).nextUnread},
	{label: "PgUp", key: tcell.KeyPgUp, help: "scroll back half a page (loads older history at the top)", do: func(u *ui) { u.scroll(-1) }},
	{label: "PgDn", key: tcell.KeyPgDn, help: "scroll forward half a page", do: func(u *ui) { u.scroll(1) }},
	{label: "Alt-Home", key: tcell.KeyHome, mod: tcell.ModAlt, help: "scroll to the oldest loaded line", do: func(u *ui) { b := u.buf(); b.ScrollTop(); u.clampScroll(b, u.layout()) }},
	{label: "Alt-End", key: tcell.KeyEnd, mod: tcell.ModAlt, help: "scroll to the newest line", do: func(u *ui) { u.buf().ScrollBottom() }},
	{label: "Enter", key: tcell.KeyEnter, help: "send the input; a line starting with / is a command (// sends a /)", do: (*ui).submit},
	{label: "Tab", key: tcell.KeyTab, help: "complete a nick, a command or a server; again for the next candidate", do: func(u *ui) { u.m.Complete(1) }},
	{label: "Shift-Tab", key: tcell.KeyBacktab, help: "previous completion candidate", do: func(u *ui) { u.m.Complete(-1) }},
	{label: "Alt-Enter", key: tcell.KeyEnter, mod: tcell.ModAlt, help: "insert a newline (pasted newlines never send)", do: func(u *ui) { u.m.Editor.Insert('\n') }},
	{label: "Esc", key: tcell.KeyEsc, help: "clear the input (cancels a password prompt); if empty, scroll to the end", do: (*ui).escape},
	{label: "Up", key: tcell.KeyUp, help: "previous input line (history)", do: func(u *ui) { u.m.Editor.HistoryPrev() }},
	{label: "Down", key: tcell.KeyDown, help: "next input line (history)", do: func(u *ui) { u.m.Editor.HistoryNext() }},
	{label: "Left", key: tcell.KeyLeft, help: "cursor left", do: func(u *ui) { u.m.Editor.Left() }},
	{label: "Right", key: tcell.KeyRight, help: "cursor right", do: func(u *ui) { u.m.Editor.Right() }},
	{label: "Alt-Left", key: tcell.KeyLeft, mod: tcell.ModAlt, help: "previous word", do: func(u *ui) { u.m.Editor.WordLeft() }},
	{label: "Alt-Right", key: tcell.KeyRight, mod: tcell.ModAlt, help: "next word", do: func(u *ui) { u.m.Editor.WordRight() }},
	{label: "Home", key: tcell.KeyHome, help: "start of the input", do: func(u *ui) { u.m.Editor.Home() }},
	{label: "Ctrl-A", key: tcell.KeyCtrlA, help: "start of the input", do: func(u *ui) { u.m.Editor.Home() }},
	{label: "End", key: tcell.KeyEnd, help: "end of the input", do: func(u *ui) { u.m.Editor.End() }},
	{label: "Ctrl-E", key: tcell.KeyCtrlE, help: "end of the input", do: func(u *ui) { u.m.Editor.End() }},
	{label: "Backspace", key: tcell.KeyBackspace, help: "delete before the cursor", do: func(u *ui) { u.m.Editor.Backspace() }},
	{label: "Ctrl-H", key: tcell.KeyBackspace, help: "delete before the cursor", do: func(u *ui) { u.m.Editor.Backspace() }},
	{label: "Delete", key: tcell.KeyDelete, help: "delete under the cursor", do: func(u *ui) { u.m.Editor.Delete() }},
	{label: "Ctrl-W", key: tcell.KeyCtrlW, help: "delete the word before the cursor", do: func(u *ui) { u.m.Editor.DeleteWord() }},
	{label: "Ctrl-K", key: tcell.KeyCtrlK, help: "delete to the end of the input", do: func(u *ui) { u.m.Editor.KillToEnd() }},
}

// matches reports whether ev is this binding's key. Ctrl modifiers are
// ignored because tcell encodes them in the key itself; Meta counts as Alt
// since terminals disagree on which one they send.
func (b *binding) matches(ev *tcell.EventKey) bool {
	key, r, mods := normalize(ev)
	if key != b.key {
		return false
	}
	if b.key == tcell.KeyRune {
		return r == b.r && mods&tcell.ModAlt == b.mod&tcell.ModAlt
	}
	return mods == b.mod
}

// normalize maps the forms terminals send for one key to one form. Alt
// with a control key arrives as ESC and the control byte; tmux passes that
// on and tcell reports it as Alt+Ctrl and a letter ("Alt+Ctrl+Rune[m]" for
// Alt-Enter, whose Enter is Ctrl-M), where other terminals give the
// control key with Alt. Both become the control key with Alt. Ctrl is
// dropped (it is part of KeyCtrlX) and Meta counts as Alt.
func normalize(ev *tcell.EventKey) (tcell.Key, rune, tcell.ModMask) {
	key, r, mods := ev.Key(), ev.Rune(), ev.Modifiers()
	if key == tcell.KeyRune && mods&tcell.ModCtrl != 0 {
		switch lr := unicode.ToLower(r); {
		case lr == 'm':
			key = tcell.KeyEnter
		case lr == 'i':
			key = tcell.KeyTab
		case lr == 'h':
			key = tcell.KeyBackspace
		case lr >= 'a' && lr <= 'z':
			key = tcell.KeyCtrlA + tcell.Key(lr-'a')
		}
	}
	if key == tcell.KeyBackspace2 {
		key = tcell.KeyBackspace
	}
	mods &^= tcell.ModCtrl
	if mods&tcell.ModMeta != 0 {
		mods = mods&^tcell.ModMeta | tcell.ModAlt
	}
	return key, r, mods
}

func (u *ui) handleKey(ev *tcell.EventKey) {
	if u.m.ShowHelp && u.helpKey(ev) {
		return
	}
	if key, _, _ := normalize(ev); key != tcell.KeyTab && key != tcell.KeyBacktab {
		u.m.EndCompletion()
	}
	if u.pasting && ev.Key() == tcell.KeyEnter {
		u.m.Editor.Insert('\n')
		return
	}
	for i := range bindings {
		if bindings[i].matches(ev) {
			bindings[i].do(u)
			return
		}
	}
	if ev.Key() == tcell.KeyRune && ev.Modifiers()&(tcell.ModAlt|tcell.ModMeta|tcell.ModCtrl) == 0 {
		u.m.Editor.Insert(ev.Rune())
	}
}

// ctrlC explains, once per press, that Ctrl-C does not quit: the original
// client ignored it, and a chat window closed by a reflex loses drafts.
func (u *ui) ctrlC() {
	u.status("Ctrl-C does not quit gochat: use Ctrl-Q or /quit.")
}

// helpKey scrolls or closes the help page and reports whether it used ev.
// Keys it does not use fall through, so typing closes help and still types.
func (u *ui) helpKey(ev *tcell.EventKey) bool {
	_, h := u.screen.Size()
	page := max(h-4, 1)
	switch ev.Key() {
	case tcell.KeyEsc:
		u.m.ShowHelp = false
	case tcell.KeyUp:
		u.helpTop--
	case tcell.KeyDown:
		u.helpTop++
	case tcell.KeyPgUp:
		u.helpTop -= page
	case tcell.KeyPgDn:
		u.helpTop += page
	case tcell.KeyHome:
		u.helpTop = 0
	default:
		if ev.Key() == tcell.KeyRune && ev.Rune() == 'q' {
			u.m.ShowHelp = false
			return true
		}
		return false
	}
	u.helpTop = max(u.helpTop, 0) // drawHelp clamps the bottom, knowing the width
	return true
}

func (u *ui) toggleHelp() {
	u.m.ShowHelp = !u.m.ShowHelp
	u.helpTop = 0
}

func (u *ui) buf() *model.Buffer {
	_, b := u.m.Current()
	return b
}

func (u *ui) nextUnread() {
	if !u.m.NextUnread() {
		u.buf().ScrollBottom()
	}
}

// scroll moves half a timeline page; reaching the top asks for older
// history.
func (u *ui) scroll(dir int) {
	_, h := u.screen.Size()
	n := max((h-2)/2, 1)
	b := u.buf()
	if dir > 0 {
		b.ScrollDown(n)
		return
	}
	b.ScrollUp(n)
	l := u.layout()
	u.clampScroll(b, l)
	if u.atTop(b, l) {
		s, _ := u.m.Current()
		u.loadHistory(s.Name, b)
	}
}

func (u *ui) escape() {
	if u.prompt != nil {
		u.cancelPrompt()
		return
	}
	if u.m.Editor.Len() == 0 {
		u.buf().ScrollBottom()
		return
	}
	u.m.Editor.Clear()
}
