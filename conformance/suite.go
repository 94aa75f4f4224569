// Package conformance is the gochat conformance suite as a library. The
// gochat-conformance command is a thin wrapper around Run, and
// implementers can run the suite from go test:
//
//	func TestServerConformance(t *testing.T) {
//		conformance.RunServer(t, conformance.Options{Addr: "127.0.0.1:9037"})
//	}
//
//	func TestClientConformance(t *testing.T) {
//		conformance.RunClient(t, conformance.Options{ClientCmd: "./myclient --driver"})
//	}
//
// The package links neither the reference server nor a SQL driver: the
// embedded reference server is a target of its own
// (conformance/target/embedded) that callers pass as Options.Target.
package conformance

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/conformance/engine"
	"github.com/gochatproto/gochat/conformance/keystore"
	"github.com/gochatproto/gochat/conformance/registry"
	"github.com/gochatproto/gochat/conformance/report"
	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/conformance/target"
	"github.com/gochatproto/gochat/internal/version"
	"github.com/gochatproto/gochat/scenarios"
	"github.com/gochatproto/gochat/spec"
)

// Options describe one run: the role under test, the implementation, and
// the scenarios.
type Options struct {
	// Role is scenario.RoleServer (default) or scenario.RoleClient.
	Role string

	// The server under test (server role): Target, or else a server
	// already running at Addr, or else one launched per ServerCmd.
	Target target.Target
	// Addr is the server's plain TCP address; TLSAddr its TLS address.
	Addr, TLSAddr string
	// TLSInsecure skips certificate verification on TLSAddr.
	TLSInsecure bool
	// Admin and Owner are privileged accounts on an external server.
	Admin, Owner *target.Account
	// ServerCmd launches a server per scenario that needs a fresh one
	// (see target.Command for placeholders). With Addr empty it also
	// launches the shared server.
	ServerCmd string

	// ClientCmd starts the client under test's driver adapter (client
	// role; docs/driver.md).
	ClientCmd string

	// Dialect the implementation speaks (default spec).
	Dialect spec.Dialect

	// Suite is the loaded catalogue; nil loads Scenarios (or the embedded
	// tree).
	Suite *Suite
	// Scenarios replaces the embedded scenario tree (server/*.yaml,
	// client/*.yaml, fixtures/keys/*.pem).
	Scenarios fs.FS

	Run   string   // regexp over scenario IDs
	Tags  []string // any of these tags
	Level string   // must, should or all (default all)
	// Strict judges the project's decisions (docs/errata.md) like the
	// specification: a failed decision check fails or warns instead of
	// being a note. make conformance runs the reference with it.
	Strict bool
	// ReuseKeys lets the runner register a key again after deregistering
	// its account, which only works on a server that releases the key
	// (E-20, a decision). Without it a server at Addr never sees a key
	// twice, across runs too (KeyCache keeps the ledger), and a server
	// started by ServerCmd never twice in one run. Targets passed as
	// Target (the embedded reference server) always reuse keys.
	ReuseKeys bool
	// KeyCache is the directory of generated keys and ledgers (default
	// keystore.DefaultDir).
	KeyCache     string
	Parallel     int
	Seed         int64   // 0: random
	TimeoutScale float64 // 0: GOCHAT_TIMEOUT_SCALE, else 1
	// Expect maps scenario IDs to the reason they are expected to fail.
	Expect map[string]string
	// Rerun returns the one-line command that re-runs one scenario; nil
	// gives "gochat-conformance <role> --run '^ID$' --seed N".
	Rerun func(id string, seed int64) string
	// Label names the implementation in reports (default: the address or
	// command).
	Label string
	// OnResult, if set, sees each result as it comes (serialised).
	OnResult func(*result.Result)
}

// Outcome is what Run produced: the results and what reports need.
type Outcome struct {
	Results []*result.Result
	Info    report.Info
}

// Run loads and selects the scenarios of o's role, runs them against the
// implementation o describes and returns the results. The CLI, RunServer
// and RunClient all go through it (RunServer and RunClient through Start,
// to run each scenario as its own subtest).
func Run(ctx context.Context, o Options) (*Outcome, error) {
	s, err := Start(ctx, o)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return &Outcome{Results: s.Run(ctx), Info: s.Info}, nil
}

// Session is a prepared run: the selected scenarios and an engine bound to
// the implementation under test.
type Session struct {
	Scenarios []*scenario.Scenario
	Info      report.Info
	engine    *engine.Engine
	close     func()
}

// Run runs the session's scenarios, Options.Parallel at a time, and
// returns their results in order; Info.Duration is set when they are done.
func (s *Session) Run(ctx context.Context) []*result.Result {
	rs := s.engine.Run(ctx, s.Scenarios)
	s.Info.Duration = time.Since(s.Info.Start)
	return rs
}

