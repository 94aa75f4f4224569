package explore

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gochatproto/gochat/scenarios"
)

// A finding's plan as a server scenario in the runner's YAML format
// (docs/scenarios.md), so that it runs with "gochat-conformance server"
// against any server like the suite's own scenarios. The scenario plays
// the plan's operations one after another, in the order the original run
// wrote their requests, and expects what the specification (and, as soft
// checks citing them, the project's decisions) gives for each in that
// sequential order: a small sequential model of the accounts, sessions,
// pending verifications, subscriptions and cached messages decides the
// expected reply of every request and the pushes (hooks, live RECIVs)
// other connections get. It ends with the explorer's quiescent checks:
// the online list, a fresh login of every account without a session, the
// catch-ups of cached messages and a new connection's HELLO.

// ScenarioID is the ID of a finding's scenario.
func ScenarioID(seed uint64) string { return fmt.Sprintf("EXPLORE-%d", seed) }

// invariantReqs are the registry requirements each invariant checks.
var invariantReqs = map[string][]string{
	InvReplyOnce: {"FRAME-22"}, InvReplyKind: {"FRAME-22"}, InvModel: {"CONN-14", "USRS-1"},
	InvDelivered: {"MSG-1", "MSG-10", "RECIV-1", "RECIV-7"}, InvExactlyOnce: {"RECIV-5"},
	InvOnline: {"USRS-2", "LOGOUT-1"}, InvOneSession: {"LOGIN-7"}, InvDupSess: {"LOGIN-1", "LOGIN-7"},
	InvVerifOwned: {"VERIF-1", "VERIF-3", "LOGIN-6"}, InvVerifTimeout: {"VERIF-8", "VERIF-2"},
	InvToken: {"TOKEN-4"}, InvHooks: {"HOOK-2", "HOOK-3"}, InvAlive: {"CONN-12"},
}

type scnState int

const (
	csAnon scnState = iota
	csPending
	csSession
	// csRefused: a VERIF was answered ERR. The reference server cancelled
	// the verification (E-21); the specification does not say so, and a
	// server may keep it pending, so what follows only a cancellation
	// would show is a soft check of VERIF-4.
	csRefused
)

// scnConn is one connection of the scenario: an (actor, slot,
// generation) of the explorer, or the observer's.
type scnConn struct {
	name  string
	actor *scnActor
	state scnState
	chal  string // variable holding the pending challenge
	sub   bool   // the session on it subscribed to every hook
	open  bool
	tls   bool
}

type scnActor struct {
	i       int
	name    string // scenario actor name (its fixture key)
	slots   []*scnConn
	gen     []int
	session *scnConn
	queued  []string // texts cached for a catch-up, in order
	from    []string // their senders
	token   string   // variable holding the latest token
	late    bool     // its one late login happened (the executor's rule)
}

// scnWriter renders one finding; it holds the sequential model.
type scnWriter struct {
	b      strings.Builder
	f      *Finding
	tls    bool
	late   bool // login-late waits past a verification timeout the scenario sets
	actors []*scnActor
	obs    *scnConn
	vars   int
}

// FindingScenario renders f as a server scenario. flags are the target
// flags of the explore command (e.g. " --addr 127.0.0.1:9037"), repeated
// in the re-run command; dir is the scenario tree the file goes into.
func FindingScenario(f *Finding, flags, dir string) ([]byte, error) {
	keys, err := fixtureKeys()
	if err != nil {
		return nil, err
	}
	if f.Plan.Actors+1 > len(keys) {
		return nil, fmt.Errorf("a plan of %d actors needs more fixture keys", f.Plan.Actors)
	}
	w := &scnWriter{f: f, tls: usedTLS(f.History), late: lateMatters(f)}
	for i := range f.Plan.Actors {
		w.actors = append(w.actors, &scnActor{i: i, name: keys[i].Name,
			slots: make([]*scnConn, f.Plan.Conns), gen: make([]int, f.Plan.Conns)})
	}
	w.obs = &scnConn{name: "observer", state: csSession, sub: true, open: true}
	w.header(flags, dir, keys[f.Plan.Actors].Name)
	w.raw("steps:")
	for _, op := range orderedOps(f.Plan, f.History) {
		w.comment(op.String())
		w.op(op)
	}
	w.quiescent()
	return []byte(w.b.String()), nil
}

