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
