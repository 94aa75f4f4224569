package explore

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/gochatproto/gochat/conformance"
	"github.com/gochatproto/gochat/conformance/engine"
	"github.com/gochatproto/gochat/conformance/keystore"
	"github.com/gochatproto/gochat/conformance/load"
	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/conformance/target"
	"github.com/gochatproto/gochat/conformance/target/embedded"
	"github.com/gochatproto/gochat/spec"
)

// cliFlags are the flags of "gochat-conformance explore".
type cliFlags struct {
	o                          Options
	addr, serverCmd, dialect   string
	tlsAddr                    string
	tlsInsecure                bool
	findings, replay, keyCache string
	adminUser, adminKey        string
	allowRemote                bool
	seed                       int64
}

func parseFlags(args []string, stderr io.Writer) (*cliFlags, error) {
	f := &cliFlags{}
	fs := flag.NewFlagSet("explore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.addr, "addr", "", "plain TCP `HOST:PORT` of the server (empty: the embedded reference server)")
	fs.StringVar(&f.tlsAddr, "tls-addr", "", "TLS `HOST:PORT` of the --addr server (enables TLS and token logins)")
	fs.BoolVar(&f.tlsInsecure, "tls-insecure", false, "do not verify the --tls-addr server's certificate")
	fs.StringVar(&f.serverCmd, "server-cmd", "", "shell `TEMPLATE` that starts a fresh server per run and replay (placeholders as for \"server\"); short verification and idle timeouts are passed")
	fs.StringVar(&f.dialect, "dialect", "spec", "encoding the server speaks: spec or gochat1")
	fs.StringVar(&f.keyCache, "key-cache", "", "with --addr: `DIR` of generated keys and of the ledger of keys each server has seen, shared with \"server\" and \"fuzz\" (default $"+keystore.DirEnv+", else the user cache directory)")
	fs.StringVar(&f.adminUser, "admin-user", "", "with --addr: `NAME` of an admin (level 1) or owner (level 2) account that kicks actors and changes their levels; without it no ADMIN operations are generated there")
	fs.StringVar(&f.adminKey, "admin-key", "", "PEM private key `FILE` of --admin-user")
	fs.BoolVar(&f.allowRemote, "allow-remote", false, "allow an --addr that is not a loopback address")
	fs.IntVar(&f.o.Actors, "actors", 4, "`N` accounts acting concurrently")
	fs.IntVar(&f.o.Conns, "conns-per-actor", 2, "up to `M` connections per account")
	fs.IntVar(&f.o.Ops, "ops", 500, "operations in the plan")
	fs.DurationVar(&f.o.Duration, "duration", 5*time.Minute, "stop the actors after this long")
	fs.Int64Var(&f.seed, "seed", 0, "generator `SEED` (default random; printed); the same seed gives the same operations")
	fs.BoolVar(&f.o.Strict, "strict", false, "judge the project's decisions (errata) too; default: only the specification's requirements, decisions are notes")
	fs.StringVar(&f.findings, "findings", "", "write each failing run's shrunk plan, violations and history to `DIR`")
	fs.StringVar(&f.replay, "replay", "", "run the plan of a finding `FILE` instead of generating one")
	fs.IntVar(&f.o.Repeat, "repeat", 1, "with --replay, run the plan up to `N` times until it fails (a race need not show on every run)")
	fs.IntVar(&f.o.Shrink, "shrink", DefaultShrink, "bound the replays spent shrinking a failure to `N` (0: do not shrink)")
	fs.IntVar(&f.o.ShrinkTries, "shrink-tries", DefaultShrinkTries, "replay a smaller plan up to `N` times before it counts as passing (a race need not show on every run)")
	fs.IntVar(&f.o.Round, "round", 2000, "operations between quiescent points; each round is checked on its own")
	fs.DurationVar(&f.o.Settle, "settle", time.Second, "how long the server may take to notice a closed connection")
	fs.DurationVar(&f.o.CloseLag, "close-lag", 0, "how long the server may still write to a connection the explorer closed, for the delivery check (default settle/4)")
	fs.DurationVar(&f.o.ReplyTimeout, "reply-timeout", 10*time.Second, "how long a request may wait for its reply")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if f.seed == 0 {
		f.seed = time.Now().UnixNano() & 0x7fffffff
	}
	f.o.Seed = uint64(f.seed)
	for _, a := range []string{f.addr, f.tlsAddr} {
		if a != "" && !f.allowRemote && !loopback(a) {
			return nil, errors.New("--addr/--tls-addr is not a loopback address; pass --allow-remote to explore a remote server")
		}
	}
	if (f.adminUser != "" || f.adminKey != "") && f.addr == "" {
		return nil, errors.New("--admin-user/--admin-key are for --addr; servers the explorer starts get the fixture owner account")
	}
	if f.o.Repeat < 1 || f.o.ShrinkTries < 1 {
		return nil, errors.New("--repeat and --shrink-tries must be at least 1")
	}
	if f.o.Actors < 1 || f.o.Actors > MaxActors() || f.o.Conns < 1 || f.o.Ops < 1 {
		return nil, fmt.Errorf("--actors must be 1..%d, --conns-per-actor and --ops at least 1", MaxActors())
	}
	if f.replay != "" {
		p, err := ReadPlan(f.replay)
		if err != nil {
			return nil, err
		}
		f.o.Replay, f.o.Seed = p, p.Seed
	}
	return f, nil
}

func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// shortTimeouts reach the verification and idle timers in seconds when
// the explorer starts the servers itself.
var shortTimeouts = scenario.ServerConfig{VerifyTimeout: time.Second, IdleTimeout: 20 * time.Second, TokenTTL: 10 * time.Second}

func (f *cliFlags) target(ctx context.Context) (target.Target, error) {
	d, err := spec.ParseDialect(f.dialect)
	if err != nil {
		return nil, err
	}
	admin, owner, err := launchAccounts()
	if err != nil {
		return nil, err
	}
	switch {
	case f.serverCmd != "":
		f.o.Server = shortTimeouts
		c := &target.Command{Template: f.serverCmd, D: d}
		c.Offer(admin, owner)
		return target.StartCommand(ctx, c)
	case f.addr != "":
		ep := &target.Endpoint{Addr: f.addr, TLSAddr: f.tlsAddr, Describe: "--addr " + f.addr,
			TLSConfig: &tls.Config{InsecureSkipVerify: f.tlsInsecure, MinVersion: tls.VersionTLS12}} //nolint:gosec // opt-in via --tls-insecure
		if ep.Admin, err = conformance.LoadAccount(f.adminUser, f.adminKey); err != nil {
			return nil, fmt.Errorf("--admin-user/--admin-key: %w", err)
		}
		keys, err := SingleUseKeys(f.keyCache, f.addr)
		if err != nil {
			return nil, err
		}
		f.o.Keys = keys
		return &target.External{EP: ep, D: d}, nil
	}
	f.o.Server = shortTimeouts
	return embedded.New(ctx, embedded.Options{Dialect: d, Owner: owner})
}

// launchAccounts are the privileged accounts of the servers the explorer
// starts: the fixture keys "admin" (level 1) and "owner" (level 2).
func launchAccounts() (admin, owner *target.Account, err error) {
	keys, err := fixtureKeyMap()
	if err != nil {
		return nil, nil, err
	}
	return &target.Account{Name: engine.Username(0, "", "explore", "admin"), Key: keys["admin"]},
		&target.Account{Name: engine.Username(0, "", "explore", "owner"), Key: keys["owner"]}, nil
}

// rerun is the one-line command that replays a finding.
func (f *cliFlags) rerun(path string) string {
	s := "gochat-conformance explore"
	switch {
	case f.serverCmd != "":
		s += fmt.Sprintf(" --server-cmd %q", f.serverCmd)
	case f.addr != "":
		s += " --addr " + f.addr
		if f.tlsAddr != "" {
			s += " --tls-addr " + f.tlsAddr
		}
		if f.tlsInsecure {
			s += " --tls-insecure"
		}
		if f.keyCache != "" {
			s += " --key-cache " + f.keyCache
		}
		if f.adminUser != "" {
			s += fmt.Sprintf(" --admin-user %s --admin-key %q", f.adminUser, f.adminKey)
		}
	}
	if f.dialect != "spec" {
		s += " --dialect " + f.dialect
	}
	if f.o.Strict {
		s += " --strict"
	}
	return s + replayArgs + path
}

// replayArgs end a finding's re-run command. A finding's plan failed at
// least once, but a race need not be lost on every run, so the command
// allows a few runs.
const replayArgs = " --shrink 0 --repeat 10 --replay "

// Command is "gochat-conformance explore". Exit status: 0 no violation
// (notes do not count), 1 violations, 2 usage or setup errors.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "explore:", err)
		return 2
	}
	tgt, err := f.target(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "explore:", err)
		return 2
	}
	defer tgt.Close()
	f.o.Target, f.o.Log = tgt, stdout
	fmt.Fprintf(stdout, "explore: seed %d, %d actors x %d connections, %d ops (at most %v), target %s, strict %v, %s\n",
		f.o.Seed, f.o.Actors, f.o.Conns, f.o.Ops, f.o.Duration, targetName(f), f.o.Strict, adminLine(tgt))
	rep, err := Explore(ctx, f.o)
	if err != nil {
		fmt.Fprintln(stderr, "explore:", err)
		return 2
	}
	return f.summary(rep, stdout, stderr)
}

