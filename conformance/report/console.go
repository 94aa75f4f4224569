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
	"github.com/gochatproto/gochat/conformance/result"
)

// Info is the context of a run that reports show beside the results.
type Info struct {
	Registry *registry.Registry // may be nil
	Role     string             // the role under test: "server" or "client"
	Seed     int64
	Target   string // the implementation under test
	Dialect  string // "spec" or "gochat1"
	Level    string // the --level selection: "all", "must" or "should"
	// Strict is set when decision-level checks judge like the spec's
	// (--strict); otherwise their failures are notes.
	Strict   bool
	Version  string // the suite's build (internal/version)
	Start    time.Time
	Duration time.Duration // the whole run, when known
}

// Mode names how a run judges: "default level" or "--strict".
func Mode(strict bool) string {
	if strict {
		return "--strict: decisions judged like the specification"
	}
	return "default level: the specification judges, decisions are notes"
}

// Line prints one progress line for a finished scenario.
func Line(w io.Writer, r *result.Result) {
	extra := ""
	switch {
	case r.Kind != "" && r.Reason != "":
		extra = " (" + string(r.Kind) + ": " + r.Reason + ")"
	case r.Kind != "" || r.Reason != "":
		extra = " (" + string(r.Kind) + r.Reason + ")"
	}
	fmt.Fprintf(w, "%-5s %-32s %6.2fs%s\n", strings.ToUpper(string(r.Verdict)), r.ID, r.Duration.Seconds(), extra)
}

// Console writes failure details and the summary.
func Console(w io.Writer, rs []*result.Result, in Info) {
	for _, r := range rs {
		if r.Verdict == result.Fail || r.Verdict == result.Error || r.Verdict == result.Crash {
			Detail(w, r, in)
		}
	}
	for _, r := range rs {
		for _, f := range r.Warnings {
			fmt.Fprintf(w, "warning: %s: %s: %s (%s)%s\n", r.ID, grade(f), f.Message, f.Pos, got(f))
		}
	}
	for _, r := range rs {
		for _, f := range r.Notes {
			fmt.Fprintf(w, "note: %s: %s: %s (%s)%s\n", r.ID, grade(f), f.Message, f.Pos, got(f))
		}
	}
	Summary(w, rs, in)
}

// got is "; expected X, got Y" for a one-line failure, when known.
func got(f result.Failure) string {
	if f.Expected == "" && f.Actual == "" {
		return ""
	}
	return fmt.Sprintf("; expected %s, got %s", f.Expected, f.Actual)
}

// grade is a failure's level, source and requirements, e.g.
// "MUST, decision, FRAME-4".
func grade(f result.Failure) string {
	s := strings.ToUpper(string(f.Level)) + ", " + firstOr(f.Source, result.SourceSpec)
	if len(f.Requirements) > 0 {
		s += ", " + strings.Join(f.Requirements, " ")
	}
	return s
}

func firstOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Summary prints the verdict counts.
func Summary(w io.Writer, rs []*result.Result, in Info) {
	s := result.Summarize(rs)
	var total time.Duration
	if !in.Start.IsZero() {
		total = time.Since(in.Start)
	}
	var notes int
	for _, r := range rs {
		notes += len(r.Notes)
	}
	fmt.Fprintf(w, "\n%d scenarios: %s (seed %d, %.1fs)\n", len(rs), counts(s), in.Seed, total.Seconds())
	fmt.Fprintf(w, "%s", Mode(in.Strict))
	if notes > 0 {
		fmt.Fprintf(w, "; %d notes (decision-level differences; --strict judges them)", notes)
	}
	fmt.Fprintln(w)
}

// counts renders the verdict counts: the usual five always, the rarer
// ones when they occur.
func counts(s result.Summary) string {
	var parts []string
	for _, v := range []result.Verdict{result.Pass, result.Fail, result.Warn, result.Skip, result.XFail, result.Error, result.Crash} {
		if s[v] > 0 || (v != result.Warn && v != result.Crash) {
			parts = append(parts, fmt.Sprintf("%d %s", s[v], v))
		}
	}
	return strings.Join(parts, ", ")
}

// Detail explains one failed or errored scenario.
func Detail(w io.Writer, r *result.Result, in Info) {
	fmt.Fprintf(w, "\n--- %s: %s (%.2fs) [%s, %s]\n", strings.ToUpper(r.Label()), r.ID, r.Duration.Seconds(), r.Level,
		firstOr(r.Source, result.SourceSpec))
	fmt.Fprintf(w, "    %s\n    defined at %s\n", r.Title, r.File)
	if len(r.Requirements) > 0 {
		fmt.Fprintf(w, "    requirements:\n")
		for _, id := range r.Requirements {
			fmt.Fprintf(w, "      %s\n", requirementLine(in.Registry, id))
		}
	}
	if r.Reason != "" {
		fmt.Fprintf(w, "    reason: %s\n", r.Reason)
	}
	for _, group := range []struct {
		what string
		fs   []result.Failure
	}{{"failure", r.Failures}, {"warning", r.Warnings}, {"note", r.Notes}} {
		for _, f := range group.fs {
			failureLines(w, group.what, f, in)
		}
	}
	for _, n := range r.NotRun {
		fmt.Fprintf(w, "    not run: %s at %s", n.Step, n.Pos)
		if len(n.Requirements) > 0 {
			fmt.Fprintf(w, " (%s)", strings.Join(n.Requirements, " "))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "    transcript:\n")
	WriteTranscript(w, r.Transcript, "      ")
	if r.Rerun != "" {
		fmt.Fprintf(w, "    rerun: %s\n", r.Rerun)
	}
}

// failureLines explains one failed check: its grade, where, which
// requirement, what was expected and what came.
func failureLines(w io.Writer, what string, f result.Failure, in Info) {
	at := f.Step
	if f.Pos != "" {
		at = "at " + f.Pos + " (" + f.Step + ")"
	}
	fmt.Fprintf(w, "    %s %s %s: %s\n", what, grade(f), at, f.Message)
	for _, id := range f.Requirements {
		fmt.Fprintf(w, "      violates %s\n", requirementLine(in.Registry, id))
	}
	if f.Expected != "" || f.Actual != "" {
		fmt.Fprintf(w, "      expected: %s\n      actual:   %s\n", f.Expected, f.Actual)
	}
}

func requirementLine(reg *registry.Registry, id string) string {
	if reg == nil {
		return id
	}
	req, ok := reg.Get(id)
	if !ok {
		return id + " (unknown requirement)"
	}
	return fmt.Sprintf("%s (%s, %s, §%s): %q", id, req.Level, firstOr(req.Source, result.SourceSpec), req.Section, req.Summary)
}

// WriteTranscript prints transcript events, one per line plus hex.
func WriteTranscript(w io.Writer, evs []result.Event, indent string) {
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
