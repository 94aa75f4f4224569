package report

import (
	"encoding/json"
	"io"
	"time"

	"github.com/gochatproto/gochat/conformance/runner"
)

// SchemaVersion is the "schema" field of JSON reports; bump it on any
// incompatible change (docs/report-schema.md).
const SchemaVersion = "gochat-conformance/v1"

type jsonReport struct {
	Schema    string            `json:"schema"`
	Target    string            `json:"target"`
	Seed      int64             `json:"seed"`
	Started   time.Time         `json:"started"`
	Summary   map[string]int    `json:"summary"`
	Scenarios []jsonScenario    `json:"scenarios"`
	Matrix    []jsonRequirement `json:"requirements"`
}

type jsonScenario struct {
	*runner.Result
	Title        string   `json:"title"`
	Level        string   `json:"level"`
	Requirements []string `json:"requirements"`
	Tags         []string `json:"tags"`
	File         string   `json:"file"`
	Rerun        string   `json:"rerun"`
}

type jsonRequirement struct {
	ID        string            `json:"id"`
	Level     string            `json:"level"`
	Summary   string            `json:"summary"`
	Verdict   string            `json:"verdict"`
	Scenarios map[string]string `json:"scenarios"`
}

// JSON writes the machine-readable report described in
// docs/report-schema.md.
func JSON(w io.Writer, rs []*runner.Result, in Info) error {
	rep := jsonReport{Schema: SchemaVersion, Target: in.Target, Seed: in.Seed, Started: in.Start,
		Summary: map[string]int{}}
	for v, n := range runner.Summarize(rs) {
		rep.Summary[string(v)] = n
	}
	for _, r := range rs {
		sc := r.Scenario
		rep.Scenarios = append(rep.Scenarios, jsonScenario{Result: r, Title: sc.Title, Level: string(sc.Level),
			Requirements: sc.Requirements, Tags: sc.Tags, File: sc.Pos.String(), Rerun: in.ReproLine(r.ID)})
	}
	for _, row := range Matrix(rs, in) {
		rep.Matrix = append(rep.Matrix, jsonRequirement{ID: row.ID, Level: row.Level, Summary: row.Summary,
			Verdict: string(row.Verdict), Scenarios: row.Scenarios})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
