package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/gochatproto/gochat/refclient/app"
	"github.com/gochatproto/gochat/refclient/backend"
	"github.com/gochatproto/gochat/refclient/store"
	"github.com/gochatproto/gochat/refclient/ui"
	"github.com/gochatproto/gochat/spec"
)

// runTUI runs the terminal interface on the process's terminal. Protocol
// logs (-verbose) go to client.log in the data directory, since stderr is
// the screen.
func runTUI(ctx context.Context, st *store.Store, o options, stderr io.Writer) int {
	d, err := spec.ParseDialect(o.dialect)
	if err != nil {
		fmt.Fprintf(stderr, "gochat-client: %v\n", err)
		return 2
	}
	logger := slog.New(slog.DiscardHandler)
	if o.verbose {
		f, err := os.OpenFile(filepath.Join(o.dataDir, "client.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			fmt.Fprintf(stderr, "gochat-client: %v\n", err)
			return 1
		}
		defer f.Close()
		logger = slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	be := backend.New(app.Config{
		Store: st, Dialect: d, RequestTimeout: o.timeout, KeepAlive: o.keepAlive, Logger: logger,
	}, backend.Options{})
	if err := ui.RunTerminal(ctx, be, ui.Options{}); err != nil && ctx.Err() == nil {
		fmt.Fprintf(stderr, "gochat-client: %v\n", err)
		return 1
	}
	return 0
}
