package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/gochatproto/gochat/conformance"
	"github.com/gochatproto/gochat/conformance/target/embedded"
	"github.com/gochatproto/gochat/spec"
)

// cmdWire runs "corpus" or "fuzz" (package fuzz/wire). Like "server",
// without --addr it tests the embedded reference server: the tool then
// gets the embedded server's address prepended to its arguments.
func cmdWire(tool command) command {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
		if flagValue(args, "addr") != "" || wantsHelp(args) {
			return tool(ctx, args, stdout, stderr)
		}
		d, err := spec.ParseDialect(orString(flagValue(args, "dialect"), "spec"))
		if err != nil {
			fmt.Fprintln(stderr, "gochat-conformance:", err)
			return 2
		}
		s, err := conformance.Load(nil)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		admin, owner := s.Accounts(conformance.RandomSeed(), "")
		tgt, err := embedded.New(ctx, embedded.Options{Dialect: d, Admin: admin, Owner: owner})
		if err != nil {
			fmt.Fprintln(stderr, "gochat-conformance: embedded server:", err)
			return 2
		}
		defer tgt.Close()
		return tool(ctx, append([]string{"--addr", tgt.Shared().Addr}, args...), stdout, stderr)
	}
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
