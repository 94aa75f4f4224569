package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/gochatproto/gochat/conformance/result"
)

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Name    string       `xml:"name,attr"`
	Tests   int          `xml:"tests,attr"`
	Fails   int          `xml:"failures,attr"`
	Errors  int          `xml:"errors,attr"`
	Skipped int          `xml:"skipped,attr"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name    string      `xml:"name,attr"`
	Tests   int         `xml:"tests,attr"`
	Fails   int         `xml:"failures,attr"`
	Errors  int         `xml:"errors,attr"`
	Skipped int         `xml:"skipped,attr"`
	Cases   []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name       string          `xml:"name,attr"`
	Classname  string          `xml:"classname,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Failure    *junitMessage   `xml:"failure,omitempty"`
	Error      *junitMessage   `xml:"error,omitempty"`
	Skipped    *junitMessage   `xml:"skipped,omitempty"`
	SystemOut  string          `xml:"system-out,omitempty"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Body    string `xml:",chardata"`
}

// JUnit writes one testsuite per first tag and one testcase per scenario
// (classname = requirement IDs), with the transcript in system-out.
func JUnit(w io.Writer, rs []*result.Result, in Info) error {
	top := junitSuites{Name: "gochat-conformance"}
	index := map[string]int{}
	for _, r := range rs {
		tag := "untagged"
		if len(r.Tags) > 0 {
			tag = r.Tags[0]
		}
		i, ok := index[tag]
		if !ok {
			i = len(top.Suites)
			index[tag] = i
			top.Suites = append(top.Suites, junitSuite{Name: tag})
		}
		s := &top.Suites[i]
		c := junitCaseFor(r, in)
		s.Tests++
		top.Tests++
		switch {
		case c.Failure != nil:
			s.Fails++
			top.Fails++
		case c.Error != nil:
			s.Errors++
			top.Errors++
		case c.Skipped != nil:
			s.Skipped++
			top.Skipped++
		}
		s.Cases = append(s.Cases, c)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(top); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func junitCaseFor(r *result.Result, in Info) junitCase {
	c := junitCase{Name: r.ID, Classname: strings.Join(r.Requirements, ","),
		Time: fmt.Sprintf("%.3f", r.Duration.Seconds()),
		Properties: []junitProperty{{"level", string(r.Level)}, {"source", firstOr(r.Source, result.SourceSpec)},
			{"verdict", r.Label()}, {"warnings", fmt.Sprint(len(r.Warnings))}, {"notes", fmt.Sprint(len(r.Notes))},
			{"seed", fmt.Sprint(r.Seed)}, {"rerun", r.Rerun}}}
	var b strings.Builder
	for _, f := range r.Warnings {
		failureLines(&b, "warning", f, in)
	}
	for _, f := range r.Notes {
		failureLines(&b, "note", f, in)
	}
	WriteTranscript(&b, r.Transcript, "")
	c.SystemOut = b.String()
	switch r.Verdict {
	case result.Fail, result.Crash:
		var d strings.Builder
		Detail(&d, r, in)
		msg := r.Label() + ": " + r.Reason
		if len(r.Failures) > 0 {
			msg = r.Failures[0].Message
		}
		c.Failure = &junitMessage{Message: msg, Body: d.String()}
	case result.Error:
		c.Error = &junitMessage{Message: r.Label() + ": " + r.Reason}
	case result.Skip:
		c.Skipped = &junitMessage{Message: r.Label() + ": " + r.Reason}
	case result.XFail:
		c.Skipped = &junitMessage{Message: "expected failure: " + r.Reason}
	}
	return c
}
