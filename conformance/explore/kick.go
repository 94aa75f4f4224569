package explore

import (
	"time"

	"github.com/gochatproto/gochat/spec"
)

// kick is an ADMIN_KICK of an actor that is not known to have failed
// (answered OK, or not answered at all).
type kick struct {
	call  Event
	reply *Event
	acct  int
}

// kicksOf lists the kicks of actor. A kick ends the target's session on
// the server's side: the specification says it also disconnects the
// user, so the models treat it as a close by the server that may take
// effect from the moment the kick was written, before the target's
// connection shows it (its reader may lag, and the actor may write on it
// meanwhile).
func (a *analysis) kicksOf(actor int, f *Facts) []kick {
	if a.kicks == nil {
		a.kicks = map[int][]kick{}
		for _, ci := range a.order {
			for _, c := range ci.calls {
				if c.ev.Action != spec.ADMIN.String() || spec.AdminOp(c.ev.Info) != spec.AdminKick {
					continue
				}
				acct, known := f.actorsOf[c.ev.Name]
				if !known || c.reply != nil && c.reply.Action != spec.OK.String() {
					continue
				}
				a.kicks[acct] = append(a.kicks[acct], kick{call: c.ev, reply: c.reply, acct: acct})
			}
		}
	}
	return a.kicks[actor]
}

// kickBetween: a kick of actor may have taken effect between from and to.
func (a *analysis) kickBetween(actor int, from, to time.Duration, f *Facts) bool {
	for _, k := range a.kicksOf(actor, f) {
		if k.call.T <= to && (k.reply == nil || k.reply.T >= from) {
			return true
		}
	}
	return false
}

// kickedFrom: when ci ended while it held (or had just held) a session
// and a kick of its account may have ended that session first, the
// earliest time that kick may have taken effect. The connection may have
// been closed by the server (the kick) or by the explorer, which had not
// read the kick yet.
func (a *analysis) kickedFrom(ci *connInfo, f *Facts) (time.Duration, bool) {
	if ci.ended < 0 || len(ci.sessions) == 0 {
		return 0, false
	}
	began := ci.sessionBegan(ci.sessions[len(ci.sessions)-1].Start)
	best, ok := time.Duration(0), false
	for _, k := range a.kicksOf(ci.actor, f) {
		// A kick answered before the session began cannot have ended it.
		if k.call.T > ci.ended || k.reply != nil && k.reply.T < began {
			continue
		}
		if !ok || k.call.T < best {
			best, ok = k.call.T, true
		}
	}
	return best, ok
}

// closeFrom is the earliest time ci's close may have taken effect on the
// server: when the explorer closed it; for a close by the server, after
// the last packet the explorer saw; for a kicked session, from the kick
// on.
func (a *analysis) closeFrom(ci *connInfo, f *Facts) time.Duration {
	from := ci.ended
	if !ci.byUs {
		from = ci.seen
	}
	if k, ok := a.kickedFrom(ci, f); ok && k < from {
		from = k
	}
	return from
}

// kickMayEnd: a kick of the account may have ended session s of ci (it
// was written before the session's recorded end and answered, if at all,
// after the session began).
func (a *analysis) kickMayEnd(ci *connInfo, s interval, f *Facts) bool {
	end := s.End
	if end < 0 {
		end = a.end
	}
	return a.kickBetween(ci.actor, ci.sessionBegan(s.Start), end, f)
}

// sessionBegan is when the request that started ci's latest session
// beginning by t was written (the server may have started the session
// any time after), or -1.
func (ci *connInfo) sessionBegan(t time.Duration) time.Duration {
	start := time.Duration(-1)
	for _, s := range ci.sessions {
		if s.Start <= t {
			start = s.Start
		}
	}
	for _, c := range ci.calls {
		if start >= 0 && c.reply != nil && c.reply.T == start {
			return c.ev.T
		}
	}
	return start
}
