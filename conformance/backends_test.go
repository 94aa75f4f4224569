package conformance_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gochatproto/gochat/conformance"
	"github.com/gochatproto/gochat/conformance/report"
	"github.com/gochatproto/gochat/conformance/runner"
	"github.com/gochatproto/gochat/internal/mariadbtest"
	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/refserver/store/sqlstore"
)

// TestMain stops the private mariadbd (if one was started) when the tests end.
func TestMain(m *testing.M) { mariadbtest.Main(m) }

// reportDirEnv names a directory where the backend runs leave JUnit files,
// so CI keeps a record of the suite on each storage backend.
const reportDirEnv = "GOCHAT_REPORT_DIR"

// TestSuiteOnSQLite runs the whole server suite against the reference
// server on its embedded default store.
func TestSuiteOnSQLite(t *testing.T) {
	runOnStore(t, "conformance-sqlite.xml", nil)
}

// TestSuiteOnMariaDB runs the whole server suite against the reference
// server on MariaDB: the production backend must pass the same suite.
func TestSuiteOnMariaDB(t *testing.T) {
	s := loadSuite(t)
	scs, err := s.Select(conformance.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Each server instance (the shared one and every fresh one) gets its own
	// database. They are created here, on the test goroutine, because the
	// runner opens stores from its worker goroutines, where a test may not
	// fail or skip. One per scenario plus the shared server is an upper bound.
	pool := make(chan string, len(scs)+1)
	for range cap(pool) {
		pool <- mariadbtest.DSN(t)
	}
	open := func(ctx context.Context) (store.Store, error) {
		select {
		case dsn := <-pool:
			return sqlstore.OpenMariaDB(ctx, dsn)
		default:
			return nil, errors.New("no MariaDB database left for another server instance")
		}
	}
	runOnStore(t, "conformance-mariadb.xml", open)
}

func runOnStore(t *testing.T, junitName string, open func(context.Context) (store.Store, error)) {
	if testing.Short() {
		t.Skip("runs the whole suite")
	}
	s := loadSuite(t)
	o := conformance.Options{Seed: 1, OpenStore: open}
	scs, err := s.Select(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tgt, err := conformance.NewTarget(ctx, o, s, "")
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	rs := runner.Run(ctx, scs, runner.Options{Target: tgt, Keys: s.Keys, Seed: o.Seed,
		Pool: runner.NewKeyPool(s.Keys)})
	info := report.Info{Registry: s.Registry, Seed: o.Seed, Target: "embedded reference server"}
	if dir := os.Getenv(reportDirEnv); dir != "" {
		writeJUnit(t, filepath.Join(dir, junitName), rs, info)
	}
	for _, r := range rs {
		if r.Verdict != runner.Pass {
			t.Errorf("%s: %s %s %+v", r.ID, r.Verdict, r.Reason, r.Failures)
		}
	}
	t.Logf("%d scenarios run", len(rs))
}

func writeJUnit(t *testing.T, path string, rs []*runner.Result, info report.Info) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := report.JUnit(f, rs, info); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("JUnit report: %s", path)
}
