package explore

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// history builds a one-connection history from (kind, action, code, t).
func history(steps ...Event) []Event {
	var out []Event
	last := map[string]int{}
	for i, e := range steps {
		e.Seq, e.Conn = i+1, "a0.c0.1"
		switch e.Kind {
		case EvCall:
			last[e.Action] = e.Seq
		case EvReply:
			e.Call = last[e.Note]
			e.Note = ""
		}
		out = append(out, e)
	}
	return out
}

func TestLateVerifAcceptedIsAViolation(t *testing.T) {
	ms := time.Millisecond
	evs := history(
		Event{Kind: EvOpen},
		Event{Kind: EvCall, Action: "LOGIN", T: 1 * ms},
		Event{Kind: EvReply, Action: "VERIF", Note: "LOGIN", T: 2 * ms},
		Event{Kind: EvCall, Action: "VERIF", T: 900 * ms},
		Event{Kind: EvReply, Action: "OK", Note: "VERIF", T: 901 * ms},
	)
	f := Facts{Names: []string{"alice", "obs"}, Settle: time.Second, Verify: 400 * ms, Alive: true}
	vs := Check(evs, f)
	require.Len(t, vs, 1)
	require.Equal(t, InvVerifTimeout, vs[0].Invariant)
	require.Equal(t, "decision", vs[0].Source)

	f.Verify = 2 * time.Second // in time: no violation
	require.Empty(t, Check(evs, f))
}

func TestRefusedOwnVerification(t *testing.T) {
	ms := time.Millisecond
	evs := history(
		Event{Kind: EvOpen},
		Event{Kind: EvCall, Action: "LOGIN", T: 1 * ms},
		Event{Kind: EvReply, Action: "VERIF", Note: "LOGIN", T: 2 * ms},
		Event{Kind: EvCall, Action: "VERIF", T: 10 * ms},
		Event{Kind: EvReply, Action: "ERR", Code: "ERR_HANDSHAKE", Note: "VERIF", T: 11 * ms},
	)
	vs := Check(evs, Facts{Names: []string{"alice", "obs"}, Settle: time.Second, Alive: true})
	require.Len(t, vs, 1)
	require.Equal(t, InvVerifOwned, vs[0].Invariant)
	failures, notes := Judge(vs, false)
	require.Empty(t, failures, "a decision is a note by default")
	require.Len(t, notes, 1)
	failures, _ = Judge(vs, true)
	require.Len(t, failures, 1, "and judges with --strict")
}

// A session the server closes (idle timeout) may announce NEWLOGOUT to a
// subscriber before the explorer reads the close on the session's own
// connection: no missing hook (the 15,000-op rerun of long run 2).
func TestServerCloseHookMayComeFirst(t *testing.T) {
	ms := time.Millisecond
	obs := func(e Event) Event { e.Actor, e.Conn = 1, "a1.obs"; return e }
	evs := []Event{
		obs(Event{Kind: EvOpen, T: 0}),
		obs(Event{Kind: EvCall, Action: "VERIF", T: 1 * ms}),
		obs(Event{Kind: EvReply, Action: "OK", T: 2 * ms, Call: 2}),
		obs(Event{Kind: EvCall, Action: "SUB", T: 3 * ms}),
		obs(Event{Kind: EvReply, Action: "OK", T: 4 * ms, Call: 4}),
		{Kind: EvOpen, Conn: "a0.c0.1", T: 5 * ms},
		{Kind: EvCall, Conn: "a0.c0.1", Action: "VERIF", T: 6 * ms},
		{Kind: EvReply, Conn: "a0.c0.1", Action: "OK", T: 7 * ms, Call: 7},
		obs(Event{Kind: EvPush, Action: "HOOK", Info: 1, Name: "alice", T: 7 * ms}),
		obs(Event{Kind: EvPush, Action: "HOOK", Info: 2, Name: "alice", T: 20000 * ms}),
		{Kind: EvLost, Conn: "a0.c0.1", T: 20000*ms + 1},
		{Kind: EvPhase, Note: noteExpected, T: 23000 * ms},
	}
	for i := range evs {
		evs[i].Seq = i + 1
	}
	require.Empty(t, Check(evs, Facts{Names: []string{"alice", "obs"}, Settle: time.Second, Alive: true}))
	evs[9].Kind = EvPhase // the NEWLOGOUT never came: a missing hook
	evs[9].Note = "x"
	vs := Check(evs, Facts{Names: []string{"alice", "obs"}, Settle: time.Second, Alive: true})
	require.Len(t, vs, 1)
	require.Equal(t, InvHooks, vs[0].Invariant)
}

// A VERIF answered ERR need not end the verification: the specification
// does not say so, and a server may allow another answer or refuse one
// before checking it (a rate limit). LOGOUT, which "may also be used to
// cancel an ongoing verification", may then answer OK; a MSG still has no
// session and must be refused.
func TestRefusedVerifMayLeaveTheVerificationPending(t *testing.T) {
	ms := time.Millisecond
	steps := func(last string) []Event {
		return history(
			Event{Kind: EvOpen},
			Event{Kind: EvCall, Action: "LOGIN", T: 1 * ms},
			Event{Kind: EvReply, Action: "VERIF", Note: "LOGIN", T: 2 * ms},
			Event{Kind: EvCall, Action: "VERIF", T: 10 * ms},
			Event{Kind: EvReply, Action: "ERR", Code: "ERR_LOGIN", Note: "VERIF", T: 11 * ms},
			Event{Kind: EvCall, Action: last, T: 20 * ms},
			Event{Kind: EvReply, Action: "OK", Note: last, T: 21 * ms},
		)
	}
	f := Facts{Names: []string{"alice", "obs"}, Settle: time.Second, Alive: true}
	for _, v := range Check(steps("LOGOUT"), f) {
		require.NotEqual(t, InvModel, v.Invariant, "%v", v)
	}
	var model []Violation
	for _, v := range Check(steps("MSG"), f) {
		if v.Invariant == InvModel {
			model = append(model, v)
		}
	}
	require.Len(t, model, 1)
	require.Contains(t, model[0].Detail, "MSG without a session answered OK")
}
