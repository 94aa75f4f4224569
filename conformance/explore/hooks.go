package explore

import (
	"fmt"
	"time"

	"github.com/gochatproto/gochat/spec"
)

// trigger is an event that must produce a hook for every subscriber.
type trigger struct {
	hook       spec.Hook
	acct       int
	from, to   time.Duration // when it may have happened
	seq        int
	definitely bool // it happened (an OK), not merely may have
}

// triggers lists logins (VERIF answered OK), logouts (LOGOUT answered OK)
// and disconnects of connections with a session.
func triggers(a *analysis, f *Facts) []trigger {
	var out []trigger
	for _, ci := range a.order {
		for _, c := range ci.calls {
			ok := c.reply != nil && c.reply.Action == "OK"
			switch {
			case c.ev.Action == "VERIF" || c.ev.Note == noteToken: // a token LOGIN logs in by itself
				t := trigger{hook: spec.HookNewLogin, acct: ci.actor, from: c.ev.T, to: a.end, seq: c.ev.Seq, definitely: ok}
				if c.reply != nil {
					t.to = c.reply.T
				}
				if ok || c.reply == nil {
					out = append(out, t)
				}
				if c.reply == nil && ci.ended >= 0 {
					// The login may have happened and then ended with the
					// connection: a kick between the server's login and its
					// OK leaves the VERIF unanswered, and the NEWLOGOUT may
					// still reach subscribers.
					out = append(out, trigger{hook: spec.HookNewLogout, acct: ci.actor, from: c.ev.T, to: ci.ended + f.Settle, seq: c.ev.Seq})
				}
			case c.ev.Action == "LOGOUT" && c.before == stSession:
				t := trigger{hook: spec.HookNewLogout, acct: ci.actor, from: c.ev.T, to: a.end, seq: c.ev.Seq, definitely: ok}
				if c.reply != nil {
					t.to = c.reply.T
				}
				out = append(out, t)
			}
		}
		for _, c := range ci.calls {
			// A kick ends its target's session; the NEWLOGOUT may come
			// before the explorer sees which connection it closed (it may
			// even write a LOGOUT on it first).
			if c.ev.Action == "ADMIN" && spec.AdminOp(c.ev.Info) == spec.AdminKick && (c.reply == nil || c.reply.Action == "OK") {
				if acct, known := f.actorsOf[c.ev.Name]; known {
					t := trigger{hook: spec.HookNewLogout, acct: acct, from: c.ev.T, to: a.end, seq: c.ev.Seq}
					if c.reply != nil {
						t.to = c.reply.T
					}
					out = append(out, t)
				}
			}
		}
		for _, s := range ci.sessions {
			if s.End >= 0 && s.End == ci.ended {
				// A close by the server (idle timeout) happened before the
				// explorer read it, and its hook may arrive first.
				from := min(s.End, a.closeFrom(ci, f))
				out = append(out, trigger{hook: spec.HookNewLogout, acct: ci.actor, from: from, to: s.End + f.Settle, definitely: true})
			}
		}
	}
	return out
}

// checkHooks: a subscriber whose subscription lasted to the quiescent
// point receives NEWLOGIN and NEWLOGOUT for every login and logout of
// another account that happened entirely within its subscription; and no
// subscriber receives a login or logout hook with no such event behind it.
func checkHooks(a *analysis, f *Facts) []Violation {
	var out []Violation
	trs := triggers(a, f)
	q := a.quiescent()
	for _, ci := range a.order {
		for _, sub := range ci.subs {
			out = append(out, missingHooks(ci, sub, trs, q, f)...)
		}
		out = append(out, spuriousHooks(ci, trs, f)...)
	}
	return out
}

func missingHooks(ci *connInfo, sub interval, trs []trigger, q time.Duration, f *Facts) []Violation {
	if sub.End >= 0 && sub.End < q { // ended early: pushes in flight may be lost with it
		return nil
	}
	var out []Violation
	for _, t := range trs {
		if !t.definitely || t.acct == ci.actor || t.from < sub.Start || t.to+f.Settle > q {
			continue
		}
		if !hasHook(ci, t, f.Names[t.acct]) {
			out = append(out, Violation{Invariant: InvHooks, Source: "spec", Ref: "Hooks; Triggering events", Actor: ci.actor, Op: -1,
				Seqs:   []int{t.seq},
				Detail: fmt.Sprintf("%s (subscribed on %s) got no %s for %s", f.Names[ci.actor], ci.label, t.hook, f.Names[t.acct])})
		}
	}
	return out
}

func hasHook(ci *connInfo, t trigger, name string) bool {
	for _, p := range ci.pushes {
		if p.Action == "HOOK" && spec.Hook(p.Info) == t.hook && p.Name == name && p.T >= t.from {
			return true
		}
	}
	return false
}

func spuriousHooks(ci *connInfo, trs []trigger, f *Facts) []Violation {
	var out []Violation
	for _, p := range ci.pushes {
		h := spec.Hook(p.Info)
		if p.Action != "HOOK" || (h != spec.HookNewLogin && h != spec.HookNewLogout) {
			continue
		}
		acct, known := f.actorsOf[p.Name]
		found := false
		for _, t := range trs {
			if known && t.acct == acct && t.hook == h && t.from <= p.T {
				found = true
				break
			}
		}
		if !found {
			out = append(out, Violation{Invariant: InvHooks, Source: "spec", Ref: "Hooks; Triggering events", Actor: ci.actor, Op: -1,
				Seqs:   []int{p.Seq},
				Detail: fmt.Sprintf("%s got %s for %q, which did not log in or out before it", f.Names[ci.actor], h, p.Name)})
		}
	}
	return out
}
