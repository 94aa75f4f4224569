package report

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
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
	Dialect   string            `json:"dialect,omitempty"`
	Level     string            `json:"level,omitempty"`
	Version   string            `json:"version,omitempty"`
	Seed      int64             `json:"seed"`
	Strict    bool              `json:"strict"`
	Started   time.Time         `json:"started"`
	Duration  time.Duration     `json:"duration_ns,omitempty"`
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
	rep := jsonReport{Schema: SchemaVersion, Role: in.Role, Target: in.Target, Dialect: in.Dialect, Level: in.Level,
		Strict: in.Strict, Version: in.Version, Seed: in.Seed, Started: in.Start, Duration: in.Duration,
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

// Run is a JSON report read back: the results and the context they were
// produced in (Info.Registry is left nil; callers attach one).
type Run struct {
	Info    Info
	Results []*result.Result
}

// ReadJSON decodes a report JSON wrote. A file of another schema is an
// error, so that a comparison never mixes incompatible results silently.
func ReadJSON(r io.Reader) (*Run, error) {
	var rep jsonReport
	if err := json.NewDecoder(r).Decode(&rep); err != nil {
		return nil, err
	}
	if rep.Schema != SchemaVersion {
		return nil, fmt.Errorf("schema %q, want %q", rep.Schema, SchemaVersion)
	}
	for _, r := range rep.Scenarios {
		if r == nil {
			return nil, fmt.Errorf("null scenario")
		}
	}
	return &Run{Info: Info{Role: rep.Role, Target: rep.Target, Dialect: rep.Dialect, Level: rep.Level,
		Strict: rep.Strict, Version: rep.Version, Seed: rep.Seed, Start: rep.Started, Duration: rep.Duration},
		Results: rep.Scenarios}, nil
}

// ReadJSONFile is ReadJSON of a file, its errors naming the file.
func ReadJSONFile(path string) (*Run, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	run, err := ReadJSON(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return run, nil
}
