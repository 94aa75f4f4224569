package explore

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/spec"
)

// adminHistory numbers events and links each reply to the latest call of
// its connection.
func adminHistory(evs ...Event) []Event {
	last := map[string]int{}
	for i := range evs {
		evs[i].Seq = i + 1
		switch evs[i].Kind {
		case EvCall:
			last[evs[i].Conn] = evs[i].Seq
		case EvReply:
			evs[i].Call = last[evs[i].Conn]
		}
	}
	return evs
}

// on builds an event of connection conn (actor is its owner).
func on(actor int, conn string, ms int, e Event) Event {
	e.Actor, e.Conn, e.T = actor, conn, time.Duration(ms)*time.Millisecond
	return e
}

var adminFacts = Facts{Names: []string{"alice", "bob", "obs", "boss"}, HasAdmin: true, Settle: 100 * time.Millisecond, Alive: true}

// subscribedObserver is the observer's login on a2.obs and its SUB, from
// 0 to 6 ms.
func subscribedObserver() []Event {
	return append(login(2, "a2.obs", 0), on(2, "a2.obs", 5, Event{Kind: EvCall, Action: "SUB"}), on(2, "a2.obs", 6, Event{Kind: EvReply, Action: "OK"}))
}

// login is a connection's open, VERIF and OK from ms on.
func login(actor int, conn string, ms int) []Event {
	return []Event{on(actor, conn, ms, Event{Kind: EvOpen}), on(actor, conn, ms+1, Event{Kind: EvCall, Action: "VERIF", Name: "x"}),
		on(actor, conn, ms+2, Event{Kind: EvReply, Action: "OK"})}
}

// loginSeen is a login the subscribed observer hears of.
func loginSeen(actor int, conn, name string, ms int) []Event {
	return append(login(actor, conn, ms), on(2, "a2.obs", ms+2, Event{Kind: EvPush, Action: "HOOK", Info: uint8(spec.HookNewLogin), Name: name}))
}

// permsRun: the observer subscribes, alice logs in unless offline, the
// admin sets alice's level to level, then hooks as given reach the
// observer; the quiescent point comes last.
func permsRun(offline bool, level string, hooks ...Event) []Event {
	evs := subscribedObserver()
	if !offline {
		evs = append(evs, loginSeen(0, "a0.c0.1", "alice", 10)...)
	}
	evs = append(evs, loginSeen(3, "admin", "boss", 20)...)
	evs = append(evs, on(3, "admin", 30, Event{Kind: EvCall, Action: "ADMIN", Info: uint8(spec.AdminChgPerms), Name: "alice", Body: level}),
		on(3, "admin", 32, Event{Kind: EvReply, Action: "OK"}))
	evs = append(evs, hooks...)
	evs = append(evs, Event{Kind: EvPhase, Note: noteExpected, T: time.Second})
	return adminHistory(evs...)
}

func permHook(ms int, name, level string) Event {
	return on(2, "a2.obs", ms, Event{Kind: EvPush, Action: "HOOK", Info: uint8(spec.HookPermsChg), Name: name, Body: level})
}

func TestPermHookCheck(t *testing.T) {
	for _, tc := range []struct {
		name    string
		offline bool
		level   string
		hooks   []Event
		want    []string // Source:Ref of each violation
	}{
		{name: "hook received", level: "1", hooks: []Event{permHook(31, "alice", "1")}},
		{name: "hook missing, target online", level: "1", want: []string{"spec:Hooks (HOOK_PERMSCHG); Admin Operations (ADMIN_CHGPERMS)"}},
		{name: "hook missing, target offline (the original's way)", offline: true, level: "1", want: []string{"decision:E-36"}},
		{name: "level written otherwise", level: "1", hooks: []Event{permHook(31, "alice", "49")}, want: []string{"decision:E-14", "decision:E-14"}},
		{name: "no change (already 0): no hook needed", level: "0"},
		{name: "hook nobody asked for", level: "1", hooks: []Event{permHook(31, "alice", "1"), permHook(33, "bob", "1")},
			want: []string{"spec:Hooks (HOOK_PERMSCHG)"}},
		{name: "hook before the request", level: "1", hooks: []Event{permHook(29, "alice", "1")},
			want: []string{"spec:Hooks (HOOK_PERMSCHG); Admin Operations (ADMIN_CHGPERMS)", "spec:Hooks (HOOK_PERMSCHG)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, v := range Check(permsRun(tc.offline, tc.level, tc.hooks...), adminFacts) {
				require.Equal(t, InvHooks, v.Invariant, "%v", v)
				got = append(got, v.Source+":"+v.Ref)
			}
			require.ElementsMatch(t, tc.want, got)
		})
	}
}

