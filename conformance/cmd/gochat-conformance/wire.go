package main

import (
	"context"

	"github.com/gochatproto/gochat/conformance"
	"github.com/gochatproto/gochat/conformance/target/embedded"
	"github.com/gochatproto/gochat/spec"
)

// startEmbedded starts the embedded reference server for "corpus" and
// "fuzz" run without --addr, as "server" does.
func startEmbedded(ctx context.Context, d spec.Dialect) (string, func(), error) {
	s, err := conformance.Load(nil)
	if err != nil {
		return "", nil, err
	}
	admin, owner := s.Accounts(conformance.RandomSeed(), "")
	tgt, err := embedded.New(ctx, embedded.Options{Dialect: d, Admin: admin, Owner: owner})
	if err != nil {
		return "", nil, err
	}
	return tgt.Shared().Addr, func() { _ = tgt.Close() }, nil
}
