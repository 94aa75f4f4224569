package sqlstore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/internal/mariadbtest"
	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/refserver/store/sqlstore"
	"github.com/gochatproto/gochat/refserver/store/storetest"
)

func TestMain(m *testing.M) { mariadbtest.Main(m) }

func openMariaDB(tb testing.TB, dsn string) *sqlstore.Store {
	tb.Helper()
	s, err := sqlstore.OpenMariaDB(context.Background(), dsn)
	require.NoError(tb, err)
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestMariaDB(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return openMariaDB(t, mariadbtest.DSN(t)) }, faults)
}

func TestMariaDBMigrations(t *testing.T) {
	t.Parallel()
	dsn := mariadbtest.DSN(t)
	testMigrations(t, func() (*sqlstore.Store, error) { return sqlstore.OpenMariaDB(context.Background(), dsn) }, "mariadb")
}

func TestMariaDBReopenKeepsData(t *testing.T) {
	t.Parallel()
	dsn := mariadbtest.DSN(t)
	testReopenKeepsData(t, func() (*sqlstore.Store, error) { return sqlstore.OpenMariaDB(context.Background(), dsn) })
}

func TestOpenURL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, "sqlite::memory:")
	require.NoError(t, err)
	require.NoError(t, s.Close())
	s, err = sqlstore.Open(ctx, "sqlite:"+t.TempDir()+"/x.db")
	require.NoError(t, err)
	require.NoError(t, s.Close())
	for _, bad := range []string{"", "memory", "postgres://x", "sqlite:"} {
		_, err := sqlstore.Open(ctx, bad)
		require.Error(t, err, "%q", bad)
	}
	dsn := mariadbtest.DSN(t)
	for _, u := range []string{"mariadb:" + dsn, "mysql://" + dsn} {
		s, err := sqlstore.Open(ctx, u)
		require.NoError(t, err, u)
		require.NoError(t, s.Close())
	}
}

func BenchmarkMariaDB(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store { return openMariaDB(b, mariadbtest.DSN(b)) })
}
