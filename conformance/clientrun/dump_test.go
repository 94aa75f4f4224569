package clientrun_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gochatproto/gochat/conformance/report"
	"github.com/gochatproto/gochat/spec"
)

func TestDump(t *testing.T) {
	if os.Getenv("CLIENTRUN_DUMP") == "" {
		t.Skip()
	}
	bin := binaries(t)
	rs := run(t, filepath.Join(bin, "gochat-client")+" -driver", spec.DialectSpec, os.Getenv("CLIENTRUN_DUMP"))
	for _, r := range rs {
		report.Detail(os.Stdout, r, report.Info{})
		report.WriteTranscript(os.Stdout, r.Transcript, "  ")
	}
}
