package report

import (
	"fmt"
	"io"

	"github.com/gochatproto/gochat/conformance/registry"
	"github.com/gochatproto/gochat/conformance/result"
)

// Labeled is one implementation's run in a comparison.
type Labeled struct {
	Label string
	Run   *Run
}

type cmpImpl struct {
	Label, Target, Dialect, Role, Mode, Seed, Anchor string
	Scenarios, Notes                                 int
	Counts                                           []countRow
}

type cmpCell struct{ Verdict, Label, Href string }

type cmpRow struct {
	ID, Title string
	Cells     []cmpCell
	Differs   bool
}

type cmpSection struct {
	Heading string
	Rows    []cmpRow
	Differs bool // some row of the section differs
}

type cmpDetails struct {
	Impl      cmpImpl
	Scenarios []scenarioView
}

type comparePage struct {
	Title           string
	Impls           []cmpImpl
	Sections        []cmpSection
	Total, Differ   int
	Details         []cmpDetails
	VerdictsPresent []string
}

// Compare writes one matrix of implementations × scenarios from several
// runs (typically JSON reports read back with ReadJSONFile): rows where
// the verdicts differ are marked, and every cell that is not a plain pass,
// or sits in a differing row, links to that implementation's details of
// the scenario further down the same page.
func Compare(w io.Writer, runs []Labeled, reg *registry.Registry) error {
	return pages.ExecuteTemplate(w, "compare.tmpl", buildComparePage(runs, reg))
}

// Differing returns the IDs of the scenarios whose verdicts are not the
// same in every run (a scenario missing from a run differs too), in the
// order the comparison lists them.
func Differing(runs []Labeled, reg *registry.Registry) []string {
	var out []string
	for _, sec := range buildComparePage(runs, reg).Sections {
		for _, row := range sec.Rows {
			if row.Differs {
				out = append(out, row.ID)
			}
		}
	}
	return out
}

func buildComparePage(runs []Labeled, reg *registry.Registry) comparePage {
	p := comparePage{Title: "gochat conformance: comparison"}
	byRun := make([]map[string]*result.Result, len(runs))
	var union []*result.Result
	seen := map[string]bool{}
	for i, lr := range runs {
		byRun[i] = map[string]*result.Result{}
		for _, r := range lr.Run.Results {
			byRun[i][r.ID] = r
			if !seen[r.ID] {
				seen[r.ID] = true
				union = append(union, r)
			}
		}
		h := headerOf(lr.Run.Results, lr.Run.Info)
		p.Impls = append(p.Impls, cmpImpl{Label: lr.Label, Target: h.Target, Dialect: h.Dialect, Role: h.Role,
			Mode: h.Mode, Seed: h.Seed, Anchor: fmt.Sprintf("impl-%d", i), Scenarios: h.Scenarios, Notes: h.Notes,
			Counts: countRows(lr.Run.Results)})
	}
	order, bySec := groupBySection(reg, union)
	for _, sec := range order {
		cs := cmpSection{Heading: sectionHeading(sec)}
		for _, u := range bySec[sec] {
			row := compareRow(u, byRun)
			p.Total++
			if row.Differs {
				p.Differ++
				cs.Differs = true
			}
			cs.Rows = append(cs.Rows, row)
		}
		p.Sections = append(p.Sections, cs)
	}
	// Details: the scenarios some cell links to, in each run's order.
	for i, lr := range runs {
		d := cmpDetails{Impl: p.Impls[i]}
		for _, r := range lr.Run.Results {
			if linked(p.Sections, i, r.ID) {
				d.Scenarios = append(d.Scenarios, scenarioOf(r, reg, anchorOf(i, r.ID)))
			}
		}
		p.Details = append(p.Details, d)
	}
	return p
}

func anchorOf(run int, id string) string { return fmt.Sprintf("i%d-%s", run, id) }

// compareRow is scenario u's row: one cell per run, marked as differing
// when a run lacks it or its verdicts are not all the same. A cell links
// to the run's details when the row differs or the verdict is not a pass.
func compareRow(u *result.Result, byRun []map[string]*result.Result) cmpRow {
	row := cmpRow{ID: u.ID, Title: u.Title}
	first := byRun[0][u.ID]
	for i := range byRun {
		r := byRun[i][u.ID]
		if r == nil {
			row.Cells = append(row.Cells, cmpCell{Label: "—"})
			row.Differs = true
			continue
		}
		row.Cells = append(row.Cells, cmpCell{Verdict: string(r.Verdict), Label: r.Label()})
		if first == nil || r.Verdict != first.Verdict {
			row.Differs = true
		}
	}
	for i := range row.Cells {
		if r := byRun[i][u.ID]; r != nil && (row.Differs || r.Verdict != result.Pass) {
			row.Cells[i].Href = "#" + anchorOf(i, r.ID)
		}
	}
	return row
}

// linked reports whether run i's cell of scenario id links to details.
func linked(secs []cmpSection, i int, id string) bool {
	for _, sec := range secs {
		for _, row := range sec.Rows {
			if row.ID == id {
				return row.Cells[i].Href != ""
			}
		}
	}
	return false
}
