package conformance_test

import (
	"testing"

	"github.com/gochatproto/gochat/conformance"
)

// TestRunServerLibrary is what an implementer writes: here against the
// embedded reference server, restricted to a few scenarios.
func TestRunServerLibrary(t *testing.T) {
	conformance.RunServer(t, conformance.Options{Run: "^(CONN-hello|LOGIN-ok|ADMIN-kick|CONN-idle-timeout)$", Seed: 3})
}
