package store

import (
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// t0 is the fixed clock of test stores.
var t0 = time.Unix(1_800_000_000, 0)

// newStore returns an in-memory store whose clock reads t0 plus *offset.
func newStore(t *testing.T) (*Store, *time.Duration) {
	t.Helper()
	s, err := Open(context.Background(), MemoryPath)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	var offset time.Duration
	s.now = func() time.Time { return t0.Add(offset) }
	return s, &offset
}

// withAccount adds server "srv" and account "alice" on it.
func withAccount(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, s.AddServer(ctx, Server{Name: "srv", Address: "127.0.0.1:9037"}))
	require.NoError(t, s.AddAccount(ctx, Account{Server: "srv", Username: "alice", SealedKey: []byte{1, 2, 3}}))
}

func pragma(t *testing.T, s *Store, name string) string {
	t.Helper()
	var v string
	require.NoError(t, s.db.QueryRow("PRAGMA "+name).Scan(&v))
	return v
}

func TestOpenFileSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "client.db")
	s, err := Open(context.Background(), path)
	require.NoError(t, err)
	defer s.Close()

	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm())
	assert.Equal(t, "wal", pragma(t, s, "journal_mode"))
	assert.Equal(t, "1", pragma(t, s, "foreign_keys"))
	assert.Equal(t, "5000", pragma(t, s, "busy_timeout"))
}

func TestOpenOddPath(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a?b#c%41 d.db")
	s, err := Open(ctx, path)
	require.NoError(t, err)
	require.NoError(t, s.AddServer(ctx, Server{Name: "srv", Address: "127.0.0.1:1"}))
	require.NoError(t, s.Close())
	fi, err := os.Stat(path)
	require.NoError(t, err, "the database is at the literal path")
	assert.NotZero(t, fi.Size())
	s, err = Open(ctx, path)
	require.NoError(t, err)
	defer s.Close()
	_, err = s.Server(ctx, "srv")
	assert.NoError(t, err)
}

func TestOpenTightensExistingMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "client.db")
	require.NoError(t, os.WriteFile(path, nil, 0o644))
	s, err := Open(context.Background(), path)
	require.NoError(t, err)
	s.Close()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm())
}

func TestOpenMemory(t *testing.T) {
	s, _ := newStore(t)
	assert.Equal(t, "1", pragma(t, s, "foreign_keys"))
	var v int
	require.NoError(t, s.db.QueryRow(`SELECT version FROM schema_version`).Scan(&v))
	ms, err := loadMigrations(migrationFS)
	require.NoError(t, err)
	assert.Equal(t, len(ms), v)
}

func TestOpenNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junk.db")
	require.NoError(t, os.WriteFile(path, []byte("this is not an SQLite database, not at all"), 0o600))
	_, err := Open(context.Background(), path)
	assert.Error(t, err)
}

func TestMigrationIdempotent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "client.db")
	s, err := Open(ctx, path)
	require.NoError(t, err)
	require.NoError(t, s.AddServer(ctx, Server{Name: "srv", Address: "127.0.0.1:1"}))
	require.NoError(t, s.Close())

	for range 2 {
		s, err = Open(ctx, path)
		require.NoError(t, err)
		_, err = s.Server(ctx, "srv")
		require.NoError(t, err, "data survives reopening")
		require.NoError(t, s.Close())
	}
}

func TestMigrationIncremental(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "m.db"))
	require.NoError(t, err)
	defer db.Close()

	v1 := fstest.MapFS{"migrations/0001_a.sql": {Data: []byte(`CREATE TABLE a (x INTEGER);`)}}
	v2 := fstest.MapFS{
		"migrations/0001_a.sql": v1["migrations/0001_a.sql"],
		"migrations/0002_b.sql": {Data: []byte(`ALTER TABLE a ADD COLUMN y TEXT; CREATE TABLE b (z INTEGER);`)},
	}
	require.NoError(t, migrate(ctx, db, v1))
	require.NoError(t, migrate(ctx, db, v1), "re-running is a no-op")
	_, err = db.Exec(`INSERT INTO a (x) VALUES (1)`)
	require.NoError(t, err)
	require.NoError(t, migrate(ctx, db, v2), "only 0002 runs; 0001 would fail on the existing table")
	require.NoError(t, migrate(ctx, db, v2))
	_, err = db.Exec(`INSERT INTO b (z) SELECT x FROM a WHERE y IS NULL`)
	require.NoError(t, err)

	err = migrate(ctx, db, v1)
	require.ErrorIs(t, err, ErrNewerSchema, "a database from a newer client is refused")
}

