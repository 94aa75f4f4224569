// Package mariadbtest gives tests a fresh, empty MariaDB database.
//
// DSN finds a server once per test binary, in this order:
//
//  1. GOCHAT_TEST_MARIADB_DSN, a server DSN such as "root@tcp(127.0.0.1:3306)/";
//  2. a mariadb:11 container, if a Docker engine answers;
//  3. a private mariadbd started from the local mariadb-server installation
//     (unix socket only, no networking, data in a temporary directory);
//  4. none: the test is skipped, or fails when CI=true, because a MariaDB
//     test silently skipped in CI would hide the backend's breakage.
//
// Each DSN call creates its own uniquely named database on that server and
// drops it when the test ends. Test binaries should call Main from TestMain
// so the private server or container is stopped when the tests finish; the
// private server also dies with the test binary if it is killed, and leftover
// data directories of dead test binaries are removed on the next start.
package mariadbtest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// EnvDSN names the environment variable holding an existing server's DSN.
const EnvDSN = "GOCHAT_TEST_MARIADB_DSN"

const installHint = "no MariaDB available: set " + EnvDSN + `="root@tcp(127.0.0.1:3306)/", ` +
	"start a Docker engine, or install mariadb-server (apt-get install mariadb-server; " +
	"brew install mariadb) so mariadbd and mariadb-install-db are found"

// server is the MariaDB every test in this binary shares.
type server struct {
	cfg   *mysql.Config // DBName empty
	admin *sql.DB
	via   string // which source provided it, for messages
	stop  func() // releases the server; nil if it is not ours
}

var (
	once    sync.Once
	shared  *server
	initErr error // a server was expected but failed to come up
	seq     atomic.Int64
)

// DSN returns a go-sql-driver DSN for a new, empty database of its own,
// dropped when tb ends.
func DSN(tb testing.TB) string {
	tb.Helper()
	once.Do(func() { shared, initErr = start() })
	if initErr != nil {
		tb.Fatalf("mariadbtest: %v", initErr)
	}
	if shared == nil {
		if os.Getenv("CI") == "true" {
			tb.Fatal("mariadbtest: " + installHint)
		}
		tb.Skip("mariadbtest: " + installHint)
	}
	name := fmt.Sprintf("gochat_test_%d_%d_%d", os.Getpid(), seq.Add(1), time.Now().UnixNano()%1_000_000)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := shared.admin.ExecContext(ctx, "CREATE DATABASE `"+name+"`"); err != nil {
		tb.Fatalf("mariadbtest: create database on %s: %v", shared.via, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := shared.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			tb.Errorf("mariadbtest: drop database %s: %v", name, err)
		}
	})
	cfg := shared.cfg.Clone()
	cfg.DBName = name
	return cfg.FormatDSN()
}

// Main runs the tests and then stops the server DSN started, if any. Use it
// as the body of TestMain: func TestMain(m *testing.M) { mariadbtest.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops the private server or container, if this binary started one.
// Later DSN calls fail.
func Stop() {
	once.Do(func() { initErr = fmt.Errorf("mariadbtest: used after Stop") })
	if shared != nil {
		shared.admin.Close()
		if shared.stop != nil {
			shared.stop()
		}
		shared = nil
		initErr = fmt.Errorf("mariadbtest: used after Stop")
	}
}

// start resolves the server. (nil, nil) means none is available.
func start() (*server, error) {
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvDSN, err)
		}
		cfg.DBName = ""
		return connect(cfg, EnvDSN, nil, 10*time.Second)
	}
	if s, err := startContainer(); s != nil || err != nil {
		return s, err
	}
	return startPrivate()
}

// connect opens the admin pool on cfg, retrying until timeout: a server
// just started may not accept connections yet.
func connect(cfg *mysql.Config, via string, stop func(), timeout time.Duration) (*server, error) {
	cfg = cfg.Clone()
	cfg.DBName = ""
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			return &server{cfg: cfg, admin: db, via: via, stop: stop}, nil
		}
		if time.Now().After(deadline) {
			db.Close()
			return nil, fmt.Errorf("%s did not accept connections within %v: %w", via, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
