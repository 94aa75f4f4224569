package clientwire

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gochatproto/gochat/conformance/report"
	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/spec"
)

type flags struct {
	clientCmd, dialect string
	strict, verbose    bool
	seed               int64
}

func (f *flags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.clientCmd, "client-cmd", "", "shell `TEMPLATE` that starts the client's driver adapter (required; docs/driver.md)")
	fs.StringVar(&f.dialect, "dialect", "spec", "encoding the runner's server speaks: spec or gochat1")
	fs.BoolVar(&f.strict, "strict", false, "judge project decisions (E-n) like the specification")
	fs.BoolVar(&f.verbose, "v", false, "print every case's verdict, and the details of each failure")
	fs.Int64Var(&f.seed, "seed", 0, "seed for usernames and mutations (default: from the clock; printed)")
}

func (f *flags) config() (Config, error) {
	if f.clientCmd == "" {
		return Config{}, errors.New("--client-cmd is required")
	}
	d, err := spec.ParseDialect(f.dialect)
	if err != nil {
		return Config{}, err
	}
	if f.seed == 0 {
		f.seed = time.Now().UnixNano()
	}
	return Config{ClientCmd: f.clientCmd, Dialect: d, Strict: f.strict, Seed: f.seed}, nil
}

func parse(fs *flag.FlagSet, args []string, stderr io.Writer) (int, bool) {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	return 0, true
}

// CorpusCommand is "gochat-conformance corpus --role client": exit status
// 0 when every case passes, 1 on a fail or crash, 2 on usage errors.
func CorpusCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("corpus --role client", flag.ContinueOnError)
	var f flags
	f.register(fs)
	dir := fs.String("dir", "", "load *.yaml cases from `DIR` instead of the embedded client corpus")
	if code, ok := parse(fs, args, stderr); !ok {
		return code
	}
	cfg, err := f.config()
	if err != nil {
		fmt.Fprintln(stderr, "corpus:", err)
		return 2
	}
	var cases []*Case
	if *dir != "" {
		if cases, err = LoadCases(os.DirFS(*dir)); err != nil {
			fmt.Fprintln(stderr, "corpus:", err)
			return 2
		}
	}
	fmt.Fprintf(stdout, "corpus: client cases against %s (dialect %s, seed %d)\n", cfg.ClientCmd, cfg.Dialect, cfg.Seed)
	rs, err := Replay(ctx, cfg, cases)
	if err != nil {
		fmt.Fprintln(stderr, "corpus:", err)
		return 2
	}
	count := map[result.Verdict]int{}
	for _, r := range rs {
		count[r.Verdict]++
		bad := r.Verdict == result.Fail || r.Verdict == result.Crash || r.Verdict == result.Error
		if f.verbose || bad {
			fmt.Fprintf(stdout, "%-5s %s\n", r.Verdict, r.Case.Name)
		}
		if bad && f.verbose {
			report.Detail(stdout, r.Result, report.Info{})
		}
	}
	fmt.Fprintf(stdout, "corpus: %d cases: %d pass, %d fail, %d warn, %d crash, %d skip, %d error\n", len(rs),
		count[result.Pass], count[result.Fail], count[result.Warn], count[result.Crash], count[result.Skip], count[result.Error])
	if count[result.Fail]+count[result.Crash]+count[result.Error] > 0 {
		return 1
	}
	return 0
}

// FuzzCommand is "gochat-conformance fuzz --role client": exit status 0
// without findings, 1 with findings, 2 on usage errors.
func FuzzCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fuzz --role client", flag.ContinueOnError)
	var f flags
	f.register(fs)
	cases := fs.Int("cases", 100, "mutated sessions to run at most")
	budget := fs.Duration("time", 2*time.Minute, "stop after this long")
	out := fs.String("out", "", "write each minimised finding as a client scenario into `DIR`")
	if code, ok := parse(fs, args, stderr); !ok {
		return code
	}
	cfg, err := f.config()
	if err != nil {
		fmt.Fprintln(stderr, "fuzz:", err)
		return 2
	}
	fmt.Fprintf(stdout, "fuzz: hostile server against %s (dialect %s, seed %d)\n", cfg.ClientCmd, cfg.Dialect, cfg.Seed)
	fds, n, err := Fuzz(ctx, FuzzConfig{Config: cfg, Cases: *cases, Time: *budget, Log: stdout, Verbose: f.verbose})
	if err != nil {
		fmt.Fprintln(stderr, "fuzz:", err)
		return 2
	}
	for i, fd := range fds {
		fmt.Fprintf(stdout, "finding %d (%s, mutation %s):\n%s\n", i+1, fd.Kind, fd.Mutation, fd.Scenario)
		if *out != "" {
			name := fmt.Sprintf("%s/fuzz-client-%d-%d.yaml", *out, cfg.Seed, i+1)
			if err := os.WriteFile(name, fd.Scenario, 0o644); err != nil {
				fmt.Fprintln(stderr, "fuzz:", err)
				return 2
			}
		}
	}
	fmt.Fprintf(stdout, "fuzz: %d sessions, %d findings\n", n, len(fds))
	if len(fds) > 0 {
		return 1
	}
	return 0
}
