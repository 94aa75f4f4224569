package main

import (
	"context"
	"io"

	"github.com/gochatproto/gochat/conformance/load"
)

// cmdLoad is "gochat-conformance load [flags] PROFILE...": the load
// generator of package conformance/load (docs/benchmarks.md).
func cmdLoad(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return load.MainContext(ctx, args, stdout, stderr)
}
