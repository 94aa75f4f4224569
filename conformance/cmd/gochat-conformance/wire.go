package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/gochatproto/gochat/conformance"
	"github.com/gochatproto/gochat/fuzz/wire"
	"github.com/gochatproto/gochat/spec"
)

// cmdWire runs "corpus" or "fuzz" (package fuzz/wire). Like "server",
// without --addr it tests the embedded reference server: the tools then
// get the embedded server's address prepended to their arguments.
func cmdWire(ctx context.Context, name string, args []string, stderr io.Writer) int {
	tool := wire.CorpusMain
	if name == "fuzz" {
		tool = wire.FuzzMain
	}
	if flagValue(args, "addr") != "" || wantsHelp(args) {
		return tool(args)
	}
	d, err := spec.ParseDialect(orString(flagValue(args, "dialect"), "spec"))
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	}
	s, err := conformance.Load(nil)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	tgt, err := conformance.NewTarget(ctx, conformance.Options{Dialect: d, Seed: conformance.RandomSeed()}, s, "")
	if err != nil {
		fmt.Fprintf(stderr, "%s: embedded server: %v\n", name, err)
		return 2
	}
	defer tgt.Close()
	return tool(append([]string{"--addr", tgt.Shared().Addr}, args...))
}

// flagValue returns the value of -name/--name in args ("-x v" or "-x=v"),
// without parsing the tool's own flag set.
func flagValue(args []string, name string) string {
	for i, a := range args {
		if a == "--" {
			break
		}
		flagName, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || flagName != name {
			continue
		}
		if hasVal {
			return val
		}
		if i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			return true
		}
	}
	return false
}

func orString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
