package conformance_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gochatproto/gochat/conformance"
	"github.com/gochatproto/gochat/conformance/result"
)

// TestRunsNeverReuseKeysOnAServer: against a server at an address, a run
// registers only keys that no earlier run registered there (the ledger
// in the key cache), so it does not rely on E-20's key release.
func TestRunsNeverReuseKeysOnAServer(t *testing.T) {
	s := loadSuite(t)
	tgt := newEmbedded(t, s)
	cache := t.TempDir()
	run := func() []string {
		out, err := conformance.Run(context.Background(), conformance.Options{Suite: s,
			Addr: tgt.Shared().Addr, KeyCache: cache, Run: "^REG-(ok|dup-name|uppercase-folding)$"})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.Results {
			if r.Verdict != result.Pass {
				t.Errorf("%s: %s %s %+v", r.ID, r.Label(), r.Reason, r.Failures)
			}
		}
		files, err := filepath.Glob(filepath.Join(cache, "used", "*.txt"))
		if err != nil || len(files) != 1 {
			t.Fatalf("want one ledger, got %v (%v)", files, err)
		}
		b, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		return strings.Fields(string(b))
	}
	first := run()
	if len(first) == 0 {
		t.Fatal("the first run recorded no key")
	}
	all := run()
	seen := map[string]bool{}
	for _, fp := range all {
		if seen[fp] {
			t.Errorf("key %s registered twice on the server", fp)
		}
		seen[fp] = true
	}
	if len(all) != 2*len(first) {
		t.Errorf("the second run used %d keys, the first %d", len(all)-len(first), len(first))
	}
}

// TestUnreachableServerSpendsNoKeys: scenarios that never sent a REG give
// their keys back, so a run against a server that is not there neither
// fills the ledger nor generates keys.
func TestUnreachableServerSpendsNoKeys(t *testing.T) {
	s := loadSuite(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	cache := t.TempDir()
	out, err := conformance.Run(context.Background(), conformance.Options{Suite: s, Addr: addr, KeyCache: cache})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(withVerdict(out.Results, result.Error)); n == 0 {
		t.Error("no scenario reported the missing server")
	}
	files, _ := filepath.Glob(filepath.Join(cache, "used", "*.txt"))
	generated, _ := filepath.Glob(filepath.Join(cache, "keys", "*.pem"))
	if len(files)+len(generated) > 0 {
		t.Errorf("keys spent or generated for a server that is not there: %v %v", files, generated)
	}
}
