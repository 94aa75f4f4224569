package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

var sqliteDialect = &dialect{
	name: "sqlite",
	upsertSetting: `INSERT INTO settings (name, content) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET content = excluded.content`,
	isUnique: func(err error) bool {
		var e *sqlite.Error
		if !errors.As(err, &e) {
			return false
		}
		return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	},
}

// sqliteParams apply to every pooled connection: writers wait for each other
// instead of failing with SQLITE_BUSY, transactions take the write lock up
// front (so a read-then-write transaction can never fail to upgrade), and
// foreign keys are enforced.
const sqliteParams = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate"

// OpenSQLite opens (creating if needed) the SQLite database at path and
// migrates it. path ":memory:" gives a private in-memory database.
//
// An in-memory database lives in one connection, so the pool is limited to
// exactly that connection, kept forever; goroutines take turns on it, which
// is correct under any concurrency (a shared-cache database would instead
// fail concurrent writers with SQLITE_LOCKED). A file database uses WAL so
// readers do not block the writer, with a pool of connections.
func OpenSQLite(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlstore: empty SQLite path")
	}
	memory := path == ":memory:"
	dsn := path + "?" + sqliteParams
	if !memory {
		// synchronous FULL is SQLite's default; it is named because the
		// server's OK means durable: every commit syncs the WAL.
		dsn += "&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	if memory {
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
	}
	return open(ctx, db, sqliteDialect)
}