// adminLine says who runs the ADMIN operations, or why there are none.
func adminLine(tgt target.Target) string {
	if a := adminOf(tgt.Shared()); a != nil {
		return "ADMIN ops as " + a.Name
	}
	return "no ADMIN ops (no admin account: --admin-user/--admin-key with --addr, {admin_user} or {owner_user} in --server-cmd)"
}

func targetName(f *cliFlags) string {
	switch {
	case f.serverCmd != "":
		return "--server-cmd"
	case f.addr != "":
		return f.addr
	}
	return "embedded reference server"
}

func (f *cliFlags) summary(rep *Report, stdout, stderr io.Writer) int {
	if rep.Setup != nil {
		fmt.Fprintln(stderr, "explore: error: precondition:", rep.Setup)
		return 2
	}
	fmt.Fprintf(stdout, "explore: %d ops in %d rounds, %v (%.0f ops/s), %d events, %d violations, %d notes\n",
		rep.Done, rep.Rounds, rep.Elapsed.Round(time.Millisecond), float64(rep.Done)/rep.Elapsed.Seconds(), rep.Events, len(rep.Failures), len(rep.Notes))
	printStats(stdout, rep.Stats)
	for _, v := range rep.Notes {
		fmt.Fprintln(stdout, "note:", v)
	}
	for _, v := range rep.Failures {
		fmt.Fprintln(stdout, "VIOLATION:", v)
	}
	if rep.Shrunk != nil {
		fmt.Fprintf(stdout, "explore: shrunk to %d ops, %d actors in %d replays:\n", len(rep.Shrunk.Ops), rep.Shrunk.Actors, rep.Replays)
		for _, op := range rep.Shrunk.Ops {
			fmt.Fprintln(stdout, "  ", op)
		}
	}
	if len(rep.Failures) == 0 {
		return 0
	}
	if f.findings != "" {
		path, err := WriteFinding(f.findings, rep, f.rerun)
		if err != nil {
			fmt.Fprintln(stderr, "explore:", err)
			return 2
		}
		fmt.Fprintf(stdout, "explore: finding written to %s\nre-run: %s\n", path, f.rerun(path))
		fmt.Fprintf(stdout, "explore: as a scenario (sequential): %s\nrun it: %s\n", ScenarioPath(f.findings, rep.Plan.Seed),
			ScenarioCommand(targetFlags(f.rerun("")), f.findings, rep.Plan.Seed))
	} else {
		fmt.Fprintf(stdout, "re-run: %s --seed %d --actors %d --conns-per-actor %d --ops %d\n",
			strings.TrimSuffix(f.rerun(""), replayArgs), f.o.Seed, f.o.Actors, f.o.Conns, f.o.Ops)
	}
	return 1
}

// printStats prints per-request counts and latency percentiles.
func printStats(w io.Writer, stats map[string]*load.Histogram) {
	var order []string
	for a := range stats {
		order = append(order, a)
	}
	sort.Strings(order)
	for _, a := range order {
		h := stats[a]
		fmt.Fprintf(w, "  %-7s %8d replies  p50 %-10v p99 %-10v max %v\n", a, h.Count(),
			h.Quantile(0.5).Round(time.Microsecond), h.Quantile(0.99).Round(time.Microsecond), h.Quantile(1).Round(time.Microsecond))
	}
}
