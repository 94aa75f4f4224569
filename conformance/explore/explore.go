package explore

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/conformance/engine"
	"github.com/gochatproto/gochat/conformance/protoclient"
	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/conformance/target"
	"github.com/gochatproto/gochat/scenarios"
)

// Options configure an exploration.
type Options struct {
	Target   target.Target
	Actors   int
	Conns    int
	Ops      int
	Duration time.Duration
	Seed     uint64
	Strict   bool
	// Settle is how long a server may take to notice a close (default 1s).
	Settle       time.Duration
	ReplyTimeout time.Duration
	// Server is the configuration of each fresh server (short timeouts
	// reach the timing paths); used when the target can start them.
	Server scenario.ServerConfig
	// Shrink bounds the replays spent minimising a failing plan (0: none).
	Shrink int
	// Log receives progress lines (nil: quiet).
	Log io.Writer
	// Replay, if set, is run instead of the generated plan (a finding's).
	Replay *Plan
}

// Report is the result of an exploration.
type Report struct {
	Plan      *Plan
	Outcome   *Outcome
	Failures  []Violation // judge the run (spec; decisions too with Strict)
	Notes     []Violation // decision-level, not judging
	Shrunk    *Plan       // the minimised plan, when a failure was shrunk
	ShrunkWhy []Violation // what the minimised plan still breaks
	Replays   int
	Started   time.Time
	Setup     error
}

// MaxActors is the number of fixture keys an exploration can give its
// actors (one more is the observer's).
func MaxActors() int {
	keys, err := fixtureKeys()
	if err != nil {
		return 0
	}
	return len(keys) - 1
}

func fixtureKeys() ([]Account, error) {
	keys, err := codec.LoadKeys(scenarios.FS, "fixtures/keys")
	if err != nil {
		return nil, err
	}
	var names []string
	for n := range keys {
		if n != "admin" && n != "owner" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	out := make([]Account, len(names))
	for i, n := range names {
		out[i] = Account{Name: n, Key: keys[n]}
	}
	return out, nil
}

// Explore generates the plan for o.Seed, runs it, checks the history and,
// on a failure, shrinks the plan.
func Explore(ctx context.Context, o Options) (*Report, error) {
	if o.Actors > MaxActors() || o.Replay != nil && o.Replay.Actors > MaxActors() {
		return nil, fmt.Errorf("explore: at most %d actors (one fixture key each)", MaxActors())
	}
	rep := &Report{Plan: o.Replay, Started: time.Now()}
	if rep.Plan == nil {
		rep.Plan = Generate(o.Seed, o.Actors, o.Conns, o.Ops)
	}
	out, vs, err := runPlan(ctx, o, rep.Plan, o.Duration, o.Log)
	if err != nil {
		return nil, err
	}
	rep.Outcome, rep.Setup = out, out.Setup
	rep.Failures, rep.Notes = Judge(vs, o.Strict)
	if len(rep.Failures) > 0 && o.Shrink > 0 {
		rep.Shrunk, rep.ShrunkWhy, rep.Replays = shrink(ctx, o, rep.Plan, rep.Failures[0].Invariant, out)
	}
	return rep, nil
}

// runPlan executes plan once on a fresh server when the target can start
// one (the shared one otherwise, deregistering the accounts afterwards)
// and checks the history.
func runPlan(ctx context.Context, o Options, plan *Plan, d time.Duration, log io.Writer) (*Outcome, []Violation, error) {
	ep, stop, fresh, err := endpoint(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	defer stop()
	keys, err := fixtureKeys()
	if err != nil {
		return nil, nil, err
	}
	salt := ""
	if !fresh {
		salt = fmt.Sprint(time.Now().UnixNano()) // names never reused on a long-lived server
	}
	accs := make([]Account, plan.Actors+1)
	names := make([]string, plan.Actors+1)
	for i := range accs {
		k := keys[i]
		accs[i] = Account{Name: engine.Username(int64(plan.Seed), salt, "explore", k.Name), Key: k.Key}
		names[i] = accs[i].Name
	}
	cfg := Config{Endpoint: ep, Dialect: o.Target.Dialect(), Plan: plan, Accounts: accs,
		Unknown: engine.Username(int64(plan.Seed), salt, "explore", "nobody"), ReplyTimeout: o.ReplyTimeout,
		Settle: o.Settle, Duration: d}
	if log != nil {
		start := time.Now()
		cfg.Progress = func(n int) {
			el := time.Since(start)
			fmt.Fprintf(log, "explore: %d/%d ops, %.0f ops/s, %v elapsed\n", n, len(plan.Ops), float64(n)/el.Seconds(), el.Round(time.Second))
		}
	}
	out := Execute(ctx, cfg)
	if !fresh {
		cleanup(ctx, cfg)
	}
	if out.Setup != nil {
		return out, nil, nil
	}
	f := Facts{Names: names, Unknown: cfg.Unknown, Settle: cfg.Settle, Alive: out.Alive, Strict: o.Strict,
		Verify: o.Server.VerifyTimeout, Dialect: cfg.Dialect}
	if f.Settle <= 0 {
		f.Settle = time.Second
	}
	return out, Check(out.Events, f), nil
}

func endpoint(ctx context.Context, o Options) (*target.Endpoint, func(), bool, error) {
	if fc, ok := o.Target.(target.FreshCapable); ok && fc.CanFresh() {
		ep, stop, err := o.Target.Fresh(ctx, o.Server)
		if err == nil {
			return ep, stop, true, nil
		}
		if err != target.ErrUnsupported {
			return nil, nil, false, err
		}
	}
	return o.Target.Shared(), func() {}, false, nil
}

// cleanup deregisters the run's accounts on a long-lived server so their
// keys can serve a later run (E-20 releases a deregistered key).
func cleanup(ctx context.Context, cfg Config) {
	for _, a := range cfg.Accounts {
		c, err := protoclient.Dial(ctx, cfg.Endpoint.Addr, protoclient.Options{Dialect: cfg.Dialect, Timeout: 5 * time.Second})
		if err != nil {
			return
		}
		if c.Login(ctx, a.Name, a.Key) == nil {
			_ = c.Dereg()
		}
		_ = c.Close()
	}
}
