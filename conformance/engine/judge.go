package engine

import (
	"errors"
	"fmt"
	"slices"

	"github.com/gochatproto/gochat/conformance/expr"
	"github.com/gochatproto/gochat/conformance/registry"
	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/spec"
)

// This file turns a failed check into a judged failure: the level and
// source come from the requirement the check verifies (registry), the
// check's own fields refine them, and result.Record files the failure
// as a failure, a warning or a note. Both roles go through failCheck.

// requirement returns the level and source of a registry entry; an
// unknown ID (or no registry) reads as a spec MUST.
func (e *Engine) requirement(id string) (result.Level, string) {
	if e.o.Registry == nil {
		return result.Must, result.SourceSpec
	}
	q, ok := e.o.Registry.Get(id)
	if !ok {
		return result.Must, result.SourceSpec
	}
	return levelOf(q.Level), sourceOf(q.Source)
}

func levelOf(l string) result.Level {
	switch l {
	case registry.LevelShould:
		return result.Should
	case registry.LevelMay:
		return result.May
	}
	return result.Must
}

func sourceOf(s string) string {
	if s == registry.SourceDecision {
		return result.SourceDecision
	}
	return result.SourceSpec
}

// scenarioDefault is the level and source of a check that names no
// requirement: the scenario's spec requirements if it cites any (the
// strongest of their levels), else its decisions; never stronger than the
// scenario's own level (a should scenario makes no MUST failure).
func (e *Engine) scenarioDefault(sc *scenario.Scenario) (result.Level, string) {
	best := map[string]result.Level{}
	for _, id := range sc.Requirements {
		l, src := e.requirement(id)
		if cur, ok := best[src]; !ok || l.Rank() < cur.Rank() {
			best[src] = l
		}
	}
	level, source := result.Must, result.SourceSpec
	for _, src := range []string{result.SourceDecision, result.SourceSpec} {
		if l, ok := best[src]; ok {
			level, source = l, src
		}
	}
	if sc.Level != "" && sc.Level.Rank() > level.Rank() {
		level = sc.Level
	}
	return level, source
}

// classify completes f from the check that failed (nil: a check the step
// makes by itself): the requirement, its level and source, softness.
// A level the caller or the check states wins over the requirement's; a
// source the caller states (the decision half of a split check) too.
func (x *exec) classify(ch *scenario.Check, f *result.Failure) {
	level, req := f.Level, ""
	if ch != nil {
		if ch.Level != "" {
			level = ch.Level
		}
		req, f.Soft = ch.Req, f.Soft || ch.Soft
	}
	if req == "" && len(f.Requirements) > 0 {
		req = f.Requirements[0]
	}
	defLevel, source := x.defLevel, x.defSource
	if req != "" {
		defLevel, source = x.e.requirement(req)
		if !slices.Contains(f.Requirements, req) {
			f.Requirements = append([]string{req}, f.Requirements...)
		}
	}
	if level == "" {
		level = defLevel
	}
	if f.Source == "" {
		f.Source = source
	}
	f.Level = level
}

// failCheck records a failed check. In a setup step it is a precondition
// error instead; otherwise a hard MUST-level failure ends the scenario
// (whatever its source: the exchange no longer follows the script), and
// the checks that would have followed are listed as not run.
func (x *exec) failCheck(ch *scenario.Check, f result.Failure) {
	if x.step != nil && f.Pos == "" {
		f.Pos, f.Step = x.step.Pos.String(), x.step.Name()
		if f.Conn == "" {
			f.Conn = x.step.ConnName()
		}
	}
	x.classify(ch, &f)
	if x.step != nil && x.step.Setup && !f.Soft {
		x.precondition(f)
		return
	}
	x.res.Record(f, x.e.o.Strict)
	if f.Level == result.Must && !f.Soft {
		x.stopped, x.hardFail = true, true
	}
}

// precondition ends the scenario as an error of kind precondition: a
// setup step, which only uses forms every implementation must accept,
// did not get what it needs, so the question the scenario asks was never
// put. A refused REG most likely met a key registered before.
func (x *exec) precondition(f result.Failure) {
	what := "setup failed"
	if x.step.Macro == scenario.KindRegister && x.refusedREG {
		what = "key in use? the REG of a setup step was refused"
	}
	x.suite("precondition (%s): %s: expected %s, got %s", what, f.Message, f.Expected, f.Actual)
	x.errKind = result.KindPrecondition
}

// listNotRun records the checks among steps that will not run.
func (x *exec) listNotRun(steps []scenario.Step) {
	seen := map[string]bool{}
	for i := range steps {
		st := &steps[i]
		var reqs []string
		switch st.Kind {
		case scenario.KindExpect:
			reqs = reqOf(st.Expect.Req)
		case scenario.KindAnyOrder:
			for _, e := range st.AnyOrder {
				reqs = append(reqs, reqOf(e.Req)...)
			}
		case scenario.KindExpectNone:
			reqs = reqOf(st.ExpectNone.Req)
		case scenario.KindExpectClose:
			reqs = append(reqOf(st.ExpectClose.Req), reqOf(st.ExpectClose.ErrReq)...)
		case scenario.KindDecrypt:
			reqs = reqOf(st.Decrypt.Req)
		case scenario.KindExpectEvent:
			reqs = reqOf(st.ExpectEvent.Req)
		case scenario.KindResponse:
			reqs = reqOf(st.Response.Req)
		default:
			continue
		}
		key := st.Pos.String() + st.Name()
		if seen[key] { // a macro's expectations share its position
			continue
		}
		seen[key] = true
		x.res.NotRun = append(x.res.NotRun, result.NotRun{Pos: st.Pos.String(), Step: st.Name(), Requirements: reqs})
	}
}

