package main

import (
	"context"
	"fmt"
	"io"

	"github.com/gochatproto/gochat/refclient/store"
)

// runTUI is the hook for the terminal interface (refclient/ui, which needs
// a ui.Backend built on refclient/core and refclient/store). Until that
// backend lands, it explains how to use the shell instead. The TUI engineer
// replaces this file; main only calls runTUI.
func runTUI(_ context.Context, _ *store.Store, _ options, stderr io.Writer) int {
	fmt.Fprintln(stderr, "gochat-client: the terminal interface is not wired into this build yet; run with -shell")
	return 2
}
