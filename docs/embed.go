// Package docs embeds the protocol restatement, the requirement registry
// and the errata so that binaries (notably the conformance runner) can
// report against the exact documents they were built with.
package docs

import "embed"

// FS holds spec.md, requirements.yaml and errata.md.
//
//go:embed spec.md requirements.yaml errata.md
var FS embed.FS
