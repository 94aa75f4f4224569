package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/gochatproto/gochat/refclient/driver"
)

// driverMode reports whether argv asks for the conformance driver mode.
// It is checked before the normal flags so that the driver needs no
// local database and no password.
func driverMode(argv []string) bool {
	for _, a := range argv {
		if a == "-driver" || a == "--driver" || a == "-driver=true" || a == "--driver=true" {
			return true
		}
	}
	return false
}

// runDriver speaks the driver protocol of docs/driver.md on stdin/stdout:
// the conformance runner plays the server and steers this client.
func runDriver(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gochat-client -driver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Bool("driver", true, "speak the conformance driver protocol on stdin/stdout (docs/driver.md)")
	timeout := fs.Duration("timeout", 10*time.Second, "time to wait for each reply")
	verbose := fs.Bool("verbose", false, "log protocol details to stderr")
	if err := fs.Parse(argv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	o := driver.Options{RequestTimeout: *timeout}
	if *verbose {
		o.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if err := driver.Serve(ctx, stdin, stdout, o); err != nil {
		fmt.Fprintf(stderr, "gochat-client: driver: %v\n", err)
		return 1
	}
	return 0
}
