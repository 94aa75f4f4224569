package explore

import (
	"time"

	"github.com/gochatproto/gochat/spec"
)

// connState is what the history says about one connection's login.
type connState int

const (
	stAnon    connState = iota // neither a session nor a pending verification
	stPending                  // LOGIN answered with a challenge
	stSession                  // VERIF (or token LOGIN) answered OK
	stMaybe                    // a login or logout whose reply never came
	// stRefused: a VERIF answered ERR. No session, but the verification
	// may still be pending: the specification does not say a refused
	// answer ends it, and a server may let the client answer again or
	// refuse before checking (a rate limit).
	stRefused
)

// callInfo is one request with what the connection's state was when it
// was written and its reply, if any.
type callInfo struct {
	ev     Event
	before connState
	reply  *Event
}

// interval is a stretch of a connection's life; End < 0 means it lasted
// until the end of the history.
type interval struct {
	Start, End time.Duration
	Conn       string
}

func (iv interval) covers(t time.Duration) bool { return t >= iv.Start && (iv.End < 0 || t <= iv.End) }

// connInfo is the history of one connection.
type connInfo struct {
	label    string
	actor    int
	ended    time.Duration // -1 while open
	byUs     bool          // the explorer closed it
	seen     time.Duration // the last event before it ended: a server-side close may take effect any time after
	state    connState
	calls    []*callInfo
	pushes   []Event
	last     time.Duration // time of the latest event so far
	sessions []interval    // verified sessions, client-side times
	subs     []interval    // SUB HOOK_ALL answered OK until UNSUB was written
}

// analysis is the history decoded once for every checker.
type analysis struct {
	events []Event
	conns  map[string]*connInfo
	order  []*connInfo
	calls  map[int]*callInfo // by call Seq
	end    time.Duration
}

func analyse(events []Event) *analysis {
	a := &analysis{events: events, conns: map[string]*connInfo{}, calls: map[int]*callInfo{}}
	for _, e := range events {
		a.end = e.T
		if e.Conn == "" {
			continue
		}
		ci := a.conns[e.Conn]
		if ci == nil {
			ci = &connInfo{label: e.Conn, actor: e.Actor, ended: -1}
			a.conns[e.Conn] = ci
			a.order = append(a.order, ci)
		}
		a.step(ci, e)
	}
	return a
}

func (a *analysis) step(ci *connInfo, e Event) {
	defer func() { ci.last = e.T }()
	switch e.Kind {
	case EvCall:
		c := &callInfo{ev: e, before: ci.state}
		ci.calls = append(ci.calls, c)
		a.calls[e.Seq] = c
		// UNSUB ends the subscriptions, and so does LOGOUT (the
		// specification: "after a logout or a disconnection").
		if e.Action == spec.UNSUB.String() || e.Action == spec.LOGOUT.String() {
			endOpen(ci.subs, e.T)
		}
		if e.Action == spec.LOGOUT.String() && ci.state == stSession {
			endOpen(ci.sessions, e.T) // the session may end any time from now on
		}
	case EvReply:
		if c := a.calls[e.Call]; c != nil {
			ev := e
			c.reply = &ev
			a.transition(ci, c, e)
		}
	case EvNoResp:
		if c := a.calls[e.Call]; c != nil && (c.ev.Action == spec.VERIF.String() || c.ev.Action == spec.LOGIN.String()) {
			ci.state = stMaybe
		}
	case EvPush:
		ci.pushes = append(ci.pushes, e)
	case EvClose, EvLost:
		if ci.ended < 0 {
			ci.seen = ci.last
			ci.ended, ci.byUs = e.T, e.Kind == EvClose
			endOpen(ci.sessions, e.T)
			endOpen(ci.subs, e.T)
			for _, c := range ci.calls {
				if c.reply == nil && (c.ev.Action == spec.VERIF.String() || c.ev.Action == spec.LOGIN.String()) {
					ci.state = stMaybe
				}
			}
		}
	}
}

func (a *analysis) transition(ci *connInfo, c *callInfo, r Event) {
	ok := r.Action == spec.OK.String()
	switch c.ev.Action {
	case spec.LOGIN.String():
		switch {
		case r.Action == spec.VERIF.String():
			ci.state = stPending
		case ok:
			ci.startSession(r.T)
		}
	case spec.VERIF.String():
		if ok {
			ci.startSession(r.T)
		} else {
			ci.state = stRefused
		}
	case spec.LOGOUT.String():
		if ok {
			ci.state = stAnon
		}
	case spec.SUB.String():
		if ok {
			ci.subs = append(ci.subs, interval{Start: r.T, End: -1, Conn: ci.label})
		}
	}
}

func (ci *connInfo) startSession(t time.Duration) {
	ci.state = stSession
	ci.sessions = append(ci.sessions, interval{Start: t, End: -1, Conn: ci.label})
}

func endOpen(ivs []interval, t time.Duration) {
	for i := range ivs {
		if ivs[i].End < 0 {
			ivs[i].End = t
		}
	}
}

// connStates returns each connection's final state.
func connStates(events []Event) map[string]connState {
	out := map[string]connState{}
	for l, ci := range analyse(events).conns {
		out[l] = ci.state
	}
	return out
}

// phase returns the first phase event with the note, or nil.
func (a *analysis) phase(note string) *Event {
	for i := range a.events {
		if a.events[i].Kind == EvPhase && a.events[i].Note == note {
			return &a.events[i]
		}
	}
	return nil
}
