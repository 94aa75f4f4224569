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
		closedFrom := a.recipientClosed(m.to, m.call.T-f.Settle)
		switch {
		case n == 0 && closedFrom < 0:
			out = append(out, Violation{Invariant: InvDelivered, Source: "spec", Ref: "Sending a message; Receiving messages", Actor: m.from, Op: m.call.Op,
				Detail: fmt.Sprintf("MSG %q to %s was answered OK but never delivered (no connection of the recipient closed meanwhile)", text, f.Names[m.to]),
				Seqs:   []int{m.call.Seq, m.reply.Seq}})
		case n > 1 && closedFrom < 0:
			out = append(out, Violation{Invariant: InvExactlyOnce, Source: "decision", Ref: "E-28", Actor: m.from, Op: m.call.Op,
				Detail: fmt.Sprintf("MSG %q to %s delivered %d times with no close in between", text, f.Names[m.to], n),
				Seqs:   []int{m.call.Seq, got[text][0].Seq, got[text][1].Seq}})
		}
	}
	return out
}

// recipientClosed returns the time a connection of actor closed at or
// after from, or -1.
func (a *analysis) recipientClosed(actor int, from time.Duration) time.Duration {
	for _, ci := range a.order {
		if ci.actor == actor && ci.ended >= 0 && ci.ended >= from && ci.ended < a.quiescent() {
			return ci.ended
		}
	}
	return -1
}

// quiescent is the time of the quiescent point (the end if none): the
// explorer's own closes after it end deliveries that were all read.
func (a *analysis) quiescent() time.Duration {
	if e := a.phase(noteExpected); e != nil {
		return e.T
	}
	return a.end + 1
}
