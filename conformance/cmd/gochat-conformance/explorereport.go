package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gochatproto/gochat/conformance/explore"
	"github.com/gochatproto/gochat/conformance/report"
)

// explorePage reads an explorer finding (explore --findings DIR writes
// them) and draws its timeline, one column per actor.
func explorePage(path string) (func(io.Writer) error, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f explore.Finding
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if f.Plan == nil || f.Plan.Actors < 1 {
		return nil, fmt.Errorf("%s: not an explorer finding (no plan)", path)
	}
	t := findingTimeline(&f)
	return func(w io.Writer) error { return report.TimelineHTML(w, t) }, nil
}

// findingTimeline lays the finding out as the explorer's Markdown timeline
// does: actors 0..N-1 as columns, then the observer (actor N) and, when
// it acted, the admin (N+1); the quiescent phases in the first column.
func findingTimeline(f *explore.Finding) report.Timeline {
	n := f.Plan.Actors
	t := report.Timeline{Title: fmt.Sprintf("explore finding (seed %d)", f.Plan.Seed), Rerun: f.Rerun}
	for i := 0; i < n; i++ {
		t.Columns = append(t.Columns, fmt.Sprintf("a%d", i))
	}
	t.Columns = append(t.Columns, "observer")
	admin := false // the explorer's admin (actor N+1) ran ADMIN operations
	for _, e := range f.History {
		admin = admin || e.Actor == n+1
	}
	if admin {
		t.Columns = append(t.Columns, "admin")
	}
	for _, v := range f.Violations {
		t.Violations = append(t.Violations, report.TimelineViolation{Invariant: v.Invariant, Source: v.Source,
			Ref: v.Ref, Detail: fmt.Sprintf("actor %d, op %d: %s", v.Actor, v.Op, v.Detail), Seqs: v.Seqs})
	}
	for _, op := range f.Plan.Ops {
		t.Plan = append(t.Plan, op.String())
	}
	for _, e := range f.History {
		col := e.Actor
		if e.Kind == explore.EvPhase || col < 0 || col >= len(t.Columns) {
			col = 0
		}
		t.Rows = append(t.Rows, report.TimelineRow{Seq: e.Seq, At: e.T, Column: col, Kind: string(e.Kind),
			Text: eventText(e)})
	}
	return t
}

func eventText(e explore.Event) string {
	parts := []string{string(e.Kind), e.Conn, e.Action, e.Code, e.Name}
	if e.Note != "" {
		parts = append(parts, "("+e.Note+")")
	}
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}
