package sqlstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/refserver/store/sqlstore"
	"github.com/gochatproto/gochat/refserver/store/storetest"
)

// testMigrations checks that opening an existing database again applies
// nothing twice, and that a database from a newer binary is refused. open
// opens the same database each time.
func testMigrations(t *testing.T, open func() (*sqlstore.Store, error), dialect string) {
	ctx := context.Background()
	known, err := sqlstore.SchemaVersion(dialect)
	require.NoError(t, err)
	require.GreaterOrEqual(t, known, 1)

	versions := func(s *sqlstore.Store) (n, max int) {
		require.NoError(t, s.DB().QueryRowContext(ctx,
			`SELECT COUNT(*), MAX(version) FROM schema_version`).Scan(&n, &max))
		return n, max
	}
	s, err := open()
	require.NoError(t, err)
	n, v := versions(s)
	assert.Equal(t, known, n)
	assert.Equal(t, known, v)
	_, err = s.CreateUser(ctx, "alice", storetest.Key(t), 0)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s, err = open()
	require.NoError(t, err)
	n, v = versions(s)
	assert.Equal(t, known, n, "reopening applies nothing again")
	assert.Equal(t, known, v)
	_, err = s.UserByName(ctx, "alice")
	require.NoError(t, err)

	future := known + 1
	_, err = s.DB().ExecContext(ctx, `INSERT INTO schema_version (version, applied) VALUES (?, 0)`, future)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s, err = open()
	if err == nil {
		s.Close()
	}
	require.Error(t, err, "a database from a newer binary is refused")
	assert.Contains(t, err.Error(), fmt.Sprintf("version %d is newer", future))
	assert.Contains(t, err.Error(), fmt.Sprintf("supports (%d)", known))
}

// testReopenKeepsData checks that a file or server database survives a
// reopen: users, queued mail and settings (the MOTD).
func testReopenKeepsData(t *testing.T, open func() (*sqlstore.Store, error)) {
	ctx := context.Background()
	s, err := open()
	require.NoError(t, err)
	_, err = s.CreateUser(ctx, "alice", storetest.Key(t), store.PermOwner)
	require.NoError(t, err)
	_, err = s.CreateUser(ctx, "bob", storetest.Key(t), 0)
	require.NoError(t, err)
	for i := range 3 {
		_, err = s.QueueMessage(ctx, store.Message{From: "alice", To: "bob", Body: fmt.Appendf(nil, "%d", i)})
		require.NoError(t, err)
	}
	require.NoError(t, s.SetSetting(ctx, store.SettingMOTD, "persisted"))
	require.NoError(t, s.Close())

	s, err = open()
	require.NoError(t, err)
	defer s.Close()
	u, err := s.UserByName(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, store.PermOwner, u.Perm)
	n, err := s.CountPending(ctx, "bob")
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	motd, ok, err := s.Setting(ctx, store.SettingMOTD)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "persisted", motd)
}
