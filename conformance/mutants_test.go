package conformance_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gochatproto/gochat/conformance"
	"github.com/gochatproto/gochat/conformance/internal/mutant"
	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/conformance/target"
	"github.com/gochatproto/gochat/conformance/target/embedded"
	"github.com/gochatproto/gochat/spec"
)

func newEmbedded(t *testing.T, s *conformance.Suite) target.Target {
	t.Helper()
	admin, owner := s.Accounts(1, "")
	tgt, err := embedded.New(context.Background(), embedded.Options{Dialect: spec.DialectSpec, Admin: admin, Owner: owner})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tgt.Close() })
	return tgt
}

// runAll runs every server scenario at timeout scale 1: the mutant runs
// only look for failures, and a spurious timeout there cannot hide a
// scenario that tests nothing, because every scenario must still fail
// against some mutant in every run. The baseline, every scenario passing
// against the unmodified reference server, is TestSuiteOnSQLite.
func runAll(t *testing.T, tgt target.Target, s *conformance.Suite) []*result.Result {
	t.Helper()
	// Strict: the kill matrix asks whether a scenario can fail at all,
	// and a scenario of decisions only fails only under --strict.
	out, err := conformance.Run(context.Background(), conformance.Options{Suite: s, Target: tgt, Seed: 1,
		TimeoutScale: 1, Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	return out.Results
}

// everywhere marks, in the kill matrix, a mutant that breaks every packet.
const everywhere = "(everywhere)"

// TestEveryScenarioCanFail runs the suite through proxies that break the
// reference server in different ways and requires every scenario to fail
// against at least one of them (a kill matrix: a scenario no mutant
// kills may not be testing anything). A mutant that breaks every packet
// (reserved-zero) kills every scenario through the per-packet checks, so
// its kills do not count.
func TestEveryScenarioCanFail(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suite once per mutant")
	}
	s := loadSuite(t)
	killedBy := map[string][]string{}
	for _, m := range mutant.All {
		inner := newEmbedded(t, s)
		mt, err := mutant.New(inner, m)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runAll(t, mt, s) {
			if r.Verdict == result.Fail || r.Verdict == result.Warn { // warn: a SHOULD-level scenario
				name := m.Name
				if m.Everywhere {
					name += everywhere
				}
				killedBy[r.ID] = append(killedBy[r.ID], name)
			}
		}
		_ = mt.Close()
	}
	var lines, alive []string
	scs, err := s.Select(conformance.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scs {
		lines = append(lines, fmt.Sprintf("%-36s %s", sc.ID, strings.Join(killedBy[sc.ID], " ")))
		if !slices.ContainsFunc(killedBy[sc.ID], func(n string) bool { return !strings.HasSuffix(n, everywhere) }) {
			alive = append(alive, sc.ID)
		}
	}
	sort.Strings(lines)
	t.Logf("kill matrix:\n%s", strings.Join(lines, "\n"))
	if len(alive) > 0 {
		t.Errorf("scenarios no broken server makes fail (add a mutant or sharpen the scenario): %s",
			strings.Join(alive, ", "))
	}
}
