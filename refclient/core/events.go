package core

import (
	"net"
	"sync/atomic"
	"time"

	"github.com/gochatproto/gochat/spec"
)

// Event is something the server pushed (a null-ID packet) or a change of
// the connection's state. The concrete types are Message, Hook, Shutdown,
// ServerNotice, DialectSwitched, Undecodable and Disconnected.
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

// DialectSwitched reports that the client, with Config.DetectDialect, has
// switched to the server's dialect, learnt from its first key-bearing reply
// or a packet only that dialect could split, before reading anything that
// depends on it (E-53).
type DialectSwitched struct {
	Dialect spec.Dialect
	// Evidence says what gave the dialect away, for the user.
	Evidence string
}

// Undecodable is a pushed RECIV the client could not split or parse.
// Raw is the packet byte for byte (header, CRLF, payload), so the caller
// can keep it: the server has already forgotten the message. The client
// closes the connection after it (CLIENT-8).
type Undecodable struct {
	Raw []byte
	Err error
}

func (Message) event()         {}
func (Hook) event()            {}
func (Shutdown) event()        {}
func (ServerNotice) event()    {}
func (DialectSwitched) event() {}
func (Undecodable) event()     {}
func (Disconnected) event()    {}

// eventQueue is the event channel. Back-pressure policy: nothing the
// server pushed is ever dropped while the connection is in use. A message
// the server has handed over exists nowhere else (it deleted it from its
// cache when it wrote it), so when the buffer is full the reader waits for
// the consumer, and replies queue behind it: a slow consumer delays
// replies but loses nothing; this holds when the server ends the
// connection too. Once Close has been called nobody may be reading any
// more, so from then on the oldest undelivered event is discarded instead
// of waiting, and counted. Disconnected is pushed the same way and is
// therefore never lost: it is the last event.
type eventQueue struct {
	ch      chan Event
	stop    <-chan struct{} // closed by Close
	dropped atomic.Uint64
}

func newEventQueue(n int, stop <-chan struct{}) *eventQueue {
	return &eventQueue{ch: make(chan Event, n), stop: stop}
}

func (q *eventQueue) push(ev Event) {
	select {
	case q.ch <- ev:
		return
	case <-q.stop:
	}
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
