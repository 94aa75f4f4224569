package report

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gochatproto/gochat/conformance/load"
)

// LoadRun is one "load --json" file: the results of one target or one
// build, drawn as one series.
type LoadRun struct {
	Label   string
	Results []*load.Result
}

// maxSeries is how many runs get a colour of their own; more repeat them.
const maxSeries = 6

type svgTick struct {
	X1, Y1, X2, Y2, TX, TY float64
	Text, Anchor           string
}

type svgBar struct {
	X, Y, W, H, TX, TY float64
	Class, Value, Tip  string
}

type svgDot struct {
	X, Y float64
	Tip  string
}

type svgLine struct {
	Class, Points string
	Dots          []svgDot
}

type svgChart struct {
	ID, Title, Caption string
	W, H               float64
	Grid, Axis         []svgTick
	Bars               []svgBar
	Lines              []svgLine
}

type loadSeries struct{ Label, Class string }

type loadRow struct {
	Series, Class, Profile, Target, Ops, Rate, Metric, P50, P90, P99, P999, Max, Errors, Details string
}

type loadPageData struct {
	Title      string
	Series     []loadSeries
	Throughput []svgChart
	Latency    []svgChart
	Rows       []loadRow
}

// LoadHTML writes the load results of several runs as one self-contained
// page: a throughput bar chart per profile and a latency percentile chart
// per measured distribution, every run a series in the same colour
// everywhere, and the numbers as a table. The charts are inline SVG drawn
// here; the page needs no script library.
func LoadHTML(w io.Writer, runs []LoadRun) error {
	return pages.ExecuteTemplate(w, "load.tmpl", buildLoadPage(runs))
}

func seriesClass(i int) string { return fmt.Sprintf("s%d", i%maxSeries) }

// series is one line or bar colour: the results of one target in one
// file, by chart key.
type series struct {
	Label string
	ByKey map[string]*load.Result
}

func buildLoadPage(runs []LoadRun) loadPageData {
	p := loadPageData{Title: "gochat load results"}
	ss, keys := seriesOf(runs)
	for i, s := range ss {
		p.Series = append(p.Series, loadSeries{Label: s.Label, Class: seriesClass(i)})
	}
	for i, k := range keys {
		p.Throughput = append(p.Throughput, throughputChart(fmt.Sprintf("tp-%d", i), k, ss))
	}
	for i, d := range distKeys(ss, keys) {
		p.Latency = append(p.Latency, latencyChart(fmt.Sprintf("lat-%d", i), d, ss))
	}
	for i, s := range ss {
		for _, k := range keys {
			if r := s.ByKey[k]; r != nil {
				p.Rows = append(p.Rows, loadRows(s.Label, seriesClass(i), k, r)...)
			}
		}
	}
	return p
}

// seriesOf splits the runs into series, one per target within a file (a
// "make bench" file holds several; a file without a label is named by its
// targets), and lists the chart keys in order of first appearance. A chart key is the profile plus the parameters that
// differ between its results ("online window=1"), so that one profile
// measured with several settings gets one chart per setting.
func seriesOf(runs []LoadRun) ([]series, []string) {
	varying := varyingParams(runs)
	var ss []series
	var keys []string
	seenKey := map[string]bool{}
	for _, run := range runs {
		targets := map[string]int{}
		for _, r := range run.Results {
			if _, ok := targets[r.Target]; !ok {
				targets[r.Target] = len(targets)
			}
		}
		first := len(ss)
		for range targets {
			ss = append(ss, series{ByKey: map[string]*load.Result{}})
		}
		for _, r := range run.Results {
			s := &ss[first+targets[r.Target]]
			s.Label = run.Label
			if len(targets) > 1 || run.Label == "" {
				s.Label = strings.TrimPrefix(run.Label+" · "+r.Target, " · ")
			}
			k := chartKey(r, varying[r.Profile])
			if _, dup := s.ByKey[k]; !dup {
				s.ByKey[k] = r
			}
			if !seenKey[k] {
				seenKey[k] = true
				keys = append(keys, k)
			}
		}
	}
	return ss, keys
}

