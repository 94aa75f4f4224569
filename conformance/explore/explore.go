package explore

import (
	"context"
	"crypto/rsa"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/conformance/engine"
	"github.com/gochatproto/gochat/conformance/keystore"
	"github.com/gochatproto/gochat/conformance/load"
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
	Settle time.Duration
	// CloseLag is how long a server may still write to a connection the
	// explorer closed, for the delivery check (default Settle/4).
	CloseLag     time.Duration
	ReplyTimeout time.Duration
	// Server is the configuration of each fresh server (short timeouts
	// reach the timing paths); used when the target can start them.
	Server scenario.ServerConfig
	// Shrink bounds the replays spent minimising a failing plan (0: none;
	// the CLI's default is DefaultShrink).
	Shrink int
	// ShrinkTries is how many times a smaller plan is replayed before it
	// counts as passing (0: DefaultShrinkTries): a race need not be lost
	// on every run.
	ShrinkTries int
	// Log receives progress lines (nil: quiet).
	Log io.Writer
	// Keys, if set, gives the accounts' keys on a server the explorer does
	// not start (--addr): each key is leased once and entered in the
	// ledger before its REG, so no run registers a key twice there and
	// E-20's release of a deregistered key is not relied on. Nil: the
	// fixture keys (deregistered at the end of the run).
	Keys *engine.KeyPool
	// Replay, if set, is run instead of the generated plan (a finding's).
	Replay *Plan
	// Repeat runs a Replay up to this many times (default 1), stopping at
	// the first failing run: a race need not be lost on every run.
	Repeat int
	// Round is the number of operations between quiescent points
	// (default 2000): each round is checked on its own, which bounds the
	// memory a long run needs.
	Round int
}

// DefaultShrink is the CLI's bound on shrinking replays. Delta debugging
// spends most replays on candidates that pass; with a race lost on only
// some replays, 60 left one plan in 20 (and more under load) far above a
// handful of operations (TestShrinkDefaultsSurviveAFlakyRace).
const DefaultShrink = 100

// DefaultShrinkTries is how many replays a smaller plan gets before it
// counts as passing, unless Options.ShrinkTries says otherwise.
const DefaultShrinkTries = 2

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
	// Totals over all rounds (Outcome is the last round's).
	Rounds  int
	Done    int
	Events  int
	Elapsed time.Duration
	Stats   map[string]*load.Histogram // reply latency per request
	// Admin names the account that ran the administrative operations
	// ("": none, so none were generated).
	Admin string
}