func reqOf(id string) []string {
	if id == "" {
		return nil
	}
	return []string{id}
}

// looseCode reports whether e expects an ERR whose code is the project's
// choice (E-60): any ERR passes, and the code is checked apart.
func looseCode(e *scenario.Expect) bool {
	return e.Action.Action == spec.ERR && e.Info.Given() && !e.Info.Any && !e.SpecCode
}

// matchSplit matches f against e. For a loose-code ERR it matches
// everything but the code, and reports a different code as codeWhy, the
// decision half of the check.
func (x *exec) matchSplit(c *conn, e *scenario.Expect, f *frame, caps map[string][]byte) (why, codeWhy string) {
	if !looseCode(e) {
		return x.match(c, e, f, caps), ""
	}
	anyCode := *e
	anyCode.Info = scenario.Info{Text: "any", Any: true}
	why = x.match(c, &anyCode, f, caps)
	if why == "" && f.hdr.Info != e.Info.Value {
		codeWhy = fmt.Sprintf("ERR code is %s, want %s", infoName(spec.ERR, f.hdr.Info), infoName(spec.ERR, e.Info.Value))
	}
	return why, codeWhy
}

// codeNote records the decision half of a split ERR check: the code
// differs from the one this project chose (E-60). It never stops the
// scenario; without --strict it is a note.
func (x *exec) codeNote(e *scenario.Expect, why, want, actual string) {
	x.failCheck(&e.Check, result.Failure{Source: result.SourceDecision, Soft: true,
		Message:  why + " (E-60: the original assigns no code here; the code is this project's choice)",
		Expected: want, Actual: actual})
}

// fileDeviations records what the last match let pass although a
// decision rules it out (expr.Deviation): at the decision's level and
// source, soft, so by default a note and the scenario goes on.
func (x *exec) fileDeviations(want string, f *frame) {
	devs := x.env.Deviations
	x.env.Deviations = nil
	for _, d := range devs {
		x.deviation(d, want, f.String())
	}
}

func (x *exec) deviation(d expr.Deviation, want, actual string) {
	x.failCheck(&scenario.Check{Req: d.Req}, result.Failure{Soft: true, Message: d.Why, Expected: want, Actual: actual})
}

// ReqOpenAfterERR is E-61's requirement: a refused request leaves the
// connection open. The original closes connections for some errors and
// never promises the opposite for the others.
const ReqOpenAfterERR = "FRAME-23"

// closedAfterERR handles a step that needs a connection the server closed
// right after an ERR (f is the end of stream, or nil on a closed
// connection): not a failure of the specification, since only E-61 keeps
// that connection open. It files the E-61 difference (a note by default)
// and ends the scenario as a precondition error.
func (x *exec) closedAfterERR(c *conn, f *frame, want string) bool {
	if _, server := x.side.(*serverSide); !server || x.stopped || !c.afterERR {
		return false
	}
	if (f == nil && c.closed == nil) || (f != nil && f.err == nil) {
		return false
	}
	x.failCheck(&scenario.Check{Req: ReqOpenAfterERR}, result.Failure{Soft: true,
		Message:  "the server closed " + c.name + " right after an ERR (E-61: this project keeps it open)",
		Expected: want, Actual: "connection closed"})
	x.suite("precondition (E-61): the server closed %s after an ERR, and this step needs it; "+
		"keeping a connection open after a refused request is this project's decision, not the specification's", c.name)
	x.errKind = result.KindPrecondition
	return true
}

// Header rules of the strict decoder that are decisions, not the
// specification: a packet that breaks only these is matched on, and the
// difference filed under the rule's requirement.
const (
	reqInfoEmpty    = "FRAME-13" // E-9: Info 0xFF where no Info is defined
	reqInfoRequired = "FRAME-14" // E-9: an Info where one is defined
	reqLen          = "FRAME-8"  // E-2: Len counts each argument's CRLF
	reqSeparator    = "FRAME-5"  // E-1: CRLF after every header
)

// framingDecision names the decision requirement a framing error breaks,
// or "" when the error is one of the specification's (or unknown).
func framingDecision(err error) string {
	switch {
	case errors.Is(err, spec.ErrInfoForbidden):
		return reqInfoEmpty
	case errors.Is(err, spec.ErrInfoRequired):
		return reqInfoRequired
	case errors.Is(err, spec.ErrLenMismatch):
		return reqLen
	case errors.Is(err, spec.ErrBadSeparator):
		return reqSeparator
	}
	return ""
}

// deviate notes a decision-only difference of the packet being matched;
// it is filed (fileDeviations) only if the match succeeds. One per
// requirement: the Info rule can be seen twice.
func (x *exec) deviate(req, why string) {
	if slices.ContainsFunc(x.env.Deviations, func(d expr.Deviation) bool { return d.Req == req }) {
		return
	}
	x.env.Deviations = append(x.env.Deviations, expr.Deviation{Req: req, Why: why})
}
