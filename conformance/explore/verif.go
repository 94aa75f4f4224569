package explore

import (
	"fmt"
	"time"
)

// checkVerifOwned (E-21, a decision: the original keeps one pending
// challenge per username): a right VERIF answering the challenge its own
// connection got is refused only when another connection of the account
// may have logged in meanwhile, or the verification timed out.
func checkVerifOwned(a *analysis, f *Facts) []Violation {
	var out []Violation
	a.eachRightVerif(func(ci *connInfo, login, c *callInfo) {
		if c.ev.Op < 0 || c.reply.Action != "ERR" {
			return
		}
		if f.Verify > 0 && c.ev.T-login.reply.T > f.Verify/2 {
			return // late: checkVerifTimeout judges it
		}
		// E-24 repeats the duplicate-session check at VERIF: only
		// ERR_DUPSESS can come from another connection, and only
		// when one may have held a session meanwhile.
		if c.reply.Code == "ERR_DUPSESS" && a.accountBusy(ci, login.ev.T, c.reply.T, f.Settle) {
			return
		}
		out = append(out, Violation{Invariant: InvVerifOwned, Source: "decision", Ref: "E-21", Actor: ci.actor, Op: c.ev.Op,
			Seqs: []int{login.ev.Seq, c.ev.Seq, c.reply.Seq},
			Detail: fmt.Sprintf("%s's right answer to its own challenge on %s was refused with %s, and no other connection of the account logged in meanwhile",
				f.Names[ci.actor], ci.label, c.reply.Code)})
	})
	return out
}

// eachRightVerif calls fn for every answered VERIF carrying the right
// answer to a challenge its own connection received (the last LOGIN
// before it was answered with VERIF).
func (a *analysis) eachRightVerif(fn func(ci *connInfo, login, verif *callInfo)) {
	for _, ci := range a.order {
		var login *callInfo
		for _, c := range ci.calls {
			switch {
			case c.ev.Action == "LOGIN":
				login = c
			case c.ev.Action == "VERIF" && login != nil && login.reply != nil && login.reply.Action == "VERIF" &&
				a.rightAnswer(c) && c.reply != nil:
				fn(ci, login, c)
			}
		}
	}
}

// rightAnswer: the executor sends the wrong answer only for login-wrong
// operations; the plan is not in the history, so the call records it.
func (a *analysis) rightAnswer(c *callInfo) bool { return c.ev.Note != noteWrong }

const noteWrong = "wrong-answer"

// accountBusy: another connection of ci's account may have held a
// session between from and to. A session ended by a close is given
// settle for the server to notice.
func (a *analysis) accountBusy(ci *connInfo, from, to, settle time.Duration) bool {
	for _, o := range a.order {
		if o == ci || o.actor != ci.actor {
			continue
		}
		for _, c := range o.calls {
			// A VERIF written before ours was answered may have made a
			// session first, whatever the order of the replies.
			if (c.ev.Action == "VERIF" || c.ev.Note == noteToken) && c.ev.T <= to && (c.reply == nil || c.reply.Action == "OK" && c.reply.T >= from) {
				return true
			}
		}
		for _, s := range o.sessions {
			end := s.End
			if end >= 0 && end == o.ended {
				end += settle
			}
			if s.Start <= to && (end < 0 || end >= from) {
				return true
			}
		}
	}
	return false
}

// checkVerifTimeout (E-21; the specification only says the verification
// "should be implemented with a server-side timeout"): a right VERIF
// written well after the server's verification timeout is refused.
func checkVerifTimeout(a *analysis, f *Facts) []Violation {
	if f.Verify <= 0 {
		return nil
	}
	var out []Violation
	a.eachRightVerif(func(ci *connInfo, login, c *callInfo) {
		if c.reply.Action != "OK" || c.ev.T-login.reply.T <= f.Verify*5/4 {
			return
		}
		out = append(out, Violation{Invariant: InvVerifTimeout, Source: "decision", Ref: "E-21", Actor: ci.actor, Op: c.ev.Op,
			Seqs: []int{login.reply.Seq, c.ev.Seq, c.reply.Seq},
			Detail: fmt.Sprintf("VERIF written %v after the challenge was accepted (verification timeout %v)",
				(c.ev.T - login.reply.T).Round(time.Millisecond), f.Verify)})
	})
	return out
}

// checkTokens (E-25; the specification leaves reuse and expiry to the
// server within "should"): a LOGIN over TLS with the account's latest
// token, before it expires, is refused only with ERR_DUPSESS while
// another connection may hold a session, or while a newer TLS login may
// have replaced the token.
func checkTokens(a *analysis, f *Facts) []Violation {
	var out []Violation
	for _, ci := range a.order {
		for _, c := range ci.calls {
			if c.ev.Note != noteToken || c.reply == nil || c.reply.Action != "ERR" {
				continue
			}
			issued := a.latestToken(ci.actor, c.ev.T)
			switch {
			case issued == nil || issued.ev.Body != c.ev.Body || c.ev.T-issued.reply.T > f.TokenTTL*3/4:
				continue
			case a.tokenReplaced(ci.actor, issued, c.reply.T):
				continue
			case c.reply.Code == "ERR_DUPSESS" && a.accountBusy(ci, c.ev.T, c.reply.T, f.Settle):
				continue
			}
			out = append(out, Violation{Invariant: InvToken, Source: "decision", Ref: "E-25", Actor: ci.actor, Op: c.ev.Op,
				Seqs: []int{issued.ev.Seq, c.ev.Seq, c.reply.Seq},
				Detail: fmt.Sprintf("%s's latest token (issued %v earlier, lifetime %v) was refused with %s",
					f.Names[ci.actor], (c.ev.T - issued.reply.T).Round(time.Millisecond), f.TokenTTL, c.reply.Code)})
		}
	}
	return out
}

// latestToken is the TLS VERIF of actor answered OK last before t.
func (a *analysis) latestToken(actor int, t time.Duration) *callInfo {
	var best *callInfo
	for _, ci := range a.order {
		if ci.actor != actor {
			continue
		}
		for _, c := range ci.calls {
			if c.ev.Action == "VERIF" && c.ev.Note == noteTLS && c.reply != nil && c.reply.Action == "OK" && c.reply.T < t &&
				(best == nil || c.reply.T > best.reply.T) {
				best = c
			}
		}
	}
	return best
}

// tokenReplaced: another TLS VERIF of actor, not known to have failed,
// was written after issued and before t.
func (a *analysis) tokenReplaced(actor int, issued *callInfo, t time.Duration) bool {
	for _, ci := range a.order {
		if ci.actor != actor {
			continue
		}
		for _, c := range ci.calls {
			if c != issued && c.ev.Action == "VERIF" && c.ev.Note == noteTLS && c.ev.T <= t &&
				(c.reply == nil || c.reply.Action == "OK" && c.reply.T >= issued.reply.T) {
				return true
			}
		}
	}
	return false
}
