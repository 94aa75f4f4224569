package conformance_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/gochatproto/gochat/conformance"
	"github.com/gochatproto/gochat/conformance/internal/mutant"
	"github.com/gochatproto/gochat/conformance/runner"
	"github.com/gochatproto/gochat/conformance/target"
	"github.com/gochatproto/gochat/conformance/target/embedded"
	"github.com/gochatproto/gochat/spec"
)

func newEmbedded(t *testing.T, s *conformance.Suite) target.Target {
	t.Helper()
	tgt, err := embedded.New(context.Background(), embedded.Options{Dialect: spec.DialectSpec,
		AdminKey: s.Keys["admin"], OwnerKey: s.Keys["owner"], AdminName: "admintest", OwnerName: "ownertest"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tgt.Close() })
	return tgt
}

// runAll runs every server scenario. scale 0 takes the default timeout
// scale (GOCHAT_TIMEOUT_SCALE): the baseline must pass even on a loaded
// machine. The mutant runs use scale 1: they only look for failures, and a
// spurious timeout there cannot hide a scenario that tests nothing, because
// every scenario must still fail against some mutant in every run.
func runAll(tgt target.Target, s *conformance.Suite, scale float64) []*runner.Result {
	return runner.Run(context.Background(), serverScenarios(s), runner.Options{Target: tgt, Keys: s.Keys,
		Seed: 1, TimeoutScale: scale})
}

func serverScenarios(s *conformance.Suite) []*conformanceScenario {
	scs, _ := s.Select(conformance.Options{})
	return scs
}

// TestReferenceServerPasses is the baseline for the mutant test: every
// scenario passes against the unmodified reference server.
func TestReferenceServerPasses(t *testing.T) {
	s := loadSuite(t)
	for _, r := range runAll(newEmbedded(t, s), s, 0) {
		if r.Verdict != runner.Pass {
			t.Errorf("%s: %s %s %+v", r.ID, r.Verdict, r.Reason, r.Failures)
		}
	}
}

// TestEveryScenarioCanFail runs the suite through proxies that break the
// reference server in different ways and requires every scenario to fail
// against at least one of them (a kill matrix: a scenario no mutant
// kills may not be testing anything).
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
		for _, r := range runAll(mt, s, 1) {
			if r.Verdict == runner.Fail {
				killedBy[r.ID] = append(killedBy[r.ID], m.Name)
			}
		}
		_ = mt.Close()
	}
	var lines, alive []string
	for _, sc := range serverScenarios(s) {
		lines = append(lines, fmt.Sprintf("%-36s %s", sc.ID, strings.Join(killedBy[sc.ID], " ")))
		if len(killedBy[sc.ID]) == 0 {
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
