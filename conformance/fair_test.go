package conformance_test

import (
	"testing"

	"github.com/gochatproto/gochat/conformance"
	"github.com/gochatproto/gochat/conformance/internal/mutant"
	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/conformance/target"
)

// TestFairServersPassDefault runs the suite in the spec dialect, at the
// default level, against servers that differ from the reference server
// only where the original specification lets them (mutant.Fair: DER keys
// refused, PEM accepted; CRLF inside arguments refused). None may fail or
// error: a scenario that does judges a decision as the specification, or
// sets itself up with a form the specification does not require. Under
// --strict each must fail.
func TestFairServersPassDefault(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suite once per fair server")
	}
	s := loadSuite(t)
	for _, m := range mutant.Fair {
		t.Run(m.Name, func(t *testing.T) {
			for _, r := range runLevel(t, fairServer(t, s, m), s, false) {
				if r.Verdict == result.Fail || r.Verdict == result.Error || r.Verdict == result.Crash {
					msg := ""
					if len(r.Failures) > 0 {
						msg = r.Failures[0].Message
					}
					t.Errorf("%s: %s %s (%s)", r.ID, r.Verdict, r.Kind, msg)
				}
			}
			// The difference is a decision's, so --strict sees it. A new
			// server: the same seed registers the same names again.
			strict := withVerdict(runLevel(t, fairServer(t, s, m), s, true), result.Fail)
			if len(strict) == 0 {
				t.Error("--strict: no scenario checks the decision this server does not follow")
			}
			t.Logf("--strict fails: %v", strict)
		})
	}
}

// fairServer starts a reference server behind m, closed with the test.
func fairServer(t *testing.T, s *conformance.Suite, m *mutant.Mutation) target.Target {
	t.Helper()
	mt, err := mutant.New(newEmbedded(t, s), m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mt.Close() })
	return mt
}
