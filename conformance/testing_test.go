package conformance_test

import (
	"testing"

	"github.com/gochatproto/gochat/conformance"
)

// TestRunServerLibrary is what an implementer writes (with Addr instead of
// Target): here against the embedded reference server, restricted to a few
// scenarios.
func TestRunServerLibrary(t *testing.T) {
	s := loadSuite(t)
	conformance.RunServer(t, conformance.Options{Suite: s, Target: newEmbedded(t, s),
		Run: "^(CONN-hello|LOGIN-ok|ADMIN-kick|CONN-idle-timeout)$", Seed: 3})
}
