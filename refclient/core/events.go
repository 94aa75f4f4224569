package core

import (
	"net"
	"sync/atomic"
	"time"

	"github.com/gochatproto/gochat/spec"
)

// Event is something the server pushed (a null-ID packet) or a change of
// the connection's state. The concrete types are Message, Hook, Shutdown,
// ServerNotice and Disconnected.
type Event interface{ event() }

// Message is a RECIV: a live message, a catch-up message or an
// administrative broadcast. The core decrypts it with the logged-in
// user's key; DecryptErr is set when that fails (or no key is held), and
// then Text is empty. A timestamp that does not decode leaves Stamp zero
// and sets StampErr.
type Message struct {
	From       string
	Stamp      time.Time
	Ciphertext []byte
	Text       string
	DecryptErr error
	StampErr   error
}

// Hook is a HOOK notification. User and Perm are set for new_login and
// permissions_change, User for new_logout, IP for duplicated_session.
type Hook struct {
	Kind spec.Hook
	User string
	Perm uint8
	IP   string
}

// Shutdown is a SHTDWN: the server will stop at At.
type Shutdown struct{ At time.Time }

// ServerNotice is an ERR with the null ID: the server explains why it is
// about to close the connection (idle, kicked, shutdown, malformed packet).
type ServerNotice struct{ Code spec.ErrCode }

// Disconnected is always the last event; the channel is closed after it.
// Err is nil after Close, a *ServerError if the server sent a null-ID ERR
// before closing, and otherwise the read or protocol error.
type Disconnected struct{ Err error }

func (Message) event()      {}
func (Hook) event()         {}
func (Shutdown) event()     {}
func (ServerNotice) event() {}
func (Disconnected) event() {}

// eventQueue is the bounded event channel. Back-pressure policy: the
// reader goroutine is the only producer and must never block (a stalled
// consumer would otherwise stall replies too), so when the buffer is full
// the oldest undelivered event is discarded and counted. Disconnected is
// delivered the same way and is therefore never lost: it is the last event.
type eventQueue struct {
	ch      chan Event
	dropped atomic.Uint64
}

func newEventQueue(n int) *eventQueue { return &eventQueue{ch: make(chan Event, n)} }

func (q *eventQueue) push(ev Event) {
	for range 2 {
		select {
		case q.ch <- ev:
			return
		default:
		}
		select {
		case <-q.ch:
			q.dropped.Add(1)
		default:
		}
	}
	q.dropped.Add(1) // unreachable with a single producer; stay safe
}

// decodeHook turns the arguments of a HOOK into an event. The decoder has
// already checked the argument count and kinds against the hook's schema.
func decodeHook(p *spec.Packet) (Hook, bool) {
	h := Hook{Kind: spec.Hook(p.Info)}
	switch h.Kind {
	case spec.HookNewLogin, spec.HookPermsChg:
		if len(p.Args) < 2 || len(p.Args[1]) != 1 {
			return h, false
		}
		h.User, h.Perm = string(p.Args[0]), p.Args[1][0]
	case spec.HookNewLogout:
		if len(p.Args) < 1 {
			return h, false
		}
		h.User = string(p.Args[0])
	case spec.HookDupSess:
		if len(p.Args) < 1 {
			return h, false
		}
		h.IP = string(p.Args[0])
		if ip := net.ParseIP(h.IP); ip != nil {
			h.IP = ip.String()
		}
	default:
		return h, false
	}
	return h, true
}
