package explore

import (
	"fmt"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/gochatproto/gochat/spec"
)

// onlineIn is one operation on one account's online bit: the partition
// of the online set that porcupine checks.
type onlineIn struct {
	acct string
	kind string // "login", "maybe-login", "logout", "maybe-logout", "read"
}

// onlineModel is the sequential specification of one account's presence
// in the online set: a login adds it, a logout or disconnect removes it,
// a USRS_ONLINE read sees it or not; a login whose reply never came may
// or may not have happened.
var onlineModel = porcupine.NondeterministicModel{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		by := map[string][]porcupine.Operation{}
		var order []string
		for _, op := range h {
			k := op.Input.(onlineIn).acct
			if _, ok := by[k]; !ok {
				order = append(order, k)
			}
			by[k] = append(by[k], op)
		}
		out := make([][]porcupine.Operation, 0, len(order))
		for _, k := range order {
			out = append(out, by[k])
		}
		return out
	},
	Init: func() []interface{} { return []interface{}{false} },
	Step: func(state, input, output interface{}) []interface{} {
		on := state.(bool)
		switch input.(onlineIn).kind {
		case "login":
			return []interface{}{true}
		case "maybe-login":
			return []interface{}{on, true}
		case "logout":
			return []interface{}{false}
		case "maybe-logout":
			return []interface{}{on, false}
		default:
			if output.(bool) == on {
				return []interface{}{on}
			}
			return nil
		}
	},
	DescribeOperation: func(input, output interface{}) string {
		in := input.(onlineIn)
		if in.kind == "read" {
			return fmt.Sprintf("%s online? %v", in.acct, output)
		}
		return in.kind + " " + in.acct
	},
}

// onlineHistory turns the sessions and USRS_ONLINE replies into
// porcupine operations. A disconnect may take effect any time within
// Settle of the close (the server has to notice it).
func onlineHistory(a *analysis, f *Facts) (ops []porcupine.Operation, reads map[int]*callInfo) {
	end := int64(a.end) + 1
	reads = map[int]*callInfo{}
	for _, ci := range a.order {
		name := f.Names[ci.actor]
		for _, c := range ci.calls {
			switch {
			case (c.ev.Action == "VERIF" || c.ev.Action == "LOGIN") && c.reply != nil && c.reply.Action == "OK":
				ops = append(ops, porcupine.Operation{ClientId: c.ev.Seq, Input: onlineIn{name, "login"}, Call: int64(c.ev.T), Return: int64(c.reply.T)})
			case (c.ev.Action == "VERIF" || c.ev.Note == noteToken) && c.reply == nil:
				ops = append(ops, porcupine.Operation{ClientId: c.ev.Seq, Input: onlineIn{name, "maybe-login"}, Call: int64(c.ev.T), Return: end})
			case c.ev.Action == "LOGOUT" && c.before == stSession && c.reply != nil && c.reply.Action == "OK":
				ops = append(ops, porcupine.Operation{ClientId: c.ev.Seq, Input: onlineIn{name, "logout"}, Call: int64(c.ev.T), Return: int64(c.reply.T)})
			case c.ev.Action == "LOGOUT" && c.before == stMaybe && c.reply != nil && c.reply.Action == "OK":
				ops = append(ops, porcupine.Operation{ClientId: c.ev.Seq, Input: onlineIn{name, "maybe-logout"}, Call: int64(c.ev.T), Return: int64(c.reply.T)})
			case c.ev.Action == "ADMIN" && spec.AdminOp(c.ev.Info) == spec.AdminKick && c.reply != nil && c.reply.Action == "OK":
				// A kick answered OK has logged its target out (or found it
				// out already); like a disconnect it gets Settle.
				if _, known := f.actorsOf[c.ev.Name]; known {
					ops = append(ops, porcupine.Operation{ClientId: c.ev.Seq, Input: onlineIn{c.ev.Name, "logout"},
						Call: int64(c.ev.T), Return: int64(c.reply.T + f.Settle)})
				}
			case c.ev.Action == "USRS" && c.ev.Info == 1 && c.reply != nil && c.reply.Action == "USRS":
				reads[c.ev.Seq] = c
				for _, n := range f.subjects() {
					ops = append(ops, porcupine.Operation{ClientId: c.ev.Seq, Input: onlineIn{n, "read"}, Output: inList(c.reply.Body, n),
						Call: int64(c.ev.T), Return: int64(c.reply.T)})
				}
			}
		}
		// A close ends the connection's session only if it still had one;
		// after a login whose reply never came it may or may not.
		// A close by the server (idle timeout, kick) may have taken effect
		// before the explorer read it: any time after the last packet.
		if kind := closeEffect(ci); kind != "" {
			from := a.closeFrom(ci, f)
			if s := ci.sessions; len(s) > 0 && s[len(s)-1].End >= 0 {
				from = min(from, s[len(s)-1].End) // a LOGOUT without a reply may have ended it
			}
			ops = append(ops, porcupine.Operation{ClientId: -1, Input: onlineIn{name, kind},
				Call: int64(from), Return: int64(ci.ended + f.Settle)})
		}
	}
	return ops, reads
}

func closeEffect(ci *connInfo) string {
	switch {
	case ci.ended < 0:
		return ""
	case len(ci.sessions) > 0 && ci.sessions[len(ci.sessions)-1].End == ci.ended:
		return "logout"
	case ci.state == stSession:
		// The session's LOGOUT got no reply before the close (a kick
		// closed the connection under it): gone either way.
		return "logout"
	case ci.state == stMaybe:
		return "maybe-logout"
	}
	return ""
}

