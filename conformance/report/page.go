package report

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/gochatproto/gochat/conformance/registry"
	"github.com/gochatproto/gochat/conformance/result"
)

// The HTML pages are html/template files: every string that reaches them
// from the implementation under test (MOTDs in transcripts, names, error
// texts, even verdicts read back from a JSON file) is escaped by the
// template engine, so a hostile server cannot put markup into a report.
//
//go:embed templates/*.tmpl
var templateFS embed.FS

var pages = template.Must(template.New("pages").Funcs(template.FuncMap{
	"csp":          func() string { return contentPolicy },
	"verdictClass": verdictClass,
	"add":          func(a, b int) int { return a + b },
	"ms":           func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) },
	"failureBox":   func(title, kind string, f failureView) failureBox { return failureBox{title, kind, f} },
}).ParseFS(templateFS, "templates/*.tmpl"))

// contentPolicy is the pages' Content-Security-Policy: nothing is
// fetched (no network, even from a bug), and the only script that may run
// is the page's own, named by its hash. Escaping keeps the implementation's
// bytes out of the markup; the policy would stop them running if that
// ever failed.
var contentPolicy string

func init() {
	var b strings.Builder
	if err := pages.ExecuteTemplate(&b, "script", nil); err != nil {
		panic(err) // a static template: fails in every test or never
	}
	js := b.String()
	js = js[strings.Index(js, ">")+1 : strings.LastIndex(js, "</script>")]
	sum := sha256.Sum256([]byte(js))
	contentPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-" +
		base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// verdictOrder is the order of verdicts in counts and filter buttons:
// the most severe first.
var verdictOrder = []result.Verdict{result.Crash, result.Fail, result.Error, result.Warn, result.XFail,
	result.Pass, result.Skip}

// verdictClass names the CSS class of a verdict; anything unknown (a
// verdict from a newer or a tampered JSON file) gets a neutral one.
func verdictClass(v string) string {
	for _, k := range verdictOrder {
		if string(k) == v {
			return "v-" + v
		}
	}
	return "v-none"
}

type pageHeader struct {
	Target, Dialect, Role, Level, Mode, Seed, Started, Duration, Version string
	Scenarios, Notes, NoteScenarios                                      int
	Strict                                                               bool
}

type countRow struct {
	Verdict                    string
	Total, Must, Should, Other int
}

type reqView struct {
	ID, Level, Source, Cites, Section, Summary string
}

type failureView struct {
	Level, At, Conn, Source, Message, Expected, Actual string
	Soft                                               bool
	Reqs                                               []reqView
}

// notRunView is a check an earlier hard failure kept from running.
type notRunView struct {
	At   string
	Reqs []string
}

// failureBox is one failure, warning or note as the "failure" template
// draws it.
type failureBox struct {
	Title, Kind string
	F           failureView
}

type scenarioView struct {
	ID, Anchor, Title, Level, Source, Verdict, Label, Reason, File, Duration, Rerun string
	Open                                                                            bool
	NotRun                                                                          []notRunView
	Reqs                                                                            []reqView
	Failures, Warnings, Notes                                                       []failureView
	Transcript                                                                      string
	Events                                                                          int
}

type sectionView struct {
	Heading   string
	Scenarios []scenarioView
}

type cellLink struct{ Text, Verdict, Href string }

type matrixRow struct {
	ID, Level, Source, Verdict, Summary string
	Scenarios                           []cellLink
}

type runPage struct {
	Title    string
	Header   pageHeader
	Counts   []countRow
	Sections []sectionView
	Matrix   []matrixRow
}

// HTML writes the run report: a header with the run's context and verdict
// counts, the scenarios grouped by specification section with filters,
// failure details, transcripts and re-run commands, and the requirement
// matrix as a second view. The page is self-contained (no network).
func HTML(w io.Writer, rs []*result.Result, in Info) error {
	return pages.ExecuteTemplate(w, "run.tmpl", buildRunPage(rs, in))
}

func buildRunPage(rs []*result.Result, in Info) runPage {
	p := runPage{Title: fmt.Sprintf("gochat conformance (%s role): %s", in.Role, in.Target),
		Header: headerOf(rs, in), Counts: countRows(rs)}
	order, by := groupBySection(in.Registry, rs)
	for _, sec := range order {
		sv := sectionView{Heading: sectionHeading(sec)}
		for _, r := range by[sec] {
			sv.Scenarios = append(sv.Scenarios, scenarioOf(r, in.Registry, "sc-"+r.ID))
		}
		p.Sections = append(p.Sections, sv)
	}
	for _, row := range Matrix(rs, in) {
		mr := matrixRow{ID: row.ID, Level: row.Level, Verdict: string(row.Verdict), Summary: row.Summary}
		if in.Registry != nil {
			if q, ok := in.Registry.Get(row.ID); ok {
				mr.Source = q.Source
			}
		}
		for _, id := range sortedIDs(row.Scenarios) {
			mr.Scenarios = append(mr.Scenarios, cellLink{Text: id, Verdict: row.Scenarios[id], Href: "#sc-" + id})
		}
		p.Matrix = append(p.Matrix, mr)
	}
	return p
}

func headerOf(rs []*result.Result, in Info) pageHeader {
	h := pageHeader{Target: in.Target, Dialect: in.Dialect, Role: in.Role, Level: in.Level,
		Seed: fmt.Sprint(in.Seed), Version: in.Version, Scenarios: len(rs), Mode: Mode(in.Strict),
		Strict: in.Strict}
	for _, r := range rs {
		h.Notes += len(r.Notes)
		if len(r.Notes) > 0 {
			h.NoteScenarios++
		}
	}
	if h.Level == "" {
		h.Level = "all"
	}
	if !in.Start.IsZero() {
		h.Started = in.Start.UTC().Format(time.RFC3339)
	}
	if in.Duration > 0 {
		h.Duration = fmt.Sprintf("%.1fs", in.Duration.Seconds())
	}
	return h
}

// countRows counts verdicts per scenario level, every verdict listed so
// that a zero is visible too.
func countRows(rs []*result.Result) []countRow {
	var out []countRow
	for _, v := range verdictOrder {
		c := countRow{Verdict: string(v)}
		for _, r := range rs {
			if r.Verdict != v {
				continue
			}
			c.Total++
			switch r.Level {
			case result.Must:
				c.Must++
			case result.Should:
				c.Should++
			default:
				c.Other++
			}
		}
		out = append(out, c)
	}
	return out
}

func scenarioOf(r *result.Result, reg *registry.Registry, anchor string) scenarioView {
	v := scenarioView{ID: r.ID, Anchor: anchor, Title: r.Title, Level: string(r.Level), Verdict: string(r.Verdict),
		Source: r.Source, Label: r.Label(), Reason: r.Reason, File: r.File, Duration: fmt.Sprintf("%.2fs", r.Duration.Seconds()),
		Rerun: r.Rerun, Events: len(r.Transcript),
		Open: r.Verdict == result.Fail || r.Verdict == result.Crash || r.Verdict == result.Error || r.Verdict == result.Warn}
	for _, id := range r.Requirements {
		v.Reqs = append(v.Reqs, reqOf(reg, id))
	}
	for _, f := range r.Failures {
		v.Failures = append(v.Failures, failureOf(f, r, reg))
	}
	for _, f := range r.Warnings {
		v.Warnings = append(v.Warnings, failureOf(f, r, reg))
	}
	for _, f := range r.Notes {
		v.Notes = append(v.Notes, failureOf(f, r, reg))
	}
	for _, n := range r.NotRun {
		at := n.Step
		if n.Pos != "" {
			at = n.Pos + " (" + n.Step + ")"
		}
		v.NotRun = append(v.NotRun, notRunView{At: at, Reqs: n.Requirements})
	}
	var b strings.Builder
	WriteTranscript(&b, r.Transcript, "")
	v.Transcript = b.String()
	return v
}

func failureOf(f result.Failure, r *result.Result, reg *registry.Registry) failureView {
	fv := failureView{Level: string(f.Level), At: f.Step, Conn: f.Conn, Source: f.Source, Message: f.Message,
		Expected: f.Expected, Actual: f.Actual, Soft: f.Soft}
	if f.Pos != "" {
		fv.At = f.Pos + " (" + f.Step + ")"
	}
	ids := f.Requirements
	if len(ids) == 0 {
		ids = r.Requirements
	}
	for _, id := range ids {
		fv.Reqs = append(fv.Reqs, reqOf(reg, id))
	}
	return fv
}

func reqOf(reg *registry.Registry, id string) reqView {
	if reg != nil {
		if q, ok := reg.Get(id); ok {
			return reqView{ID: id, Level: q.Level, Source: q.Source, Cites: strings.Join(q.Cites, "; "),
				Section: q.Section, Summary: q.Summary}
		}
	}
	return reqView{ID: id, Summary: "(not in this build's registry)"}
}
