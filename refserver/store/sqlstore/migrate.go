package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrationFS embed.FS

// migration is one numbered schema step.
type migration struct {
	version int
	name    string
	stmts   []string
}

// loadMigrations reads the embedded steps of one dialect in version order.
// File names start with the version number ("0001_init.sql"); versions must
// run 1, 2, 3, ... without gaps so "newer than known" is well defined.
func loadMigrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		if !ok || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("sqlstore: bad migration file name %s/%s", dir, e.Name())
		}
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: bad migration file name %s/%s", dir, e.Name())
		}
		text, err := fs.ReadFile(migrationFS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), stmts: splitStatements(string(text))})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("sqlstore: migrations for %s are not numbered 1..n (found %s)", dialect, m.name)
		}
	}
	return ms, nil
}

// splitStatements splits a migration file into statements. Statements end
// with a semicolon at the end of a line and "--" lines are comments; our
// migrations contain no string literals with semicolons, so this is enough
// and avoids enabling multi-statement mode in the MySQL driver.
func splitStatements(text string) []string {
	var stmts []string
	var cur strings.Builder
	for line := range strings.SplitSeq(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			stmts = append(stmts, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		stmts = append(stmts, s)
	}
	return stmts
}

// SchemaVersion is the newest schema version this binary knows for each
// dialect; a database reporting a higher version is refused.
func SchemaVersion(dialect string) (int, error) {
	ms, err := loadMigrations(dialect)
	if err != nil {
		return 0, err
	}
	return len(ms), nil
}

// migrate brings the database on conn up to the newest known version. Each
// step runs in a transaction together with its schema_version row; MariaDB
// commits DDL implicitly, so every statement is also written to be
// idempotent (IF NOT EXISTS) and a step interrupted halfway is simply re-run.
func migrate(ctx context.Context, conn *sql.Conn, d *dialect) error {
	ms, err := loadMigrations(d.name)
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version INTEGER NOT NULL PRIMARY KEY,
		applied BIGINT  NOT NULL
	)`); err != nil {
		return fmt.Errorf("sqlstore: create schema_version: %w", err)
	}
	var cur sql.NullInt64
	if err := conn.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_version`).Scan(&cur); err != nil {
		return fmt.Errorf("sqlstore: read schema version: %w", err)
	}
	if int(cur.Int64) > len(ms) {
		return fmt.Errorf("sqlstore: database schema version %d is newer than this binary supports (%d); upgrade the server",
			cur.Int64, len(ms))
	}
	for _, m := range ms[cur.Int64:] {
		if err := applyMigration(ctx, conn, m); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, conn *sql.Conn, m migration) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, stmt := range m.stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("sqlstore: migration %s: %w", m.name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, applied) VALUES (?, ?)`,
		m.version, time.Now().Unix()); err != nil {
		return fmt.Errorf("sqlstore: migration %s: record version: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: migration %s: commit: %w", m.name, err)
	}
	return nil
}
