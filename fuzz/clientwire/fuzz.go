package clientwire

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/spec"
)

// FuzzConfig bounds a fuzzing run.
type FuzzConfig struct {
	Config
	Cases       int           // mutated sessions at most (default 100)
	Time        time.Duration // wall-clock budget (default 2 minutes)
	MaxFindings int           // stop after this many findings (default 5)
	// Seeds are the sessions to mutate (nil: the corpus's y_ and i_ cases).
	Seeds []*Case
	// Mutations restricts the mutations by name (nil: all).
	Mutations []string
	Log       io.Writer // progress lines; nil: none
	Verbose   bool      // log every session, not only findings
}

// Finding is a session after which the client died or stopped answering,
// minimised into a client scenario that reproduces it.
type Finding struct {
	// Kind is "crash" (the adapter exited), "hang" (no answer to the
	// liveness probe) or "false-report" (an event reported for a packet
	// the mutation made malformed).
	Kind     string
	Mutation string
	Scenario []byte
}

// A session is the lines of a seed with the login as ordinary steps, so
// that its replies can be mutated too; only the connect is setup.
type session struct {
	id    string
	reqs  string
	lines []string
	own   int // index of the seed's own first step (after the login)
}

// render closes the session's connection before the liveness probe, so
// that a command left waiting for a reply the mutation spoilt completes
// (CLIENT-32) instead of holding up the probe's connect.
func (s *session) render(steps, checks []string) []byte {
	tail := append(append(append([]string(nil), checks...), "disconnect: c"), livenessLines...)
	return render(s.id, "hostile-server session (fuzz --role client)", s.reqs, false,
		append(append([]string(nil), steps...), tail...))
}

// falseReportChecks follow a packet the mutation made malformed, when no
// earlier packet of the session could have caused a report: the client
// must not report a message, hook or shutdown for it (it closes, CLIENT-8).
var falseReportChecks = []string{"expect_event: {event: message, absent: true, within: 500ms}",
	"expect_event: {event: hook, absent: true, within: 1ms}", "expect_event: {event: shutdown, absent: true, within: 1ms}"}

// pushes carry the null ID and at least one argument.
var pushes = map[string]bool{"HELLO": true, "SHTDWN": true, "HOOK": true, "RECIV": true}

// malformedBy reports whether mutation m surely makes a packet of action
// a malformed (CLIENT-28, CLIENT-8); random Info, action and Reserved
// values and emptied arguments may leave it legal.
func malformedBy(m, a string) bool {
	switch m {
	case "version-2":
		return true
	case "id-7", "no-args", "drop-last-arg", "extra-arg":
		return pushes[a]
	case "id-0":
		return replies[a] && a != "ERR"
	}
	return false
}

// mutation rewrites the send_raw body of a step.
type mutation struct {
	name  string
	apply func(r *rand.Rand, raw map[string]any)
}

var serverActions = []string{"HELLO", "OK", "ERR", "VERIF", "REQ", "USRS", "RECIV", "HOOK", "SHTDWN", "0", "19", "255"}

var mutations = []mutation{
	{"no-args", func(_ *rand.Rand, raw map[string]any) { raw["args"] = []any{} }},
	{"drop-last-arg", func(_ *rand.Rand, raw map[string]any) {
		if a := args(raw); len(a) > 0 {
			raw["args"] = a[:len(a)-1]
		}
	}},
	{"empty-arg", func(r *rand.Rand, raw map[string]any) {
		if a := args(raw); len(a) > 0 {
			a[r.Intn(len(a))] = ""
		}
	}},
	{"extra-arg", func(_ *rand.Rand, raw map[string]any) { raw["args"] = append(args(raw), "x") }},
	{"id-7", func(_ *rand.Rand, raw map[string]any) { header(raw)["id"] = 7 }},
	{"id-0", func(_ *rand.Rand, raw map[string]any) { header(raw)["id"] = 0 }},
	{"version-2", func(_ *rand.Rand, raw map[string]any) { header(raw)["version"] = 2 }},
	{"info", func(r *rand.Rand, raw map[string]any) { header(raw)["info"] = strconv.Itoa(r.Intn(256)) }},
	{"action", func(r *rand.Rand, raw map[string]any) {
		h := header(raw)
		numericInfo(h) // an info name belongs to the old action
		h["action"] = serverActions[r.Intn(len(serverActions))]
	}},
	{"reserved", func(r *rand.Rand, raw map[string]any) { header(raw)["reserved"] = r.Intn(1 << 16) }},
}

