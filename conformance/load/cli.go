package load

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gochatproto/gochat/spec"
)

const cliUsage = `usage: load [flags] PROFILE...

Profiles: online, login, catchup, offline, conns, mixed (several run one
after the other). The target must be a loopback address unless --allow-remote is given.
--stub runs the profiles against an in-process stub server instead, to
measure the generator's own ceiling.

Flags:
`

// Command is "gochat-conformance load" and gochat-load: it runs the load
// CLI with the arguments after the command name and returns the exit
// status: 0 success, 1 a profile failed or reported errors, 2 bad usage.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o := DefaultOptions()
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), cliUsage)
		fs.PrintDefaults()
	}
	dialect := fs.String("dialect", "spec", "server `dialect`: spec or gochat1")
	jsonOut := fs.String("json", "", "also write the results as JSON to `FILE`")
	stub := fs.Bool("stub", false, "run against an in-process stub server (generator overhead)")
	label := fs.String("label", "", "target `label` in the output (default: the address)")
	fs.StringVar(&o.Addr, "addr", o.Addr, "server `HOST:PORT`")
	fs.BoolVar(&o.AllowRemote, "allow-remote", false, "permit a non-loopback --addr")
	fs.DurationVar(&o.Duration, "duration", o.Duration, "measured time per profile (after warmup)")
	fs.Int64Var(&o.Count, "count", 0, "stop after `N` measured operations (catchup: rounds); 0 = duration only")
	fs.DurationVar(&o.Warmup, "warmup", o.Warmup, "unmeasured time before measuring")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "seed for payload bytes")
	fs.BoolVar(&o.ReuseAccounts, "reuse-accounts", false, "keep accounts with names derived from the keys between runs instead of registering and deregistering fresh ones")
	fs.StringVar(&o.Prefix, "prefix", o.Prefix, "account name `prefix`")
	fs.IntVar(&o.Pairs, "pairs", o.Pairs, "online: sender/receiver pairs; offline: senders")
	fs.IntVar(&o.Window, "window", o.Window, "online, offline: messages in flight per sender")
	fs.IntVar(&o.Payload, "payload", o.Payload, "ciphertext size in `bytes`")
	fs.IntVar(&o.Logins, "logins", o.Logins, "login: concurrent workers")
	fs.IntVar(&o.Messages, "messages", o.Messages, "catchup: messages cached per round")
	fs.IntVar(&o.Conns, "conns", o.Conns, "conns: idle connections to open")
	fs.DurationVar(&o.Hold, "hold", o.Hold, "conns: how long to hold the connections")
	fs.IntVar(&o.ServerPID, "server-pid", 0, "conns: read the server's VmRSS from /proc/`PID`/status")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	profiles := fs.Args()
	if len(profiles) == 0 {
		fmt.Fprintln(stderr, "load: name at least one profile:", strings.Join(Profiles, ", "))
		return 2
	}
	d, err := spec.ParseDialect(*dialect)
	if err != nil {
		fmt.Fprintln(stderr, "load:", err)
		return 2
	}
	o.Dialect = d
	if *stub {
		s, err := StartStub("127.0.0.1:0", d)
		if err != nil {
			fmt.Fprintln(stderr, "load:", err)
			return 2
		}
		defer s.Close()
		o.Addr, o.InProcess = s.Addr(), true
		if *label == "" {
			*label = "stub"
		}
	}
	if err := o.Validate(); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	o.Progress = TTYProgress(stderr)
	return runProfiles(ctx, o, profiles, *label, *jsonOut, stdout, stderr)
}

func runProfiles(ctx context.Context, o Options, profiles []string, label, jsonOut string, stdout, stderr io.Writer) int {
	if label == "" {
		label = o.Addr
	}
	var all []*Result
	status := 0
	for _, p := range profiles {
		rs, err := Run(ctx, p, o)
		if o.Progress != nil {
			fmt.Fprint(stderr, "\r\x1b[K")
		}
		if err != nil {
			fmt.Fprintln(stderr, err)
			status = 1
			continue
		}
		for _, r := range rs {
			r.Target = label
			if r.ErrorCount() > 0 {
				status = 1
			}
		}
		all = append(all, rs...)
	}
	if err := WriteTable(stdout, all); err != nil {
		fmt.Fprintln(stderr, "load:", err)
		return 1
	}
	if jsonOut != "" {
		f, err := os.Create(jsonOut)
		if err == nil {
			err = WriteJSON(f, all)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintln(stderr, "load:", err)
			return 1
		}
	}
	return status
}
