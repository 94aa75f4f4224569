// Package result holds what a conformance run produces: verdicts,
// failures, transcripts and one Result per scenario. Both roles record
// into it, and every report (console, JUnit, JSON, matrix) reads only it,
// so a result can be written, stored and rendered without the scenario
// that produced it.
package result

import (
	"slices"
	"time"
)

// Level is the strength of a requirement or of one check.
type Level string

// Levels, strongest first.
const (
	Must   Level = "must"
	Should Level = "should"
	May    Level = "may"
)

// Rank orders levels: must 0, should 1, may 2, anything else 3.
func (l Level) Rank() int {
	switch l {
	case Must:
		return 0
	case Should:
		return 1
	case May:
		return 2
	}
	return 3
}

// Verdict is the outcome of one scenario.
type Verdict string

// Verdicts. Skip and Error may carry a Kind saying why.
const (
	Pass  Verdict = "pass"
	Fail  Verdict = "fail"  // a check failed
	Warn  Verdict = "warn"  // only SHOULD-level checks failed (reserved: not yet produced)
	Skip  Verdict = "skip"  // the scenario could not apply (Kind says why)
	XFail Verdict = "xfail" // failed, as the expectations file says
	Error Verdict = "error" // the suite, the network or a precondition failed, not the behaviour under test
	Crash Verdict = "crash" // the implementation under test died or stopped answering (reserved)
)

// severity orders verdicts for "the worst of several" (matrix rows).
var severity = map[Verdict]int{Skip: 1, Pass: 2, XFail: 3, Warn: 4, Error: 5, Fail: 6, Crash: 7}

// Worse reports whether v is more severe than w.
func (v Verdict) Worse(w Verdict) bool { return severity[v] > severity[w] }

// Kind refines a skip or error verdict. The empty Kind is a plain skip
// (a missing capability, another dialect) or error (the suite or the
// network failed).
type Kind string

// Kinds of skip and error.
const (
	KindPrecondition Kind = "precondition"               // error: a setup step the scenario relies on failed
	KindServerDown   Kind = "server down"                // skip: the server under test no longer answers
	KindUnsupported  Kind = "unsupported by the adapter" // skip: the client's driver lacks a command
)

// Failure is one failed check.
type Failure struct {
	Level Level  `json:"level"` // must or should
	Pos   string `json:"pos"`   // file:line:col of the step
	Step  string `json:"step"`  // step kind
	Conn  string `json:"conn,omitempty"`
	// Requirements are the requirement IDs the failure violates when they
	// are not the ones the scenario cites (the checks made on every packet,
	// e.g. FRAME-3); empty means the scenario's own.
	Requirements []string `json:"requirements,omitempty"`
	// Source says where the violated rule comes from: "spec" (the original
	// specification) or "decision" (an erratum); empty when unknown.
	Source   string `json:"source,omitempty"`
	Message  string `json:"message"`
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
}

// Event directions.
const (
	Send = "send"
	Recv = "recv"
	Note = "note"
)

// Event is one transcript line: a packet sent or received on a
// connection, or a note (connects, closes, ignored packets, driver lines).
type Event struct {
	At     time.Duration `json:"at_ns"`
	Conn   string        `json:"conn"`
	Dir    string        `json:"dir"` // Send, Recv or Note
	Header string        `json:"header,omitempty"`
	Args   []string      `json:"args,omitempty"`
	Hex    string        `json:"hex,omitempty"`
	Note   string        `json:"note,omitempty"`
}

// Result is what running one scenario produced, with the scenario's
// catalogue data copied in so that reports need nothing else.
type Result struct {
	ID           string   `json:"id"`
	Role         string   `json:"role"` // "server" or "client": the role under test
	Title        string   `json:"title"`
	Level        Level    `json:"level"`
	Requirements []string `json:"requirements"`
	Tags         []string `json:"tags"`
	File         string   `json:"file"` // file:line:col where the scenario is defined

	Verdict Verdict `json:"verdict"`
	Kind    Kind    `json:"kind,omitempty"`
	Reason  string  `json:"reason,omitempty"` // skip, xfail or error reason
	// Failures decide a fail verdict; Warnings are SHOULD-level failures
	// that did not, because only MUST requirements were selected.
	Failures   []Failure     `json:"failures,omitempty"`
	Warnings   []Failure     `json:"warnings,omitempty"`
	Transcript []Event       `json:"transcript,omitempty"`
	Duration   time.Duration `json:"duration_ns"`
	Seed       int64         `json:"seed"`
	Rerun      string        `json:"rerun"` // one-line command that re-runs this scenario
}

// Record adds f to the failures, or to the warnings when it is below MUST
// and mustOnly is set. It reports whether f ends the scenario (a MUST).
func (r *Result) Record(f Failure, mustOnly bool) (stop bool) {
	if f.Level != Must && mustOnly {
		r.Warnings = append(r.Warnings, f)
		return false
	}
	r.Failures = append(r.Failures, f)
	return f.Level == Must
}

// Label is the verdict with its kind, e.g. "skip: unsupported by the adapter".
func (r *Result) Label() string {
	if r.Kind == "" {
		return string(r.Verdict)
	}
	return string(r.Verdict) + ": " + string(r.Kind)
}

// Connections lists the connections the transcript mentions, in order of
// first appearance.
func (r *Result) Connections() []string {
	var out []string
	for _, e := range r.Transcript {
		if !slices.Contains(out, e.Conn) {
			out = append(out, e.Conn)
		}
	}
	return out
}

// ApplyExpectation applies an expectations-file entry (the reason the
// scenario is expected to fail): a failure becomes xfail, and a pass a
// failure, so that stale entries are noticed.
func (r *Result) ApplyExpectation(reason string) {
	switch r.Verdict {
	case Fail:
		r.Verdict, r.Reason = XFail, reason
	case Pass:
		r.Verdict = Fail
		r.Failures = append(r.Failures, Failure{Level: Must, Step: "expectations",
			Message: "unexpected pass: the expectations file says this fails (" + reason + "); remove the entry"})
	}
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
// failures and crashes, 0 otherwise.
func ExitCode(rs []*Result) int {
	s := Summarize(rs)
	switch {
	case s[Error] > 0:
		return 2
	case s[Fail] > 0, s[Crash] > 0:
		return 1
	}
	return 0
}
