package conformance_test

import (
	"testing"

	"github.com/gochatproto/gochat/conformance/internal/mutant"
	"github.com/gochatproto/gochat/conformance/result"
)

// TestFairServersPassDefault runs the suite in the spec dialect, at the
// default level, against servers that differ from the reference server
// only where the original specification lets them (mutant.Fair: DER keys
// refused, PEM accepted). None may fail or error: a scenario that does
// judges a decision as the specification, or sets itself up with a form
// the specification does not require.
func TestFairServersPassDefault(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suite once per fair server")
	}
	s := loadSuite(t)
	for _, m := range mutant.Fair {
		t.Run(m.Name, func(t *testing.T) {
			mt, err := mutant.New(newEmbedded(t, s), m)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = mt.Close() }()
			for _, r := range runLevel(t, mt, s, false) {
				if r.Verdict == result.Fail || r.Verdict == result.Error || r.Verdict == result.Crash {
					msg := ""
					if len(r.Failures) > 0 {
						msg = r.Failures[0].Message
					}
					t.Errorf("%s: %s %s (%s)", r.ID, r.Verdict, r.Kind, msg)
				}
			}
		})
	}
}
