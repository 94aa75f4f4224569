package wire

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gochatproto/gochat/conformance"
	"github.com/gochatproto/gochat/conformance/engine"
	"github.com/gochatproto/gochat/conformance/keystore"
	"github.com/gochatproto/gochat/conformance/load"
	"github.com/gochatproto/gochat/fuzz/corpus"
	"github.com/gochatproto/gochat/spec"
)

type common struct {
	addr, dialect, user, key string
	serverCmd, keyCache      string
	allowRemote              bool
	scale                    float64
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.addr, "addr", "", "server `HOST:PORT` (loopback unless --allow-remote; gochat-conformance: default the embedded reference server)")
	fs.StringVar(&c.dialect, "dialect", "spec", "wire dialect: spec or gochat1")
	fs.StringVar(&c.user, "user", "", "registered account to log in as (default: register one with a free fixture key)")
	fs.StringVar(&c.key, "key", "", "PEM private key `FILE` of --user")
	fs.BoolVar(&c.allowRemote, "allow-remote", false, "allow a non-loopback --addr")
	fs.StringVar(&c.keyCache, "key-cache", "", "with --addr: `DIR` of generated keys and of the ledger of keys each server has seen, shared with \"server\" (default $"+keystore.DirEnv+", else the user cache directory)")
	fs.Float64Var(&c.scale, "timeout-scale", 0, "multiply --timeout by `F` (default: $"+engine.TimeoutScaleEnv+", else 1), as the scenario runner does")
	fs.StringVar(&c.serverCmd, "server-cmd", "", "shell `TEMPLATE` that starts the server on {addr} (placeholders as for \"server --server-cmd\"); a server that dies is restarted and the run goes on")
}

// Starter starts a server to test when --addr is not given (the CLI's
// embedded reference server) and returns its address and a stop function.
type Starter func(ctx context.Context, d spec.Dialect) (addr string, stop func(), err error)

// scaled stretches a timeout by --timeout-scale (slow servers, the race
// detector), like every wait of the scenario runner.
func (c *common) scaled(d time.Duration) time.Duration {
	f := c.scale
	if f <= 0 {
		f = engine.DefaultTimeoutScale()
	}
	return time.Duration(float64(d) * f)
}

// served is the server under test: its address, how to restart it (nil
// unless --server-cmd), where account keys come from and how to stop what
// resolve started.
type served struct {
	addr    string
	restart func(ctx context.Context) (string, error)
	keys    Keys
	stop    func()
}

// keysFor a server the run does not start: the key cache and the server's
// ledger, so that no key is registered there twice, by this tool or by
// the scenario runner (errata E-20's key release is not relied on).
func (c *common) keysFor(addr string) (Keys, error) {
	st, err := keystore.OpenDir(c.keyCache)
	if err != nil {
		return Keys{}, err
	}
	return Keys{Store: st, Server: "addr " + addr}, nil
}

// resolve checks the common flags and starts the server under test when
// --addr is not given: from --server-cmd, else with start.
func (c *common) resolve(ctx context.Context, start Starter) (d spec.Dialect, a *Account, srv served, err error) {
	srv.stop = func() {}
	if d, err = spec.ParseDialect(c.dialect); err != nil {
		return 0, nil, srv, err
	}
	if a, err = readAccount(c.user, c.key, "--user/--key"); err != nil {
		return 0, nil, srv, err
	}
	switch {
	case c.addr != "" && c.serverCmd != "":
		err = fmt.Errorf("--addr and --server-cmd exclude each other")
	case c.addr != "":
		if srv.addr, err = c.addr, load.CheckAddr(c.addr, c.allowRemote); err == nil {
			srv.keys, err = c.keysFor(c.addr)
		}
	case c.serverCmd != "":
		var l *launcher
		if l, err = startLauncher(ctx, c.serverCmd, d); err == nil {
			srv = served{addr: l.addr(), restart: l.restart, stop: l.close}
		}
	case start == nil:
		err = fmt.Errorf("--addr or --server-cmd is required")
	default:
		srv.addr, srv.stop, err = start(ctx, d)
	}
	return d, a, srv, err
}

// readAccount loads the account of a name and key flag pair (nil if
// neither is given).
func readAccount(name, keyFile, flags string) (*Account, error) {
	a, err := conformance.LoadAccount(name, keyFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flags, err)
	}
	return a, nil
}

// command runs a tool with the common flags and its own.
type command = func(ctx context.Context, args []string, stdout, stderr io.Writer) int

// parseFlags parses args; ok false means the caller returns code.
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	return 0, true
}

// CorpusCommand is "gochat-conformance corpus"; without --addr it tests
// the server start starts. The command returns the exit status: 0 all
// y_/n_ cases pass (warnings allowed), 1 a crash or a failure, 2 usage,
// setup or precondition errors (and no crash).
func CorpusCommand(start Starter) command {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
		return corpusCommand(ctx, start, args, stdout, stderr)
	}
}

