package conformance

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/gochatproto/gochat/conformance/report"
	"github.com/gochatproto/gochat/conformance/runner"
)

// RunServer runs the server scenarios selected by o against the server o
// describes (the embedded reference server when o.Addr and o.ServerCmd are
// empty), one parallel subtest per scenario named by its ID. Missing
// capabilities skip; failures report the requirements, expected and
// actual packets, the transcript and a repro command.
func RunServer(t *testing.T, o Options) {
	t.Helper()
	s, err := Load(o.Scenarios)
	if err != nil {
		t.Fatalf("loading scenarios: %v", err)
	}
	scs, err := s.Select(o)
	if err != nil {
		t.Fatal(err)
	}
	if o.Seed == 0 {
		o.Seed = RandomSeed()
	}
	salt := saltFor(o)
	ctx := context.Background()
	tgt, err := NewTarget(ctx, o, s, salt)
	if err != nil {
		t.Fatalf("target: %v", err)
	}
	t.Cleanup(func() { _ = tgt.Close() })
	ro := runner.Options{Target: tgt, Keys: s.Keys, Seed: o.Seed, Salt: salt,
		TimeoutScale: o.TimeoutScale, MustOnly: o.Level == "must", Expect: o.Expect,
		Privileged: new(sync.Mutex), Pool: runner.NewKeyPool(s.Keys)}
	info := report.Info{Registry: s.Registry, Seed: o.Seed,
		ReproFormat: "go test -run '^" + t.Name() + "$/^%s$' (with Options.Seed = %d)"}
	for _, sc := range scs {
		t.Run(sc.ID, func(t *testing.T) {
			t.Parallel()
			r := runner.RunOne(ctx, sc, ro)
			switch r.Verdict {
			case runner.Skip:
				t.Skip(r.Reason)
			case runner.XFail:
				t.Logf("expected failure: %s", r.Reason)
			case runner.Fail, runner.Error:
				var b strings.Builder
				report.Detail(&b, r, info)
				t.Error(b.String())
			}
		})
	}
}

// saltFor returns the username salt: empty for the embedded server
// (fresh every run, so names can repeat), random for an external one.
func saltFor(o Options) string {
	if o.Addr == "" {
		return ""
	}
	return strings.ToLower(strings.TrimLeft(RandomSaltString(), "0"))
}

// RandomSaltString returns a short random string.
func RandomSaltString() string {
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	v := uint64(RandomSeed())
	b := make([]byte, 8)
	for i := range b {
		b[i] = digits[v%36]
		v /= 36
	}
	return string(b)
}
