package explore

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gochatproto/gochat/spec"
)

// Violation is one broken invariant.
type Violation struct {
	Invariant string `json:"invariant"`
	// Source is "spec" (the original specification says it; Ref names the
	// headings) or "decision" (the project's errata; Ref is E-n).
	Source string `json:"source"`
	Ref    string `json:"ref"`
	Actor  int    `json:"actor"`
	Op     int    `json:"op"` // plan index of the operation, -1 in the quiescent phase
	Detail string `json:"detail"`
	Seqs   []int  `json:"events,omitempty"` // history events that show it
}

func (v Violation) String() string {
	return fmt.Sprintf("%s (%s: %s): actor %d op %d: %s", v.Invariant, v.Source, v.Ref, v.Actor, v.Op, v.Detail)
}

// Invariant names.
const (
	InvReplyOnce    = "reply-once"           // one reply per request, none unsolicited
	InvReplyKind    = "reply-kind"           // a reply the specification allows for the request
	InvModel        = "model"                // the reply the connection's state allows
	InvDelivered    = "delivered"            // an acknowledged MSG reaches its recipient
	InvExactlyOnce  = "delivered-once"       // ... once, when nothing closed
	InvOnline       = "online-set"           // USRS_ONLINE linearizable against sessions
	InvOneSession   = "one-session"          // an account has at most one live session
	InvDupSess      = "no-false-dupsess"     // LOGIN with no live session is not a duplicate
	InvVerifOwned   = "verification-owned"   // another connection does not cancel a verification
	InvVerifTimeout = "verification-timeout" // a VERIF after the timeout is refused
	InvToken        = "token-usable"         // the latest unexpired token logs in
	InvHooks        = "hooks"                // subscribers see the matching login/logout/permission hooks
	InvAlive        = "alive"                // the server keeps answering
)

// Facts are what the checkers know besides the history.
type Facts struct {
	Names    []string // actors' names, then the observer's, then the admin's when HasAdmin
	HasAdmin bool
	// Levels are the accounts' permission levels at the start of the
	// history, where known (a later round on the same server inherits the
	// earlier rounds' changes); nil: every account at 0, just registered.
	Levels   map[string]string
	Unknown  string
	Settle   time.Duration
	CloseLag time.Duration // how long a server may write to a closed connection (default Settle/4)
	Alive    bool
	Strict   bool
	Verify   time.Duration // the server's verification timeout, if known
	TokenTTL time.Duration // the server's token lifetime (default 30m, the reference server's)
	Dialect  spec.Dialect
	actorsOf map[string]int
}

// Check runs every checker over the events. Decision-level violations
// are returned too; Judge splits them by level.
func Check(events []Event, f Facts) []Violation {
	out, _ := checkRound(events, f)
	return out
}

// checkRound is Check that also gives each account's level at the end of
// the history (absent: unknown), for the next round on the same server
// (Facts.Levels): one analysis of the events serves both.
func checkRound(events []Event, f Facts) ([]Violation, map[string]string) {
	if f.TokenTTL <= 0 {
		f.TokenTTL = 30 * time.Minute
	}
	if f.CloseLag <= 0 {
		f.CloseLag = f.Settle / 4
	}
	for _, e := range events { // a history with more actors than names (a foreign finding) must not panic
		for e.Actor >= len(f.Names) {
			f.Names = append(f.Names[:len(f.Names):len(f.Names)], fmt.Sprintf("actor%d", len(f.Names)))
		}
	}
	f.actorsOf = map[string]int{}
	for i, n := range f.Names {
		f.actorsOf[n] = i
	}
	a := analyse(events)
	var out []Violation
	for _, c := range []func(*analysis, *Facts) []Violation{
		checkReplies, checkModel, checkDelivery, checkOnline, checkSessions,
		checkFinalLogin, checkVerifOwned, checkVerifTimeout, checkTokens, checkHooks, checkPermHooks,
	} {
		out = append(out, c(a, &f)...)
	}
	if !f.Alive {
		out = append(out, Violation{Invariant: InvAlive, Source: "spec", Ref: "Connection", Op: -1,
			Detail: "a new connection got no HELLO after the run"})
	}
	sort.SliceStable(out, func(i, j int) bool { return firstSeq(out[i]) < firstSeq(out[j]) })
	_, levels := permHistory(a, &f)
	return out, levels
}

func firstSeq(v Violation) int {
	if len(v.Seqs) == 0 {
		return 1 << 30
	}
	return v.Seqs[0]
}

// Judge splits violations by the verdict contract: spec ones always
// judge; decision ones judge only with strict, else they are notes.
func Judge(vs []Violation, strict bool) (failures, notes []Violation) {
	for _, v := range vs {
		if v.Source == "spec" || strict {
			failures = append(failures, v)
		} else {
			notes = append(notes, v)
		}
	}
	return failures, notes
}

// allowedReplies is the specification's exhaustive list under "Replies".
var allowedReplies = map[string][]spec.Action{
	"REG": {spec.OK, spec.ERR}, "LOGIN": {spec.VERIF, spec.OK, spec.ERR}, "VERIF": {spec.OK, spec.ERR},
	"REQ": {spec.REQ, spec.ERR}, "USRS": {spec.USRS, spec.ERR}, "LOGOUT": {spec.OK, spec.ERR},
	"DEREG": {spec.OK, spec.ERR}, "MSG": {spec.OK, spec.ERR}, "RECIV": {spec.OK, spec.ERR},
	"SUB": {spec.OK, spec.ERR}, "UNSUB": {spec.OK, spec.ERR}, "ADMIN": {spec.OK, spec.ERR},
}