// varyingParams lists, per profile, the parameters whose values are not
// the same in all its results.
func varyingParams(runs []LoadRun) map[string][]string {
	values := map[string]map[string]map[string]bool{}
	for _, run := range runs {
		for _, r := range run.Results {
			if values[r.Profile] == nil {
				values[r.Profile] = map[string]map[string]bool{}
			}
			for k, v := range r.Params {
				if values[r.Profile][k] == nil {
					values[r.Profile][k] = map[string]bool{}
				}
				values[r.Profile][k][fmt.Sprint(v)] = true
			}
		}
	}
	out := map[string][]string{}
	for prof, params := range values {
		for _, k := range slices.Sorted(maps.Keys(params)) {
			if len(params[k]) > 1 {
				out[prof] = append(out[prof], k)
			}
		}
	}
	return out
}

func chartKey(r *load.Result, varying []string) string {
	key := r.Profile
	for _, k := range varying {
		key += fmt.Sprintf(" %s=%v", k, r.Params[k])
	}
	return key
}

// distKey names one latency distribution of one chart key.
type distKey struct{ Key, Name string }

// distKeys lists the latency distributions measured, in chart order.
func distKeys(ss []series, keys []string) []distKey {
	var out []distKey
	seen := map[distKey]bool{}
	for _, k := range keys {
		for _, s := range ss {
			r := s.ByKey[k]
			if r == nil {
				continue
			}
			for _, l := range r.Latency {
				d := distKey{k, l.Name}
				if !seen[d] && l.Count > 0 {
					seen[d] = true
					out = append(out, d)
				}
			}
		}
	}
	return out
}

// Chart geometry, in SVG user units.
const (
	chartW, padL, padR, padT, padB = 540.0, 150.0, 90.0, 10.0, 28.0
	barH, barGap                   = 18.0, 6.0
	lineH                          = 260.0
)

func throughputChart(id, key string, runs []series) svgChart {
	c := svgChart{ID: id, Title: key, W: chartW}
	maxRate, unit := 0.0, ""
	for _, run := range runs {
		if r := run.ByKey[key]; r != nil {
			maxRate = math.Max(maxRate, r.Rate)
			unit = r.Unit
		}
	}
	c.Caption = "throughput, " + unit + " per second"
	top := niceCeil(maxRate)
	plotW := chartW - padL - padR
	c.H = padT + padB + float64(len(runs))*(barH+barGap)
	for k := 0; k <= 4; k++ {
		x := padL + plotW*float64(k)/4
		c.Grid = append(c.Grid, svgTick{X1: x, Y1: padT, X2: x, Y2: c.H - padB, TX: x, TY: c.H - padB + 14,
			Text: fmtRate(top * float64(k) / 4), Anchor: "middle"})
	}
	for i, run := range runs {
		r := run.ByKey[key]
		y := padT + float64(i)*(barH+barGap)
		if r == nil {
			c.Bars = append(c.Bars, svgBar{X: padL, Y: y, TX: padL + 4, TY: y + barH - 5, Class: seriesClass(i),
				Value: "not measured", Tip: run.Label})
			continue
		}
		wd := 0.0
		if top > 0 {
			wd = plotW * r.Rate / top
		}
		c.Bars = append(c.Bars, svgBar{X: padL, Y: y, W: wd, H: barH, TX: padL + wd + 4, TY: y + barH - 5,
			Class: seriesClass(i), Value: fmtRate(r.Rate) + "/s",
			Tip: fmt.Sprintf("%s: %d %s in %.1fs, %d errors", run.Label, r.Ops, r.Unit, r.Elapsed.Seconds(), r.ErrorCount())})
	}
	c.Axis = append(c.Axis, svgTick{X1: padL, Y1: padT, X2: padL, Y2: c.H - padB})
	for i, run := range runs {
		y := padT + float64(i)*(barH+barGap) + barH - 5
		c.Axis = append(c.Axis, svgTick{X1: padL, Y1: y, X2: padL, Y2: y, TX: padL - 6, TY: y,
			Text: truncate(run.Label, 24), Anchor: "end"})
	}
	return c
}

// percentiles are the points of a latency curve, left to right.
var percentiles = []struct {
	Name string
	Get  func(load.Summary) time.Duration
}{
	{"p50", func(s load.Summary) time.Duration { return s.P50 }},
	{"p90", func(s load.Summary) time.Duration { return s.P90 }},
	{"p99", func(s load.Summary) time.Duration { return s.P99 }},
	{"p99.9", func(s load.Summary) time.Duration { return s.P999 }},
	{"max", func(s load.Summary) time.Duration { return s.Max }},
}

