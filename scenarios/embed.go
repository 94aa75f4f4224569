// Package scenarios holds the conformance scenarios and their fixtures and
// embeds them, so that the gochat-conformance binary is self-contained.
//
// Layout:
//
//	server/*.yaml        scenarios that test a server (the runner plays clients)
//	client/*.yaml        scenarios that test a client (reserved; may be empty)
//	fixtures/keys/*.pem  committed RSA-4096 fixture keys (see internal/genkeys)
//
// The format is documented in docs/scenarios.md.
package scenarios

import "embed"

// FS is the embedded scenario tree. Directories are embedded whole (not
// by *.yaml patterns) so that an empty client/ does not break the build;
// client/README.md keeps it present.
//
//go:embed server client fixtures/keys verified-elsewhere.yaml
var FS embed.FS
