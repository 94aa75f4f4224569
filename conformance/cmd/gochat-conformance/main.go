// Command gochat-conformance tests gochat servers against the conformance
// scenarios. See docs/implementers.md.
//
//	gochat-conformance server [flags]    run the server scenarios
//	gochat-conformance client [flags]    run the client scenarios
//	gochat-conformance list              print the catalogue by section
//	gochat-conformance coverage [flags]  requirement coverage (fails on gaps)
//	gochat-conformance corpus [flags]    replay the wire corpus (fuzz/corpus)
//	gochat-conformance fuzz [flags]      mutate packets until the server misbehaves
//	gochat-conformance load [flags]      measure throughput and latency (docs/benchmarks.md)
//	gochat-conformance explore [flags]   concurrent randomized model checking (docs/robustness.md)
//
// Exit status: 0 all good, 1 failures, 2 suite errors or bad usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/gochatproto/gochat/conformance"
	"github.com/gochatproto/gochat/conformance/explore"
	"github.com/gochatproto/gochat/conformance/load"
	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/fuzz/wire"
	"github.com/gochatproto/gochat/internal/version"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is the one signature of every subcommand.
type command func(ctx context.Context, args []string, stdout, stderr io.Writer) int

var commands = map[string]command{
	"server":   cmdRun(scenario.RoleServer),
	"client":   cmdRun(scenario.RoleClient),
	"list":     cmdList,
	"coverage": cmdCoverage,
	"corpus":   wire.CorpusCommand(startEmbedded), // startEmbedded: wire.go
	"fuzz":     wire.FuzzCommand(startEmbedded),
	"load":     load.Command,
	"explore":  explore.Command,
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	if cmd, ok := commands[args[0]]; ok {
		return cmd(ctx, args[1:], stdout, stderr)
	}
	switch args[0] {
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, version.Line("gochat-conformance"))
		return 0
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "gochat-conformance: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  gochat-conformance server [--addr HOST:PORT] [flags]   test a server (no --addr: the embedded reference server)
  gochat-conformance client --client-cmd TEMPLATE      test a client through its driver adapter (docs/driver.md)
  gochat-conformance list [--role client]                print the scenario catalogue by section
  gochat-conformance coverage [--strict-should]          requirement coverage; fails on uncovered MUSTs
  gochat-conformance corpus [--addr HOST:PORT | --server-cmd TEMPLATE] [flags]
                                                       replay the wire corpus (fuzz/corpus; neither: embedded server)
  gochat-conformance fuzz [--addr HOST:PORT | --server-cmd TEMPLATE] [--keep-going] [flags]
                                                       mutate packets and report findings as scenarios (docs/robustness.md)
  gochat-conformance load --addr HOST:PORT [flags]       load profiles: online, login, catchup, conns, mixed (docs/benchmarks.md)
  gochat-conformance explore [--addr HOST:PORT] [flags]  concurrent, model-checked random operations with shrinking (docs/robustness.md)
Run "gochat-conformance server -h" for the flags.
`)
}

// usageError reports a flag error (the flag package printed it already,
// or -h asked for help) and returns the exit status.
func usageError(stderr io.Writer, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "gochat-conformance:", err)
	return 2
}

// loadSuite loads the scenarios of dir, or the embedded ones.
func loadSuite(dir string) (*conformance.Suite, error) {
	if dir == "" {
		return conformance.Load(nil)
	}
	return conformance.Load(os.DirFS(dir))
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
