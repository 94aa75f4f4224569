package clientwire

import (
	"context"
	"fmt"

	"github.com/gochatproto/gochat/conformance"
	"github.com/gochatproto/gochat/conformance/engine"
	"github.com/gochatproto/gochat/conformance/registry"
	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/spec"
)

// Config says which client to test and how.
type Config struct {
	ClientCmd string // the driver adapter's command template (docs/driver.md)
	Dialect   spec.Dialect
	Strict    bool // judge project decisions like the specification
	Seed      int64
	Parallel  int // scenarios at once (default: the engine's, 4 client processes)
}

// runner runs generated client scenarios with the suite's registry and
// fixture keys.
type runner struct {
	cfg   Config
	suite *conformance.Suite
	eng   *engine.Engine
}

func newRunner(cfg Config) (*runner, error) {
	s, err := conformance.Load(nil)
	if err != nil {
		return nil, err
	}
	e, err := engine.New(engine.Options{Role: scenario.RoleClient, ClientCmd: cfg.ClientCmd, Dialect: cfg.Dialect,
		Keys: s.Keys, Seed: cfg.Seed, Registry: s.Registry, Strict: cfg.Strict, Parallel: cfg.Parallel})
	if err != nil {
		return nil, err
	}
	return &runner{cfg: cfg, suite: s, eng: e}, nil
}

// parse loads a generated scenario with the suite's checks.
func (r *runner) parse(name string, doc []byte) (*scenario.Scenario, error) {
	keys := map[string]bool{}
	for k := range r.suite.Keys {
		keys[k] = true
	}
	reg := r.suite.Registry
	scs, err := scenario.Parse(name, doc, scenario.RoleClient, scenario.LoadOptions{
		KnownRequirement: func(id string) bool { _, ok := reg.Get(id); return ok }, Keys: keys})
	if err != nil {
		return nil, err
	}
	if len(scs) != 1 {
		return nil, fmt.Errorf("%s: %d scenarios, want 1", name, len(scs))
	}
	return scs[0], nil
}

func (r *runner) run(ctx context.Context, scs []*scenario.Scenario) []*result.Result {
	return r.eng.Run(ctx, scs)
}

// Registry is the requirement registry the runs judge with.
func (r *runner) Registry() *registry.Registry { return r.suite.Registry }

// CaseResult is the outcome of one corpus case.
type CaseResult struct {
	Case   *Case
	Result *result.Result
	// Verdict is the result's, except that an i_ case never fails: its
	// failures are what the client did, recorded as information.
	Verdict result.Verdict
}

// Replay runs cases (nil: the embedded corpus) against the client.
func Replay(ctx context.Context, cfg Config, cases []*Case) ([]CaseResult, error) {
	if cases == nil {
		var err error
		if cases, err = LoadCases(nil); err != nil {
			return nil, err
		}
	}
	r, err := newRunner(cfg)
	if err != nil {
		return nil, err
	}
	var scs []*scenario.Scenario
	byID := map[string]*Case{}
	for _, c := range cases {
		sc, err := r.parse(c.Name+".yaml", c.Scenario())
		if err != nil {
			return nil, err
		}
		scs = append(scs, sc)
		byID[sc.ID] = c
	}
	var out []CaseResult
	for _, res := range r.run(ctx, scs) {
		c := byID[res.ID]
		v := res.Verdict
		if c.Outcome == ImplDef && (v == result.Fail || v == result.Warn) {
			v = result.Pass
		}
		out = append(out, CaseResult{Case: c, Result: res, Verdict: v})
	}
	return out, nil
}

func scs(sc ...*scenario.Scenario) []*scenario.Scenario { return sc }