// usedTLS: the original run dialed TLS connections (the target had a TLS
// address), so the TLS operations are rendered over TLS too.
func usedTLS(h []Event) bool {
	for _, e := range h {
		if e.Kind == EvOpen && e.Note == noteTLS {
			return true
		}
	}
	return false
}

// lateMatters: the finding is about the verification timeout and has a
// late login, so the scenario gets a private server with a short timeout
// (needs: verify-timeout) and waits past it; otherwise a late login is a
// plain one and the scenario runs on any server.
func lateMatters(f *Finding) bool {
	timeout := false
	for _, v := range f.Violations {
		timeout = timeout || v.Invariant == InvVerifTimeout
	}
	for _, op := range f.Plan.Ops {
		if timeout && op.Kind == OpLoginLate {
			return true
		}
	}
	return false
}

// lateTimeout is the verification timeout the scenario asks for, as the
// explorer's own servers have (shortTimeouts); lateWait is how long a
// late login waits, as the executor does.
const (
	lateTimeout = "1s"
	lateWait    = "1500ms"
)

// orderedOps puts the plan's operations in the order the original run
// wrote their first request (each actor's own order is kept: an operation
// the history does not show follows the actor's previous one).
func orderedOps(p *Plan, h []Event) []Op {
	first := map[int]int{}
	for _, e := range h {
		if e.Kind == EvPhase || e.Op < 0 {
			continue
		}
		if _, ok := first[e.Op]; !ok {
			first[e.Op] = e.Seq
		}
	}
	type keyed struct {
		op  Op
		key float64
	}
	last := map[int]float64{}
	prev := 0.0
	var ks []keyed
	for _, op := range p.Ops {
		k, ok := first[op.Index]
		key := float64(k)
		if !ok || key <= last[op.Actor] { // right after the previous operation of the plan or the actor
			key = max(prev, last[op.Actor]) + 1e-6
		}
		last[op.Actor], prev = key, key
		ks = append(ks, keyed{op, key})
	}
	sort.SliceStable(ks, func(i, j int) bool { return ks[i].key < ks[j].key })
	out := make([]Op, len(ks))
	for i, k := range ks {
		out[i] = k.op
	}
	return out
}

func (w *scnWriter) raw(format string, a ...any) { fmt.Fprintf(&w.b, format+"\n", a...) }
func (w *scnWriter) step(format string, a ...any) {
	w.raw("  - "+format, a...)
}
func (w *scnWriter) comment(s string) { w.raw("  # %s", oneLine(s)) }

func oneLine(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "\r", " "), "\n", " ") }

