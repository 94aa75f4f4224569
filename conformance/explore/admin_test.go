package explore

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance/target/embedded"
	"github.com/gochatproto/gochat/spec"
)

// adminTarget is the embedded reference server with the fixture owner
// bootstrapped on every instance, as the CLI starts it.
func adminTarget(t *testing.T) *embedded.Target {
	t.Helper()
	_, owner, err := launchAccounts()
	require.NoError(t, err)
	tgt, err := embedded.New(context.Background(), embedded.Options{Dialect: spec.DialectSpec, Owner: owner})
	require.NoError(t, err)
	t.Cleanup(func() { _ = tgt.Close() })
	return tgt
}

// adminSeed lets a run by hand try other seeds (GOCHAT_EXPLORE_ADMIN_SEED).
func adminSeed() uint64 {
	if s, err := strconv.ParseUint(os.Getenv("GOCHAT_EXPLORE_ADMIN_SEED"), 10, 64); err == nil {
		return s
	}
	return 7
}

// With an admin, kicks and level changes race with the actors; the
// reference server still breaks nothing, decisions included, and the
// observer sees the permission hooks.
func TestReferenceServerWithAdminOps(t *testing.T) {
	o := Options{Target: adminTarget(t), Actors: 4, Conns: 2, Ops: 300, Seed: adminSeed(), Strict: true,
		Settle: scaled(500 * time.Millisecond), Duration: time.Minute, Round: 150}
	if testing.Verbose() {
		o.Log = os.Stderr
	}
	rep, err := Explore(context.Background(), o)
	require.NoError(t, err)
	require.NoError(t, rep.Setup)
	require.NotEmpty(t, rep.Admin)
	require.Empty(t, rep.Failures, "%v", rep.Failures)
	require.Empty(t, rep.Notes)
	kinds := map[Kind]int{}
	for _, op := range rep.Plan.Ops {
		kinds[op.Kind]++
	}
	require.Positive(t, kinds[OpAdminKick], "the plan kicks")
	require.Positive(t, kinds[OpAdminPerms], "the plan changes levels")
	a := analyse(rep.Outcome.Events)
	kicked, changed, hooks := 0, 0, 0
	for _, ci := range a.order {
		for _, c := range ci.calls {
			if c.ev.Action == "ADMIN" && c.reply != nil && c.reply.Action == "OK" {
				if spec.AdminOp(c.ev.Info) == spec.AdminKick {
					kicked++
				} else {
					changed++
				}
			}
		}
		for _, p := range ci.pushes {
			if p.Action == "HOOK" && spec.Hook(p.Info) == spec.HookPermsChg {
				hooks++
			}
		}
	}
	t.Logf("seed %d: %d ops, last round: %d kicks and %d level changes answered OK, %d HOOK_PERMSCHG seen",
		o.Seed, rep.Done, kicked, changed, hooks)
	require.Positive(t, kicked+changed, "an administrative operation succeeded in the last round")
}
