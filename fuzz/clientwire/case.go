// Package clientwire tests gochat clients the way fuzz/corpus and
// fuzz/wire test servers: a corpus of outcome-named server-to-client
// cases replayed through the client's driver adapter, and a hostile
// server that mutates its replies and pushes within live sessions and
// shrinks each finding into a ready-to-run client scenario.
//
// Both build ordinary client scenarios (scenarios/client format) and run
// them with the one conformance engine, so framing checks, verdict
// levels, --strict and the crash verdict (the adapter died) are those of
// the client suite.
package clientwire

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Corpus is the committed client corpus.
//
//go:embed corpus/*.yaml
var Corpus embed.FS

// Outcome is what a conforming client must do with a case.
type Outcome byte

// Outcomes, from the file name prefix.
const (
	Accept  Outcome = 'y' // the connection stays open and the case's own checks hold
	Reject  Outcome = 'n' // the client closes the connection (CLIENT-8, CLIENT-28)
	ImplDef Outcome = 'i' // recorded, never a failure
)

// Case is one corpus file:
//
//	# description (leading comment lines)
//	requirements: [CLIENT-6]
//	before: login            (optional; default: right after HELLO)
//	steps:
//	  - send: {action: SHTDWN, args: [{stamp: 4102444800}]}
//	  - expect_event: {event: shutdown, at: "4102444800"}
//
// Every step is one line in YAML flow style, so that the fuzzer can
// mutate and drop steps as lines.
type Case struct {
	Name         string // file name without .yaml
	Outcome      Outcome
	Description  string
	Requirements string // the YAML list as written
	Login        bool
	Steps        []string // step lines without the leading "  - "
}

// LoadCases reads every *.yaml of fsys (nil: the embedded corpus), in name
// order.
func LoadCases(fsys fs.FS) ([]*Case, error) {
	dir := "."
	if fsys == nil {
		fsys, dir = Corpus, "corpus"
	}
	names, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []*Case
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		c, err := ParseCase(strings.TrimSuffix(path.Base(n), ".yaml"), b)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// ParseCase parses one case file.
func ParseCase(name string, data []byte) (*Case, error) {
	c := &Case{Name: name}
	if len(name) < 3 || name[1] != '_' || !strings.ContainsRune("yni", rune(name[0])) {
		return nil, fmt.Errorf("%s: the name must start with y_, n_ or i_", name)
	}
	c.Outcome = Outcome(name[0])
	sc := bufio.NewScanner(bytes.NewReader(data))
	inSteps := false
	for ln := 1; sc.Scan(); ln++ {
		line := strings.TrimRight(sc.Text(), " \t")
		switch {
		case line == "":
		case strings.HasPrefix(line, "#") && !inSteps:
			c.Description = strings.TrimSpace(c.Description + " " + strings.TrimSpace(line[1:]))
		case inSteps && strings.HasPrefix(line, "  - "):
			c.Steps = append(c.Steps, strings.TrimPrefix(line, "  - "))
		case strings.HasPrefix(line, "requirements: ") && !inSteps:
			c.Requirements = strings.TrimPrefix(line, "requirements: ")
		case line == "before: login" && !inSteps:
			c.Login = true
		case line == "steps:" && !inSteps:
			inSteps = true
		default:
			return nil, fmt.Errorf("%s.yaml:%d: unexpected line %q", name, ln, line)
		}
	}
	if c.Requirements == "" || c.Description == "" {
		return nil, fmt.Errorf("%s.yaml: a case needs a description and requirements", name)
	}
	return c, nil
}

// setupLines connect the client and, with login, log alice in.
func setupLines(login bool) []string {
	s := []string{"drive: {cmd: connect}", "accept: {}", "response: {}"}
	if login {
		s = append(s, "drive: {cmd: login, actor: alice}", "expect: {action: LOGIN}",
			`send: {action: VERIF, args: [{encrypt: {to: alice, text: "corpusChallenge"}}]}`,
			`expect: {action: VERIF, args: ["${alice.name}", "corpusChallenge"]}`,
			"send: {action: OK}", "response: {}")
	}
	return s
}

// livenessLines check that the adapter still runs the client: a new
// connection is made and its response comes (a dead adapter is verdict
// crash, a hung one a failure of these steps).
var livenessLines = []string{"drive: {cmd: connect}", "accept: {conn: live}", "response: {within: 5s}"}

// tail is what the outcome requires after the case's steps.
func (c *Case) tail() []string {
	switch c.Outcome {
	case Accept:
		return []string{"expect_none: {action: HELLO, for: 300ms}"}
	case Reject:
		// A rejected packet must not be reported as if it were valid.
		return []string{"expect_close: {within: 3s}", "expect_event: {event: message, absent: true, within: 100ms}",
			"expect_event: {event: hook, absent: true, within: 1ms}", "expect_event: {event: shutdown, absent: true, within: 1ms}"}
	}
	return nil
}

// Scenario renders the case as a client scenario, with its outcome's
// checks and the liveness probe at the end.
func (c *Case) Scenario() []byte {
	steps := append(append(append([]string(nil), c.Steps...), c.tail()...), livenessLines...)
	return render("CORPUS-"+strings.ReplaceAll(c.Name, "_", "-"), c.Description, c.Requirements, c.Login, steps)
}

// render writes a client scenario document.
func render(id, title, reqs string, login bool, steps []string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "id: %s\ntitle: %s\nrequirements: %s\nlevel: must\n", id, strconv.Quote(title), reqs)
	b.WriteString("actors: {alice: {}, bob: {}, carol: {}}\nsetup:\n")
	for _, s := range setupLines(login) {
		b.WriteString("  - " + s + "\n")
	}
	b.WriteString("steps:\n")
	for _, s := range steps {
		b.WriteString("  - " + s + "\n")
	}
	return b.Bytes()
}
