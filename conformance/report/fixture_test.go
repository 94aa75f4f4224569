package report

import (
	"encoding/json"
	"github.com/gochatproto/gochat/conformance/load"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance/registry"
	"github.com/gochatproto/gochat/conformance/result"
)

// hostileMOTD is what a hostile server might greet with: markup that
// would run if a report pasted it unescaped.
const hostileMOTD = `"welcome <script>window.pwned=1;document.title='pwned'</script><img src=x onerror="window.pwned=2">"`

// fixtureRun is a run with every verdict the reports draw: passes, MUST
// failures with expected/actual, a crash, skips, a warning, an error and
// a MOTD carrying markup.
func fixtureRun(t testing.TB) ([]*result.Result, Info) {
	t.Helper()
	reg, err := registry.Embedded()
	require.NoError(t, err)
	hello := result.Event{Conn: "a", Dir: result.Recv, Header: "v1 HELLO info=0 args=1 len=90 id=0 rsv=0xFFFF",
		Args: []string{hostileMOTD}, Hex: "11"}
	rerun := func(id string) string {
		return "gochat-conformance server --addr 127.0.0.1:9037 --run '^" + id + "$' --seed 42"
	}
	rs := []*result.Result{
		{ID: "CONN-tcp", Role: "server", Title: "plain TCP works", Level: result.Must, Requirements: []string{"CONN-1"},
			Verdict: result.Pass, Transcript: []result.Event{{Conn: "a", Dir: result.Note, Note: "connect"}, hello},
			Duration: 20 * time.Millisecond, Rerun: rerun("CONN-tcp")},
		{ID: "REG-ok", Role: "server", Title: "REG of a new name succeeds", Level: result.Must,
			Requirements: []string{"REG-1"}, Verdict: result.Pass, Rerun: rerun("REG-ok"), Transcript: []result.Event{hello},
			Notes: []result.Failure{{Level: result.Must, Pos: "server/reg.yaml:30:7", Step: "expect", Conn: "a",
				Requirements: []string{"REG-2"}, Source: result.SourceDecision, Message: "wrong error code",
				Expected: "ERR_EXISTS", Actual: "ERR_UNDEFINED"}}},
		{ID: "REG-dup", Role: "server", Title: "REG of a taken name gets ERR", Level: result.Must,
			Requirements: []string{"REG-1"}, Verdict: result.Fail, Rerun: rerun("REG-dup"),
			Failures: []result.Failure{{Level: result.Must, Pos: "server/reg.yaml:12:7", Step: "expect", Conn: "b",
				Source: "spec", Message: "wrong reply to REG", Expected: "ERR (any code)",
				Actual: "OK id=3 args=1 | " + hostileMOTD}},
			NotRun: []result.NotRun{{Pos: "server/reg.yaml:15:7", Step: "expect", Requirements: []string{"REG-3"}}},
			Transcript: []result.Event{{Conn: "b", Dir: result.Note, Note: "connect"}, hello,
				{Conn: "b", Dir: result.Send, Header: "v1 REG info=0 args=2 len=40 id=3 rsv=0xFFFF", Args: []string{`"alice"`}},
				{Conn: "b", Dir: result.Recv, Header: "v1 OK info=0 args=0 len=0 id=3 rsv=0xFFFF"}},
			Duration: 130 * time.Millisecond},
		{ID: "FRAME-reserved", Role: "server", Title: "Reserved is 0xFFFF", Level: result.Must,
			Requirements: []string{"FRAME-3"}, Verdict: result.Crash, Reason: "the server no longer answers after FRAME-reserved: no HELLO within 2s; last packets sent: a -> v1 KEEP info=0 args=0 len=0 id=0 rsv=0x0000 [1000000000000000...]",
			Rerun: rerun("FRAME-reserved"), Transcript: []result.Event{{Conn: "a", Dir: result.Send, Header: "v1 KEEP"}}},
		{ID: "CONN-keep", Role: "server", Title: "KEEP keeps a connection open", Level: result.Should,
			Requirements: []string{"CONN-2"}, Verdict: result.Warn, Rerun: rerun("CONN-keep"),
			Warnings: []result.Failure{{Level: result.Should, Step: "expect", Message: "closed early", Source: "spec"}}},
		{ID: "CONN-tls", Role: "server", Title: "TLS works", Level: result.Must, Requirements: []string{"CONN-1"},
			Verdict: result.Skip, Reason: "needs tls (--tls-addr)", Rerun: rerun("CONN-tls")},
		{ID: "LOGIN-ok", Role: "server", Title: "LOGIN then VERIF", Level: result.Must, Requirements: []string{"LOGIN-1"},
			Verdict: result.Skip, Kind: result.KindServerDown, Rerun: rerun("LOGIN-ok")},
		{ID: "MSG-online", Role: "server", Title: "MSG reaches an online user", Level: result.Must,
			Requirements: []string{"MSG-1"}, Verdict: result.Error, Kind: result.KindPrecondition,
			Reason: "setup REG refused: key in use", Rerun: rerun("MSG-online")},
	}
	return rs, Info{Registry: reg, Role: "server", Seed: 42, Target: "127.0.0.1:9037", Dialect: "spec", Level: "all",
		Version: "v0.0.0-test", Start: time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC), Duration: 3 * time.Second}
}

