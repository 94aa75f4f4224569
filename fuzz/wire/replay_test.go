package wire

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/fuzz/corpus"
	"github.com/gochatproto/gochat/spec"
)

// TestReplayCorpusReference replays the whole corpus against the reference
// server in both dialects: every y_ and n_ case must pass (warnings, i.e.
// SHOULD deviations, are reported too: the reference server has none).
func TestReplayCorpusReference(t *testing.T) {
	for _, d := range []spec.Dialect{spec.DialectSpec, spec.DialectGochat1} {
		t.Run(d.String(), func(t *testing.T) {
			addr := startRef(t, d)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var log strings.Builder
			rs, err := Replay(ctx, ReplayConfig{Addr: addr, Dialect: d, Log: &log})
			require.NoError(t, err, log.String())
			for _, r := range rs {
				assert.Contains(t, []Status{Pass, Info, Skip}, r.Status, "%s: %s", r.Case.Name, r.Detail)
			}
			t.Logf("%v\n%s", Summarize(rs), log.String())
		})
	}
}

// TestReplayCrash: an n_ case that kills the server is a crash naming the
// case; without a way to restart, the cases after it are skipped as
// "server down"; with one, the replay restarts the server, registers its
// account on the empty database again and goes on.
func TestReplayCrash(t *testing.T) {
	all, err := corpus.Load(corpus.Files)
	require.NoError(t, err)
	var cases []*corpus.Case
	for _, c := range all {
		switch c.Name {
		case "y_keep_before_login", "n_args_above_max_keep_13", "n_version_0", "y_keep_after_login":
			cases = append(cases, c)
		}
	}
	require.Len(t, cases, 4)
	d := spec.DialectSpec
	for _, restart := range []bool{false, true} {
		t.Run(fmt.Sprintf("restart=%v", restart), func(t *testing.T) {
			cfg := ReplayConfig{Addr: startCrashDouble(t, d), Dialect: d, Timeout: 2 * time.Second, Cases: cases}
			restarts := 0
			if restart {
				cfg.Restart = func(context.Context) (string, error) { restarts++; return startCrashDouble(t, d), nil }
			}
			var log strings.Builder
			cfg.Log = &log
			rs, err := Replay(context.Background(), cfg)
			require.NoError(t, err, log.String())
			got := map[string]Status{}
			for _, r := range rs {
				got[r.Case.Name] = r.Status
			}
			// Replayed in name order: the crash comes first.
			want := map[string]Status{"n_args_above_max_keep_13": Crash, "n_version_0": Skip, "y_keep_after_login": Skip, "y_keep_before_login": Skip}
			if restart {
				want["n_version_0"], want["y_keep_after_login"], want["y_keep_before_login"] = Pass, Pass, Pass
			}
			require.Equal(t, want, got, log.String())
			require.Contains(t, log.String(), "no HELLO")
			if !restart {
				require.Contains(t, log.String(), "server down since n_args_above_max_keep_13")
			} else {
				require.Equal(t, 1, restarts)
			}
			t.Log(log.String())
		})
	}
}

// TestReplayPreconditionError: a login before the case that fails is a
// precondition error, not a failure of the case.
func TestReplayPreconditionError(t *testing.T) {
	c, err := corpus.Load(corpus.Files)
	require.NoError(t, err)
	var cases []*corpus.Case
	for _, x := range c {
		if x.Name == "y_keep_after_login" {
			cases = append(cases, x)
		}
	}
	require.Len(t, cases, 1)
	keys, err := fixtureKeys()
	require.NoError(t, err)
	rs, err := Replay(context.Background(), ReplayConfig{Addr: startRef(t, spec.DialectSpec), Dialect: spec.DialectSpec,
		Account: &Account{Name: "nosuchaccount", Key: keys[0]}, Cases: cases})
	require.NoError(t, err)
	require.Len(t, rs, 1)
	assert.Equal(t, Error, rs[0].Status, rs[0].Detail)
	assert.Contains(t, rs[0].Detail, "precondition login")
}
