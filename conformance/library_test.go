package conformance_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gochatproto/gochat/conformance"
)

// TestLibraryLinksNoReferenceServer: third parties import the library to
// test their own implementations; it must not drag in the reference
// server or a SQL driver (the embedded server is a target of its own).
func TestLibraryLinksNoReferenceServer(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/gochatproto/gochat/conformance").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.Contains(dep, "/refserver") || strings.Contains(dep, "/refclient") ||
			strings.Contains(dep, "sql") || strings.Contains(dep, "testcontainers") {
			t.Errorf("the conformance library links %s", dep)
		}
	}
}

// TestRunClientLibrary is what a client implementer writes, here with the
// reference client's driver and a few scenarios.
func TestRunClientLibrary(t *testing.T) {
	bin := t.TempDir()
	if out, err := exec.Command("go", "build", "-o", bin+string(os.PathSeparator),
		"../refclient/cmd/gochat-client").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	conformance.RunClient(t, conformance.Options{ClientCmd: filepath.Join(bin, "gochat-client") + " -driver",
		Run: "^(CLI-reg-key|CLI-login-challenge|CLI-token-tls|CLI-hdr-valid)$", Seed: 5})
}
