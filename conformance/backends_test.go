package conformance_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gochatproto/gochat/conformance"
	"github.com/gochatproto/gochat/conformance/report"
	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/conformance/target/embedded"
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
	ctx := context.Background()
	admin, owner := s.Accounts(1, "")
	tgt, err := embedded.New(ctx, embedded.Options{Admin: admin, Owner: owner, OpenStore: open})
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	// Strict: the reference server follows the project's decisions too.
	out, err := conformance.Run(ctx, conformance.Options{Suite: s, Target: tgt, Seed: 1, Strict: true,
		Label: "embedded reference server"})
	if err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv(reportDirEnv); dir != "" {
		writeJUnit(t, filepath.Join(dir, junitName), out.Results, out.Info)
	}
	for _, r := range out.Results {
		if r.Verdict != result.Pass {
			t.Errorf("%s: %s %s %+v %+v", r.ID, r.Label(), r.Reason, r.Failures, r.Warnings)
		}
	}
	t.Logf("%d scenarios run", len(out.Results))
}

func writeJUnit(t *testing.T, path string, rs []*result.Result, info report.Info) {
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
