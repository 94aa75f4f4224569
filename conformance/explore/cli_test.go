package explore

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/scenarios"
)

func TestCommandAgainstEmbeddedServer(t *testing.T) {
	var out, errb bytes.Buffer
	code := Command(context.Background(), []string{"--ops", "150", "--seed", "9", "--settle", "200ms", "--strict"}, &out, &errb)
	require.Equal(t, 0, code, out.String()+errb.String())
	require.Contains(t, out.String(), "0 violations, 0 notes")
	require.Contains(t, out.String(), "seed 9,")
}

// Against --addr the command draws keys from --key-cache: two runs on one
// server both pass, and the ledger lists each key once.
func TestCommandAgainstAddrKeepsALedger(t *testing.T) {
	addr := embeddedTarget(t).Shared().Addr
	cache := t.TempDir()
	for _, seed := range []string{"3", "4"} {
		var out, errb bytes.Buffer
		code := Command(context.Background(), []string{"--addr", addr, "--key-cache", cache, "--actors", "2",
			"--ops", "40", "--seed", seed, "--settle", "200ms", "--strict"}, &out, &errb)
		require.Equal(t, 0, code, out.String()+errb.String())
	}
	require.Len(t, ledgerKeys(t, cache), 6)
}

// With --admin-user/--admin-key the command kicks and changes levels on
// an --addr server; the name is matched case-insensitively, like server's.
func TestCommandAgainstAddrWithAdmin(t *testing.T) {
	tgt := adminTarget(t)
	pem, err := fs.ReadFile(scenarios.FS, "fixtures/keys/owner.pem")
	require.NoError(t, err)
	key := filepath.Join(t.TempDir(), "owner.pem")
	require.NoError(t, os.WriteFile(key, pem, 0o600))
	owner := tgt.Shared().Owner.Name
	var out, errb bytes.Buffer
	code := Command(context.Background(), []string{"--addr", tgt.Shared().Addr, "--key-cache", t.TempDir(),
		"--admin-user", strings.ToUpper(owner), "--admin-key", key, "--actors", "3", "--ops", "200", "--seed", "5",
		"--settle", "200ms", "--strict"}, &out, &errb)
	require.Equal(t, 0, code, out.String()+errb.String())
	require.Contains(t, out.String(), "ADMIN ops as "+owner)
	require.Contains(t, out.String(), "0 violations, 0 notes")
	require.Regexp(t, `ADMIN +[1-9]`, out.String(), "ADMIN requests were answered")
}

func TestCommandUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--admin-user", "boss", "--admin-key", "boss.pem"}, // only with --addr
		{"--addr", "127.0.0.1:1", "--admin-user", "boss"},   // a name needs its key
		{"--addr", "192.0.2.1:9037"},                        // not loopback
		{"--actors", "0"},
		{"--replay", "/nonexistent.json"},
		{"--repeat", "0"},
		{"--shrink-tries", "0"},
		{"extra"},
	} {
		var out, errb bytes.Buffer
		require.Equal(t, 2, Command(context.Background(), args, &out, &errb), "%v", args)
	}
}

// A finding written with --findings replays with the printed command's
// options and breaks the same invariant again. The double is the one whose
// bug shows whatever the scheduling (pending-keyed-by-name): a race's
// shrunk plan is the smallest that failed once, and one replay of it need
// not lose the race again, so a race double would make this test flaky.
func TestFindingReplays(t *testing.T) {
	tc := doubles[1]
	dt := &doubleTarget{inner: embeddedTarget(t), d: tc.d}
	var (
		rep *Report
		o   Options
	)
	for _, seed := range tc.seeds {
		o = Options{Target: dt, Actors: 3, Conns: 2, Ops: 400, Seed: seed, Strict: tc.strict, Settle: scaled(300 * time.Millisecond), Duration: time.Minute, Shrink: 10}
		var err error
		rep, err = Explore(context.Background(), o)
		require.NoError(t, err)
		if len(rep.Failures) > 0 {
			break
		}
	}
	require.NotEmpty(t, rep.Failures, "no seed found %s", tc.d.name)
	dir := t.TempDir()
	path, err := WriteFinding(dir, rep, func(p string) string { return "gochat-conformance explore --shrink 0 --replay " + p })
	require.NoError(t, err)
	md, err := os.ReadFile(strings.TrimSuffix(path, ".json") + ".md")
	require.NoError(t, err)
	require.Contains(t, string(md), "Re-run: `gochat-conformance explore --shrink 0 --replay "+filepath.Join(dir, fmt.Sprintf("explore-%d.json", o.Seed))+"`")

	plan, err := ReadPlan(path)
	require.NoError(t, err)
	o.Replay, o.Shrink = plan, 0
	again, err := Explore(context.Background(), o)
	require.NoError(t, err)
	var invs []string
	for _, v := range again.Failures {
		invs = append(invs, v.Invariant)
	}
	require.Contains(t, invs, tc.inv)
}

// A race's finding need not fail on one replay; --repeat runs it until it
// does. hook-lost-under-concurrent-logins drops a hook only while another
// login is in flight, so its shrunk plan fails on some runs only.
func TestRaceFindingReplaysWithRepeat(t *testing.T) {
	tc := doubles[3]
	dt := &doubleTarget{inner: embeddedTarget(t), d: tc.d}
	o := Options{Target: dt, Actors: 3, Conns: 2, Ops: 400, Seed: tc.seeds[0], Settle: scaled(300 * time.Millisecond), Duration: time.Minute, Shrink: 10}
	rep, err := Explore(context.Background(), o)
	require.NoError(t, err)
	require.NotEmpty(t, rep.Failures)
	path, err := WriteFinding(t.TempDir(), rep, func(p string) string { return p })
	require.NoError(t, err)
	plan, err := ReadPlan(path)
	require.NoError(t, err)
	o.Replay, o.Shrink, o.Repeat = plan, 0, 30
	again, err := Explore(context.Background(), o)
	require.NoError(t, err)
	require.NotEmpty(t, again.Failures, "30 runs of the finding did not lose the race once")
	require.LessOrEqual(t, again.Rounds, 30)
	t.Logf("the race was lost on run %d", again.Rounds)
	var invs []string
	for _, v := range again.Failures {
		invs = append(invs, v.Invariant)
	}
	require.Contains(t, invs, tc.inv)
}
