package ui

import (
	"context"
	"fmt"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/gochatproto/gochat/refclient/model"
)

// handleTerm handles a terminal event; !ok means the screen was finalised.
func (u *ui) handleTerm(ev tcell.Event, ok bool) {
	if !ok {
		u.quit = true
		return
	}
	switch ev := ev.(type) {
	case *tcell.EventResize:
		u.redraw = true
	case *tcell.EventFocus:
		u.m.SetFocused(ev.Focused)
	case *tcell.EventPaste:
		u.pasting = ev.Start()
	case *tcell.EventKey:
		u.handleKey(ev)
	case *tcell.EventError:
		u.quit = true
	}
}

func (u *ui) handleBackendEvent(ev Event, ok bool) {
	if !ok {
		u.events = nil // a nil channel blocks forever: stop selecting it
		return
	}
	switch ev := ev.(type) {
	case MessageEvent:
		b := u.m.Open(ev.Server, ev.Peer)
		if ev.ID > 0 && b.Has(ev.ID) {
			return // a redelivery of a message already shown
		}
		u.m.Add(ev.Server, ev.Peer, model.Line{Time: ev.Time, Sender: ev.From, Text: ev.Text, ID: ev.ID})
		u.loadHistoryIfNew(ev.Server, b)
	case HookEvent:
		u.handleHook(ev)
	case StatusEvent:
		u.statusChange(ev)
	case ShutdownEvent:
		u.errorLine(ev.Server, "", "Server shutdown scheduled at "+ev.At.In(u.opts.Location).Format(time.DateTime))
	case NoticeEvent:
		u.notice(ev.Server, ev.Text)
	case ErrorEvent:
		u.errorLine(ev.Server, "", ev.Text)
	}
}

func (u *ui) handleHook(ev HookEvent) {
	s := u.m.AddServer(ev.Server)
	switch ev.Hook {
	case "NEWLOGIN":
		s.AddUser(ev.User)
		u.notice(ev.Server, fmt.Sprintf("%s logged in (permission level %d)", ev.User, ev.Perm))
	case "NEWLOGOUT":
		s.RemoveUser(ev.User)
		u.notice(ev.Server, ev.User+" logged out")
	case "DUPSESS":
		u.errorLine(ev.Server, "", "Someone has tried to log in with your account from "+ev.Addr+"!")
	case "PERMSCHG":
		who := ev.User
		if who == s.User {
			who = "you (" + who + ")"
		}
		u.notice(ev.Server, fmt.Sprintf("Permission level of %s is now %d", who, ev.Perm))
	default:
		u.notice(ev.Server, "Hook received: "+ev.Hook)
	}
}

// statusChange applies a state change the backend reports by itself. The
// conversation buffers and their drafts stay: a lost connection is not a
// logout, and the backend reconnects.
func (u *ui) statusChange(ev StatusEvent) {
	s := u.m.AddServer(ev.Server)
	s.State, s.RetryAt = ev.State, ev.RetryAt
	switch {
	case ev.State == model.LoggedIn:
		s.User = ev.User
	case ev.State < model.Connected:
		s.SetUsers(nil) // unknown until logged in again
	default:
		s.User = ""
		s.SetUsers(nil)
	}
	if ev.Text != "" {
		u.notice(ev.Server, ev.Text)
		// Said in the conversation being read too: that is where the
		// user looks.
		if cs, cb := u.m.Current(); cs == s && cb.Kind == model.BufferQuery {
			u.m.Add(s.Name, cb.Name, model.Line{Time: u.now(), Text: ev.Text, Kind: model.KindNotice})
		}
	}
	if ev.State == model.LoggedIn {
		u.refreshUsers(ev.Server, false, false)
	}
}

// setState records a state the user asked for (/logout, /disconnect...).
// Leaving a logged-in state closes the conversations and empties the user
// list, as the original client did.
func (u *ui) setState(server string, st model.ConnState) {
	s := u.m.AddServer(server)
	s.State, s.RetryAt = st, time.Time{}
	if st < model.LoggedIn {
		s.User = ""
		s.SetUsers(nil)
		for _, b := range s.Buffers()[1:] {
			delete(u.history, b)
		}
		u.m.CloseQueries(server)
	}
}

// historyState tracks scroll-back loading for one buffer.
type historyState struct {
	loading   bool
	exhausted bool
}

// loadHistory asks for stored messages older than the buffer's oldest
// stored line, one page at a time, until the store has none left.
func (u *ui) loadHistory(server string, b *model.Buffer) {
	if b.Kind != model.BufferQuery {
		return
	}
	h := u.history[b]
	if h == nil {
		h = &historyState{}
		u.history[b] = h
	}
	if h.loading || h.exhausted {
		return
	}
	h.loading = true
	before, peer := b.OldestID(), b.Name
	var msgs []Message
	u.call(func(ctx context.Context) (err error) {
		msgs, err = u.be.LoadHistory(ctx, server, peer, before, u.opts.HistoryPage)
		return err
	}, func(err error) {
		h.loading = false
		if err != nil {
			u.errorLine(server, peer, "history: "+err.Error())
			h.exhausted = true
			return
		}
		h.exhausted = len(msgs) < u.opts.HistoryPage
		lines := make([]model.Line, 0, len(msgs))
		for _, m := range msgs {
			if m.ID > 0 && b.Has(m.ID) {
				continue // already shown live
			}
			kind := model.KindMessage
			if m.From == u.m.AddServer(server).User {
				kind = model.KindSelf
			}
			lines = append(lines, model.Line{Time: m.Time, Sender: m.From, Text: m.Text, ID: m.ID, Queued: m.Queued, Kind: kind})
		}
		u.m.Prepend(server, peer, lines)
	})
}

// loadHistoryIfNew fills a buffer seen for the first time from the store.
func (u *ui) loadHistoryIfNew(server string, b *model.Buffer) {
	if u.history[b] == nil {
		u.loadHistory(server, b)
	}
}
