package wire

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/conformance/load"
	"github.com/gochatproto/gochat/fuzz/corpus"
	"github.com/gochatproto/gochat/spec"
)

type common struct {
	addr, dialect, user, key string
	allowRemote              bool
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.addr, "addr", "", "server `HOST:PORT` (required; loopback unless --allow-remote)")
	fs.StringVar(&c.dialect, "dialect", "spec", "wire dialect: spec or gochat1")
	fs.StringVar(&c.user, "user", "", "registered account to log in as (default: register one with a free fixture key)")
	fs.StringVar(&c.key, "key", "", "PEM private key `FILE` of --user")
	fs.BoolVar(&c.allowRemote, "allow-remote", false, "allow a non-loopback --addr")
}

func (c *common) resolve() (spec.Dialect, *Account, error) {
	if c.addr == "" {
		return 0, nil, fmt.Errorf("--addr is required")
	}
	if err := load.CheckAddr(c.addr, c.allowRemote); err != nil {
		return 0, nil, err
	}
	d, err := spec.ParseDialect(c.dialect)
	if err != nil {
		return 0, nil, err
	}
	a, err := readAccount(c.user, c.key, "--user", "--key")
	if err != nil {
		return 0, nil, err
	}
	return d, a, nil
}

// readAccount loads the account of a name and key flag pair (nil if
// neither is given).
func readAccount(name, keyFile, nameFlag, keyFlag string) (*Account, error) {
	if (name == "") != (keyFile == "") {
		return nil, fmt.Errorf("%s and %s go together", nameFlag, keyFlag)
	}
	if name == "" {
		return nil, nil
	}
	b, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	k, err := codec.ParsePrivateKeyPEM(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyFlag, err)
	}
	return &Account{Name: name, Key: k}, nil
}

// CorpusCommand is "gochat-conformance corpus". It returns the exit
// status: 0 all y_/n_ cases pass (warnings allowed), 1 a failure, 2 usage
// or setup errors.
func CorpusCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("corpus", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	dir := fs.String("dir", "", "load *.case files from `DIR` instead of the embedded corpus")
	timeout := fs.Duration("timeout", 3*time.Second, "wait this long for a reply or a close")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	d, acct, err := c.resolve()
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
	rs, err := Replay(ctx, ReplayConfig{Addr: c.addr, Dialect: d, Timeout: *timeout, Account: acct, Cases: cases, Log: stdout})
	sum := Summarize(rs)
	fmt.Fprintf(stdout, "corpus: %d pass, %d FAIL, %d warn, %d info, %d skip\n", sum[Pass], sum[Fail], sum[Warn], sum[Info], sum[Skip])
	if err != nil {
		fmt.Fprintln(stderr, "corpus:", err)
		if len(rs) == 0 {
			return 2
		}
	}
	if sum[Fail] > 0 {
		return 1
	}
	return 0
}

// FuzzCommand is "gochat-conformance fuzz": 0 no finding, 1 findings, 2
// usage or setup errors.
func FuzzCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fuzz", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	cfg := FuzzConfig{}
	fs.Uint64Var(&cfg.Seed, "seed", uint64(time.Now().UnixNano()), "random `SEED`; the same seed replays the same mutations")
	fs.IntVar(&cfg.Cases, "cases", 1000, "stop after `N` cases (0: only --duration)")
	fs.DurationVar(&cfg.Duration, "duration", 0, "stop after this long (0: only --cases)")
	fs.DurationVar(&cfg.Timeout, "timeout", 2*time.Second, "wait this long for a reply or a close")
	fs.IntVar(&cfg.FullCheckEvery, "full-check-every", 25, "run the login + MSG round trip every `N` cases")
	fs.StringVar(&cfg.Findings, "findings", "findings", "write minimised findings as scenarios to `DIR`")
	fs.BoolVar(&cfg.KeepGoing, "keep-going", false, "continue after a finding while the server still answers")
	fs.IntVar(&cfg.MaxMinimizeRuns, "max-minimize-runs", 200, "bound the delta debugging to `N` attempts")
	adminUser := fs.String("admin-user", "", "admin mode: also fuzz ADMIN packets as this level 1 or 2 `NAME`")
	adminKey := fs.String("admin-key", "", "PEM private key `FILE` of --admin-user")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	d, acct, err := c.resolve()
	if err == nil {
		cfg.Admin, err = readAccount(*adminUser, *adminKey, "--admin-user", "--admin-key")
	}
	if err != nil {
		fmt.Fprintln(stderr, "fuzz:", err)
		return 2
	}
	cfg.Addr, cfg.Dialect, cfg.User, cfg.Log = c.addr, d, acct, stdout
	fmt.Fprintf(stdout, "fuzz: seed %d, dialect %s, target %s\n", cfg.Seed, d, c.addr)
	if cfg.Admin != nil {
		fmt.Fprintf(stdout, "fuzz: admin mode as %s (shutdowns are moved to %s)\n", cfg.Admin.Name, farFuture.UTC().Format("2006-01-02"))
	}
	rep, err := Fuzz(ctx, cfg)
	if rep != nil {
		fmt.Fprintf(stdout, "fuzz: %d cases in %v (%d malformed), %d findings; deliveries %v\n",
			rep.Cases, rep.Elapsed.Round(time.Millisecond), rep.Malformed, len(rep.Findings), rep.Deliveries)
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