func checkReplies(a *analysis, _ *Facts) []Violation {
	var out []Violation
	for _, e := range a.events {
		switch e.Kind {
		case EvStray:
			out = append(out, Violation{Invariant: InvReplyOnce, Source: "spec", Ref: "Header (Identificator)", Actor: e.Actor, Op: e.Op,
				Detail: fmt.Sprintf("%s with ID %d on %s answers no request that is waiting", e.Action, e.ID, e.Conn), Seqs: []int{e.Seq}})
		case EvNoResp:
			c := a.calls[e.Call]
			out = append(out, Violation{Invariant: InvReplyOnce, Source: "spec", Ref: "Action Codes (every command but KEEP gets a response)",
				Actor: e.Actor, Op: c.ev.Op, Detail: fmt.Sprintf("%s (ID %d) on %s: %s", c.ev.Action, c.ev.ID, e.Conn, e.Note), Seqs: []int{e.Call, e.Seq}})
		case EvReply:
			c := a.calls[e.Call]
			if !actionIn(e.Action, allowedReplies[c.ev.Action]) {
				out = append(out, Violation{Invariant: InvReplyKind, Source: "spec", Ref: "Replies", Actor: e.Actor, Op: c.ev.Op,
					Detail: fmt.Sprintf("%s answered with %s", c.ev.Action, e.Action), Seqs: []int{c.ev.Seq, e.Seq}})
			}
		}
	}
	return out
}

func actionIn(a string, set []spec.Action) bool {
	for _, s := range set {
		if s.String() == a {
			return true
		}
	}
	return false
}

// needsLogin are the requests the specification gates on a session.
var needsLogin = map[string]bool{"LOGOUT": true, "MSG": true, "RECIV": true, "REQ": true, "USRS": true, "SUB": true, "UNSUB": true}

// checkModel compares each reply with what the connection's state at the
// time allows: the one-connection sequential model. Requests written while
// the state was uncertain are not judged.
func checkModel(a *analysis, f *Facts) []Violation {
	var out []Violation
	for _, ci := range a.order {
		me := f.Names[ci.actor]
		for _, c := range ci.calls {
			if c.reply == nil {
				continue
			}
			// A kick of the account may have ended the session while the
			// request was in flight: the connection's state is not known.
			if c.before == stSession && a.kickBetween(ci.actor, ci.sessionBegan(c.ev.T), c.reply.T, f) {
				continue
			}
			if v, bad := modelReply(c, me, f); bad {
				v.Actor, v.Op, v.Seqs = ci.actor, c.ev.Op, []int{c.ev.Seq, c.reply.Seq}
				out = append(out, v)
			}
		}
	}
	return out
}

func modelReply(c *callInfo, me string, f *Facts) (Violation, bool) {
	r, req := c.reply, c.ev.Action
	isErr := r.Action == spec.ERR.String()
	switch c.before {
	case stAnon, stRefused:
		// LOGOUT "may also be used to cancel an ongoing verification",
		// which a refused VERIF may have left pending.
		cancels := c.before == stRefused && req == "LOGOUT"
		if needsLogin[req] && !isErr && !cancels {
			return Violation{Invariant: InvModel, Source: "spec", Ref: "Operations (the user must be logged in)",
				Detail: fmt.Sprintf("%s without a session answered %s", req, r.Action)}, true
		}
	case stSession:
		_, known := f.actorsOf[c.ev.Name]
		switch {
		case req == "USRS" && (r.Action != spec.USRS.String() || !inList(r.Body, me)):
			return Violation{Invariant: InvModel, Source: "spec", Ref: "Listing all users (including the user that requested the list)",
				Detail: fmt.Sprintf("USRS_ONLINE by the logged-in %s answered %s %q", me, r.Action+r.Code, r.Body)}, true
		case req == "REQ" && known && r.Action != spec.REQ.String():
			return Violation{Invariant: InvModel, Source: "spec", Ref: "Requesting connection with a user",
				Detail: fmt.Sprintf("REQ %s (registered) answered %s %s", c.ev.Name, r.Action, r.Code)}, true
		case req == "MSG" && known && c.ev.Name != me && isErr:
			return Violation{Invariant: InvModel, Source: "decision", Ref: "E-27",
				Detail: fmt.Sprintf("MSG to the registered %s answered ERR %s", c.ev.Name, r.Code)}, true
		case req == "MSG" && (!known || c.ev.Name == me) && !isErr:
			return Violation{Invariant: InvModel, Source: "decision", Ref: "E-27",
				Detail: fmt.Sprintf("MSG to %q (unknown or oneself) answered %s", c.ev.Name, r.Action)}, true
		case req == "LOGIN" && !isErr:
			return Violation{Invariant: InvModel, Source: "decision", Ref: "E-24",
				Detail: "LOGIN on a logged-in connection answered " + r.Action}, true
		}
	}
	return Violation{}, false
}

func inList(body, name string) bool {
	for _, n := range strings.Split(body, "\n") {
		if n == name || strings.HasPrefix(n, name+" ") {
			return true
		}
	}
	return false
}