// checkOnline checks the USRS_ONLINE replies for linearizability against
// the sessions the history shows, one account at a time.
func checkOnline(a *analysis, f *Facts) []Violation {
	ops, _ := onlineHistory(a, f)
	model := onlineModel.ToModel()
	if porcupine.CheckOperationsTimeout(model, ops, 20*time.Second) != porcupine.Illegal {
		return nil // linearizable, or undecided within the bound: no claim
	}
	acct, seqs := "", []int{}
	// Name the first account whose partition alone is illegal.
	for _, n := range f.Names {
		var sub []porcupine.Operation
		for _, op := range ops {
			if op.Input.(onlineIn).acct == n {
				sub = append(sub, op)
			}
		}
		if porcupine.CheckOperations(model, sub) {
			continue
		}
		acct = n
		for _, op := range sub {
			if op.ClientId > 0 {
				seqs = append(seqs, op.ClientId)
			}
		}
		break
	}
	return []Violation{{Invariant: InvOnline, Source: "spec", Ref: "Listing all users (USRS_ONLINE); Verification handshake; User disconnection",
		Actor: f.actorsOf[acct], Op: -1, Seqs: tail(seqs, 8),
		Detail: fmt.Sprintf("the USRS_ONLINE replies cannot be explained by %s's logins, logouts and disconnects in any order (a disconnect is given %v to take effect)", acct, f.Settle)}}
}

func sortedNames(body string) string {
	return sortedList(&spec.Packet{Args: [][]byte{[]byte(body)}})
}

func tail(s []int, n int) []int {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// checkSessions: an account never has two verified sessions at once, and
// the final online list equals the sessions the history leaves live.
func checkSessions(a *analysis, f *Facts) []Violation {
	var out []Violation
	by := map[int][]interval{}
	for _, ci := range a.order {
		for _, s := range ci.sessions {
			// A session a kick may have ended is left out: it may have
			// ended at the kick, long before its connection showed it
			// (the actor may even close it or write LOGOUT on it first),
			// and begun well before its OK was read; another connection's
			// login can then be read first whatever the server's order
			// (two racing VERIFs both answered OK, the kick between them).
			// Its bounds do not support an overlap claim either way.
			if !a.kickMayEnd(ci, s, f) {
				by[ci.actor] = append(by[ci.actor], s)
			}
		}
	}
	for actor, ivs := range by {
		for i := range ivs {
			for j := range ivs {
				if i != j && ivs[j].Start > ivs[i].Start && ivs[i].covers(ivs[j].Start) {
					out = append(out, Violation{Invariant: InvOneSession, Source: "spec", Ref: "Verification handshake (commands tied to the connection)",
						Actor: actor, Op: -1, Detail: fmt.Sprintf("%s logged in on %s while its session on %s was live", f.Names[actor], ivs[j].Conn, ivs[i].Conn)})
				}
			}
		}
	}
	if v, bad := finalOnline(a, f); bad {
		out = append(out, v)
	}
	return out
}

func finalOnline(a *analysis, f *Facts) (Violation, bool) {
	exp, fin := a.phase(noteExpected), a.phase(noteFinal)
	if exp == nil || fin == nil {
		return Violation{}, false
	}
	c := a.calls[fin.Call]
	if c == nil || c.reply == nil || c.reply.Action != "USRS" {
		return Violation{}, false
	}
	got := sortedNames(c.reply.Body)
	if got == exp.Body {
		return Violation{}, false
	}
	return Violation{Invariant: InvOnline, Source: "spec", Ref: "Listing all users (USRS_ONLINE)", Op: -1, Seqs: []int{exp.Seq, c.ev.Seq, c.reply.Seq},
		Detail: fmt.Sprintf("at the quiescent point the online list is [%s], the live sessions are [%s] (after %v to settle)",
			strings.ReplaceAll(got, "\n", " "), strings.ReplaceAll(exp.Body, "\n", " "), f.Settle)}, true
}

// checkFinalLogin: in the quiescent phase, an account without a live
// session must not be refused as a duplicate session on every try.
func checkFinalLogin(a *analysis, f *Facts) []Violation {
	var out []Violation
	for _, ci := range a.order {
		var tries, dup []int
		for _, c := range ci.calls {
			if c.ev.Op != -1 || c.ev.Action != "LOGIN" {
				continue
			}
			tries = append(tries, c.ev.Seq)
			if c.reply != nil && c.reply.Code == "ERR_DUPSESS" {
				dup = append(dup, c.reply.Seq)
			}
		}
		if len(tries) == finalLoginTries && len(dup) == finalLoginTries {
			out = append(out, Violation{Invariant: InvDupSess, Source: "spec", Ref: "Verification handshake",
				Actor: ci.actor, Op: -1, Seqs: dup,
				Detail: fmt.Sprintf("%s has no live session, yet LOGIN was refused with ERR_DUPSESS %d times over %v", f.Names[ci.actor], len(dup), f.Settle)})
		}
	}
	return out
}

// subjects are the accounts whose online bit the USRS_ONLINE replies are
// checked for: not the admin, which on a shared server may be logged in
// elsewhere before the round.
func (f *Facts) subjects() []string {
	if f.HasAdmin {
		return f.Names[:len(f.Names)-1]
	}
	return f.Names
}
