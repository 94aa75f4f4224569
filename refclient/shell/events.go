package shell

import (
	"time"

	"github.com/gochatproto/gochat/refclient/app"
	"github.com/gochatproto/gochat/refclient/core"
)

// syncEvents waits until every event received so far has been printed.
func (s *Shell) syncEvents() {
	s.mu.Lock()
	sess := s.sess
	s.mu.Unlock()
	if sess != nil {
		sess.Sync()
	}
}

const clock = "15:04:05"

// handleEvent prints one event; it runs on the session's pump, which has
// already stored an incoming message (or kept one it cannot read).
func (s *Shell) handleEvent(e app.Event) {
	switch ev := e.Core.(type) {
	case core.Message:
		s.printMessage(ev)
		s.noteKept(e)
	case core.Undecodable:
		s.printf("[ERR] a message arrived that this client cannot read: %v", ev.Err)
		s.noteKept(e)
	case core.Hook:
		s.printf("[HOOK] %s", core.FormatHook(ev))
	case core.Shutdown:
		s.printf("[SHTDWN] server shuts down at %s (in %s)", ev.At.Format(time.DateTime),
			ev.At.Sub(s.opts.Now()).Round(time.Second))
	case core.ServerNotice:
		s.printf("[ERR] server notice: %s [%s]", app.ServerErrorText(&core.ServerError{Code: ev.Code}), ev.Code)
	case core.DialectSwitched:
		s.printf("[INFO] this server speaks the %s dialect (%s): switched to it and saved it for %s (CONN ... -dialect %s chooses it up front)",
			ev.Dialect, ev.Evidence, e.Session.Server().Name, ev.Dialect)
		if e.StoreErr != nil {
			s.errorf("saving the dialect: %v", e.StoreErr)
		}
	case core.Disconnected:
		s.mu.Lock()
		if s.sess == e.Session {
			s.sess, s.last = nil, e.Session
		}
		s.mu.Unlock()
		if ev.Err != nil {
			s.printf("[INFO] disconnected: %s (RECONN connects and logs in again)", app.DisconnectText(ev.Err, e.Session.ShutdownAt(), time.Local))
		}
	}
}

// noteKept says what became of a message that could not be read, or that
// a message could not be saved.
func (s *Shell) noteKept(e app.Event) {
	switch {
	case e.Kept:
		s.printf("[INFO] the message is kept and will be read again at the next LOGIN")
	case e.StoreErr != nil:
		s.errorf("storing the message: %v", e.StoreErr)
	}
}

// printMessage prints a message with its time, and its date when it is
// not from today (a catch-up can bring old ones).
func (s *Shell) printMessage(m core.Message) {
	stamp := m.Stamp
	if m.StampErr != nil {
		stamp = s.opts.Now()
	}
	when := stamp.Format(clock)
	if stamp.Format(time.DateOnly) != s.opts.Now().Format(time.DateOnly) {
		when = stamp.Format(time.DateTime)
	}
	if m.DecryptErr != nil {
		s.printf("[MSG] %s %s: <cannot decrypt: %v>", when, m.From, m.DecryptErr)
		return
	}
	s.printf("[MSG] %s %s: %s", when, m.From, m.Text)
}
