package wire

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/spec"
)

// TestReplayCorpusReference replays the whole corpus against the reference
// server in both dialects: every y_ and n_ case must pass (warnings, i.e.
// SHOULD deviations, are reported too: the reference server has none).
func TestReplayCorpusReference(t *testing.T) {
	for _, d := range []spec.Dialect{spec.DialectSpec, spec.DialectGochat1} {
		t.Run(d.String(), func(t *testing.T) {
			addr := startRef(t, d)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var log strings.Builder
			rs, err := Replay(ctx, ReplayConfig{Addr: addr, Dialect: d, Log: &log})
			require.NoError(t, err, log.String())
			for _, r := range rs {
				assert.Contains(t, []Status{Pass, Info, Skip}, r.Status, "%s: %s", r.Case.Name, r.Detail)
			}
			t.Logf("%v\n%s", Summarize(rs), log.String())
		})
	}
}
