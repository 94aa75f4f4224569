// Package report renders conformance results: a console summary with
// failure details and repro commands, JUnit XML, JSON (schema in
// docs/report-schema.md) and a requirement × verdict matrix in Markdown or
// HTML.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/gochatproto/gochat/conformance/registry"
	"github.com/gochatproto/gochat/conformance/runner"
)

// Info is the context every report needs.
type Info struct {
	Registry *registry.Registry // may be nil
	// Repro is the command prefix that reaches the same target, e.g.
	// "gochat-conformance server --addr 127.0.0.1:9037".
	Repro string
	// ReproFormat, if set, replaces the default repro line; it gets the
	// scenario ID and the seed (fmt verbs %s and %d).
	ReproFormat string
	Seed        int64
	Target      string
	Start       time.Time
}

// ReproLine is the one-line command that re-runs one scenario.
func (in Info) ReproLine(id string) string {
	if in.ReproFormat != "" {
		return fmt.Sprintf(in.ReproFormat, id, in.Seed)
	}
	return fmt.Sprintf("%s --run '^%s$' --seed %d", in.Repro, id, in.Seed)
}

// Line prints one progress line for a finished scenario.
func Line(w io.Writer, r *runner.Result) {
	extra := ""
	if r.Reason != "" {
		extra = " (" + r.Reason + ")"
	}
	fmt.Fprintf(w, "%-5s %-32s %6.2fs%s\n", strings.ToUpper(string(r.Verdict)), r.ID, r.Duration.Seconds(), extra)
}

// Console writes failure details and the summary.
func Console(w io.Writer, rs []*runner.Result, in Info) {
	for _, r := range rs {
		if r.Verdict == runner.Fail || r.Verdict == runner.Error {
			Detail(w, r, in)
		}
	}
	for _, r := range rs {
		for _, f := range r.Warnings {
			fmt.Fprintf(w, "warning: %s: SHOULD-level: %s (%s)\n", r.ID, f.Message, f.Pos)
		}
	}
	Summary(w, rs, in)
}

// Summary prints the verdict counts.
func Summary(w io.Writer, rs []*runner.Result, in Info) {
	s := runner.Summarize(rs)
	var total time.Duration
	if !in.Start.IsZero() {
		total = time.Since(in.Start)
	}
	fmt.Fprintf(w, "\n%d scenarios: %d pass, %d fail, %d skip, %d xfail, %d error (seed %d, %.1fs)\n",
		len(rs), s[runner.Pass], s[runner.Fail], s[runner.Skip], s[runner.XFail], s[runner.Error],
		in.Seed, total.Seconds())
}

// Detail explains one failed or errored scenario.
func Detail(w io.Writer, r *runner.Result, in Info) {
	sc := r.Scenario
	fmt.Fprintf(w, "\n--- %s: %s (%.2fs) [%s]\n", strings.ToUpper(string(r.Verdict)), r.ID, r.Duration.Seconds(), sc.Level)
	fmt.Fprintf(w, "    %s\n    defined at %s\n", sc.Title, sc.Pos)
	if len(sc.Requirements) > 0 {
		fmt.Fprintf(w, "    requirements:\n")
		for _, id := range sc.Requirements {
			fmt.Fprintf(w, "      %s\n", requirementLine(in.Registry, id))
		}
	}
	if r.Reason != "" {
		fmt.Fprintf(w, "    reason: %s\n", r.Reason)
	}
	for _, f := range r.Failures {
		fmt.Fprintf(w, "    %s failure at %s (%s): %s\n", strings.ToUpper(string(f.Level)), f.Pos, f.Step, f.Message)
		if f.Requirement != "" {
			fmt.Fprintf(w, "      violates %s\n", requirementLine(in.Registry, f.Requirement))
		}
		if f.Expected != "" || f.Actual != "" {
			fmt.Fprintf(w, "      expected: %s\n      actual:   %s\n", f.Expected, f.Actual)
		}
	}
	fmt.Fprintf(w, "    transcript:\n")
	WriteTranscript(w, r.Transcript, "      ")
	fmt.Fprintf(w, "    rerun: %s\n", in.ReproLine(r.ID))
}

func requirementLine(reg *registry.Registry, id string) string {
	if reg == nil {
		return id
	}
	req, ok := reg.Get(id)
	if !ok {
		return id + " (unknown requirement)"
	}
	return fmt.Sprintf("%s (%s, §%s): %q", id, req.Level, req.Section, req.Summary)
}

// WriteTranscript prints transcript events, one per line plus hex.
func WriteTranscript(w io.Writer, evs []runner.Event, indent string) {
	for _, e := range evs {
		arrow := map[string]string{"send": "->", "recv": "<-", "note": "**"}[e.Dir]
		line := fmt.Sprintf("%s+%7.3fs %-8s %s ", indent, e.At.Seconds(), e.Conn, arrow)
		switch {
		case e.Header != "":
			line += e.Header
			if len(e.Args) > 0 {
				line += " | " + strings.Join(e.Args, " | ")
			}
			if e.Note != "" {
				line += "   (" + e.Note + ")"
			}
		default:
			line += e.Note
		}
		fmt.Fprintln(w, line)
		if e.Hex != "" {
			h := e.Hex
			if len(h) > 160 {
				h = h[:160] + fmt.Sprintf("... (%d bytes)", len(e.Hex)/2)
			}
			fmt.Fprintf(w, "%s%19s%s\n", indent, "", h)
		}
	}
}

// sortedIDs returns map keys in order.
func sortedIDs[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return registry.CompareIDs(out[i], out[j]) < 0 })
	return out
}
