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
	Warn  Verdict = "warn"  // only SHOULD-level checks failed
	Skip  Verdict = "skip"  // the scenario could not apply (Kind says why)
	XFail Verdict = "xfail" // failed, as the expectations file says
	Error Verdict = "error" // the suite, the network or a precondition failed, not the behaviour under test
	Crash Verdict = "crash" // the implementation under test died or stopped answering
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

// Sources of a check: where the rule it verifies comes from (the values
// of registry.SourceSpec and registry.SourceDecision).
const (
	SourceSpec     = "spec"     // the original specification says it
	SourceDecision = "decision" // an erratum of this project (docs/errata.md)
)

// Failure is one failed check.
type Failure struct {
	Level Level  `json:"level"` // must or should
	Pos   string `json:"pos"`   // file:line:col of the step
	Step  string `json:"step"`  // step kind
	Conn  string `json:"conn,omitempty"`
	// Requirements are the requirement IDs the failure violates when they
	// are not the ones the scenario cites (a check's req:, or the checks
	// made on every packet, e.g. FRAME-3); empty means the scenario's own.
	Requirements []string `json:"requirements,omitempty"`
	// Source says where the violated rule comes from: SourceSpec or
	// SourceDecision; empty is read as spec.
	Source   string `json:"source,omitempty"`
	Message  string `json:"message"`
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
	// Soft: the scenario went on after this failure.
	Soft bool `json:"soft,omitempty"`
}

// Decision reports whether the failed check verifies a project decision
// rather than the original specification.
func (f *Failure) Decision() bool { return f.Source == SourceDecision }

// NotRun is a check that did not run because an earlier hard check
// failed: what the failure masked.
type NotRun struct {
	Pos          string   `json:"pos"`
	Step         string   `json:"step"`
	Requirements []string `json:"requirements,omitempty"`
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
	ID    string `json:"id"`
	Role  string `json:"role"` // "server" or "client": the role under test
	Title string `json:"title"`
	Level Level  `json:"level"`
	// Source is where the scenario's rules come from: "spec" when it
	// cites a requirement of the original specification, else "decision".
	Source       string   `json:"source,omitempty"`
	Requirements []string `json:"requirements"`
	Tags         []string `json:"tags"`
	File         string   `json:"file"` // file:line:col where the scenario is defined

	Verdict Verdict `json:"verdict"`
	Kind    Kind    `json:"kind,omitempty"`
	Reason  string  `json:"reason,omitempty"` // skip, xfail or error reason
	// Failures decide a fail verdict (MUST checks that judge); Warnings
	// are SHOULD checks that judge (verdict warn); Notes are failed checks
	// of project decisions in a run without --strict, which never change
	// the verdict. Record files each failure into one of them.
	Failures []Failure `json:"failures,omitempty"`
	Warnings []Failure `json:"warnings,omitempty"`
	Notes    []Failure `json:"notes,omitempty"`
	// NotRun lists the checks a failed hard check kept from running.
	NotRun     []NotRun      `json:"not_run,omitempty"`
	Transcript []Event       `json:"transcript,omitempty"`
	Duration   time.Duration `json:"duration_ns"`
	Seed       int64         `json:"seed"`
	Rerun      string        `json:"rerun"` // one-line command that re-runs this scenario
}

// Record files a failed check by its source and level: in a default run
// a decision goes to Notes; otherwise (a spec check, or any check under
// strict) a MUST goes to Failures and anything weaker to Warnings. Both
// roles record through it, so verdicts mean the same in both.
func (r *Result) Record(f Failure, strict bool) {
	switch {
	case f.Decision() && !strict:
		r.Notes = append(r.Notes, f)
	case f.Level == Must:
		r.Failures = append(r.Failures, f)
	default:
		r.Warnings = append(r.Warnings, f)
	}
}

// Judge sets the verdict from what was recorded: fail when a failure
// judges, warn when only warnings do, pass otherwise (notes never count).
// It leaves skip, error and crash verdicts alone.
func (r *Result) Judge() {
	switch {
	case r.Verdict == Skip || r.Verdict == Error || r.Verdict == Crash:
	case len(r.Failures) > 0:
		r.Verdict = Fail
	case len(r.Warnings) > 0:
		r.Verdict = Warn
	default:
		r.Verdict = Pass
	}
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

// ExitCode maps results to the CLI's exit code: 1 for failures and
// crashes, 2 for suite errors, 0 otherwise (warnings and notes included).
// A crash wins over a suite error: the errors that follow a crash are its
// consequence, and the crash is what the implementer must see.
func ExitCode(rs []*Result) int {
	s := Summarize(rs)
	switch {
	case s[Crash] > 0:
		return 1
	case s[Error] > 0:
		return 2
	case s[Fail] > 0:
		return 1
	}
	return 0
}