// numericInfo replaces an info name (HOOK_NEWLOGIN) by its number, as
// read for the header's current action.
func numericInfo(h map[string]any) {
	name, isText := h["info"].(string)
	if !isText {
		return
	}
	a, err := spec.ParseAction(fmt.Sprint(h["action"]))
	if err != nil {
		return
	}
	if v, err := scenario.ParseInfo(a, name); err == nil {
		h["info"] = strconv.Itoa(int(v))
	}
}

func args(raw map[string]any) []any {
	a, _ := raw["args"].([]any)
	return a
}

func header(raw map[string]any) map[string]any {
	h, _ := raw["header"].(map[string]any)
	if h == nil {
		h = map[string]any{}
		raw["header"] = h
	}
	return h
}

// replies are the actions whose default ID is the last request's.
var replies = map[string]bool{"OK": true, "ERR": true, "VERIF": true, "REQ": true, "USRS": true}

// toRaw turns a send or send_raw step line into a send_raw body; ok false
// for other steps.
func toRaw(line string) (map[string]any, bool) {
	var step map[string]map[string]any
	if yaml.Unmarshal([]byte(line), &step) != nil {
		return nil, false
	}
	if raw, isRaw := step["send_raw"]; isRaw && raw["header"] != nil {
		return raw, true
	}
	s, isSend := step["send"]
	if !isSend {
		return nil, false
	}
	h := map[string]any{"action": s["action"]}
	if info, given := s["info"]; given {
		h["info"] = info
	}
	switch id, given := s["id"]; {
	case given:
		h["id"] = id
	case replies[fmt.Sprint(s["action"])]:
		h["id"] = "$req"
	default:
		h["id"] = 0
	}
	raw := map[string]any{"header": h}
	if a, given := s["args"]; given {
		raw["args"] = a
	} else {
		raw["args"] = []any{}
	}
	if c, given := s["chunked"]; given {
		raw["chunked"] = c
	}
	return raw, true
}

// rawLine writes a send_raw step on one line. JSON is YAML flow syntax,
// and it escapes line breaks inside strings where YAML would fold them
// into a block.
func rawLine(raw map[string]any) (string, error) {
	b, err := json.Marshal(map[string]any{"send_raw": raw})
	return string(b), err
}

// Fuzz plays a hostile server: it replays seed sessions with one of the
// server's packets mutated, checks after each that the client's adapter
// still runs and answers, and minimises each finding.
func Fuzz(ctx context.Context, fc FuzzConfig) ([]Finding, int, error) {
	fc.defaults()
	seeds, err := fc.sessions()
	if err != nil {
		return nil, 0, err
	}
	muts := fc.mutationList()
	r, err := newRunner(fc.Config)
	if err != nil {
		return nil, 0, err
	}
	rng := rand.New(rand.NewSource(fc.Seed))
	deadline := time.Now().Add(fc.Time)
	var found []Finding
	seen := map[string]bool{} // minimised findings, to report each once
	n := 0
	for n < fc.Cases && time.Now().Before(deadline) && len(found) < fc.MaxFindings && ctx.Err() == nil {
		s := seeds[rng.Intn(len(seeds))]
		steps, name, checks, ok := mutate(rng, s, muts)
		if !ok {
			continue
		}
		n++
		kind := r.probe(ctx, s, steps, checks, n)
		if fc.Verbose {
			logf(fc.Log, "fuzz: session %d %s %s: %s -> %q", n, s.id, name, steps[len(steps)-1], kind)
		}
		if kind == "" {
			continue
		}
		logf(fc.Log, "fuzz: session %d (%s, %s): %s; minimising", n, s.id, name, kind)
		shrunk := r.minimise(ctx, s, steps, checks, kind, n)
		key := kind + "\n" + strings.Join(shrunk, "\n")
		if seen[key] {
			continue
		}
		seen[key] = true
		found = append(found, Finding{Kind: kind, Mutation: name, Scenario: s.render(shrunk, checks)})
	}
	return found, n, nil
}

func (fc *FuzzConfig) defaults() {
	if fc.Cases <= 0 {
		fc.Cases = 100
	}
	if fc.Time <= 0 {
		fc.Time = 2 * time.Minute
	}
	if fc.MaxFindings <= 0 {
		fc.MaxFindings = 5
	}
}

