package explore

import (
	"fmt"
	"time"
)

// sent is one MSG answered OK.
type sent struct {
	call, reply Event
	from, to    int
}

// checkDelivery: every MSG answered OK reaches a connection of its
// recipient (live or by catch-up) at least once, with the sender, stamp
// and text unchanged, unless a connection of the recipient closed while
// the message may have been in flight to it; and at most once unless a
// connection of the recipient closed after it was sent (E-56 resends an
// interrupted catch-up). A RECIV nobody sent is a violation too.
// CloseLag bounds how long a server may keep writing to a connection the
// explorer closed.
func checkDelivery(a *analysis, f *Facts) []Violation {
	var out []Violation
	msgs := map[string]*sent{} // by text
	calls := map[string]bool{}
	for _, ci := range a.order {
		for _, c := range ci.calls {
			if c.ev.Action != "MSG" {
				continue
			}
			calls[c.ev.Body] = true
			to, known := f.actorsOf[c.ev.Name]
			if c.reply != nil && c.reply.Action == "OK" && known {
				msgs[c.ev.Body] = &sent{call: c.ev, reply: *c.reply, from: ci.actor, to: to}
			}
		}
	}
	got := map[string][]Event{}
	for _, ci := range a.order {
		for _, p := range ci.pushes {
			if p.Action != "RECIV" {
				continue
			}
			m := msgs[p.Body]
			switch {
			case m == nil && !calls[p.Body]:
				out = append(out, Violation{Invariant: InvDelivered, Source: "spec", Ref: "Receiving messages", Actor: ci.actor, Op: -1,
					Detail: fmt.Sprintf("RECIV of a message nobody sent (%q from %s)", p.Body, p.Name), Seqs: []int{p.Seq}})
			case m == nil:
			case m.to != ci.actor || p.Name != f.Names[m.from] || p.Stamp != m.call.Stamp:
				out = append(out, Violation{Invariant: InvDelivered, Source: "spec", Ref: "Receiving messages", Actor: ci.actor, Op: m.call.Op,
					Detail: fmt.Sprintf("message %q from %s to %s arrived at %s as from %s stamped %d (sent stamped %d)",
						p.Body, f.Names[m.from], f.Names[m.to], f.Names[ci.actor], p.Name, p.Stamp, m.call.Stamp), Seqs: []int{m.call.Seq, p.Seq}})
			default:
				got[p.Body] = append(got[p.Body], p)
			}
		}
	}
	for text, m := range msgs {
		n := len(got[text])
		lost := a.mayHaveLost(m, f.CloseLag)
		dup := a.recipientClosed(m.to, m.call.T-f.CloseLag, a.quiescent())
		switch {
		case n == 0 && !lost:
			out = append(out, Violation{Invariant: InvDelivered, Source: "spec", Ref: "Sending a message; Receiving messages", Actor: m.from, Op: m.call.Op,
				Detail: fmt.Sprintf("MSG %q to %s was answered OK but never delivered (no connection of the recipient closed meanwhile)", text, f.Names[m.to]),
				Seqs:   []int{m.call.Seq, m.reply.Seq}})
		case n > 1 && !dup:
			out = append(out, Violation{Invariant: InvExactlyOnce, Source: "decision", Ref: "E-28", Actor: m.from, Op: m.call.Op,
				Detail: fmt.Sprintf("MSG %q to %s delivered %d times with no close in between", text, f.Names[m.to], n),
				Seqs:   []int{m.call.Seq, got[text][0].Seq, got[text][1].Seq}})
		}
	}
	return out
}

// recipientClosed reports whether a connection of actor that had (or may
// have had) a session closed between from and to: only such a close can
// lose a message written to it. Closing a connection without a session
// loses nothing, the server keeps the message for a catch-up.
func (a *analysis) recipientClosed(actor int, from, to time.Duration) bool {
	for _, ci := range a.order {
		if ci.actor == actor && ci.ended >= from && ci.ended <= to && ci.ended < a.quiescent() && closeEffect(ci) != "" {
			return true
		}
	}
	return false
}

// mayHaveLost reports whether the message may have been written to a
// connection of the recipient that the explorer closed before reading it:
// a connection with a session that closed within lag of the MSG (before
// it, the server may not yet have noticed; after the reply, the RECIV may
// still have been on its way), or one that closed within lag of the
// reply to a catch-up it asked for after the MSG.
func (a *analysis) mayHaveLost(m *sent, lag time.Duration) bool {
	if a.recipientClosed(m.to, m.call.T-lag, m.reply.T+lag) {
		return true
	}
	for _, ci := range a.order {
		if ci.actor != m.to || ci.ended < 0 || ci.ended >= a.quiescent() {
			continue
		}
		for _, c := range ci.calls {
			// A catch-up answered ERR (nothing cached, no session) sent
			// nothing that the close could lose.
			if c.ev.Action == "RECIV" && c.ev.T >= m.call.T && (c.reply == nil || c.reply.Action == "OK" && ci.ended <= c.reply.T+lag) {
				return true
			}
		}
	}
	return false
}

// quiescent is the time of the quiescent point (the end if none): the
// explorer's own closes after it end deliveries that were all read.
func (a *analysis) quiescent() time.Duration {
	if e := a.phase(noteExpected); e != nil {
		return e.T
	}
	return a.end + 1
}
