package main

import (
	"context"
	"fmt"
	"os"

	"github.com/gochatproto/gochat/refclient/store"
)

// runTUI is the hook for the terminal interface (refclient/ui, which needs
// a ui.Backend built on refclient/core and refclient/store). Until that
// backend lands, it explains how to use the shell instead.
func runTUI(_ context.Context, _ *store.Store, _ options) int {
	fmt.Fprintln(os.Stderr, "gochat-client: the terminal interface is not wired into this build yet; run with -shell")
	return 2
}
