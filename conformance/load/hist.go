package load

import (
	"math"
	"math/bits"
	"time"
)

// Histogram records durations in log-linear buckets, like HdrHistogram with
// two significant decimal digits: values below 256 ns are exact, larger ones
// fall into one of 128 buckets per power of two, so a reported percentile is
// within 0.8% of the true sample. Memory is fixed (about 36 KiB) however many
// values are recorded. The zero value is ready to use; it is not safe for
// concurrent use, so every worker keeps its own and the results are merged.
type Histogram struct {
	counts   [histBuckets]uint64
	n        uint64
	sum      float64
	min, max time.Duration
}

const (
	histSubBits = 7 // 128 buckets per power of two
	histSub     = 1 << histSubBits
	histLinear  = 2 * histSub // values below this are exact
	// histExps covers values up to 2^(histExps+histSubBits+1) ns (about
	// 9 days); anything larger is clamped into the last bucket.
	histExps    = 42
	histBuckets = histLinear + histExps*histSub
)

func bucketOf(v uint64) int {
	if v < histLinear {
		return int(v)
	}
	e := bits.Len64(v) - histSubBits - 1 // v>>e is in [histSub, 2*histSub)
	i := histLinear + (e-1)*histSub + int(v>>uint(e)) - histSub
	return min(i, histBuckets-1)
}

// bucketValue is the midpoint of bucket i's range.
func bucketValue(i int) uint64 {
	if i < histLinear {
		return uint64(i)
	}
	e := (i-histLinear)/histSub + 1
	m := uint64((i-histLinear)%histSub + histSub)
	lo := m << uint(e)
	return lo + (uint64(1)<<uint(e))/2
}

// Record adds one value; negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	if h.n == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.n++
	h.sum += float64(d)
	h.counts[bucketOf(uint64(d))]++
}

// Merge adds every value recorded in o.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
	h.sum += o.sum
	for i, c := range o.counts {
		h.counts[i] += c
	}
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.n }

// Quantile returns the value below which a fraction q (0..1) of the
// recorded values lie, clamped to the exact minimum and maximum.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			v := time.Duration(bucketValue(i))
			return min(max(v, h.min), h.max)
		}
	}
	return h.max
}

// Summary condenses the histogram into the figures the report shows.
func (h *Histogram) Summary() Summary {
	s := Summary{Count: h.n, Min: h.min, Max: h.max}
	if h.n > 0 {
		s.Mean = time.Duration(h.sum / float64(h.n))
		s.P50 = h.Quantile(0.50)
		s.P90 = h.Quantile(0.90)
		s.P99 = h.Quantile(0.99)
		s.P999 = h.Quantile(0.999)
	}
	return s
}

// Summary is a latency distribution in the report.
type Summary struct {
	Count uint64        `json:"count"`
	Min   time.Duration `json:"min_ns"`
	Mean  time.Duration `json:"mean_ns"`
	P50   time.Duration `json:"p50_ns"`
	P90   time.Duration `json:"p90_ns"`
	P99   time.Duration `json:"p99_ns"`
	P999  time.Duration `json:"p999_ns"`
	Max   time.Duration `json:"max_ns"`
}
