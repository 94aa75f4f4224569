package wire

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/spec"
)

// TestFuzzLongRun is the long run of docs/robustness.md, off by default:
//
//	GOCHAT_FUZZ_LONG=100000 go test -run TestFuzzLongRun -timeout 2h -v ./fuzz/wire
func TestFuzzLongRun(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("GOCHAT_FUZZ_LONG"))
	if n <= 0 {
		t.Skip("set GOCHAT_FUZZ_LONG=<cases>")
	}
	addr := startRef(t, spec.DialectSpec)
	var log strings.Builder
	rep, err := Fuzz(context.Background(), FuzzConfig{
		Addr: addr, Seed: 20240601, Cases: n, Duration: longDuration(),
		Findings: t.TempDir(), KeepGoing: true, Log: &log,
	})
	require.NoError(t, err)
	t.Logf("%d cases in %v (%.0f/s), %d malformed, %d findings, deliveries %v\n%s", rep.Cases, rep.Elapsed,
		float64(rep.Cases)/rep.Elapsed.Seconds(), rep.Malformed, len(rep.Findings), rep.Deliveries, log.String())
	assert.Empty(t, rep.Findings)
}

// longDuration is GOCHAT_FUZZ_LONG_FOR (a Go duration), default 90m.
func longDuration() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("GOCHAT_FUZZ_LONG_FOR")); err == nil && d > 0 {
		return d
	}
	return 90 * time.Minute
}
