package explore

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Finding is what --findings writes for a failing run: the plan to
// replay (shrunk when shrinking succeeded), what it breaks, and the full
// history of the original run.
type Finding struct {
	Rerun      string      `json:"rerun"`
	Violations []Violation `json:"violations"`
	Plan       *Plan       `json:"plan"`
	Original   *Plan       `json:"original_plan"`
	History    []Event     `json:"history"`
}

// WriteFinding writes DIR/explore-SEED.json (replayable with --replay),
// DIR/explore-SEED.md (a timeline, actors as columns) and the plan as a
// scenario, DIR/server/explore-SEED.yaml with the fixture keys beside it
// (ScenarioPath; "--scenarios DIR" runs it), and returns the JSON path.
func WriteFinding(dir string, rep *Report, rerun func(path string) string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	base := filepath.Join(dir, fmt.Sprintf("explore-%d", rep.Plan.Seed))
	f := Finding{Violations: rep.Failures, Plan: rep.Plan, Original: rep.Plan, History: rep.Outcome.Events}
	if rep.Shrunk != nil {
		f.Plan, f.Violations = rep.Shrunk, append(rep.ShrunkWhy, rep.Failures...)
	}
	f.Rerun = rerun(base + ".json")
	b, err := json.MarshalIndent(f, "", " ")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(base+".json", b, 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(base+".md", []byte(timeline(&f, rep.Plan.Actors)), 0o644); err != nil {
		return "", err
	}
	if _, err := WriteFindingScenario(dir, &f, targetFlags(rerun(""))); err != nil {
		return "", err
	}
	return base + ".json", nil
}

// ReadPlan loads the plan of a finding for --replay.
func ReadPlan(path string) (*Plan, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f Finding
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if f.Plan == nil || f.Plan.Actors < 1 {
		return nil, fmt.Errorf("%s: no plan", path)
	}
	return f.Plan, nil
}

// timeline renders the history as a Markdown table, one column per actor,
// then the observer's and, when the run had ADMIN operations, the
// admin's, so concurrent steps sit side by side.
func timeline(f *Finding, actors int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# explore finding (seed %d)\n\nRe-run: `%s`\n\n", f.Plan.Seed, f.Rerun)
	for _, v := range f.Violations {
		fmt.Fprintf(&b, "- **%s** (%s: %s), op %d: %s (events %v)\n", v.Invariant, v.Source, v.Ref, v.Op, v.Detail, v.Seqs)
	}
	fmt.Fprintf(&b, "\n## Plan (%d ops, %d actors, %d connections each)\n\n", len(f.Plan.Ops), f.Plan.Actors, f.Plan.Conns)
	for _, op := range f.Plan.Ops {
		fmt.Fprintf(&b, "- %s\n", op)
	}
	cols := timelineColumns(f.History, actors)
	b.WriteString("\n## History of the original run\n\n| seq | ms |")
	for _, c := range cols {
		fmt.Fprintf(&b, " %s |", c)
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---|", len(cols)) + "\n")
	for _, e := range f.History {
		fmt.Fprintf(&b, "| %d | %.1f |", e.Seq, float64(e.T.Microseconds())/1000)
		for i := range cols {
			if i == e.Actor && e.Kind != EvPhase || e.Kind == EvPhase && i == 0 {
				b.WriteString(" " + strings.ReplaceAll(timelineCell(e), "|", "/") + " |")
			} else {
				b.WriteString(" |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// timelineColumns names the columns: a0.. for the actors, obs for the
// observer (history actor actors), admin (actors+1) if it has events.
func timelineColumns(h []Event, actors int) []string {
	var cols []string
	for i := range actors {
		cols = append(cols, fmt.Sprintf("a%d", i))
	}
	cols = append(cols, "obs")
	for _, e := range h {
		if e.Actor == actors+1 {
			return append(cols, "admin")
		}
	}
	return cols
}

func timelineCell(e Event) string {
	cell := fmt.Sprintf("%s %s %s", e.Kind, e.Conn, e.Action)
	if e.Code != "" {
		cell += " " + e.Code
	}
	if e.Name != "" {
		cell += " " + e.Name
	}
	if e.Note != "" {
		cell += " (" + e.Note + ")"
	}
	return cell
}
