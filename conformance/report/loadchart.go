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

func buildLoadPage(runs []LoadRun) loadPageData {
	p := loadPageData{Title: "gochat load results"}
	for i, r := range runs {
		p.Series = append(p.Series, loadSeries{Label: r.Label, Class: seriesClass(i)})
	}
	profiles, dists := loadKeys(runs)
	for i, prof := range profiles {
		p.Throughput = append(p.Throughput, throughputChart(fmt.Sprintf("tp-%d", i), prof, runs))
	}
	for i, d := range dists {
		p.Latency = append(p.Latency, latencyChart(fmt.Sprintf("lat-%d", i), d, runs))
	}
	for i, run := range runs {
		for _, r := range run.Results {
			p.Rows = append(p.Rows, loadRows(run.Label, seriesClass(i), r)...)
		}
	}
	return p
}

// distKey names one latency distribution of one profile.
type distKey struct{ Profile, Name string }

// loadKeys lists the profiles and the latency distributions of all runs,
// in order of first appearance.
func loadKeys(runs []LoadRun) (profiles []string, dists []distKey) {
	seenP, seenD := map[string]bool{}, map[distKey]bool{}
	for _, run := range runs {
		for _, r := range run.Results {
			if !seenP[r.Profile] {
				seenP[r.Profile] = true
				profiles = append(profiles, r.Profile)
			}
			for _, l := range r.Latency {
				k := distKey{r.Profile, l.Name}
				if !seenD[k] && l.Count > 0 {
					seenD[k] = true
					dists = append(dists, k)
				}
			}
		}
	}
	return profiles, dists
}

// find returns the run's result of profile, or nil.
func find(run LoadRun, profile string) *load.Result {
	for _, r := range run.Results {
		if r.Profile == profile {
			return r
		}
	}
	return nil
}

// Chart geometry, in SVG user units.
const (
	chartW, padL, padR, padT, padB = 560.0, 150.0, 90.0, 10.0, 28.0
	barH, barGap                   = 18.0, 6.0
	lineH                          = 260.0
)

func throughputChart(id, profile string, runs []LoadRun) svgChart {
	c := svgChart{ID: id, Title: profile, W: chartW}
	maxRate, unit := 0.0, ""
	for _, run := range runs {
		if r := find(run, profile); r != nil {
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
		r := find(run, profile)
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

func latencyOf(run LoadRun, k distKey) (load.Latency, bool) {
	if r := find(run, k.Profile); r != nil {
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
func latencyChart(id string, k distKey, runs []LoadRun) svgChart {
	c := svgChart{ID: id, Title: k.Profile + ": " + k.Name, Caption: "latency by percentile (log scale)",
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

func loadRows(label, class string, r *load.Result) []loadRow {
	base := loadRow{Series: label, Class: class, Profile: r.Profile, Target: r.Target,
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