// RunOne runs one scenario of the session; it may be called from several
// goroutines.
func (s *Session) RunOne(ctx context.Context, sc *scenario.Scenario) *result.Result {
	return s.engine.RunOne(ctx, sc)
}

// Close releases a target the session started.
func (s *Session) Close() { s.close() }

// Start loads and selects the scenarios of o's role and prepares the
// engine: the target (server role) or the client command, the seed, the
// timing model and the re-run lines.
func Start(ctx context.Context, o Options) (*Session, error) {
	if o.Role == "" {
		o.Role = scenario.RoleServer
	}
	s := o.Suite
	if s == nil {
		var err error
		if s, err = Load(o.Scenarios); err != nil {
			return nil, err
		}
	}
	scs, err := s.Select(o)
	if err != nil {
		return nil, err
	}
	if o.Seed == 0 {
		o.Seed = RandomSeed()
	}
	eo := engine.Options{Role: o.Role, ClientCmd: o.ClientCmd, Dialect: o.Dialect, Keys: s.Keys, Seed: o.Seed,
		TimeoutScale: o.TimeoutScale, Parallel: o.Parallel, Registry: s.Registry, Strict: o.Strict,
		Expect: o.Expect, OnResult: o.OnResult}
	label, closeTarget := o.Label, func() {}
	if o.Role == scenario.RoleServer {
		if o.Addr != "" && o.Target == nil {
			eo.Salt = RandomSaltString()
		}
		if eo.Keys, eo.SingleUse, err = keyPolicy(o, s.Keys); err != nil {
			return nil, err
		}
		if eo.Target, closeTarget, err = serverTarget(ctx, o, s, eo.Salt); err != nil {
			return nil, err
		}
		label = firstOf(label, o.Addr, map[bool]string{true: "server-cmd"}[o.ServerCmd != ""], "custom target")
	} else {
		label = firstOf(label, o.ClientCmd)
	}
	rerun := o.Rerun
	if rerun == nil {
		rerun = func(id string, seed int64) string {
			return fmt.Sprintf("gochat-conformance %s --run '^%s$' --seed %d", o.Role, id, seed)
		}
	}
	eo.Rerun = func(id string) string { return rerun(id, o.Seed) }
	eng, err := engine.New(eo)
	if err != nil {
		closeTarget()
		return nil, err
	}
	info := report.Info{Registry: s.Registry, Role: o.Role, Seed: o.Seed, Target: label, Start: time.Now(),
		Dialect: o.Dialect.String(), Level: firstOf(o.Level, "all"), Version: version.Line("gochat-conformance"), Strict: o.Strict}
	return &Session{Scenarios: scs, Info: info, engine: eng, close: closeTarget}, nil
}

// firstOf returns the first non-empty string.
func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// keyPolicy decides how the run uses account keys on the server under
// test (see Options.ReuseKeys): the keys to pool (fixtures plus cached
// generated ones) and the single-use policy, nil to reuse keys.
func keyPolicy(o Options, fixtures map[string]*rsa.PrivateKey) (map[string]*rsa.PrivateKey, *engine.SingleUse, error) {
	if o.ReuseKeys || o.Target != nil || (o.Addr == "" && o.ServerCmd == "") {
		return fixtures, nil, nil
	}
	st, err := keystore.OpenDir(o.KeyCache)
	if err != nil {
		return nil, nil, err
	}
	server := ""
	if o.Addr != "" {
		server = "addr " + o.Addr
	}
	keys, ledger, err := st.ForServer(fixtures, server)
	if err != nil {
		return nil, nil, err
	}
	return keys, &engine.SingleUse{Ledger: ledger, Generate: st.Generate}, nil
}

// serverTarget returns o.Target, or builds an external or launched target;
// the function it returns releases a target it built.
func serverTarget(ctx context.Context, o Options, s *Suite, salt string) (target.Target, func(), error) {
	if o.Target != nil {
		return o.Target, func() {}, nil
	}
	switch {
	case o.Addr != "":
		ep := &target.Endpoint{Addr: o.Addr, TLSAddr: o.TLSAddr, Admin: o.Admin, Owner: o.Owner,
			Describe:  "--addr " + o.Addr,
			TLSConfig: &tls.Config{InsecureSkipVerify: o.TLSInsecure, MinVersion: tls.VersionTLS12}} //nolint:gosec // opt-in via --tls-insecure
		if o.TLSAddr != "" {
			ep.Describe += " --tls-addr " + o.TLSAddr
		}
		if o.TLSInsecure {
			ep.Describe += " --tls-insecure"
		}
		return &target.External{EP: ep, D: o.Dialect}, func() {}, nil
	case o.ServerCmd != "":
		c := &target.Command{Template: o.ServerCmd, D: o.Dialect}
		c.Offer(s.Accounts(o.Seed, salt))
		t, err := target.StartCommand(ctx, c)
		if err != nil {
			return nil, nil, err
		}
		return t, func() { _ = t.Close() }, nil
	}
	return nil, nil, errors.New("no server to test: set Options.Target (the reference server: " +
		"conformance/target/embedded), Addr or ServerCmd")
}

