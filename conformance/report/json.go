package report

import (
	"encoding/json"
	"io"
	"time"

	"github.com/gochatproto/gochat/conformance/result"
)

// SchemaVersion is the "schema" field of JSON reports; bump it on any
// incompatible change (docs/report-schema.md).
const SchemaVersion = "gochat-conformance/v1"

type jsonReport struct {
	Schema    string            `json:"schema"`
	Role      string            `json:"role"`
	Target    string            `json:"target"`
	Seed      int64             `json:"seed"`
	Strict    bool              `json:"strict"`
	Started   time.Time         `json:"started"`
	Summary   map[string]int    `json:"summary"`
	Scenarios []*result.Result  `json:"scenarios"`
	Matrix    []jsonRequirement `json:"requirements"`
}

type jsonRequirement struct {
	ID        string            `json:"id"`
	Level     string            `json:"level"`
	Source    string            `json:"source,omitempty"`
	Summary   string            `json:"summary"`
	Verdict   string            `json:"verdict"`
	Scenarios map[string]string `json:"scenarios"`
}

// JSON writes the machine-readable report described in
// docs/report-schema.md.
func JSON(w io.Writer, rs []*result.Result, in Info) error {
	rep := jsonReport{Schema: SchemaVersion, Role: in.Role, Target: in.Target, Seed: in.Seed, Strict: in.Strict, Started: in.Start,
		Summary: map[string]int{}, Scenarios: rs}
	for v, n := range result.Summarize(rs) {
		rep.Summary[string(v)] = n
	}
	for _, row := range Matrix(rs, in) {
		rep.Matrix = append(rep.Matrix, jsonRequirement{ID: row.ID, Level: row.Level, Source: row.Source, Summary: row.Summary,
			Verdict: string(row.Verdict), Scenarios: row.Scenarios})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
