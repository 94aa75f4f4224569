package engine

import (
	"context"
	"crypto/rsa"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/conformance/registry"
	"github.com/gochatproto/gochat/conformance/report"
	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/internal/testbin"
	"github.com/gochatproto/gochat/scenarios"
	"github.com/gochatproto/gochat/spec"
)

// binaries builds the reference client and the fault-injecting driver
// once per test process.
func binaries(t *testing.T) string {
	t.Helper()
	return testbin.Build(t, "github.com/gochatproto/gochat/refclient/cmd/gochat-client",
		"github.com/gochatproto/gochat/conformance/engine/internal/faultyclient")
}

func TestMain(m *testing.M) { testbin.Main(m) }

// clientScenarios loads the committed client-role scenarios.
func clientScenarios(t *testing.T) ([]*scenario.Scenario, map[string]*rsa.PrivateKey) {
	t.Helper()
	scs, err := scenario.Load(scenarios.FS, scenario.LoadOptions{})
	require.NoError(t, err)
	keys, err := codec.LoadKeys(scenarios.FS, "fixtures/keys")
	require.NoError(t, err)
	return scs, keys
}

// runClient runs the client suite (or the scenarios only names) with the
// project's registry under --strict, so decision checks judge too.
func runClient(t *testing.T, cmd string, d spec.Dialect, only ...string) []*result.Result {
	t.Helper()
	return runClientMode(t, cmd, d, true, only...)
}

func runClientMode(t *testing.T, cmd string, d spec.Dialect, strict bool, only ...string) []*result.Result {
	t.Helper()
	reg, err := registry.Embedded()
	require.NoError(t, err)
	scs, keys := clientScenarios(t)
	if len(only) > 0 {
		scs = slices.DeleteFunc(scs, func(sc *scenario.Scenario) bool { return !slices.Contains(only, sc.ID) })
	}
	e, err := New(Options{Role: scenario.RoleClient, ClientCmd: cmd, Dialect: d, Keys: keys, Seed: 1,
		Registry: reg, Strict: strict})
	require.NoError(t, err)
	rs := e.Run(context.Background(), scs)
	require.NotEmpty(t, rs)
	return rs
}

// TestReferenceClient runs every client scenario against the reference
// client in both dialects, under --strict.
func TestReferenceClient(t *testing.T) {
	bin := binaries(t)
	for _, d := range []spec.Dialect{spec.DialectSpec, spec.DialectGochat1} {
		t.Run(d.String(), func(t *testing.T) {
			rs := runClient(t, filepath.Join(bin, "gochat-client")+" -driver", d)
			for _, r := range rs {
				if r.Verdict != result.Pass {
					var b strings.Builder
					report.Detail(&b, r, report.Info{})
					t.Error(b.String())
				}
			}
			assertClientMatrix(t, rs)
		})
	}
}

// assertClientMatrix: the requirement matrix of a client run lists client
// requirements (role client or both) only, and each of them.
func assertClientMatrix(t *testing.T, rs []*result.Result) {
	t.Helper()
	reg, err := registry.Embedded()
	require.NoError(t, err)
	rows := report.Matrix(rs, report.Info{Registry: reg, Role: scenario.RoleClient})
	assert.Len(t, rows, len(reg.AppliesTo(scenario.RoleClient)))
	for _, row := range rows {
		q, ok := reg.Get(row.ID)
		if assert.True(t, ok, row.ID) {
			assert.NotEqual(t, registry.RoleServer, q.Role, "%s in the client matrix", row.ID)
		}
	}
}

