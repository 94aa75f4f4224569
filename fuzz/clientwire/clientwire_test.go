package clientwire

import (
	"context"
	"math/rand"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/internal/testbin"
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

func TestCorpusFormat(t *testing.T) {
	cases, err := LoadCases(nil)
	require.NoError(t, err)
	count := map[Outcome]int{}
	for _, c := range cases {
		count[c.Outcome]++
	}
	assert.GreaterOrEqual(t, len(cases), 40)
	assert.NotZero(t, count[Accept])
	assert.NotZero(t, count[Reject])
	assert.NotZero(t, count[ImplDef])
	_, err = ParseCase("x_bad", []byte("# d\nrequirements: [CLIENT-8]\nsteps:\n"))
	assert.Error(t, err)
	_, err = ParseCase("n_bad", []byte("# d\nrequirements: [CLIENT-8]\nbogus: 1\n"))
	assert.Error(t, err)
}

// TestCorpusReferenceClient: the reference client passes every case under
// --strict; a client that ignores malformed packets fails the n_ cases,
// and one that crashes on a SHTDWN without arguments is a crash.
func TestCorpusReferenceClient(t *testing.T) {
	bin := binaries(t)
	ctx := context.Background()
	rs, err := Replay(ctx, Config{ClientCmd: filepath.Join(bin, "gochat-client") + " -driver", Dialect: spec.DialectSpec,
		Strict: true, Seed: 1}, nil)
	require.NoError(t, err)
	for _, r := range rs {
		assert.Equal(t, result.Pass, r.Verdict, "%s: %s %+v", r.Case.Name, r.Result.Reason, r.Result.Failures)
	}
	cases, err := LoadCases(nil)
	require.NoError(t, err)
	var some []*Case
	for _, c := range cases {
		if c.Name == "n_version_2" || c.Name == "n_shtdwn_no_args" || c.Name == "y_shtdwn_future" {
			some = append(some, c)
		}
	}
	got := map[string]result.Verdict{}
	rs, err = Replay(ctx, Config{ClientCmd: filepath.Join(bin, "faultyclient") + " -fault crash-shtdwn",
		Dialect: spec.DialectSpec, Strict: true, Seed: 1}, some)
	require.NoError(t, err)
	for _, r := range rs {
		got[r.Case.Name] = r.Verdict
	}
	assert.Equal(t, map[string]result.Verdict{"n_version_2": result.Pass, "n_shtdwn_no_args": result.Crash,
		"y_shtdwn_future": result.Pass}, got)
}

// TestFuzzFindsAndShrinksCrash: a client that panics on a SHTDWN push
// without arguments is found by the hostile server and the finding is
// shrunk to the one packet (plus the connect and the liveness probe).
func TestFuzzFindsAndShrinksCrash(t *testing.T) {
	bin := binaries(t)
	cases, err := LoadCases(nil)
	require.NoError(t, err)
	var seeds []*Case
	for _, c := range cases {
		if c.Name == "y_shtdwn_future" || c.Name == "y_hook_newlogout" {
			seeds = append(seeds, c)
		}
	}
	fds, n, err := Fuzz(context.Background(), FuzzConfig{
		Config: Config{ClientCmd: filepath.Join(bin, "faultyclient") + " -fault crash-shtdwn", Dialect: spec.DialectSpec, Seed: 3},
		Cases:  40, MaxFindings: 1, Seeds: seeds, Mutations: []string{"no-args", "drop-last-arg", "reserved", "id-7"}})
	require.NoError(t, err)
	require.Len(t, fds, 1, "no finding in %d sessions", n)
	fd := fds[0]
	assert.Equal(t, "crash", fd.Kind)
	doc := string(fd.Scenario)
	steps := doc[strings.Index(doc, "steps:\n"):]
	// The packet, the checks that nothing was reported for it, the
	// disconnect and the probe.
	assert.Equal(t, 2+len(falseReportChecks)+len(livenessLines), strings.Count(steps, "\n  - "), doc)
	assert.Contains(t, steps, `"action":"SHTDWN"`)
	assert.NotContains(t, steps, "login", "the login is not needed to crash it")
	// The finding is a ready-to-run scenario: it loads and still crashes
	// the broken client.
	r, err := newRunner(Config{ClientCmd: filepath.Join(bin, "faultyclient") + " -fault crash-shtdwn", Dialect: spec.DialectSpec, Seed: 3})
	require.NoError(t, err)
	sc, err := r.parse("finding.yaml", fd.Scenario)
	require.NoError(t, err)
	rs := r.run(context.Background(), scs(sc))
	assert.Equal(t, result.Crash, rs[0].Verdict)
}

// TestFuzzFindsFalseReport: a client that ignores the version field
// reports a SHTDWN the mutation made version 2, which it had to reject;
// the fuzzer reports it as a false report.
func TestFuzzFindsFalseReport(t *testing.T) {
	bin := binaries(t)
	cases, err := LoadCases(nil)
	require.NoError(t, err)
	var seeds []*Case
	for _, c := range cases {
		if c.Name == "y_shtdwn_before_login" {
			seeds = append(seeds, c)
		}
	}
	fds, n, err := Fuzz(context.Background(), FuzzConfig{
		Config: Config{ClientCmd: filepath.Join(bin, "faultyclient") + " -fault lenient-version", Dialect: spec.DialectSpec, Seed: 3},
		Cases:  10, MaxFindings: 1, Seeds: seeds, Mutations: []string{"version-2"}})
	require.NoError(t, err)
	require.Len(t, fds, 1, "no finding in %d sessions", n)
	assert.Equal(t, "false-report", fds[0].Kind)
	assert.Contains(t, string(fds[0].Scenario), "absent: true")
}

// TestFuzzReferenceClient: a bounded hostile-server run finds nothing in
// the reference client.
func TestFuzzReferenceClient(t *testing.T) {
	bin := binaries(t)
	fds, n, err := Fuzz(context.Background(), FuzzConfig{
		Config: Config{ClientCmd: filepath.Join(bin, "gochat-client") + " -driver", Dialect: spec.DialectSpec, Seed: 5},
		Cases:  24})
	require.NoError(t, err)
	assert.Equal(t, 24, n)
	for _, fd := range fds {
		t.Errorf("finding (%s, %s):\n%s", fd.Kind, fd.Mutation, fd.Scenario)
	}
}

// TestMutationsLoad: mutated sessions are valid client scenarios (a
// mutation the format cannot express would silently waste a session).
func TestMutationsLoad(t *testing.T) {
	fc := FuzzConfig{}
	ss, err := fc.sessions()
	require.NoError(t, err)
	r, err := newRunner(Config{ClientCmd: "true"})
	require.NoError(t, err)
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 300; i++ {
		s := ss[rng.Intn(len(ss))]
		steps, name, checks, ok := mutate(rng, s, mutations)
		require.True(t, ok, s.id)
		_, err := r.parse("m.yaml", s.render(steps, checks))
		assert.NoError(t, err, "%s: %s", name, steps[len(steps)-1])
	}
}
