package conformance_test

import (
	"bytes"
	"context"
	"slices"
	"sort"
	"testing"

	"github.com/gochatproto/gochat/conformance"
	"github.com/gochatproto/gochat/conformance/internal/mutant"
	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/conformance/target"
	"github.com/gochatproto/gochat/conformance/target/embedded"
	"github.com/gochatproto/gochat/spec"
)

// runLevel runs every server scenario against tgt, by default or under
// --strict.
func runLevel(t *testing.T, tgt target.Target, s *conformance.Suite, strict bool) []*result.Result {
	t.Helper()
	out, err := conformance.Run(context.Background(), conformance.Options{Suite: s, Target: tgt, Seed: 1,
		Strict: strict})
	if err != nil {
		t.Fatal(err)
	}
	return out.Results
}

func withVerdict(rs []*result.Result, v result.Verdict) []string {
	var out []string
	for _, r := range rs {
		if r.Verdict == v {
			out = append(out, r.ID)
		}
	}
	sort.Strings(out)
	return out
}

// TestOtherErrorCodesPassByDefault: a server that answers with other
// error codes than the reference (here: ERR_UNDEFINED for every ERR) does
// what the original specification asks, since it assigns no codes
// (E-60). It passes a default run and fails only under --strict.
func TestOtherErrorCodesPassByDefault(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suite twice")
	}
	s := loadSuite(t)
	i := slices.IndexFunc(mutant.All, func(m *mutant.Mutation) bool { return m.Name == "wrong-err-code" })
	mt, err := mutant.New(newEmbedded(t, s), mutant.All[i])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mt.Close() })
	def := runLevel(t, mt, s, false)
	if bad := append(withVerdict(def, result.Fail), withVerdict(def, result.Error)...); len(bad) > 0 {
		t.Errorf("default run: scenarios judge an error code the specification does not assign: %v", bad)
	}
	if len(withVerdict(def, result.Crash)) > 0 {
		t.Errorf("default run: crash: %v", withVerdict(def, result.Crash))
	}
	strict := runLevel(t, mt, s, true)
	if len(withVerdict(strict, result.Fail)) == 0 {
		t.Error("--strict: no scenario checks the reference's error codes")
	}
}

// refuseDER answers a REG whose key is DER (not PEM) with ERR_ARGS, as a
// server speaking gochat1 (the original implementation's PEM keys) that
// does not take the other encoding. Accepting both is ENC-3, a decision.
var refuseDER = &mutant.Mutation{Name: "refuse-der-keys", ToServer: func(p *spec.Packet) (up, back []*spec.Packet) {
	if p.Action == spec.REG && len(p.Args) > 1 && !bytes.HasPrefix(p.Args[1], []byte("-----BEGIN")) {
		e := spec.NewPacket(spec.ERR, p.ID)
		e.Info = uint8(spec.CodeArgs)
		return nil, []*spec.Packet{e}
	}
	return []*spec.Packet{p}, nil
}}

// TestPEMOnlyServerPassesByDefault: in the gochat1 dialect a server that
// refuses DER keys does what the dialect asks; setup steps register with
// the dialect's own encoding, so it passes a default run.
func TestPEMOnlyServerPassesByDefault(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suite")
	}
	s := loadSuite(t)
	admin, owner := s.Accounts(1, "")
	inner, err := embedded.New(context.Background(), embedded.Options{Dialect: spec.DialectGochat1, Admin: admin, Owner: owner})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inner.Close() })
	mt, err := mutant.New(inner, refuseDER)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mt.Close() })
	def := runLevel(t, mt, s, false)
	for _, v := range []result.Verdict{result.Fail, result.Error, result.Crash} {
		if bad := withVerdict(def, v); len(bad) > 0 {
			t.Errorf("default run: %s: %v", v, bad)
		}
	}
	strict := runLevel(t, mt, s, true)
	if len(withVerdict(strict, result.Fail))+len(withVerdict(strict, result.Warn)) == 0 {
		t.Error("--strict: nothing checks that DER keys are accepted too (ENC-3)")
	}
}
