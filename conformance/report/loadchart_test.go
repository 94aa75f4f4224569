package report

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance/load"
)

// A "make bench" file holds several targets and one profile at several
// settings: each target is a series, each setting a chart.
func TestLoadSeriesAndKeys(t *testing.T) {
	r := func(target string, window int, rate float64) *load.Result {
		return &load.Result{Profile: "online", Target: target, Rate: rate, Unit: "msgs",
			Params:  map[string]any{"window": window, "pairs": 16},
			Latency: []load.Latency{{Name: "MSG→RECIV", Summary: load.Summary{Count: 1, P50: time.Millisecond, Max: time.Second}}}}
	}
	runs := []LoadRun{{Label: "bench", Results: []*load.Result{r("ref/sqlite", 16, 100), r("ref/sqlite", 1, 10),
		r("ref/mariadb", 16, 90), r("ref/mariadb", 1, 9)}}, {Label: "after", Results: []*load.Result{r("x", 16, 200)}}}
	ss, keys := seriesOf(runs)
	assert.Equal(t, []string{"online window=16", "online window=1"}, keys)
	require.Len(t, ss, 3)
	assert.Equal(t, "bench · ref/sqlite", ss[0].Label)
	assert.Equal(t, "after", ss[2].Label)
	assert.Equal(t, 10.0, ss[0].ByKey["online window=1"].Rate)
	assert.Nil(t, ss[2].ByKey["online window=1"], "not measured there")

	p := buildLoadPage(runs)
	require.Len(t, p.Throughput, 2)
	assert.Len(t, p.Throughput[0].Bars, 3)
	assert.Equal(t, "not measured", p.Throughput[1].Bars[2].Value)
	require.Len(t, p.Latency, 2)
	assert.Len(t, p.Latency[0].Lines, 3)
	assert.Len(t, p.Latency[1].Lines, 2)
	var b bytes.Buffer
	require.NoError(t, LoadHTML(&b, runs))
	assert.NotContains(t, b.String(), "<script")
}

func TestNiceCeil(t *testing.T) {
	for in, want := range map[float64]float64{0: 1, 0.3: 0.5, 1: 1, 1.1: 2, 41200: 50000, 65920: 100000, 910: 1000} {
		assert.InDelta(t, want, niceCeil(in), 1e-9, "niceCeil(%g)", in)
	}
}
