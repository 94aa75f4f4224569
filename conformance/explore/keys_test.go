package explore

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance/target"
)

// sharedOnly hides a target's fresh servers: the explorer sees a server
// it cannot start, as with --addr.
type sharedOnly struct{ target.Target }

func (sharedOnly) CanFresh() bool { return false }

// ledgerKeys reads the fingerprints the key cache's one ledger lists.
func ledgerKeys(t *testing.T, cache string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(cache, "used", "*.txt"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	b, err := os.ReadFile(files[0])
	require.NoError(t, err)
	return strings.Fields(string(b))
}

// TestExploreNeverReusesKeysOnAServer: against a server the explorer does
// not start, every run registers keys no earlier run registered there
// (the ledger the scenario runner and fuzzer share), so two runs pass
// without relying on E-20's release of a deregistered key.
func TestExploreNeverReusesKeysOnAServer(t *testing.T) {
	emb := embeddedTarget(t)
	ext := &target.External{EP: emb.Shared(), D: emb.Dialect()}
	cache := t.TempDir()
	run := func(seed uint64) {
		keys, err := SingleUseKeys(cache, ext.EP.Addr)
		require.NoError(t, err)
		o := Options{Target: ext, Keys: keys, Actors: 2, Conns: 2, Ops: 60, Seed: seed, Strict: true,
			Settle: scaled(300 * time.Millisecond), Duration: time.Minute}
		rep, err := Explore(context.Background(), o)
		require.NoError(t, err)
		require.NoError(t, rep.Setup)
		require.Empty(t, rep.Failures)
	}
	run(1)
	first := ledgerKeys(t, cache)
	require.Len(t, first, 3, "two actors and the observer")
	run(2)
	all := ledgerKeys(t, cache)
	seen := map[string]bool{}
	for _, fp := range all {
		require.False(t, seen[fp], "key %s registered twice", fp)
		seen[fp] = true
	}
	require.Len(t, all, 6)
}

// TestShrinkOnAServerItCannotStart: without fresh servers each replay
// registers new accounts on the one server, with keys leased from the
// pool, and the finding is still shrunk. (With the fixture keys every
// replay registered the same keys again under new names, the server
// refused them, and nothing shrank: this test fails with Keys nil.)
func TestShrinkOnAServerItCannotStart(t *testing.T) {
	tc := doubles[1] // pending-keyed-by-name: found whatever the scheduling
	dt := sharedOnly{&doubleTarget{inner: embeddedTarget(t), d: tc.d}}
	keys, err := SingleUseKeys(t.TempDir(), "127.0.0.1:1")
	require.NoError(t, err)
	var rep *Report
	for _, seed := range tc.seeds {
		o := Options{Target: dt, Keys: keys, Actors: 3, Conns: 2, Ops: 400, Seed: seed, Strict: tc.strict,
			Settle: scaled(300 * time.Millisecond), Duration: time.Minute, Shrink: 20}
		rep, err = Explore(context.Background(), o)
		require.NoError(t, err)
		if len(rep.Failures) > 0 {
			break
		}
	}
	require.NotEmpty(t, rep.Failures)
	require.NotNil(t, rep.Shrunk)
	require.Less(t, len(rep.Shrunk.Ops), len(rep.Plan.Ops), "no replay failed")
}
