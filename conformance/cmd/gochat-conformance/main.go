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
//	gochat-conformance report [flags]    HTML pages from JSON results: one run, a comparison, load charts
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
	"github.com/gochatproto/gochat/fuzz/clientwire"
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
	"corpus":   byRole(wire.CorpusCommand(startEmbedded), clientwire.CorpusCommand), // startEmbedded: wire.go
	"fuzz":     byRole(wire.FuzzCommand(startEmbedded), clientwire.FuzzCommand),
	"load":     load.Command,
	"explore":  explore.Command,
	"keys":     cmdKeys,
	"report":   cmdReport,
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
  gochat-conformance corpus --role client --client-cmd TEMPLATE   replay the client corpus (fuzz/clientwire/corpus)
  gochat-conformance fuzz --role client --client-cmd TEMPLATE     play a hostile server; findings become client scenarios
  gochat-conformance load --addr HOST:PORT [flags]       load profiles: online, login, catchup, conns, mixed (docs/benchmarks.md)
  gochat-conformance explore [--addr HOST:PORT] [flags]  concurrent, model-checked random operations with shrinking (docs/robustness.md)
  gochat-conformance keys [--generate N] [--key-cache DIR]
                                                       fill the key cache ahead of runs against --addr (docs/implementers.md)
  gochat-conformance report [--compare|--load] FILE.json... [-o FILE.html]
                                                         HTML from JSON results: one run, implementations compared, load charts
Run "gochat-conformance server -h" for the flags.
`)
}

// byRole picks the server or the client variant of a command by a
// leading or embedded --role flag (default server), which it removes.
func byRole(server, client command) command {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
		role, rest := "server", make([]string, 0, len(args))
		for i := 0; i < len(args); i++ {
			switch a := args[i]; {
			case (a == "--role" || a == "-role") && i+1 < len(args):
				role = args[i+1]
				i++
			case strings.HasPrefix(a, "--role=") || strings.HasPrefix(a, "-role="):
				role = a[strings.Index(a, "=")+1:]
			default:
				rest = append(rest, a)
			}
		}
		switch role {
		case "server":
			return server(ctx, rest, stdout, stderr)
		case "client":
			return client(ctx, rest, stdout, stderr)
		}
		fmt.Fprintf(stderr, "gochat-conformance: --role %q: want server or client\n", role)
		return 2
	}
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