// kickRun: alice is logged in on one connection; the admin kicks her
// (call at 30 ms, OK at 32 ms); she writes a USRS on the dead connection
// at 40 ms, which the explorer reads as closed only at 45 ms. Meanwhile
// the observer's NEWLOGOUT comes at 31 ms, bob lists the online users
// from 33 to 34 ms (read shows online), and alice logs in again on her
// second connection at 35-37 ms.
func kickRun(read string) []Event {
	evs := subscribedObserver()
	evs = append(evs, loginSeen(0, "a0.c0.1", "alice", 10)...)
	evs = append(evs, loginSeen(1, "a1.c0.1", "bob", 10)...)
	evs = append(evs, loginSeen(3, "admin", "boss", 20)...)
	evs = append(evs, on(3, "admin", 30, Event{Kind: EvCall, Action: "ADMIN", Info: uint8(spec.AdminKick), Name: "alice"}),
		on(2, "a2.obs", 31, Event{Kind: EvPush, Action: "HOOK", Info: uint8(spec.HookNewLogout), Name: "alice"}),
		on(3, "admin", 32, Event{Kind: EvReply, Action: "OK"}),
		on(1, "a1.c0.1", 33, Event{Kind: EvCall, Action: "USRS", Info: 1}),
		on(1, "a1.c0.1", 34, Event{Kind: EvReply, Action: "USRS", Body: read}),
		on(0, "a0.c1.1", 35, Event{Kind: EvOpen}),
		on(0, "a0.c1.1", 36, Event{Kind: EvCall, Action: "VERIF", Name: "alice"}),
		on(2, "a2.obs", 36, Event{Kind: EvPush, Action: "HOOK", Info: uint8(spec.HookNewLogin), Name: "alice"}),
		on(0, "a0.c1.1", 37, Event{Kind: EvReply, Action: "OK"}),
		on(0, "a0.c0.1", 40, Event{Kind: EvCall, Action: "USRS", Info: 1}),
		on(0, "a0.c0.1", 45, Event{Kind: EvLost}),
		Event{Kind: EvPhase, Note: noteExpected, T: time.Second})
	return adminHistory(evs...)
}

// A kick takes effect from the moment it is written, before the kicked
// connection shows the close: the NEWLOGOUT, a read without the account
// and a new login on another connection all come before the explorer
// reads the close, and none is a violation. A read long after the kick
// that still lists the account is one.
func TestKickIsAServerCloseFromTheKickOn(t *testing.T) {
	require.Empty(t, Check(kickRun("bob\nboss\nobs"), adminFacts))
	evs := kickRun("bob\nboss\nobs")
	evs[len(evs)-3].T = 40 * time.Millisecond // the close seen early changes nothing
	require.Empty(t, Check(evs, adminFacts))

	evs = kickRun("alice\nbob\nboss\nobs") // listed right after the kick: within Settle, allowed
	require.Empty(t, Check(evs, adminFacts))
	// Listed after the kick's OK and Settle, before she logs in again: a ghost.
	evs = kickRun("alice\nbob\nboss\nobs")
	for i := range evs {
		if evs[i].Action == "USRS" && evs[i].Actor == 1 {
			evs[i].T += 200 * time.Millisecond
		}
	}
	for i := range evs { // her new login comes later still
		if evs[i].Conn == "a0.c1.1" || evs[i].Action == "HOOK" && evs[i].Info == uint8(spec.HookNewLogin) && evs[i].Name == "alice" {
			evs[i].T += 300 * time.Millisecond
		}
	}
	vs := Check(evs, adminFacts)
	require.Len(t, vs, 1, "%v", vs)
	require.Equal(t, InvOnline, vs[0].Invariant)
}

// A kick that lands between the server's login and its OK leaves the
// VERIF unanswered and closes the connection; the NEWLOGOUT that comes
// to subscribers is not spurious (long run seed 5150, round 32).
func TestKickDuringVerifMayAnnounceLogout(t *testing.T) {
	evs := subscribedObserver()
	evs = append(evs, loginSeen(3, "admin", "boss", 10)...)
	evs = append(evs, on(0, "a0.c0.1", 20, Event{Kind: EvOpen}),
		on(0, "a0.c0.1", 21, Event{Kind: EvCall, Action: "VERIF", Name: "alice"}),
		on(3, "admin", 22, Event{Kind: EvCall, Action: "ADMIN", Info: uint8(spec.AdminKick), Name: "alice"}),
		on(2, "a2.obs", 23, Event{Kind: EvPush, Action: "HOOK", Info: uint8(spec.HookNewLogin), Name: "alice"}),
		on(2, "a2.obs", 24, Event{Kind: EvPush, Action: "HOOK", Info: uint8(spec.HookNewLogout), Name: "alice"}),
		on(3, "admin", 25, Event{Kind: EvReply, Action: "OK"}),
		on(0, "a0.c0.1", 26, Event{Kind: EvLost}),
		Event{Kind: EvPhase, Note: noteExpected, T: time.Second})
	require.Empty(t, Check(adminHistory(evs...), adminFacts))
}

