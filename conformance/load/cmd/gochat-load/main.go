// Command gochat-load runs the load generator of package conformance/load
// against a gochat server on loopback; it is the same command as
// "gochat-conformance load".
//
//	gochat-load --addr 127.0.0.1:9037 --duration 10s online login
//	gochat-load --stub online       # the generator's own ceiling
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/gochatproto/gochat/conformance/load"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := load.Command(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
