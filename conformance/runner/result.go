package runner

import (
	"time"

	"github.com/gochatproto/gochat/conformance/scenario"
)

// Verdict is the outcome of one scenario.
type Verdict string

// Verdicts.
const (
	Pass  Verdict = "pass"
	Fail  Verdict = "fail"
	Skip  Verdict = "skip"  // a capability is missing
	XFail Verdict = "xfail" // failed as the expectations file says
	Error Verdict = "error" // the suite or the connection failed, not the server's behaviour
)

// Failure is one failed check.
type Failure struct {
	Level    scenario.Level `json:"level"` // must or should
	Pos      string         `json:"pos"`   // file:line:col of the step
	Step     string         `json:"step"`  // step kind
	Message  string         `json:"message"`
	Expected string         `json:"expected,omitempty"`
	Actual   string         `json:"actual,omitempty"`
	// Requirement is set by the runner-wide checks made on every packet
	// (FRAME-3), which are not what the scenario cites, so that reports
	// can attribute the failure to the right requirement.
	Requirement string `json:"requirement,omitempty"`
}

// Event is one transcript line.
type Event struct {
	At     time.Duration `json:"at_ns"`
	Conn   string        `json:"conn"`
	Dir    string        `json:"dir"` // "send", "recv" or "note"
	Header string        `json:"header,omitempty"`
	Args   []string      `json:"args,omitempty"`
	Hex    string        `json:"hex,omitempty"`
	Note   string        `json:"note,omitempty"`
}

// Result is what running one scenario produced.
type Result struct {
	Scenario *scenario.Scenario `json:"-"`
	ID       string             `json:"id"`
	Verdict  Verdict            `json:"verdict"`
	Reason   string             `json:"reason,omitempty"` // skip, xfail or error reason
	Failures []Failure          `json:"failures,omitempty"`
	// Warnings are SHOULD-level failures that did not decide the
	// verdict because only MUST requirements were selected.
	Warnings   []Failure     `json:"warnings,omitempty"`
	Transcript []Event       `json:"transcript,omitempty"`
	Duration   time.Duration `json:"duration_ns"`
	Seed       int64         `json:"seed"`
}

// Summary counts verdicts.
type Summary map[Verdict]int

// Summarize counts the verdicts of rs.
func Summarize(rs []*Result) Summary {
	s := Summary{}
	for _, r := range rs {
		s[r.Verdict]++
	}
	return s
}

// ExitCode maps results to the CLI's exit code: 2 for suite errors, 1 for
// failures, 0 otherwise.
func ExitCode(rs []*Result) int {
	s := Summarize(rs)
	switch {
	case s[Error] > 0:
		return 2
	case s[Fail] > 0:
		return 1
	}
	return 0
}

// Record adds f to the failures, or to the warnings when it is below MUST
// and mustOnly is set. It reports whether f ends the scenario (a MUST).
func (r *Result) Record(f Failure, mustOnly bool) (stop bool) {
	if f.Level != scenario.Must && mustOnly {
		r.Warnings = append(r.Warnings, f)
		return false
	}
	r.Failures = append(r.Failures, f)
	return f.Level == scenario.Must
}
