package report

import (
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/gochatproto/gochat/conformance/runner"
)

// Row is one requirement of the matrix: its combined verdict (the worst
// of its scenarios: fail > error > xfail > pass > skip) and per-scenario
// verdicts.
type Row struct {
	ID, Level, Section, Summary string
	Verdict                     runner.Verdict
	Scenarios                   map[string]string
}

var severity = map[runner.Verdict]int{runner.Skip: 1, runner.Pass: 2, runner.XFail: 3, runner.Error: 4, runner.Fail: 5}

// Matrix computes requirement rows for the requirements the results
// cite, plus uncovered server requirements (verdict "").
func Matrix(rs []*runner.Result, in Info) []Row {
	rows := map[string]*Row{}
	for _, r := range rs {
		for _, id := range r.Scenario.Requirements {
			markRow(rows, id, r)
		}
		// Runner-wide checks (FRAME-3) fail requirements the scenario
		// does not cite; the failure names them.
		for _, f := range r.Failures {
			if f.Requirement != "" {
				markRow(rows, f.Requirement, r)
			}
		}
	}
	if in.Registry != nil {
		for _, req := range in.Registry.AppliesTo("server") {
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
				row.Level, row.Section, row.Summary = req.Level, req.Section, req.Summary
			}
		}
		out = append(out, *row)
	}
	return out
}

// markRow records r's verdict on requirement id; the worst verdict wins.
func markRow(rows map[string]*Row, id string, r *runner.Result) {
	row := rows[id]
	if row == nil {
		row = &Row{ID: id, Scenarios: map[string]string{}}
		rows[id] = row
	}
	row.Scenarios[r.ID] = string(r.Verdict)
	if severity[r.Verdict] > severity[row.Verdict] {
		row.Verdict = r.Verdict
	}
}

func verdictCell(v runner.Verdict) string {
	if v == "" {
		return "not covered"
	}
	return string(v)
}

// Markdown writes the requirement × verdict matrix as a Markdown table.
func Markdown(w io.Writer, rs []*runner.Result, in Info) error {
	s := runner.Summarize(rs)
	fmt.Fprintf(w, "# gochat conformance: %s\n\nSeed %d. %d scenarios: %d pass, %d fail, %d skip, %d xfail, %d error.\n\n",
		in.Target, in.Seed, len(rs), s[runner.Pass], s[runner.Fail], s[runner.Skip], s[runner.XFail], s[runner.Error])
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

// HTML writes the matrix as a standalone HTML page.
func HTML(w io.Writer, rs []*runner.Result, in Info) error {
	colors := map[runner.Verdict]string{runner.Pass: "#cfc", runner.Fail: "#fbb", runner.Error: "#fb8",
		runner.XFail: "#ffc", runner.Skip: "#ddd", "": "#eee"}
	fmt.Fprintf(w, "<!doctype html><meta charset=utf-8><title>gochat conformance</title>"+
		"<style>body{font-family:sans-serif}td,th{border:1px solid #999;padding:2px 6px;vertical-align:top}table{border-collapse:collapse}</style>"+
		"<h1>gochat conformance: %s</h1><p>seed %d</p><table><tr><th>Requirement<th>Level<th>Verdict<th>Scenarios<th>Summary\n",
		html.EscapeString(in.Target), in.Seed)
	for _, row := range Matrix(rs, in) {
		var scs []string
		for _, id := range sortedIDs(row.Scenarios) {
			scs = append(scs, html.EscapeString(id+": "+row.Scenarios[id]))
		}
		_, err := fmt.Fprintf(w, "<tr><td>%s<td>%s<td style=\"background:%s\">%s<td>%s<td>%s\n",
			html.EscapeString(row.ID), html.EscapeString(row.Level), colors[row.Verdict], verdictCell(row.Verdict),
			strings.Join(scs, "<br>"), html.EscapeString(row.Summary))
		if err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "</table>\n")
	return err
}
