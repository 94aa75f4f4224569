package explore

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCommandAgainstEmbeddedServer(t *testing.T) {
	var out, errb bytes.Buffer
	code := Command(context.Background(), []string{"--ops", "150", "--seed", "9", "--settle", "200ms", "--strict"}, &out, &errb)
	require.Equal(t, 0, code, out.String()+errb.String())
	require.Contains(t, out.String(), "0 violations, 0 notes")
	require.Contains(t, out.String(), "seed 9,")
}

func TestCommandUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--addr", "192.0.2.1:9037"}, // not loopback
		{"--actors", "0"},
		{"--replay", "/nonexistent.json"},
		{"extra"},
	} {
		var out, errb bytes.Buffer
		require.Equal(t, 2, Command(context.Background(), args, &out, &errb), "%v", args)
	}
}

// A finding written with --findings replays with the printed command's
// options and breaks the same invariant again.
func TestFindingReplays(t *testing.T) {
	tc := doubles[3] // hook-lost-under-concurrent-logins: quick to find
	dt := &doubleTarget{inner: embeddedTarget(t), d: tc.d}
	o := Options{Target: dt, Actors: 3, Conns: 2, Ops: 400, Seed: tc.seeds[0], Settle: scaled(300 * time.Millisecond), Duration: time.Minute, Shrink: 10}
	rep, err := Explore(context.Background(), o)
	require.NoError(t, err)
	require.NotEmpty(t, rep.Failures)
	dir := t.TempDir()
	path, err := WriteFinding(dir, rep, func(p string) string { return "gochat-conformance explore --shrink 0 --replay " + p })
	require.NoError(t, err)
	md, err := os.ReadFile(strings.TrimSuffix(path, ".json") + ".md")
	require.NoError(t, err)
	require.Contains(t, string(md), "Re-run: `gochat-conformance explore --shrink 0 --replay "+filepath.Join(dir, "explore-4.json")+"`")

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
