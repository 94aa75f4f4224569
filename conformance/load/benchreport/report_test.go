package benchreport

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance/load"
	"github.com/gochatproto/gochat/conformance/report"
	"github.com/gochatproto/gochat/internal/mariadbtest"
	"github.com/gochatproto/gochat/internal/testserver"
	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/refserver/store/sqlstore"
)

var (
	reportPath = flag.String("report", "", "write the benchmark report into this markdown file (between the generated markers)")
	goBench    = flag.String("gobench", "", "include this go test -bench output in the report")
	quick      = flag.Bool("quick", false, "short runs (for trying the report out)")
	only       = flag.String("only", "", "comma-separated step names to run (default all)")
	cpuProf    = flag.String("cpuprofile", "", "write a CPU profile of the whole report run")
	jsonPath   = flag.String("json", "", "also write all results as JSON")
	htmlPath   = flag.String("html", "", "also draw all results as charts in this HTML file (one series per target)")
)

func TestMain(m *testing.M) { mariadbtest.Main(m) }

// backend opens one store kind for a step.
type backend struct {
	name string
	open func(t *testing.T) store.Store
}

func backends() []backend {
	return []backend{
		{"sqlite", func(t *testing.T) store.Store {
			st, err := sqlstore.OpenSQLite(context.Background(), t.TempDir()+"/bench.db")
			require.NoError(t, err)
			return st
		}},
		{"mariadb", func(t *testing.T) store.Store {
			st, err := sqlstore.OpenMariaDB(context.Background(), mariadbtest.DSN(t))
			require.NoError(t, err)
			return st
		}},
	}
}

// startRef starts the reference server in-process on loopback.
func startRef(t *testing.T, st store.Store) string {
	t.Helper()
	return testserver.Start(t, testserver.WithStore(st), testserver.WithShutdownTimeout(30*time.Second)).Addr()
}

// step is one measurement: a profile with options.
type step struct {
	name    string
	profile string
	mut     func(*load.Options)
	stores  []string // backends to run on; nil = the stub only
}

func steps(q bool) []step {
	dur := 10 * time.Second
	if q {
		dur = 2 * time.Second
	}
	// Both ends of every connection live in this process, so 10,000
	// connections need 20,000+ descriptors; stay under the hard limit.
	conns := connsFor(10000)
	msgs := 10000
	if q {
		conns, msgs = 2000, 2000
	}
	both := []string{"sqlite", "mariadb"}
	return []step{
		{"online-w16", "online", func(o *load.Options) { o.Pairs, o.Window, o.Duration = 16, 16, dur }, both},
		{"online-w1", "online", func(o *load.Options) { o.Pairs, o.Window, o.Duration = 16, 1, dur }, both},
		{"login", "login", func(o *load.Options) { o.Logins, o.Duration = 4, dur }, both},
		{"catchup", "catchup", func(o *load.Options) { o.Messages, o.Count, o.Duration = msgs, 3, 0 }, both},
		{"offline", "offline", func(o *load.Options) { o.Pairs, o.Window, o.Duration = 16, 64, dur }, both},
		{"conns", "conns", func(o *load.Options) { o.Conns, o.Hold, o.Duration = conns, 2*time.Second, time.Minute }, []string{"sqlite"}},
		{"stub-online-w16", "online", func(o *load.Options) { o.Pairs, o.Window, o.Duration = 16, 16, dur }, nil},
		{"stub-online-w1", "online", func(o *load.Options) { o.Pairs, o.Window, o.Duration = 16, 1, dur }, nil},
		{"stub-login", "login", func(o *load.Options) { o.Logins, o.Duration = 4, dur }, nil},
		{"stub-conns", "conns", func(o *load.Options) { o.Conns, o.Hold, o.Duration = conns, 2*time.Second, time.Minute }, nil},
	}
}

func connsFor(want int) int {
	limit, _ := load.RaiseFileLimit(uint64(2*want + 256))
	return max(100, min(want, (int(limit)-300)/2))
}

func selected(name string) bool {
	if *only == "" {
		return true
	}
	for _, s := range strings.Split(*only, ",") {
		if strings.TrimSpace(s) == name {
			return true
		}
	}
	return false
}

func TestBenchReport(t *testing.T) {
	if *reportPath == "" && *jsonPath == "" && *htmlPath == "" && *only == "" {
		t.Skip("no -report: benchmark report not requested")
	}
	if *cpuProf != "" {
		f, err := os.Create(*cpuProf)
		require.NoError(t, err)
		require.NoError(t, pprof.StartCPUProfile(f))
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	var results []*load.Result
	for _, s := range steps(*quick) {
		if !selected(s.name) {
			continue
		}
		o := load.DefaultOptions()
		o.InProcess = true
		o.Warmup = time.Second
		if *quick {
			o.Warmup = 200 * time.Millisecond
		}
		s.mut(&o)
		if s.stores == nil {
			stub, err := load.StartStub("127.0.0.1:0", 0)
			require.NoError(t, err)
			o.Addr = stub.Addr()
			results = append(results, run(t, s, o, "stub")...)
			stub.Close()
			continue
		}
		for _, b := range backends() {
			if !contains(s.stores, b.name) {
				continue
			}
			t.Run(s.name+"/"+b.name, func(t *testing.T) {
				o := o
				o.Addr = startRef(t, b.open(t))
				results = append(results, run(t, s, o, "ref/"+b.name)...)
			})
		}
	}
	var table bytes.Buffer
	require.NoError(t, load.WriteTable(&table, results))
	t.Log("\n" + table.String())
	if *jsonPath != "" {
		f, err := os.Create(*jsonPath)
		require.NoError(t, err)
		require.NoError(t, load.WriteJSON(f, results))
		require.NoError(t, f.Close())
	}
	if *reportPath != "" {
		require.NoError(t, writeReport(*reportPath, results, *goBench))
	}
	if *htmlPath != "" {
		f, err := os.Create(*htmlPath)
		require.NoError(t, err)
		require.NoError(t, report.LoadHTML(f, []report.LoadRun{{Results: results}}))
		require.NoError(t, f.Close())
	}
}

func run(t *testing.T, s step, o load.Options, label string) []*load.Result {
	t.Helper()
	runtime.GC()
	rs, err := load.Run(context.Background(), s.profile, o)
	require.NoError(t, err, s.name)
	for _, r := range rs {
		r.Target = label
		r.Profile = s.name
	}
	var b bytes.Buffer
	_ = load.WriteTable(&b, rs)
	fmt.Fprintf(os.Stderr, "%s", b.String())
	return rs
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