func TestMigrationFailureRollsBack(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "m.db"))
	require.NoError(t, err)
	defer db.Close()
	bad := fstest.MapFS{
		"migrations/0001_a.sql": {Data: []byte(`CREATE TABLE a (x INTEGER);`)},
		"migrations/0002_b.sql": {Data: []byte(`CREATE TABLE b (; nonsense`)},
	}
	require.Error(t, migrate(ctx, db, bad))
	var n int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'a'`).Scan(&n))
	assert.Zero(t, n, "0001 was rolled back with 0002")
}

func TestLoadMigrationsRejectsBadNames(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"gap":       {"migrations/0001_a.sql": {}, "migrations/0003_c.sql": {}},
		"no number": {"migrations/init.sql": {}},
		"zero":      {"migrations/0000_a.sql": {}},
		"duplicate": {"migrations/0001_a.sql": {}, "migrations/0001_b.sql": {}},
		"missing":   {},
	} {
		_, err := loadMigrations(fsys)
		assert.Error(t, err, name)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "client.db")
	s, err := Open(ctx, path)
	require.NoError(t, err)
	_, err = s.db.Exec(`UPDATE schema_version SET version = 999`)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	_, err = Open(ctx, path)
	assert.ErrorIs(t, err, ErrNewerSchema)
}

func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "client.db")
	s, err := Open(ctx, path)
	require.NoError(t, err)
	defer s.Close()
	withAccount(t, s)

	const writers, each = 8, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				_, _, err := s.AddMessage(ctx, Message{Server: "srv", Account: "alice", Peer: "bob",
					Direction: Incoming, Stamp: t0.Add(time.Duration(w*each+i) * time.Second), Body: "x"})
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	h, err := s.History(ctx, "srv", "alice", "bob", 0, MaxHistoryLimit)
	require.NoError(t, err)
	assert.Len(t, h, writers*each)
}

// TestUpgradeFromFirstSchema opens a database written by the first
// release (schema 1, messages deduplicated on their text) with this one.
func TestUpgradeFromFirstSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "client.db")
	first, err := migrationFS.ReadFile("migrations/0001_init.sql")
	require.NoError(t, err)
	db, err := sql.Open("sqlite", dsn(path, false))
	require.NoError(t, err)
	require.NoError(t, migrate(ctx, db, fstest.MapFS{"migrations/0001_init.sql": {Data: first}}))
	_, err = db.Exec(`INSERT INTO servers (name, address, created) VALUES ('srv', '127.0.0.1:1', 0);
		INSERT INTO accounts (server_id, username, sealed_key, created) VALUES (1, 'alice', x'01', 0);
		INSERT INTO messages (account_id, peer, direction, stamp, body, received_at, unread)
			VALUES (1, 'bob', 'in', 5, 'old', 5, 1)`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	s, err := Open(ctx, path)
	require.NoError(t, err)
	defer s.Close()
	for _, ct := range []string{"a", "b"} {
		_, inserted, err := s.AddMessage(ctx, Message{Server: "srv", Account: "alice", Peer: "bob",
			Direction: Incoming, Stamp: time.Unix(5, 0), Body: "old", Ciphertext: []byte(ct)})
		require.NoError(t, err)
		assert.True(t, inserted, "the old text index is gone")
	}
	h, err := s.History(ctx, "srv", "alice", "bob", 0, 0)
	require.NoError(t, err)
	assert.Len(t, h, 3)
}
