package explore

import (
	"fmt"
	"time"

	"github.com/gochatproto/gochat/spec"
)

// permChange is an ADMIN_CHGPERMS answered OK that changed an actor's
// level: the level it set differs from the last one the history knows
// (accounts start at 0, E-42; a change whose reply never came leaves the
// level unknown, and the next change is then not known to change it).
type permChange struct {
	call, reply Event
	acct        int
	level       string
	// online: the target held one session through the whole request, so
	// the specification's "whenever someone's permissions have changed"
	// applies with the original's reading too; otherwise only E-36 asks
	// for the hook.
	online bool
}

func permChanges(a *analysis, f *Facts) []permChange {
	out, _ := permHistory(a, f)
	return out
}

// permHistory replays the level changes of the history: the changes
// that changed a level, and each account's level at the end (absent:
// unknown). Levels start as f.Levels gives them (nil: every account at 0,
// a fresh registration).
func permHistory(a *analysis, f *Facts) ([]permChange, map[string]string) {
	var out []permChange
	level, unknown := map[int]string{}, map[int]bool{}
	if f.Levels != nil {
		for acct, n := range f.Names {
			if l, ok := f.Levels[n]; ok {
				level[acct] = l
			} else {
				unknown[acct] = true
			}
		}
	}
	for _, ci := range a.order {
		for _, c := range ci.calls {
			if c.ev.Action != spec.ADMIN.String() || spec.AdminOp(c.ev.Info) != spec.AdminChgPerms {
				continue
			}
			acct, known := f.actorsOf[c.ev.Name]
			switch {
			case !known:
			case c.reply == nil:
				unknown[acct] = true
			case c.reply.Action != spec.OK.String():
			default:
				prev := level[acct]
				if prev == "" {
					prev = "0"
				}
				changed := !unknown[acct] && prev != c.ev.Body
				level[acct], unknown[acct] = c.ev.Body, false
				if changed {
					out = append(out, permChange{call: c.ev, reply: *c.reply, acct: acct, level: c.ev.Body,
						online: a.onlineThrough(acct, c.ev.T, c.reply.T, f)})
				}
			}
		}
	}
	end := map[string]string{}
	for acct, n := range f.Names {
		if unknown[acct] {
			continue
		}
		end[n] = level[acct]
		if end[n] == "" {
			end[n] = "0"
		}
	}
	return out, end
}

// onlineThrough: a session of acct began before from and lasted past to,
// with no kick in between.
func (a *analysis) onlineThrough(acct int, from, to time.Duration, f *Facts) bool {
	if a.kickBetween(acct, from, to, f) {
		return false
	}
	for _, ci := range a.order {
		if ci.actor != acct {
			continue
		}
		for _, s := range ci.sessions {
			if s.Start < from && (s.End < 0 || s.End > to) {
				return true
			}
		}
	}
	return false
}

// checkPermHooks: a subscriber whose subscription lasted to the
// quiescent point receives HOOK_PERMSCHG <name> <level> for every change
// of another account's level made entirely within its subscription; no
// subscriber receives one that no ADMIN_CHGPERMS asked for.
func checkPermHooks(a *analysis, f *Facts) []Violation {
	var out []Violation
	changes := permChanges(a, f)
	q := a.quiescent()
	for _, ci := range a.order {
		for _, sub := range ci.subs {
			if sub.End >= 0 && sub.End < q {
				continue
			}
			for _, ch := range changes {
				if ch.acct == ci.actor || ch.call.T < sub.Start || ch.reply.T+f.Settle > q {
					continue
				}
				if v, bad := missingPermHook(ci, ch, f); bad {
					out = append(out, v)
				}
			}
		}
		out = append(out, spuriousPermHooks(a, ci, f)...)
	}
	return out
}

func missingPermHook(ci *connInfo, ch permChange, f *Facts) (Violation, bool) {
	name := f.Names[ch.acct]
	other := ""
	for _, p := range ci.pushes {
		if p.Action != spec.HOOK.String() || spec.Hook(p.Info) != spec.HookPermsChg || p.Name != name || p.T < ch.call.T {
			continue
		}
		if p.Body == ch.level {
			return Violation{}, false
		}
		other = p.Body
	}
	v := Violation{Invariant: InvHooks, Source: "spec", Ref: "Hooks (HOOK_PERMSCHG); Admin Operations (ADMIN_CHGPERMS)",
		Actor: ci.actor, Op: ch.call.Op, Seqs: []int{ch.call.Seq, ch.reply.Seq},
		Detail: fmt.Sprintf("%s (subscribed on %s) got no HOOK_PERMSCHG %s %s after the level change answered OK",
			f.Names[ci.actor], ci.label, name, ch.level)}
	switch {
	case other != "": // a hook came, with the level written otherwise
		v.Source, v.Ref = "decision", "E-14"
		v.Detail += fmt.Sprintf(" (one came with level %s)", other)
	case !ch.online: // the original sends it only for an online target
		v.Source, v.Ref = "decision", "E-36"
		v.Detail += " (the target was not online throughout)"
	}
	return v, true
}

// spuriousPermHooks: every HOOK_PERMSCHG naming one of the run's
// accounts names one some
// ADMIN_CHGPERMS, not refused, written before it, asked to set to that
// level.
func spuriousPermHooks(a *analysis, ci *connInfo, f *Facts) []Violation {
	var out []Violation
	for _, p := range ci.pushes {
		if _, ours := f.actorsOf[p.Name]; !ours || p.Action != spec.HOOK.String() || spec.Hook(p.Info) != spec.HookPermsChg {
			continue // another party's accounts are not the explorer's to judge
		}
		named, matched := false, false
		for _, o := range a.order {
			for _, c := range o.calls {
				if c.ev.Action != spec.ADMIN.String() || spec.AdminOp(c.ev.Info) != spec.AdminChgPerms ||
					c.ev.Name != p.Name || c.ev.T > p.T || c.reply != nil && c.reply.Action == spec.ERR.String() {
					continue
				}
				named = true
				matched = matched || c.ev.Body == p.Body
			}
		}
		if matched {
			continue
		}
		v := Violation{Invariant: InvHooks, Source: "spec", Ref: "Hooks (HOOK_PERMSCHG)", Actor: ci.actor, Op: -1, Seqs: []int{p.Seq},
			Detail: fmt.Sprintf("%s got HOOK_PERMSCHG %s %s, and no level change of %q was asked for before it", f.Names[ci.actor], p.Name, p.Body, p.Name)}
		if named {
			v.Source, v.Ref = "decision", "E-14"
			v.Detail = fmt.Sprintf("%s got HOOK_PERMSCHG %s %s, a level no change of %q asked for before it", f.Names[ci.actor], p.Name, p.Body, p.Name)
		}
		out = append(out, v)
	}
	return out
}