// Suite is a loaded scenario catalogue with its fixtures.
type Suite struct {
	Registry  *registry.Registry
	Scenarios []*scenario.Scenario
	Keys      map[string]*rsa.PrivateKey
	// Elsewhere lists requirements verified by Go tests, not scenarios.
	Elsewhere []Elsewhere
}

// Load reads the registry, the fixture keys and the scenarios of fsys
// (the embedded tree when nil).
func Load(fsys fs.FS) (*Suite, error) {
	if fsys == nil {
		fsys = scenarios.FS
	}
	reg, err := registry.Embedded()
	if err != nil {
		return nil, fmt.Errorf("requirement registry: %w", err)
	}
	keys, err := codec.LoadKeys(fsys, "fixtures/keys")
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for k := range keys {
		names[k] = true
	}
	known := func(id string) bool { _, ok := reg.Get(id); return ok }
	scs, err := scenario.Load(fsys, scenario.LoadOptions{KnownRequirement: known, Keys: names})
	if err != nil {
		return nil, err
	}
	elsewhere, err := loadElsewhere(fsys, reg)
	if err != nil {
		return nil, err
	}
	return &Suite{Registry: reg, Scenarios: scs, Keys: keys, Elsewhere: elsewhere}, nil
}

// Accounts are the privileged accounts a launched or embedded reference
// server is given: the fixture keys "admin" and "owner" with names derived
// from the seed and salt.
func (s *Suite) Accounts(seed int64, salt string) (admin, owner *target.Account) {
	return &target.Account{Name: engine.Username(seed, salt, "", "admin"), Key: s.Keys["admin"]},
		&target.Account{Name: engine.Username(seed, salt, "", "owner"), Key: s.Keys["owner"]}
}

// Select filters the scenarios of o's role by Run, Tags and Level.
func (s *Suite) Select(o Options) ([]*scenario.Scenario, error) {
	role := firstOf(o.Role, scenario.RoleServer)
	var re *regexp.Regexp
	if o.Run != "" {
		var err error
		if re, err = regexp.Compile(o.Run); err != nil {
			return nil, fmt.Errorf("--run: %w", err)
		}
	}
	maxRank, ok := map[string]int{"": 2, "all": 2, "should": 1, "must": 0}[o.Level]
	if !ok {
		return nil, fmt.Errorf("--level must be must, should or all")
	}
	var out []*scenario.Scenario
	for _, sc := range s.Scenarios {
		switch {
		case sc.Role != role, sc.Level.Rank() > maxRank:
		case re != nil && !re.MatchString(sc.ID):
		case len(o.Tags) > 0 && !slices.ContainsFunc(o.Tags, func(t string) bool { return slices.Contains(sc.Tags, t) }):
		default:
			out = append(out, sc)
		}
	}
	for id := range o.Expect {
		if !slices.ContainsFunc(s.Scenarios, func(sc *scenario.Scenario) bool { return sc.ID == id && sc.Role == role }) {
			return nil, fmt.Errorf("expectations: no %s scenario %q (stale entry?)", role, id)
		}
	}
	return out, nil
}

// RandomSeed returns a non-zero random seed.
func RandomSeed() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return int64(binary.BigEndian.Uint64(b[:])>>1) | 1
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

// LoadExpectations reads an expectations file: a YAML mapping from
// scenario ID to the reason it is expected to fail.
func LoadExpectations(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	if err := yaml.UnmarshalWithOptions(b, &m, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("%s: %s", path, yaml.FormatError(err, false, false))
	}
	for id, reason := range m {
		if strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("%s: %s: every expected failure needs a reason", path, id)
		}
	}
	return m, nil
}

// LoadAccount reads a privileged account's key file.
func LoadAccount(name, keyFile string) (*target.Account, error) {
	if name == "" && keyFile == "" {
		return nil, nil
	}
	if name == "" || keyFile == "" {
		return nil, errors.New("an account needs both a user name and a key file")
	}
	b, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	k, err := spec.ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyFile, err)
	}
	return &target.Account{Name: strings.ToLower(name), Key: k}, nil
}
