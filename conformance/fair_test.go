package conformance_test

import (
	"context"
	"crypto/rsa"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/gochatproto/gochat/conformance"
	"github.com/gochatproto/gochat/conformance/internal/mutant"
	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/conformance/target"
	"github.com/gochatproto/gochat/spec"
)

// TestFairServersPassDefault runs the suite in the spec dialect, at the
// default level, against servers that differ from the reference server
// only where the original specification lets them (mutant.Fair: DER keys
// refused, PEM accepted; CRLF inside arguments refused; a LOGIN
// challenge under another padding). None may fail or
// error: a scenario that does judges a decision as the specification, or
// sets itself up with a form the specification does not require. Under
// --strict each must fail.
func TestFairServersPassDefault(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suite once per fair server")
	}
	s := loadSuite(t)
	for _, m := range fairMutations(s) {
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

// fairMutations is mutant.Fair plus the doubles that need the suite's
// keys: a LOGIN challenge under RSA-OAEP-SHA1 (the padding is E-15's
// decision).
func fairMutations(s *conformance.Suite) []*mutant.Mutation {
	admin, owner := s.Accounts(1, "")
	known := map[string]*rsa.PrivateKey{admin.Name: admin.Key, owner.Name: owner.Key}
	keys := slices.Collect(maps.Values(s.Keys))
	return append(slices.Clone(mutant.Fair), mutant.OAEPSHA1Challenge(keys, known))
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

// TestCloseAfterERRIsPrecondition: a server that closes the connection
// right after each ERR does what the original specification allows; a
// scenario that goes on using that connection ends as a precondition
// error naming E-61, never as a failure. Two scenarios that do so keep
// the test short.
func TestCloseAfterERRIsPrecondition(t *testing.T) {
	s := loadSuite(t)
	tgt := fairServer(t, s, mutant.CloseAfterERR)
	out, err := conformance.Run(context.Background(), conformance.Options{Suite: s, Target: tgt, Seed: 1,
		Run: "^(USRS-cov-bad-kind|CONN-nosess)$"})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Results) != 2 {
		t.Fatalf("ran %d scenarios, want 2", len(out.Results))
	}
	for _, r := range out.Results {
		if r.Verdict != result.Error || r.Kind != result.KindPrecondition || !strings.Contains(r.Reason, "E-61") {
			t.Errorf("%s: %s %s %q, want an error of kind precondition naming E-61", r.ID, r.Verdict, r.Kind, r.Reason)
		}
		if len(r.Failures) > 0 {
			t.Errorf("%s: failures %v", r.ID, r.Failures)
		}
	}
}

// permASCII sends the level in REQ replies as one ASCII digit: a single
// byte, as the original asks, but not E-14's raw byte (ENC-7).
var permASCII = &mutant.Mutation{Name: "perm-ascii", ToClient: func(p *spec.Packet) []*spec.Packet {
	if p.Action == spec.REQ && len(p.Args) == 3 && len(p.Args[2]) == 1 && p.Args[2][0] < 10 {
		p.Args[2] = []byte{'0' + p.Args[2][0]}
	}
	return []*spec.Packet{p}
}}

// okInfoZero writes Info 0 in OK packets: the original gives OK no Info,
// and 0xFF there is E-9's decision (FRAME-13).
var okInfoZero = &mutant.Mutation{Name: "ok-info-zero", ToClient: func(p *spec.Packet) []*spec.Packet {
	if p.Action == spec.OK {
		p.Info = 0
	}
	return []*spec.Packet{p}
}}

// TestEncodingOnlyDifferenceIsDecisionLevel: a level encoded otherwise
// than E-14, or an Info E-9 does not expect, fails no spec check: by
// default the scenarios pass with a note under the decision's
// requirement; under --strict they fail on it.
func TestEncodingOnlyDifferenceIsDecisionLevel(t *testing.T) {
	s := loadSuite(t)
	for _, c := range []struct {
		m   *mutant.Mutation
		req string
	}{{permASCII, "ENC-7"}, {okInfoZero, "FRAME-13"}} {
		t.Run(c.m.Name, func(t *testing.T) {
			run := func(strict bool) []*result.Result {
				out, err := conformance.Run(context.Background(), conformance.Options{Suite: s, Target: fairServer(t, s, c.m),
					Seed: 1, Strict: strict, Run: "^(ADMIN-chgperms|LOGIN-ok)$"})
				if err != nil {
					t.Fatal(err)
				}
				if len(out.Results) == 0 {
					t.Fatal("no scenario ran")
				}
				return out.Results
			}
			for _, r := range run(false) {
				if r.Verdict != result.Pass || !slices.ContainsFunc(r.Notes, func(f result.Failure) bool { return slices.Contains(f.Requirements, c.req) }) {
					t.Errorf("default: %s: %s, notes %v, want pass with a %s note", r.ID, r.Verdict, r.Notes, c.req)
				}
			}
			for _, r := range run(true) {
				if r.Verdict != result.Fail || len(r.Failures) == 0 || r.Failures[0].Source != result.SourceDecision {
					t.Errorf("--strict: %s: %s %v, want a decision failure", r.ID, r.Verdict, r.Failures)
				}
			}
		})
	}
}