// Two connections race through LOGIN; the first VERIF logs in, a kick
// ends that session, the second VERIF logs in, but the second's OK is
// read before the first's (its reader lagged): no overlap can be claimed
// (long run seed 5150, round 79).
func TestKickBetweenRacingVerifs(t *testing.T) {
	var evs []Event
	evs = append(evs, login(2, "a2.obs", 0)...)
	evs = append(evs, loginSeen(3, "admin", "boss", 10)...)
	evs = append(evs, on(0, "a0.c1.1", 20, Event{Kind: EvOpen}), on(0, "a0.c0.1", 20, Event{Kind: EvOpen}),
		on(0, "a0.c1.1", 21, Event{Kind: EvCall, Action: "VERIF", Name: "alice"}),
		on(3, "admin", 22, Event{Kind: EvCall, Action: "ADMIN", Info: uint8(spec.AdminKick), Name: "alice"}),
		on(0, "a0.c0.1", 23, Event{Kind: EvCall, Action: "VERIF", Name: "alice"}),
		on(0, "a0.c0.1", 24, Event{Kind: EvReply, Action: "OK"}),
		on(3, "admin", 25, Event{Kind: EvReply, Action: "OK"}),
		on(0, "a0.c1.1", 26, Event{Kind: EvReply, Action: "OK"}),
		on(0, "a0.c1.1", 27, Event{Kind: EvPush, Action: "ERR", Code: "ERR_DISCN"}),
		on(0, "a0.c1.1", 28, Event{Kind: EvLost}),
		Event{Kind: EvPhase, Note: noteExpected, T: time.Second})
	require.Empty(t, Check(adminHistory(evs...), adminFacts))
}

// The kicked connection need not be seen closed by the server: the actor
// may close it, or write LOGOUT on it, after its other connection logged
// in and before the explorer read the kick (long run seed 20261207,
// round 2). Neither is two sessions at once, and the online set and the
// hooks follow the kick.
func TestKickedSessionClosedOrLoggedOutByTheActor(t *testing.T) {
	for _, end := range []string{"close", "logout"} {
		t.Run(end, func(t *testing.T) {
			evs := subscribedObserver()
			evs = append(evs, loginSeen(3, "admin", "boss", 10)...)
			evs = append(evs, loginSeen(0, "a0.c0.1", "alice", 20)...)
			evs = append(evs, on(0, "a0.c1.1", 30, Event{Kind: EvOpen}),
				on(0, "a0.c1.1", 31, Event{Kind: EvCall, Action: "VERIF", Name: "alice"}),
				on(3, "admin", 32, Event{Kind: EvCall, Action: "ADMIN", Info: uint8(spec.AdminKick), Name: "alice"}),
				on(2, "a2.obs", 33, Event{Kind: EvPush, Action: "HOOK", Info: uint8(spec.HookNewLogout), Name: "alice"}),
				on(2, "a2.obs", 33, Event{Kind: EvPush, Action: "HOOK", Info: uint8(spec.HookNewLogin), Name: "alice"}),
				on(0, "a0.c1.1", 34, Event{Kind: EvReply, Action: "OK"}))
			if end == "close" {
				evs = append(evs, on(0, "a0.c0.1", 35, Event{Kind: EvClose}))
			} else {
				evs = append(evs, on(0, "a0.c0.1", 35, Event{Kind: EvCall, Action: "LOGOUT"}))
			}
			evs = append(evs, on(0, "a0.c0.1", 36, Event{Kind: EvPush, Action: "ERR", Code: "ERR_DISCN"}),
				on(3, "admin", 37, Event{Kind: EvReply, Action: "OK"}),
				on(1, "a1.c0.1", 38, Event{Kind: EvOpen}))
			if end == "logout" {
				evs = append(evs, on(0, "a0.c0.1", 39, Event{Kind: EvLost}))
			}
			evs = append(evs, on(1, "a1.c0.1", 200, Event{Kind: EvCall, Action: "VERIF", Name: "bob"}),
				on(2, "a2.obs", 201, Event{Kind: EvPush, Action: "HOOK", Info: uint8(spec.HookNewLogin), Name: "bob"}),
				on(1, "a1.c0.1", 202, Event{Kind: EvReply, Action: "OK"}),
				on(1, "a1.c0.1", 210, Event{Kind: EvCall, Action: "USRS", Info: 1}),
				on(1, "a1.c0.1", 211, Event{Kind: EvReply, Action: "USRS", Body: "alice\nbob\nboss\nobs"}),
				Event{Kind: EvPhase, Note: noteExpected, T: time.Second})
			require.Empty(t, Check(adminHistory(evs...), adminFacts))
		})
	}
}

// A later round inherits the levels the earlier ones set: a "change" to
// the level an account already has needs no hook, and after a change
// whose outcome is unknown nothing is claimed.
func TestPermHookLevelsCarryOver(t *testing.T) {
	evs := permsRun(false, "1") // no hook at all
	f := adminFacts
	f.Levels = map[string]string{"alice": "1", "bob": "0"}
	require.Empty(t, Check(evs, f), "alice was at 1 already")
	f.Levels = map[string]string{"bob": "0"}
	require.Empty(t, Check(evs, f), "alice's level was unknown")
	f.Levels = map[string]string{"alice": "0"}
	require.Len(t, Check(evs, f), 1, "alice went from 0 to 1")
	_, levels := checkRound(evs, adminFacts)
	require.Equal(t, map[string]string{"alice": "1", "bob": "0", "obs": "0", "boss": "0"}, levels)
}
