package sqlstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/refserver/store/sqlstore"
	"github.com/gochatproto/gochat/refserver/store/storetest"
)

func openSQLite(tb testing.TB, path string) *sqlstore.Store {
	tb.Helper()
	s, err := sqlstore.OpenSQLite(context.Background(), path)
	require.NoError(tb, err)
	tb.Cleanup(func() { s.Close() })
	return s
}

// faults lets the shared suite fail group commits.
var faults = storetest.WithCommitFault(sqlstore.SetCommitFault)

func TestSQLiteMemory(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return openSQLite(t, ":memory:") }, faults)
}

func TestSQLiteFile(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		return openSQLite(t, filepath.Join(t.TempDir(), "gochat.db"))
	}, faults)
}

func TestSQLiteMigrations(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gochat.db")
	testMigrations(t, func() (*sqlstore.Store, error) { return sqlstore.OpenSQLite(context.Background(), path) }, "sqlite")
}

func TestSQLiteReopenKeepsData(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gochat.db")
	testReopenKeepsData(t, func() (*sqlstore.Store, error) { return sqlstore.OpenSQLite(context.Background(), path) })
}

func BenchmarkSQLiteMemory(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store { return openSQLite(b, ":memory:") })
}

func BenchmarkSQLiteFile(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store {
		return openSQLite(b, filepath.Join(b.TempDir(), "gochat.db"))
	})
}