func corpusCommand(ctx context.Context, start Starter, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("corpus", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	dir := fs.String("dir", "", "load *.case files from `DIR` instead of the embedded corpus")
	timeout := fs.Duration("timeout", 3*time.Second, "wait this long for a reply or a close")
	strict := fs.Bool("strict", false, "judge the project's decisions (errata) like the specification: failures and warnings instead of notes")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	d, acct, srv, err := c.resolve(ctx, start)
	defer func() { srv.stop() }()
	if err != nil {
		fmt.Fprintln(stderr, "corpus:", err)
		return 2
	}
	var cases []*corpus.Case
	if *dir != "" {
		if cases, err = corpus.Load(os.DirFS(*dir)); err != nil {
			fmt.Fprintln(stderr, "corpus:", err)
			return 2
		}
	}
	rs, err := Replay(ctx, ReplayConfig{Addr: srv.addr, Dialect: d, Timeout: c.scaled(*timeout), Account: acct, Cases: cases, Log: stdout, Restart: srv.restart, Keys: srv.keys, Strict: *strict})
	sum := Summarize(rs)
	fmt.Fprintf(stdout, "corpus: %d pass, %d FAIL, %d CRASH, %d ERROR, %d warn, %d note, %d info, %d skip\n",
		sum[Pass], sum[Fail], sum[Crash], sum[Error], sum[Warn], sum[Note], sum[Info], sum[Skip])
	if err != nil {
		fmt.Fprintln(stderr, "corpus:", err)
		if len(rs) == 0 {
			return 2
		}
	}
	switch { // as the scenario runner's exit status
	case sum[Crash] > 0:
		return 1
	case sum[Error] > 0:
		return 2
	case sum[Fail] > 0:
		return 1
	}
	return 0
}

// FuzzCommand is "gochat-conformance fuzz"; without --addr it tests the
// server start starts. Exit status: 0 no finding, 1 findings, 2 usage or
// setup errors.
func FuzzCommand(start Starter) command {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
		return fuzzCommand(ctx, start, args, stdout, stderr)
	}
}

func fuzzCommand(ctx context.Context, start Starter, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fuzz", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	cfg := FuzzConfig{}
	fs.Uint64Var(&cfg.Seed, "seed", uint64(time.Now().UnixNano()), "random `SEED`; the same seed replays the same mutations")
	fs.IntVar(&cfg.Cases, "cases", 1000, "stop after `N` cases (0: only --duration)")
	fs.DurationVar(&cfg.Duration, "duration", 0, "stop after this long (0: only --cases)")
	fs.DurationVar(&cfg.Timeout, "timeout", 2*time.Second, "wait this long for a reply or a close")
	fs.DurationVar(&cfg.SlowRead, "slow-read", 100*time.Millisecond, "how long the slow-reader delivery lets replies pile up before reading")
	fs.IntVar(&cfg.FullCheckEvery, "full-check-every", 25, "run the login + MSG round trip every `N` cases")
	fs.StringVar(&cfg.Findings, "findings", "findings", "write minimised findings as scenarios to `DIR`")
	fs.BoolVar(&cfg.Strict, "strict", false, "no close on input that only the project's decisions (errata) call malformed is a finding too (default: a note)")
	fs.BoolVar(&cfg.KeepGoing, "keep-going", false, "continue after a finding until --cases/--duration (with --server-cmd a dead server is restarted); each distinct finding is written once")
	fs.IntVar(&cfg.MaxMinimizeRuns, "max-minimize-runs", 200, "bound the delta debugging to `N` attempts")
	adminUser := fs.String("admin-user", "", "admin mode: also fuzz ADMIN packets as this level 1 or 2 `NAME`")
	adminKey := fs.String("admin-key", "", "PEM private key `FILE` of --admin-user")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	d, acct, srv, err := c.resolve(ctx, start)
	defer func() { srv.stop() }()
	if err == nil {
		cfg.Admin, err = readAccount(*adminUser, *adminKey, "--admin-user/--admin-key")
	}
	if err != nil {
		fmt.Fprintln(stderr, "fuzz:", err)
		return 2
	}
	cfg.Addr, cfg.Dialect, cfg.User, cfg.Log, cfg.Restart = srv.addr, d, acct, stdout, srv.restart
	cfg.Timeout, cfg.Keys = c.scaled(cfg.Timeout), srv.keys
	fmt.Fprintf(stdout, "fuzz: seed %d, dialect %s, target %s\n", cfg.Seed, d, srv.addr)
	if cfg.Admin != nil {
		fmt.Fprintf(stdout, "fuzz: admin mode as %s (shutdowns are moved to %s)\n", cfg.Admin.Name, farFuture.UTC().Format("2006-01-02"))
	}
	rep, err := Fuzz(ctx, cfg)
	if rep != nil {
		printFuzzReport(stdout, rep)
	}
	if err != nil {
		fmt.Fprintln(stderr, "fuzz:", err)
		return 2
	}
	if len(rep.Findings) > 0 {
		return 1
	}
	return 0
}

func printFuzzReport(w io.Writer, rep *FuzzReport) {
	fmt.Fprintf(w, "fuzz: %d cases in %v (%d malformed); %d failing cases (%d crashes), %d distinct findings, %d duplicates; %d server restarts; %d notes; deliveries %v\n",
		rep.Cases, rep.Elapsed.Round(time.Millisecond), rep.Malformed, rep.Failures, rep.Crashes,
		len(rep.Findings), rep.Duplicates, rep.Restarts, rep.Notes, rep.Deliveries)
	if rep.Notes > 0 {
		fmt.Fprintf(w, "fuzz: %d notes: the server kept a connection open on input only the project's decisions call malformed (--strict makes them findings)\n", rep.Notes)
	}
	for _, fd := range rep.Findings {
		unconfirmed := ""
		if !fd.Confirmed {
			unconfirmed = " (unconfirmed: passed on a fresh server)"
		}
		fmt.Fprintf(w, "fuzz: finding %s: case %d, seen %d times%s, %s\n", fd.Signature, fd.Case, fd.Seen, unconfirmed, fd.File)
	}
	if rep.Stopped != "" {
		fmt.Fprintf(w, "fuzz: stopped early %s\n", rep.Stopped)
	}
}
