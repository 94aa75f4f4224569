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
// already stored an incoming message.
func (s *Shell) handleEvent(e app.Event) {
	switch ev := e.Core.(type) {
	case core.Message:
		s.printMessage(ev)
		if e.StoreErr != nil {
			s.errorf("storing message from %s: %v", ev.From, e.StoreErr)
		}
	case core.Hook:
		s.printf("[HOOK] %s", core.FormatHook(ev))
	case core.Shutdown:
		s.printf("[SHTDWN] server shuts down at %s (in %s)", ev.At.Format(time.DateTime),
			ev.At.Sub(s.opts.Now()).Round(time.Second))
	case core.ServerNotice:
		s.printf("[ERR] server notice: %s", ev.Code)
	case core.Disconnected:
		s.mu.Lock()
		if s.sess == e.Session {
			s.sess, s.last = nil, e.Session
		}
		s.mu.Unlock()
		if ev.Err != nil {
			s.printf("[INFO] disconnected: %v", describe(ev.Err))
		}
	}
}

func (s *Shell) printMessage(m core.Message) {
	stamp := m.Stamp
	if m.StampErr != nil {
		stamp = s.opts.Now()
	}
	if m.DecryptErr != nil {
		s.printf("[MSG] %s %s: <cannot decrypt: %v>", stamp.Format(clock), m.From, m.DecryptErr)
		return
	}
	s.printf("[MSG] %s %s: %s", stamp.Format(clock), m.From, m.Text)
}
