package explore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance/target/embedded"
	"github.com/gochatproto/gochat/internal/mariadbtest"
	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/refserver/store/sqlstore"
	"github.com/gochatproto/gochat/spec"
)

// TestMain stops the private mariadbd (if one was started) when the tests end.
func TestMain(m *testing.M) { mariadbtest.Main(m) }

// The reference server on its production store passes too: a bounded
// exploration with every invariant judged (--strict).
func TestReferenceServerOnMariaDBHasNoViolations(t *testing.T) {
	if testing.Short() {
		t.Skip("needs MariaDB")
	}
	// One database per server instance: the shared one and the run's fresh
	// one. Created here, on the test goroutine, where a skip is allowed.
	pool := make(chan string, 2)
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
	tgt, err := embedded.New(context.Background(), embedded.Options{Dialect: spec.DialectSpec, OpenStore: open})
	require.NoError(t, err)
	t.Cleanup(func() { _ = tgt.Close() })
	rep, err := Explore(context.Background(), Options{Target: tgt, Actors: 4, Conns: 2, Ops: 300, Seed: 13, Strict: true,
		Settle: scaled(500 * time.Millisecond), Duration: time.Minute})
	require.NoError(t, err)
	require.NoError(t, rep.Setup)
	require.Empty(t, rep.Failures, "%v", rep.Failures)
	require.Empty(t, rep.Notes)
}
