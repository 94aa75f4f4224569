package clientrun_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance"
	"github.com/gochatproto/gochat/conformance/clientrun"
	"github.com/gochatproto/gochat/conformance/report"
	"github.com/gochatproto/gochat/conformance/runner"
	"github.com/gochatproto/gochat/spec"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds gochat-client and the fault-injecting driver once per
// test process.
func binaries(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "clientrun-bin")
		if buildErr != nil {
			return
		}
		for _, pkg := range []string{"../../refclient/cmd/gochat-client", "./internal/faultyclient"} {
			out, err := exec.Command("go", "build", "-o", binDir+"/", pkg).CombinedOutput()
			if err != nil {
				buildErr = &buildError{pkg: pkg, out: string(out), err: err}
				return
			}
		}
	})
	require.NoError(t, buildErr)
	return binDir
}

type buildError struct {
	pkg, out string
	err      error
}

func (e *buildError) Error() string { return "go build " + e.pkg + ": " + e.err.Error() + "\n" + e.out }

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func run(t *testing.T, cmd string, d spec.Dialect, only string) []*runner.Result {
	s, err := conformance.Load(nil)
	require.NoError(t, err)
	var scs = s.Scenarios[:0:0]
	for _, sc := range s.Scenarios {
		if sc.Role == "client" && (only == "" || sc.ID == only) {
			scs = append(scs, sc)
		}
	}
	require.NotEmpty(t, scs)
	return clientrun.Run(context.Background(), scs, clientrun.Options{ClientCmd: cmd, Dialect: d,
		Keys: s.Keys, Seed: 1, TimeoutScale: 3})
}

// TestReferenceClient runs every client scenario against the reference
// client in both dialects.
func TestReferenceClient(t *testing.T) {
	bin := binaries(t)
	for _, d := range []spec.Dialect{spec.DialectSpec, spec.DialectGochat1} {
		t.Run(d.String(), func(t *testing.T) {
			rs := run(t, filepath.Join(bin, "gochat-client")+" -driver", d, "")
			for _, r := range rs {
				if r.Verdict != runner.Pass {
					var b stringsBuilder
					report.Detail(&b, r, report.Info{})
					t.Errorf("%s: %s %s\n%s", r.ID, r.Verdict, r.Reason, b.String())
				}
			}
		})
	}
}