// SingleUseKeys is the key pool for the server at addr: the fixture keys
// and the key cache's generated ones (cacheDir, "" for the default),
// leaving out those the cache's ledger of that server lists ("addr
// HOST:PORT", shared with the scenario runner and the fuzzer), growing by
// generating keys when none is left.
func SingleUseKeys(cacheDir, addr string) (*engine.KeyPool, error) {
	st, err := keystore.OpenDir(cacheDir)
	if err != nil {
		return nil, err
	}
	fixtures, err := fixtureKeyMap()
	if err != nil {
		return nil, err
	}
	keys, ledger, err := st.ForServer(fixtures, "addr "+addr)
	if err != nil {
		return nil, err
	}
	return engine.NewKeyPool(keys, &engine.SingleUse{Ledger: ledger, Generate: st.Generate}), nil
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

// fixtureKeyMap parses the fixture keys once per process: flag checks,
// every session and every shrinking replay ask for them, and parsing
// dozens of RSA-4096 keys each time is wasted work.
var fixtureKeyMap = sync.OnceValues(func() (map[string]*rsa.PrivateKey, error) {
	return codec.LoadKeys(scenarios.FS, "fixtures/keys")
})

func fixtureKeys() ([]Account, error) {
	keys, err := fixtureKeyMap()
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

// Explore generates the plan for o.Seed and runs it in rounds of at
// most o.Round operations against one server (the accounts registered
// once), each round ending in a quiescent phase and checked on its own,
// until o.Ops operations or o.Duration; on the first failing round it
// stops and shrinks that round's plan.
func Explore(ctx context.Context, o Options) (*Report, error) {
	if o.Actors > MaxActors() || o.Replay != nil && o.Replay.Actors > MaxActors() {
		return nil, fmt.Errorf("explore: at most %d actors (one fixture key each)", MaxActors())
	}
	if o.Round <= 0 {
		o.Round = 2000
	}
	rep := &Report{Started: time.Now(), Stats: map[string]*load.Histogram{}}
	actors := o.Actors
	if o.Replay != nil {
		actors = o.Replay.Actors
	}
	s, err := openSession(ctx, o, actors, int64(o.Seed))
	if err != nil {
		return nil, err
	}
	defer s.close(ctx)
	gen := NewGenerator(o.Seed, o.Actors, o.Conns).WithAdmin(s.admin != nil)
	if s.admin != nil {
		rep.Admin = s.admin.Name
	}
	if o.Log != nil && s.admin == nil {
		fmt.Fprintln(o.Log, "explore: no admin account: ADMIN operations are not generated (--admin-user/--admin-key with --addr)")
	}
	deadline := time.Now().Add(o.Duration)
	left := o.Ops
	if o.Replay != nil {
		left = max(o.Repeat, 1) * max(len(o.Replay.Ops), 1)
	}
	for left > 0 && (o.Duration <= 0 || time.Now().Before(deadline)) && ctx.Err() == nil {
		plan := o.Replay
		if plan == nil {
			plan = gen.Next(min(left, o.Round))
		}
		left -= max(len(plan.Ops), 1)
		d := time.Duration(0)
		if o.Duration > 0 {
			d = time.Until(deadline)
		}
		out, vs := s.run(ctx, plan, d, o.Log, rep.Done)
		rep.Plan, rep.Outcome, rep.Setup = plan, out, out.Setup
		rep.Rounds++
		rep.Done += out.Done
		rep.Events += len(out.Events)
		rep.Elapsed += out.Elapsed
		addStats(rep.Stats, out.Events)
		if out.Setup != nil {
			return rep, nil
		}
		rep.Failures, rep.Notes = Judge(vs, o.Strict)
		if len(rep.Failures) > 0 {
			break
		}
		s.registered = true
	}
	if len(rep.Failures) > 0 && o.Log != nil { // before shrinking, which may take long
		fmt.Fprintf(o.Log, "explore: round %d broke %d invariants; first: %v\n", rep.Rounds, len(rep.Failures), rep.Failures[0])
	}
	if len(rep.Failures) > 0 && o.Shrink > 0 {
		rep.Shrunk, rep.ShrunkWhy, rep.Replays = shrink(ctx, o, rep.Plan, rep.Failures)
	}
	return rep, nil
}

// addStats adds each reply's latency to its request's histogram.
func addStats(stats map[string]*load.Histogram, evs []Event) {
	calls := map[int]Event{}
	for _, e := range evs {
		switch e.Kind {
		case EvCall:
			calls[e.Seq] = e
		case EvReply:
			c := calls[e.Call]
			h := stats[c.Action]
			if h == nil {
				h = &load.Histogram{}
				stats[c.Action] = h
			}
			h.Record(e.T - c.T)
		}
	}
}

// session is one server with the explorer's accounts on it.
type session struct {
	o          Options
	ep         *target.Endpoint
	stop       func()
	fresh      bool
	accs       []Account
	names      []string
	unknown    string
	registered bool
	admin      *Account          // runs the administrative operations, or nil
	levels     map[string]string // the accounts' levels after the last round, where known
}

// openSession starts a fresh server when the target can (the shared one
// otherwise, with names salted so that they are never reused) and names
// the accounts of actors actors plus the observer.
func openSession(ctx context.Context, o Options, actors int, seed int64) (*session, error) {
	ep, stop, fresh, err := endpoint(ctx, o)
	if err != nil {
		return nil, err
	}
	keys, err := sessionKeys(o, fresh, actors+1)
	if err != nil {
		stop()
		return nil, err
	}
	salt := ""
	if !fresh {
		salt = fmt.Sprint(time.Now().UnixNano())
	}
	s := &session{o: o, ep: ep, stop: stop, fresh: fresh, unknown: engine.Username(seed, salt, "explore", "nobody"), admin: adminOf(ep)}
	for i := 0; i <= actors; i++ {
		a := Account{Name: engine.Username(seed, salt, "explore", keys[i].Name), Key: keys[i].Key}
		s.accs, s.names = append(s.accs, a), append(s.names, a.Name)
	}
	return s, nil
}

// sessionKeys gives n accounts their keys: leased once from o.Keys on a
// server the explorer does not start, else the fixture keys.
func sessionKeys(o Options, fresh bool, n int) ([]Account, error) {
	if fresh || o.Keys == nil {
		return fixtureKeys()
	}
	names, err := o.Keys.Lease(n, true)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	if err := o.Keys.Spend(names); err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	out := make([]Account, n)
	for i, name := range names {
		out[i] = Account{Name: name, Key: o.Keys.Key(name)}
	}
	return out, nil
}

func (s *session) close(ctx context.Context) {
	if !s.fresh && s.registered {
		cleanup(ctx, Config{Endpoint: s.ep, Dialect: s.o.Target.Dialect(), Accounts: s.accs})
	}
	s.stop()
}

// run executes one round and checks its history.
func (s *session) run(ctx context.Context, plan *Plan, d time.Duration, log io.Writer, before int) (*Outcome, []Violation) {
	cfg := Config{Endpoint: s.ep, Dialect: s.o.Target.Dialect(), Plan: plan, Accounts: s.accs, Unknown: s.unknown,
		ReplyTimeout: s.o.ReplyTimeout, Settle: s.o.Settle, Duration: d, Registered: s.registered, Admin: s.admin}
	if s.fresh {
		cfg.VerifyTimeout = s.o.Server.VerifyTimeout
	}
	if log != nil {
		start := time.Now()
		cfg.Progress = func(n int) {
			el := time.Since(start)
			fmt.Fprintf(log, "explore: %d ops (this round %d/%d, %.0f ops/s)\n", before+n, n, len(plan.Ops), float64(n)/el.Seconds())
		}
	}
	out := Execute(ctx, cfg)
	s.registered = s.registered || out.Setup == nil
	if out.Setup != nil {
		return out, nil
	}
	names := s.names
	if s.admin != nil {
		names = append(names[:len(names):len(names)], s.admin.Name)
	}
	f := Facts{Names: names, HasAdmin: s.admin != nil, Unknown: s.unknown, Settle: s.o.Settle, CloseLag: s.o.CloseLag, Alive: out.Alive, Strict: s.o.Strict,
		Verify: cfg.VerifyTimeout, Dialect: cfg.Dialect}
	if s.fresh {
		f.TokenTTL = s.o.Server.TokenTTL
	}
	if f.Settle <= 0 {
		f.Settle = time.Second
	}
	f.Levels = s.levels
	vs, levels := checkRound(out.Events, f)
	s.levels = levels
	return out, vs
}

// runPlan executes plan once on its own server (a shrinking replay).
func runPlan(ctx context.Context, o Options, plan *Plan) (*Outcome, []Violation, error) {
	s, err := openSession(ctx, o, plan.Actors, int64(plan.Seed))
	if err != nil {
		return nil, nil, err
	}
	defer s.close(ctx)
	out, vs := s.run(ctx, plan, 0, nil, 0)
	return out, vs, nil
}

// adminOf is the account that runs the administrative operations on ep:
// the owner when the endpoint has one (the reference matrix lets only
// level 2 change levels, E-31), else the admin (kicks only; its level
// changes are refused and then checked like any refused request).
func adminOf(ep *target.Endpoint) *Account {
	for _, a := range []*target.Account{ep.Owner, ep.Admin} {
		if a != nil && a.Key != nil {
			return &Account{Name: a.Name, Key: a.Key}
		}
	}
	return nil
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
