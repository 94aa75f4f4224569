package load

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHistogramEmpty(t *testing.T) {
	var h Histogram
	assert.Equal(t, Summary{}, h.Summary())
	assert.Zero(t, h.Quantile(0.5))
}

func TestHistogramExactSmallValues(t *testing.T) {
	var h Histogram
	for v := 1; v <= 100; v++ {
		h.Record(time.Duration(v))
	}
	s := h.Summary()
	assert.Equal(t, uint64(100), s.Count)
	assert.Equal(t, time.Duration(1), s.Min)
	assert.Equal(t, time.Duration(50), s.P50)
	assert.Equal(t, time.Duration(90), s.P90)
	assert.Equal(t, time.Duration(99), s.P99)
	assert.Equal(t, time.Duration(100), s.Max)
	assert.Equal(t, time.Duration(50), s.Mean) // 50.5 truncated
}

func TestHistogramBucketsRoundTrip(t *testing.T) {
	// Every value maps to a bucket whose midpoint is within 1/128 of it,
	// and bucket indexes never decrease as values grow.
	prev := 0
	for _, v := range []uint64{0, 1, 255, 256, 257, 511, 512, 1000, 12345, 1 << 20, 999_999_999, 1 << 40, 1 << 48} {
		i := bucketOf(v)
		require.GreaterOrEqual(t, i, prev, "v=%d", v)
		prev = i
		mid := bucketValue(i)
		diff := float64(mid) - float64(v)
		assert.LessOrEqual(t, abs(diff), float64(v)/histSub+0.5, "v=%d mid=%d", v, mid)
	}
	assert.Equal(t, histBuckets-1, bucketOf(1<<62))
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestHistogramMatchesSortedSamples(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h, a, b Histogram
	samples := make([]time.Duration, 0, 20000)
	for i := range 20000 {
		// Log-normal-ish: mostly tens of microseconds, a tail to ms.
		v := time.Duration(20_000 * (1 + r.ExpFloat64()*r.ExpFloat64()))
		samples = append(samples, v)
		h.Record(v)
		if i%2 == 0 {
			a.Record(v)
		} else {
			b.Record(v)
		}
	}
	a.Merge(&b)
	assert.Equal(t, h.Summary(), a.Summary(), "merge equals recording into one")
	slices.Sort(samples)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		want := samples[int(q*float64(len(samples)))-1]
		got := h.Quantile(q)
		assert.InEpsilon(t, float64(want), float64(got), 0.01, "q=%v", q)
	}
	assert.Equal(t, samples[0], h.Summary().Min)
	assert.Equal(t, samples[len(samples)-1], h.Summary().Max)
}

func TestHistogramNegativeIsZero(t *testing.T) {
	var h Histogram
	h.Record(-5)
	assert.Equal(t, time.Duration(0), h.Summary().Max)
}
