package explore

import (
	"encoding/hex"
	"strconv"
	"sync"
	"time"

	"github.com/gochatproto/gochat/spec"
)

// EventKind says what an event records.
type EventKind string

// Events of a history.
const (
	EvOpen   EventKind = "open"    // a connection got HELLO
	EvCall   EventKind = "call"    // a request was written (invocation)
	EvReply  EventKind = "reply"   // a reply with a request's ID (completion)
	EvPush   EventKind = "push"    // a packet with ID 0 (RECIV, HOOK, SHTDWN, ERR notice)
	EvClose  EventKind = "close"   // the explorer closed the connection
	EvLost   EventKind = "lost"    // the server closed the connection
	EvPhase  EventKind = "phase"   // a quiescent point: all actors idle
	EvStray  EventKind = "stray"   // a reply whose ID no request on the connection was waiting for
	EvNoResp EventKind = "noreply" // a request got no reply within the reply timeout
)

// Notes on calls and opens.
const (
	noteTLS   = "tls"   // a TLS connection; on a VERIF: its plaintext becomes the token (Body: its ID)
	noteToken = "token" // a LOGIN with a token (Body: its ID)
)

// Event is one entry of the history. Conn identifies a connection for the
// whole run (actor's slot and generation), so two dials on one slot are
// two connections.
type Event struct {
	Seq    int           `json:"seq"`
	T      time.Duration `json:"t_ns"`
	Kind   EventKind     `json:"kind"`
	Actor  int           `json:"actor"`
	Conn   string        `json:"conn,omitempty"`
	Op     int           `json:"op"` // plan index, -1 for the quiescent phase
	ID     uint16        `json:"id,omitempty"`
	Action string        `json:"action,omitempty"`
	Info   uint8         `json:"info,omitempty"`
	Code   string        `json:"code,omitempty"` // ERR code name
	// Typed payload: Name is a username (LOGIN/VERIF/MSG/REQ target, RECIV
	// sender, HOOK subject), Stamp a decoded timestamp, Body a ciphertext
	// or list; Note explains phases and strays.
	Name  string `json:"name,omitempty"`
	Stamp int64  `json:"stamp,omitempty"`
	Body  string `json:"body,omitempty"`
	Note  string `json:"note,omitempty"`
	// Call links a reply, stray or no-reply to its call's Seq.
	Call int `json:"call,omitempty"`
}

// History is the recorded run, safe for concurrent recording.
type History struct {
	mu     sync.Mutex
	start  time.Time
	events []Event
}

func newHistory() *History { return &History{start: time.Now()} }

// add appends e with the next sequence number and the current time and
// returns its Seq.
func (h *History) add(e Event) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	e.Seq = len(h.events) + 1
	e.T = time.Since(h.start)
	h.events = append(h.events, e)
	return e.Seq
}

// Events returns a copy of the events so far, in recording order.
func (h *History) Events() []Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Event(nil), h.events...)
}

// describe fills an event's typed payload from a packet.
func describe(e *Event, p *spec.Packet) {
	e.ID, e.Action, e.Info = p.ID, p.Action.String(), p.Info
	if p.Action == spec.ERR {
		e.Code = spec.ErrCode(p.Info).String()
	}
	arg := func(i int) string {
		if i < len(p.Args) {
			return string(p.Args[i])
		}
		return ""
	}
	switch p.Action {
	case spec.RECIV, spec.MSG:
		e.Name, e.Body = arg(0), arg(2)
		if len(p.Args) > 1 {
			if t, err := spec.ParseTimestampAny(p.Args[1]); err == nil {
				e.Stamp = t.Unix()
			}
		}
	case spec.HOOK, spec.LOGIN, spec.VERIF, spec.REQ:
		if p.Action != spec.VERIF || len(p.Args) == 2 { // VERIF reply is the challenge
			e.Name = arg(0)
		}
		if p.Action == spec.HOOK && len(p.Args) > 1 { // NEWLOGIN and PERMSCHG: the level
			e.Body = levelText(p.Args[1])
		}
	case spec.ADMIN: // KICK and CHGPERMS name their target; CHGPERMS's level goes in Body
		e.Name = arg(0)
		if spec.AdminOp(p.Info) == spec.AdminChgPerms && len(p.Args) > 1 {
			e.Body = levelText(p.Args[1])
		}
	case spec.USRS:
		for i, a := range p.Args {
			if i > 0 {
				e.Body += "\n"
			}
			e.Body += string(a)
		}
	}
}

// levelText writes a permission level as the decimal of its one raw byte
// (E-14); an argument of another size is kept visible as hex, so that it
// never equals a level the explorer set.
func levelText(b []byte) string {
	if len(b) == 1 {
		return strconv.Itoa(int(b[0]))
	}
	return "raw:" + hex.EncodeToString(b)
}