// TestBrokenClientsFail shows that the client scenarios can fail: each
// fault injected into the reference client's outgoing bytes must make the
// listed scenarios fail (and nothing may error). Faults apply to plain TCP
// only (the wrapper sits below TLS), so TLS scenarios are not listed.
func TestBrokenClientsFail(t *testing.T) {
	bin := binaries(t)
	cases := []struct {
		fault    string
		mustFail []string
		whole    bool // run the whole suite, not only mustFail
	}{
		{"msg-byte", []string{"CLI-msg-encrypt", "CLI-msg-maxlen"}, true},
		{"verif-wrong", []string{"CLI-login-challenge", "CLI-login-challenge-crlf"}, true},
		{"id-zero", []string{"CLI-hdr-valid", "CLI-reg-key", "CLI-login-challenge"}, true},
		{"brdcast-plain", []string{"CLI-brdcast-plain"}, false},
		{"ignore-malformed", []string{"CLI-bad-version", "CLI-null-action", "CLI-shtdwn-with-id", "CLI-client-action",
			"CLI-bad-hook-info", "CLI-push-with-id"}, false},
		{"insecure-tls", []string{"CLI-tls-verify"}, false},
		{"hang-on-close", []string{"CLI-pending-at-close"}, false},
		{"shtdwn-ms", []string{"CLI-shtdwn-time", "CLI-reply-by-id"}, false},
		{"swap-messages", []string{"CLI-catchup-many", "CLI-catchup"}, false},
		{"no-pinning", []string{"CLI-key-change"}, false},
		{"msg-plaintext", []string{"CLI-msg-encrypt"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.fault, func(t *testing.T) {
			got := map[string]result.Verdict{}
			var only []string
			if !tc.whole {
				only = tc.mustFail
			}
			for _, r := range runClient(t, filepath.Join(bin, "faultyclient")+" -fault "+tc.fault, spec.DialectSpec, only...) {
				got[r.ID] = r.Verdict
				// A fault that breaks a setup step (the login) makes later
				// scenarios a precondition error, never a plain error.
				if r.Verdict == result.Error {
					assert.Equal(t, result.KindPrecondition, r.Kind, "%s: %s", r.ID, r.Reason)
				}
			}
			for _, id := range tc.mustFail {
				// A SHOULD scenario catches a fault with warn.
				assert.Contains(t, []result.Verdict{result.Fail, result.Warn}, got[id],
					"%s should catch fault %s", id, tc.fault)
			}
		})
	}
}

// TestDecisionsAreNotesByDefault: a client that breaks only a project
// decision (catch-up order, E-68) passes a default run with a note and
// fails under --strict.
func TestDecisionsAreNotesByDefault(t *testing.T) {
	bin := binaries(t)
	cmd := filepath.Join(bin, "faultyclient") + " -fault swap-messages"
	rs := runClientMode(t, cmd, spec.DialectSpec, false, "CLI-catchup-many")
	require.Len(t, rs, 1)
	assert.Equal(t, result.Pass, rs[0].Verdict)
	assert.NotEmpty(t, rs[0].Notes)
	rs = runClientMode(t, cmd, spec.DialectSpec, true, "CLI-catchup-many")
	assert.Equal(t, result.Fail, rs[0].Verdict)
}

// TestCrashingClient: a client that dies on one class of push gets the
// verdict crash, naming the packet that killed it.
func TestCrashingClient(t *testing.T) {
	bin := binaries(t)
	rs := runClient(t, filepath.Join(bin, "faultyclient")+" -fault crash-shtdwn", spec.DialectSpec, "CLI-shtdwn-no-time")
	require.Len(t, rs, 1)
	assert.Equal(t, result.Crash, rs[0].Verdict)
	assert.Contains(t, rs[0].Reason, "SHTDWN")
}

// TestThinAdapter runs the whole client suite through a deliberately thin
// adapter around the reference client: it supports only connect, login,
// send_message and catch_up, and reports only message events. Every
// scenario needing another command or event must be skipped as
// unsupported; none may fail or error.
func TestThinAdapter(t *testing.T) {
	bin := binaries(t)
	cmd := filepath.Join(bin, "faultyclient") + " -only connect,login,send_message,catch_up -events message"
	skipped := 0
	for _, r := range runClient(t, cmd, spec.DialectSpec) {
		switch r.Verdict {
		case result.Pass:
		case result.Skip:
			assert.Equal(t, result.KindUnsupported, r.Kind, "%s: %s", r.ID, r.Reason)
			skipped++
		default:
			var b strings.Builder
			report.Detail(&b, r, report.Info{})
			t.Error(b.String())
		}
	}
	assert.NotZero(t, skipped)
}
