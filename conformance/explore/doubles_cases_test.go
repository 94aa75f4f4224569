package explore

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/spec"
)

// The five injected bugs the explorer must find (issue #12).
var doubles = []struct {
	d      *double
	inv    string
	strict bool
	seeds  []uint64 // tried in order until one finds the bug (a race need not show on every run)
}{
	// 1. Session state outlives its connection when a request was in
	// flight at the close: the server never learns of the close.
	{d: &double{name: "session-outlives-conn", leak: true}, inv: InvOnline, seeds: []uint64{1, 11, 21, 31, 41}},
	// 2. Pending verifications keyed by name (the original server's way):
	// a second connection's LOGIN replaces the first one's challenge, so
	// the first connection's right answer is refused. Two devices racing
	// (race-login, race-close) hit it every time, whatever the scheduling.
	{d: &double{name: "pending-keyed-by-name",
		down: func(b *bugState, c *pconn, p *spec.Packet) *spec.Packet {
			if p.Action == spec.VERIF && p.ID != spec.NullID && c.name != "" {
				for o := range b.conns {
					if o != c && o.name == c.name && o.pending {
						b.spoil[o.key()] = true
					}
				}
			}
			return p
		},
		up: func(b *bugState, c *pconn, p *spec.Packet) *spec.Packet {
			if p.Action == spec.VERIF && b.spoil[c.key()] && len(p.Args) == 2 {
				delete(b.spoil, c.key())
				p.Args[1] = []byte("spoiled")
			}
			return p
		}}, inv: InvVerifOwned, strict: true, seeds: []uint64{2, 12, 22, 32, 42}},
	// 3. A MSG to an account that is logging in at that moment is
	// answered OK and dropped.
	{d: &double{name: "msg-lost-on-concurrent-login",
		up: func(b *bugState, c *pconn, p *spec.Packet) *spec.Packet {
			if p.Action == spec.MSG && c.session && len(p.Args) == 3 && b.nameLoggingIn(string(p.Args[0])) {
				delete(c.inflight, p.ID)
				c.back(spec.NewPacket(spec.OK, p.ID))
				return nil
			}
			return p
		}}, inv: InvDelivered, seeds: []uint64{2, 12, 22, 32, 42}},
	// 4. NEWLOGIN hooks are not sent while another login is in flight.
	{d: &double{name: "hook-lost-under-concurrent-logins",
		down: func(b *bugState, c *pconn, p *spec.Packet) *spec.Packet {
			if p.Action == spec.HOOK && spec.Hook(p.Info) == spec.HookNewLogin && b.loggingIn(c, false) {
				return nil
			}
			return p
		}}, inv: InvHooks, seeds: []uint64{4, 14, 24, 34, 44}},
	// 5. An account that logs out while another login is in flight stays
	// in the online list.
	{d: &double{name: "online-keeps-after-race",
		up: func(b *bugState, c *pconn, p *spec.Packet) *spec.Packet {
			if p.Action == spec.LOGOUT && c.name != "" && b.loggingIn(c, false) {
				b.ghosts[c.name] = true
			}
			if p.Action == spec.VERIF {
				delete(b.ghosts, c.name)
			}
			return p
		},
		down: func(b *bugState, c *pconn, p *spec.Packet) *spec.Packet {
			if p.Action == spec.USRS && p.ID != spec.NullID && len(p.Args) == 1 {
				for g := range b.ghosts {
					if !inList(string(p.Args[0]), g) {
						p.Args[0] = append(append(p.Args[0], '\n'), g...)
					}
				}
			}
			return p
		}}, inv: InvOnline, seeds: []uint64{5, 15, 25, 35, 45}},
}

// Each double is found within a bounded run and shrunk to a handful of
// operations, with a fixed seed.
func TestDoublesAreFoundAndShrunk(t *testing.T) {
	for _, tc := range doubles {
		t.Run(tc.d.name, func(t *testing.T) {
			var rep *Report
			var invs []string
			for _, seed := range tc.seeds {
				o := Options{Target: &doubleTarget{inner: embeddedTarget(t), d: tc.d}, Actors: 3, Conns: 2, Ops: 400, Seed: seed,
					Strict: tc.strict, Settle: scaled(300 * time.Millisecond), CloseLag: 20 * time.Millisecond, Duration: time.Minute, Shrink: DefaultShrink}
				// CloseLag is not scaled: it only excuses losses, and here losses are looked for.
				if testing.Verbose() {
					o.Log = os.Stderr
				}
				var err error
				rep, err = Explore(context.Background(), o)
				require.NoError(t, err)
				require.NoError(t, rep.Setup)
				invs = invs[:0]
				for _, v := range rep.Failures {
					invs = append(invs, v.Invariant)
				}
				if len(invs) > 0 {
					break
				}
			}
			require.Contains(t, invs, tc.inv, "%v", rep.Failures)
			require.NotNil(t, rep.Shrunk)
			require.LessOrEqual(t, len(rep.Shrunk.Ops), 20, "a handful of steps (1 to 10 seen without the race detector, up to 18 with it)")
			t.Logf("%s: %d violations; shrunk to %d ops in %d replays: %v", tc.d.name, len(rep.Failures), len(rep.Shrunk.Ops), rep.Replays, rep.ShrunkWhy)
			for _, op := range rep.Shrunk.Ops {
				t.Log("  ", op)
			}
		})
	}
}
