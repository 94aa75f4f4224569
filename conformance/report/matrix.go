package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/gochatproto/gochat/conformance/result"
)

// Row is one requirement of the matrix: its combined verdict (the worst
// of its scenarios: fail > error > xfail > pass > skip) and per-scenario
// verdicts.
type Row struct {
	ID, Level, Section, Summary string
	Source                      string // spec or decision
	Verdict                     result.Verdict
	Scenarios                   map[string]string
}

// Matrix computes requirement rows for the requirements the results
// cite, plus the uncovered requirements of the role that ran (verdict "").
func Matrix(rs []*result.Result, in Info) []Row {
	rows := map[string]*Row{}
	for _, r := range rs {
		for _, id := range r.Requirements {
			markRow(rows, id, r)
		}
		// Checks made on every packet (FRAME-3, CLIENT-1) fail
		// requirements the scenario does not cite; the failure names them.
		for _, f := range r.Failures {
			for _, id := range f.Requirements {
				markRow(rows, id, r)
			}
		}
	}
	if in.Registry != nil && in.Role != "" {
		for _, req := range in.Registry.AppliesTo(in.Role) {
			if rows[req.ID] == nil {
				rows[req.ID] = &Row{ID: req.ID, Scenarios: map[string]string{}}
			}
		}
	}
	var out []Row
	for _, id := range sortedIDs(rows) {
		row := rows[id]
		if in.Registry != nil {
			if req, ok := in.Registry.Get(id); ok {
				row.Level, row.Section, row.Summary, row.Source = req.Level, req.Section, req.Summary, req.Source
			}
		}
		out = append(out, *row)
	}
	return out
}

// markRow records r's verdict on requirement id; the worst verdict wins.
func markRow(rows map[string]*Row, id string, r *result.Result) {
	row := rows[id]
	if row == nil {
		row = &Row{ID: id, Scenarios: map[string]string{}}
		rows[id] = row
	}
	row.Scenarios[r.ID] = string(r.Verdict)
	if r.Verdict.Worse(row.Verdict) {
		row.Verdict = r.Verdict
	}
}

func verdictCell(v result.Verdict) string {
	if v == "" {
		return "not covered"
	}
	return string(v)
}

// Markdown writes the requirement × verdict matrix as a Markdown table.
func Markdown(w io.Writer, rs []*result.Result, in Info) error {
	fmt.Fprintf(w, "# gochat conformance (%s role): %s\n\nSeed %d. %d scenarios: %s.\n\n",
		in.Role, in.Target, in.Seed, len(rs), counts(result.Summarize(rs)))
	fmt.Fprintln(w, "| Requirement | Level | Verdict | Scenarios | Summary |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, row := range Matrix(rs, in) {
		var scs []string
		for _, id := range sortedIDs(row.Scenarios) {
			scs = append(scs, id+": "+row.Scenarios[id])
		}
		_, err := fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", row.ID, row.Level, verdictCell(row.Verdict),
			strings.Join(scs, "<br>"), strings.ReplaceAll(row.Summary, "|", "\\|"))
		if err != nil {
			return err
		}
	}
	return nil
}
