package load

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// Result is what one profile measured.
type Result struct {
	Profile string         `json:"profile"`
	Target  string         `json:"target,omitempty"` // label, e.g. "refserver/sqlite"
	Params  map[string]any `json:"params"`
	// Elapsed is the measured window (warmup and setup excluded).
	Elapsed time.Duration      `json:"elapsed_ns"`
	Ops     int64              `json:"ops"`
	Unit    string             `json:"unit"` // what Ops counts, e.g. "msgs"
	Rate    float64            `json:"rate_per_s"`
	Latency []Latency          `json:"latency"`
	Errors  map[string]int64   `json:"errors"`
	Figures map[string]float64 `json:"figures,omitempty"` // profile-specific
	Notes   []string           `json:"notes,omitempty"`
}

// Latency is a named latency distribution, e.g. "MSG→RECIV".
type Latency struct {
	Name string `json:"name"`
	Summary
}

// ErrorCount sums Errors.
func (r *Result) ErrorCount() int64 {
	var n int64
	for _, v := range r.Errors {
		n += v
	}
	return n
}

// errTally counts errors by kind across goroutines.
type errTally struct {
	mu sync.Mutex
	m  map[string]int64
}

func (t *errTally) add(kind string) {
	t.mu.Lock()
	if t.m == nil {
		t.m = map[string]int64{}
	}
	t.m[kind]++
	t.mu.Unlock()
}

func (t *errTally) addErr(err error) {
	if re, ok := err.(*ReplyError); ok {
		t.add(re.Code.String())
		return
	}
	t.add("conn: " + err.Error())
}

func (t *errTally) snapshot() map[string]int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := maps.Clone(t.m)
	if m == nil {
		m = map[string]int64{}
	}
	return m
}

// WriteTable renders results as an aligned text table, one row per
// latency distribution (profiles without latency get one row).
func WriteTable(w io.Writer, results []*Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "profile\ttarget\tops\trate/s\tmetric\tp50\tp90\tp99\tmax\terrors\t")
	for _, r := range results {
		rows := r.Latency
		if len(rows) == 0 {
			rows = []Latency{{Name: "-"}}
		}
		for i, l := range rows {
			head := fmt.Sprintf("%s\t%s\t%d %s\t%.0f\t", r.Profile, r.Target, r.Ops, r.Unit, r.Rate)
			errs := fmt.Sprint(r.ErrorCount())
			if i > 0 {
				head, errs = "\t\t\t\t", ""
			}
			fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\t%s\t\n", head, l.Name,
				fmtDur(l.P50, l.Count), fmtDur(l.P90, l.Count), fmtDur(l.P99, l.Count), fmtDur(l.Max, l.Count), errs)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range results {
		if len(r.Figures) > 0 || len(r.Errors) > 0 || len(r.Notes) > 0 {
			fmt.Fprintf(w, "%s %s:%s\n", r.Profile, r.Target, details(r))
		}
	}
	return nil
}

func details(r *Result) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(r.Figures)) {
		fmt.Fprintf(&b, " %s=%.6g", k, r.Figures[k])
	}
	for _, k := range slices.Sorted(maps.Keys(r.Errors)) {
		fmt.Fprintf(&b, " [%s ×%d]", k, r.Errors[k])
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, " (%s)", n)
	}
	return b.String()
}

func fmtDur(d time.Duration, n uint64) string {
	if n == 0 {
		return "-"
	}
	switch {
	case d < 10*time.Microsecond:
		return fmt.Sprintf("%.2fµs", float64(d)/1e3)
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
}

// WriteJSON writes results as an indented JSON array.
func WriteJSON(w io.Writer, results []*Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(results)
}

// ReadJSONFile reads results WriteJSON wrote.
func ReadJSONFile(path string) ([]*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rs []*Result
	if err := json.Unmarshal(b, &rs); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, r := range rs {
		if r == nil {
			return nil, fmt.Errorf("%s: null result", path)
		}
	}
	return rs, nil
}
