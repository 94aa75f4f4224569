package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/gochatproto/gochat/conformance/keystore"
)

// cmdKeys is "keys": show the key cache, or fill it ahead of a run
// (--generate N), since RSA-4096 keys take a second or more each and a
// run against a server that must never see a key twice needs about 150.
func cmdKeys(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("keys", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("key-cache", "", "`DIR` of generated keys and ledgers (default $"+keystore.DirEnv+", else the user cache directory)")
	n := fs.Int("generate", 0, "generate `N` more keys into the cache")
	if err := fs.Parse(args); err != nil {
		return usageError(stderr, err)
	}
	st, err := keystore.OpenDir(*dir)
	if err != nil {
		fmt.Fprintln(stderr, "gochat-conformance:", err)
		return 2
	}
	for i := range *n {
		if ctx.Err() != nil {
			return 2
		}
		name, _, err := st.Generate()
		if err != nil {
			fmt.Fprintln(stderr, "gochat-conformance:", err)
			return 2
		}
		fmt.Fprintf(stdout, "%d/%d %s\n", i+1, *n, name)
	}
	keys, err := st.Keys()
	if err != nil {
		fmt.Fprintln(stderr, "gochat-conformance:", err)
		return 2
	}
	fmt.Fprintf(stdout, "%s: %d cached keys (besides the fixture keys)\n", st.Dir(), len(keys))
	return 0
}
