package explore

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance/engine"
	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/conformance/target/embedded"
	"github.com/gochatproto/gochat/spec"
)

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := Generate(7, 4, 2, 200), Generate(7, 4, 2, 200)
	require.Equal(t, a, b)
	c := Generate(8, 4, 2, 200)
	require.NotEqual(t, a.Ops, c.Ops)
	kinds := map[Kind]bool{}
	for _, op := range a.Ops {
		kinds[op.Kind] = true
		require.Less(t, op.Actor, 4)
		require.Less(t, op.Conn, 2)
	}
	require.Len(t, kinds, len(weights), "200 ops draw every kind")
}

func embeddedTarget(t *testing.T) *embedded.Target {
	t.Helper()
	tgt, err := embedded.New(context.Background(), embedded.Options{Dialect: spec.DialectSpec})
	require.NoError(t, err)
	t.Cleanup(func() { _ = tgt.Close() })
	return tgt
}

// The reference server must pass: 0 violations, decisions included.
func TestReferenceServerHasNoViolations(t *testing.T) {
	o := Options{Target: embeddedTarget(t), Actors: 4, Conns: 2, Ops: 300, Seed: 12, Strict: true,
		Settle: scaled(500 * time.Millisecond), Duration: time.Minute, Round: 150}
	if testing.Verbose() {
		o.Log = os.Stderr
	}
	rep, err := Explore(context.Background(), o)
	require.NoError(t, err)
	require.NoError(t, rep.Setup)
	require.Empty(t, rep.Failures, "%v", rep.Failures)
	require.Empty(t, rep.Notes)
	require.Equal(t, 2, rep.Rounds, "two rounds of 150")
	require.Greater(t, rep.Done, 200)
}

// With short server timeouts (what --server-cmd and the embedded default
// of the CLI pass), late VERIFs reach the verification timer: the
// reference server refuses them and nothing else breaks.
func TestReferenceServerTimers(t *testing.T) {
	o := Options{Target: embeddedTarget(t), Actors: 3, Conns: 2, Ops: 600, Seed: 33, Strict: true,
		Settle: scaled(300 * time.Millisecond), Duration: time.Minute,
		Server: scenario.ServerConfig{VerifyTimeout: 400 * time.Millisecond, IdleTimeout: 5 * time.Second}}
	rep, err := Explore(context.Background(), o)
	require.NoError(t, err)
	require.Empty(t, rep.Failures, "%v", rep.Failures)
	late := 0
	for _, op := range rep.Plan.Ops {
		if op.Kind == OpLoginLate {
			late++
		}
	}
	require.Positive(t, late, "the plan has late logins")
	refused := 0
	a := analyse(rep.Outcome.Events)
	for _, ci := range a.order {
		var challenge *callInfo
		for _, c := range ci.calls {
			if c.ev.Action == "LOGIN" {
				challenge = c
			}
			if c.ev.Action == "VERIF" && challenge != nil && challenge.reply != nil && c.reply != nil &&
				c.ev.T-challenge.reply.T > 400*time.Millisecond && c.reply.Action == "ERR" {
				refused++
			}
		}
	}
	require.Positive(t, refused, "a late VERIF reached the timer and was refused")
}

// scaled stretches the explorer's timing assumptions on a slow or loaded
// machine ($GOCHAT_TIMEOUT_SCALE, as for the scenario runner).
func scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) * engine.DefaultTimeoutScale())
}
