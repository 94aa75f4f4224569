package wire

import (
	"bytes"
	"errors"
	"strings"

	"github.com/gochatproto/gochat/conformance/registry"
	"github.com/gochatproto/gochat/fuzz/corpus"
	"github.com/gochatproto/gochat/spec"
)

// outcomeReqs state what a server does with malformed input (close, the
// ERR before it, its code); a case's other requirements are its premises:
// the rules that make its input malformed (n_) or acceptable (y_).
var outcomeReqs = map[string]bool{"CONN-6": true, "CONN-7": true, "CONN-8": true, "CONN-9": true, "CONN-10": true, "CONN-11": true}

// codeWarn is checkRejected's outcome "closed after an ERR with another
// code than E-7 recommends": the code is always a decision (E-7, E-60).
const codeWarn Status = "warn-code"

// levels judges corpus outcomes as VERDICTS.md says: a case judges by the
// original specification when at least one of its premises is a spec
// requirement; a case resting on the project's decisions alone (and any
// ERR code) records a difference as a note, which fails nothing, unless
// strict.
type levels struct {
	reg    *registry.Registry
	strict bool
}

// specPremise: the original specification itself makes the case's input
// malformed (or acceptable).
func (l levels) specPremise(c *corpus.Case) bool {
	for _, id := range c.Requirements {
		if r, ok := l.reg.Get(id); ok && !outcomeReqs[id] && r.Source == registry.SourceSpec {
			return true
		}
	}
	return false
}

// decisions lists the case's decision premises for a note.
func (l levels) decisions(c *corpus.Case) string {
	var out []string
	for _, id := range c.Requirements {
		if r, ok := l.reg.Get(id); ok && !outcomeReqs[id] && r.Source == registry.SourceDecision {
			out = append(out, id+" ("+strings.Join(r.Cites, ", ")+")")
		}
	}
	return strings.Join(out, ", ")
}

// judge maps a raw outcome to the case's verdict and says why when the
// level changed it.
func (l levels) judge(c *corpus.Case, s Status, detail string) (Status, string) {
	switch {
	case s == codeWarn && l.strict:
		return Warn, detail
	case s == codeWarn:
		return Note, detail + " (the code is a decision, E-7; a note unless --strict)"
	case s != Fail && s != Warn, l.strict || l.specPremise(c):
		return s, detail
	}
	return Note, detail + "; the input is " + map[corpus.Outcome]string{corpus.Reject: "malformed", corpus.Accept: "acceptable"}[c.Outcome] +
		" only by decisions: " + l.decisions(c) + " (a note unless --strict)"
}

// malformedBy names the requirement that makes a server-bound packet
// malformed, by the checking decoder's sentinel (the same requirements the
// corpus's n_ cases cite). The fuzzer's close oracle judges by its source.
var malformedBy = map[error]string{
	spec.ErrBadVersion:     "FRAME-2",
	spec.ErrNullAction:     "FRAME-12",
	spec.ErrUnknownAction:  "FRAME-12",
	spec.ErrWrongDirection: "FRAME-20",
	spec.ErrNullID:         "FRAME-16",
	spec.ErrInfoRequired:   "FRAME-15",
	spec.ErrInfoForbidden:  "FRAME-15",
	spec.ErrBadInfo:        "FRAME-15",
	spec.ErrArgCount:       "ARG-7",
	spec.ErrLenMismatch:    "FRAME-10",
	spec.ErrBadSeparator:   "FRAME-7",
	spec.ErrArgTooLong:     "ARG-2",
	spec.ErrSplit:          "ARG-10",
}

// malformedReq is the requirement a decoder error on payload violates: a
// payload without its final CRLF breaks FRAME-6 (the specification's),
// other split errors ARG-10.
func malformedReq(err error, payload []byte) string {
	if errors.Is(err, spec.ErrSplit) && !bytes.HasSuffix(payload, []byte("\r\n")) {
		return "FRAME-6"
	}
	for sentinel, id := range malformedBy {
		if errors.Is(err, sentinel) {
			return id
		}
	}
	return ""
}

// decisionOnly: the requirement exists and rests on a decision of this
// project, not on the original specification. An unknown requirement
// counts as the specification's (the finding stays).
func decisionOnly(reg *registry.Registry, id string) bool {
	r, ok := reg.Get(id)
	return ok && r.Source == registry.SourceDecision
}
