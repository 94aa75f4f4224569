package conformance

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gochatproto/gochat/conformance/report"
	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/conformance/scenario"
)

// RunServer runs the server scenarios selected by o against the server o
// describes (Target, Addr or ServerCmd), one parallel subtest per scenario
// named by its ID. Missing capabilities skip; failures report the
// requirements, expected and actual packets, the transcript and a re-run
// command.
func RunServer(t *testing.T, o Options) {
	t.Helper()
	o.Role = scenario.RoleServer
	runTest(t, o)
}

// RunClient runs the client scenarios selected by o against the client
// whose driver adapter o.ClientCmd starts, one subtest per scenario.
func RunClient(t *testing.T, o Options) {
	t.Helper()
	o.Role = scenario.RoleClient
	runTest(t, o)
}

// runTest runs each selected scenario as a parallel subtest, so that
// "go test -run 'Test/^ID$'" runs just that scenario.
func runTest(t *testing.T, o Options) {
	t.Helper()
	name := t.Name()
	o.Rerun = func(id string, seed int64) string {
		return fmt.Sprintf("go test -run '^%s$/^%s$' (with Options.Seed = %d)", name, id, seed)
	}
	ctx := context.Background()
	s, err := Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	for _, sc := range s.Scenarios {
		t.Run(sc.ID, func(t *testing.T) {
			t.Parallel()
			r := s.RunOne(ctx, sc)
			switch r.Verdict {
			case result.Skip:
				t.Skip(r.Label() + ": " + r.Reason)
			case result.XFail:
				t.Logf("expected failure: %s", r.Reason)
			case result.Fail, result.Error, result.Crash:
				var b strings.Builder
				report.Detail(&b, r, s.Info)
				t.Error(b.String())
			default:
				if len(r.Warnings)+len(r.Notes) > 0 { // warn, or notes: shown, never failing
					var b strings.Builder
					report.Detail(&b, r, s.Info)
					t.Log(b.String())
				}
			}
		})
	}
}