func (fc *FuzzConfig) sessions() ([]*session, error) {
	seeds := fc.Seeds
	if seeds == nil {
		all, err := LoadCases(nil)
		if err != nil {
			return nil, err
		}
		for _, c := range all {
			if c.Outcome != Reject {
				seeds = append(seeds, c)
			}
		}
	}
	var out []*session
	for _, c := range seeds {
		lines := append([]string(nil), c.Steps...)
		if c.Login {
			lines = append(setupLines(true)[3:], lines...)
		}
		out = append(out, &session{id: "FUZZ-client-" + strings.ReplaceAll(c.Name, "_", "-"), reqs: "[CLIENT-8]",
			lines: lines, own: len(lines) - len(c.Steps)})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no seed sessions")
	}
	return out, nil
}

func (fc *FuzzConfig) mutationList() []mutation {
	if fc.Mutations == nil {
		return mutations
	}
	var out []mutation
	for _, m := range mutations {
		for _, want := range fc.Mutations {
			if m.name == want {
				out = append(out, m)
			}
		}
	}
	return out
}

// mutate picks one server packet of s and mutates it; the steps after it
// are dropped (the script no longer applies).
func mutate(rng *rand.Rand, s *session, muts []mutation) (steps []string, name string, checks []string, ok bool) {
	var sends []int
	for i, l := range s.lines {
		if strings.HasPrefix(l, "send") {
			sends = append(sends, i)
		}
	}
	if len(sends) == 0 || len(muts) == 0 {
		return nil, "", nil, false
	}
	// Three times in four the packet is one of the seed's own (a push or a
	// reply after the login), else any, the login's included.
	pool := sends
	if own := slices.DeleteFunc(slices.Clone(sends), func(i int) bool { return i < s.own }); len(own) > 0 && rng.Intn(4) > 0 {
		pool = own
	}
	i := pool[rng.Intn(len(pool))]
	raw, ok := toRaw(s.lines[i])
	if !ok {
		return nil, "", nil, false
	}
	action := fmt.Sprint(header(raw)["action"])
	m := muts[rng.Intn(len(muts))]
	m.apply(rng, raw)
	line, err := rawLine(raw)
	if err != nil {
		return nil, "", nil, false
	}
	earlier := slices.ContainsFunc(s.lines[min(s.own, i):i], func(l string) bool { return strings.HasPrefix(l, "send") })
	if malformedBy(m.name, action) && !earlier {
		checks = falseReportChecks
	}
	return append(append([]string(nil), s.lines[:i]...), line), m.name, checks, true
}

var posLine = regexp.MustCompile(`:(\d+):\d+$`)

// probe runs one session and returns the finding kind ("" for none): the
// adapter died (crash) or the liveness probe after the session failed
// (hang). What the client did with the mutated packet is not judged.
func (r *runner) probe(ctx context.Context, s *session, steps, checks []string, n int) string {
	doc := s.render(steps, checks)
	sc, err := r.parse(fmt.Sprintf("fuzz-%d.yaml", n), doc)
	if err != nil {
		return "" // a mutation the scenario format cannot express
	}
	rs := r.run(ctx, []*scenario.Scenario{sc})
	if len(rs) == 0 {
		return ""
	}
	res := rs[0]
	if res.Verdict == result.Crash {
		return "crash"
	}
	// The document ends with the checks, the disconnect and the liveness
	// probe.
	probeFrom := strings.Count(string(doc), "\n") - len(livenessLines) + 1
	checksFrom := probeFrom - 1 - len(checks)
	// Every failed check counts, whatever its level and source: a finding
	// is what the client did, and the scenario it becomes says which
	// requirement it breaks.
	kind := ""
	for _, f := range slices.Concat(res.Failures, res.Warnings, res.Notes) {
		if m := posLine.FindStringSubmatch(f.Pos); m != nil {
			switch ln, _ := strconv.Atoi(m[1]); {
			case ln >= probeFrom:
				return "hang"
			case ln >= checksFrom && ln < checksFrom+len(checks):
				kind = "false-report"
			}
		}
	}
	return kind
}

// minimise drops blocks of steps before the mutated one (the last) while
// the finding still reproduces, largest blocks first; at most 40 runs.
func (r *runner) minimise(ctx context.Context, s *session, steps, checks []string, kind string, n int) []string {
	runs := 0
	for size := len(steps) - 1; size >= 1 && runs < 40; size-- {
		for start := 0; start+size <= len(steps)-1 && runs < 40; {
			try := append(append([]string(nil), steps[:start]...), steps[start+size:]...)
			runs++
			if r.probe(ctx, s, try, checks, n*1000+runs) == kind {
				steps = try
				continue
			}
			start++
		}
		if size > len(steps)-1 {
			size = len(steps)
		}
	}
	return steps
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}