func latencyOf(run series, k distKey) (load.Latency, bool) {
	if r := run.ByKey[k.Key]; r != nil {
		for _, l := range r.Latency {
			if l.Name == k.Name && l.Count > 0 {
				return l, true
			}
		}
	}
	return load.Latency{}, false
}

// latencyChart draws the percentile curve of one distribution for every
// run, latency on a log scale (decades), so that runs a hundred times
// apart still share one chart.
func latencyChart(id string, k distKey, runs []series) svgChart {
	c := svgChart{ID: id, Title: k.Key + ": " + k.Name, Caption: "latency by percentile (log scale)",
		W: chartW, H: lineH}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, run := range runs {
		if l, ok := latencyOf(run, k); ok {
			for _, pc := range percentiles {
				v := math.Max(float64(pc.Get(l.Summary)), 1)
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	dLo, dHi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if dHi <= dLo {
		dHi = dLo + 1
	}
	left, right, top, bottom := 70.0, chartW-20, padT, lineH-padB
	yOf := func(ns float64) float64 {
		return bottom - (math.Log10(math.Max(ns, 1))-dLo)/(dHi-dLo)*(bottom-top)
	}
	xOf := func(i int) float64 { return left + (right-left)*float64(i)/float64(len(percentiles)-1) }
	for d := dLo; d <= dHi; d++ {
		y := yOf(math.Pow(10, d))
		c.Grid = append(c.Grid, svgTick{X1: left, Y1: y, X2: right, Y2: y, TX: left - 6, TY: y + 4,
			Text: fmtNanos(math.Pow(10, d)), Anchor: "end"})
	}
	for i, pc := range percentiles {
		c.Axis = append(c.Axis, svgTick{X1: xOf(i), Y1: bottom, X2: xOf(i), Y2: bottom + 4, TX: xOf(i), TY: bottom + 16,
			Text: pc.Name, Anchor: "middle"})
	}
	c.Axis = append(c.Axis, svgTick{X1: left, Y1: bottom, X2: right, Y2: bottom}, svgTick{X1: left, Y1: top, X2: left, Y2: bottom})
	for i, run := range runs {
		l, ok := latencyOf(run, k)
		if !ok {
			continue
		}
		line := svgLine{Class: seriesClass(i)}
		var pts []string
		for j, pc := range percentiles {
			v := pc.Get(l.Summary)
			x, y := xOf(j), yOf(float64(v))
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
			line.Dots = append(line.Dots, svgDot{X: x, Y: y, Tip: fmt.Sprintf("%s %s: %s (%d samples)", run.Label, pc.Name, fmtNanos(float64(v)), l.Count)})
		}
		line.Points = strings.Join(pts, " ")
		c.Lines = append(c.Lines, line)
	}
	return c
}

func loadRows(label, class, key string, r *load.Result) []loadRow {
	base := loadRow{Series: label, Class: class, Profile: key, Target: r.Target,
		Ops: fmt.Sprintf("%d %s", r.Ops, r.Unit), Rate: fmtRate(r.Rate), Errors: fmt.Sprint(r.ErrorCount()),
		Details: loadDetails(r)}
	if len(r.Latency) == 0 {
		base.Metric = "—"
		return []loadRow{base}
	}
	var out []loadRow
	for _, l := range r.Latency {
		row := base
		row.Metric = l.Name
		row.P50, row.P90, row.P99, row.P999, row.Max = fmtNanos(float64(l.P50)), fmtNanos(float64(l.P90)),
			fmtNanos(float64(l.P99)), fmtNanos(float64(l.P999)), fmtNanos(float64(l.Max))
		out = append(out, row)
	}
	return out
}

func loadDetails(r *load.Result) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(r.Figures)) {
		parts = append(parts, fmt.Sprintf("%s=%.6g", k, r.Figures[k]))
	}
	for _, k := range slices.Sorted(maps.Keys(r.Errors)) {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, r.Errors[k]))
	}
	parts = append(parts, r.Notes...)
	return strings.Join(parts, "; ")
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func fmtRate(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.3gk", v/1e3)
	}
	return fmt.Sprintf("%.3g", v)
}

func fmtNanos(ns float64) string {
	switch {
	case ns >= 1e9:
		return fmt.Sprintf("%.3gs", ns/1e9)
	case ns >= 1e6:
		return fmt.Sprintf("%.3gms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.3gµs", ns/1e3)
	}
	return fmt.Sprintf("%.0fns", ns)
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