func (w *scnWriter) header(flags, dir, obsKey string) {
	f := w.f
	id := ScenarioID(f.Plan.Seed)
	shrunk := "not shrunk"
	if f.Plan.Shrunk && f.Original != nil {
		shrunk = fmt.Sprintf("shrunk from %d", len(f.Original.Ops))
	}
	w.raw("# Found by the gochat explorer (gochat-conformance explore), seed %d: %d operations of %d actors", f.Plan.Seed, len(f.Plan.Ops), f.Plan.Actors)
	w.raw("# with %d connections each, %s.", f.Plan.Conns, shrunk)
	w.raw("# Re-run this scenario: %s", ScenarioCommand(flags, dir, f.Plan.Seed))
	w.raw("# Re-run the finding:   %s", oneLine(f.Rerun))
	var invs []string
	for i, v := range f.Violations {
		if i == maxListed {
			w.raw("# ... and %d more violations (the JSON finding lists them).", len(f.Violations)-i)
		}
		if i < maxListed {
			w.raw("# Broke %s (%s: %s): %s", v.Invariant, v.Source, v.Ref, oneLine(v.Detail))
		}
		if !contains(invs, v.Invariant) {
			invs = append(invs, v.Invariant)
		}
	}
	w.raw("# The explorer ran the actors concurrently; here the steps run one after another, in the")
	w.raw("# order the original run wrote the operations' first requests, and expect what a conforming")
	w.raw("# server answers in that order. A race found concurrently may not show sequentially: the")
	w.raw("# JSON finding replayed with --repeat is the faithful re-run. Observer: an account subscribed")
	w.raw("# to every hook, as in the explorer. Checks that only the project's decisions back cite the")
	w.raw("# decision: by default a difference there is a note (one that ends the scenario where the")
	w.raw("# steps after it would assume the decision), and a failure with --strict.")
	w.raw("id: %s", id)
	w.raw("title: %q", fmt.Sprintf("Explorer finding (%s): the sequential form of the shrunk plan", strings.Join(invs, ", ")))
	w.raw("requirements: [%s]", strings.Join(reqsOf(invs), ", "))
	w.raw("level: must")
	w.raw("tags: [explore, robustness]")
	var needs []string
	if w.tls {
		needs = append(needs, "tls")
	}
	if w.late {
		needs = append(needs, "verify-timeout")
	}
	if len(needs) > 0 {
		w.raw("needs: [%s]", strings.Join(needs, ", "))
	}
	if w.late {
		w.raw("config: {verify_timeout: %s}", lateTimeout)
	}
	w.raw("actors:")
	for _, a := range w.actors {
		w.raw("  %s: {}", a.name)
	}
	w.raw("  observer: {key: %s}", obsKey)
	w.raw("setup:")
	for _, a := range w.actors {
		w.step("connect: {conn: %s_reg, actor: %s}", a.name, a.name)
		w.step("register: {actor: %s, conn: %s_reg}", a.name, a.name)
		w.step("disconnect: %s_reg", a.name)
	}
	w.step("connect: observer")
	w.step("register: observer")
	w.step("login: observer")
	w.step("send: {conn: observer, action: SUB, info: HOOK_ALL}")
	w.step("expect: {conn: observer, action: OK}")
}

func reqsOf(invs []string) []string {
	var out []string
	for _, inv := range invs {
		for _, r := range invariantReqs[inv] {
			if !contains(out, r) {
				out = append(out, r)
			}
		}
	}
	if len(out) == 0 {
		out = []string{"FRAME-22"}
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// WriteFindingScenario writes f's scenario as DIR/server/explore-SEED.yaml
// and, when missing, the fixture keys as DIR/fixtures/keys/*.pem: DIR is
// then a scenario tree that "--scenarios DIR" loads as it is. It returns
// the scenario's path.
func WriteFindingScenario(dir string, f *Finding, flags string) (string, error) {
	b, err := FindingScenario(f, flags, dir)
	if err != nil {
		return "", err
	}
	if err := writeFixtureKeys(filepath.Join(dir, "fixtures", "keys")); err != nil {
		return "", err
	}
	p := ScenarioPath(dir, f.Plan.Seed)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", err
	}
	return p, os.WriteFile(p, b, 0o644)
}

// writeFixtureKeys copies the suite's fixture keys (test keys, committed
// in the repository) into dir, leaving files that exist alone.
func writeFixtureKeys(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	names, err := fs.Glob(scenarios.FS, "fixtures/keys/*.pem")
	if err != nil {
		return err
	}
	for _, n := range names {
		dst := filepath.Join(dir, path.Base(n))
		if _, err := os.Stat(dst); err == nil {
			continue
		}
		b, err := fs.ReadFile(scenarios.FS, n)
		if err != nil {
			return err
		}
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// maxListed bounds the violations the scenario's header lists.
const maxListed = 4

// ScenarioCommand is the one-line command that runs the scenario of seed
// in the tree dir against the target flags.
func ScenarioCommand(flags, dir string, seed uint64) string {
	return fmt.Sprintf("gochat-conformance server%s --scenarios %s --run '^%s$'", flags, dir, ScenarioID(seed))
}

// ScenarioPath is where WriteFindingScenario puts the scenario of seed.
func ScenarioPath(dir string, seed uint64) string {
	return filepath.Join(dir, "server", fmt.Sprintf("explore-%d.yaml", seed))
}

// targetFlags extracts the target flags from an explore re-run command.
func targetFlags(rerun string) string {
	s, ok := strings.CutPrefix(rerun, "gochat-conformance explore")
	if !ok {
		return ""
	}
	if i := strings.Index(s, " --shrink "); i >= 0 {
		s = s[:i]
	}
	return s // the server command takes the same target flags
}