func itoa(n int) string { return strconv.Itoa(n) }

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// fixtureComparison is three implementations' runs of the same scenarios:
// two that agree except for a dialect skip, and a broken one.
func fixtureComparison(t testing.TB) []Labeled {
	t.Helper()
	rs, in := fixtureRun(t)
	good := make([]*result.Result, 0, len(rs))
	for _, r := range rs {
		c := *r
		c.Verdict, c.Kind, c.Reason, c.Failures, c.Warnings = result.Pass, "", "", nil, nil
		good = append(good, &c)
	}
	g1 := make([]*result.Result, 0, len(good))
	for _, r := range good {
		c := *r
		if c.ID == "CONN-tls" {
			c.Verdict, c.Reason = result.Skip, "only for dialect spec"
		}
		g1 = append(g1, &c)
	}
	info := func(target, dialect string) Info {
		i := in
		i.Target, i.Dialect = target, dialect
		return i
	}
	return []Labeled{
		{Label: "reference (spec)", Run: &Run{Info: info("embedded reference server", "spec"), Results: good}},
		{Label: "reference (gochat1)", Run: &Run{Info: info("embedded reference server", "gochat1"), Results: g1}},
		{Label: "broken", Run: &Run{Info: in, Results: rs}},
	}
}

// fixtureLoad is two load runs, before and after a change.
func fixtureLoad() []LoadRun {
	lat := func(name string, p50 time.Duration) load.Latency {
		return load.Latency{Name: name, Summary: load.Summary{Count: 5000, Min: p50 / 3, Mean: p50 * 12 / 10, P50: p50,
			P90: p50 * 3, P99: p50 * 9, P999: p50 * 30, Max: p50 * 80}}
	}
	run := func(target string, f float64) []*load.Result {
		return []*load.Result{
			{Profile: "online", Target: target, Elapsed: 10 * time.Second, Ops: int64(412000 * f), Unit: "msgs",
				Rate: 41200 * f, Latency: []load.Latency{lat("MSG→RECIV", time.Duration(float64(180*time.Microsecond)/f))}},
			{Profile: "login", Target: target, Elapsed: 10 * time.Second, Ops: int64(9100 * f), Unit: "logins",
				Rate: 910 * f, Latency: []load.Latency{lat("LOGIN→VERIF→OK", time.Duration(float64(2*time.Millisecond)/f))},
				Errors: map[string]int64{"ERR_LIMIT": 3}},
			{Profile: "conns", Target: target, Elapsed: 5 * time.Second, Ops: 10000, Unit: "conns", Rate: 2000 * f,
				Figures: map[string]float64{"rss_per_conn_kib": 11.5 / f}},
		}
	}
	return []LoadRun{{Label: "before", Results: run("refserver/sqlite", 1)}, {Label: "after", Results: run("refserver/sqlite", 1.6)}}
}

// fixtureTimeline is an explorer finding: two actors log in to one
// account at once and both get a session.
func fixtureTimeline() Timeline {
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	return Timeline{Title: "explore finding (seed 9)", Rerun: "gochat-conformance explore --replay findings/explore-9.json",
		Violations: []TimelineViolation{{Invariant: "one session per account", Source: "spec", Ref: "Login",
			Detail: "actor 1, op 3: LOGIN+VERIF succeeded while a0c0 still held the session of alice", Seqs: []int{4, 6}}},
		Plan:    []string{"#0 a0/c0 register", "#1 a1/c0 register", "#2 a0/c0 login", "#3 a1/c0 login peer=0"},
		Columns: []string{"a0", "a1", "observer"},
		Rows: []TimelineRow{
			{Seq: 1, At: ms(0.2), Column: 0, Kind: "call", Text: "call a0c0 LOGIN alice"},
			{Seq: 2, At: ms(0.3), Column: 1, Kind: "call", Text: "call a1c0 LOGIN alice"},
			{Seq: 3, At: ms(1.1), Column: 0, Kind: "reply", Text: "reply a0c0 OK"},
			{Seq: 4, At: ms(1.2), Column: 1, Kind: "reply", Text: "reply a1c0 OK"},
			{Seq: 5, At: ms(1.9), Column: 2, Kind: "call", Text: "call o0 USRS"},
			{Seq: 6, At: ms(2.4), Column: 2, Kind: "reply", Text: "reply o0 OK (alice listed twice)"},
			{Seq: 7, At: ms(3.0), Column: 0, Kind: "phase", Text: "phase (quiescent)"},
		}}
}
