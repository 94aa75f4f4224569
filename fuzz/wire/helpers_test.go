package wire

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/refserver/server"
	"github.com/gochatproto/gochat/refserver/store/sqlstore"
	"github.com/gochatproto/gochat/spec"
)

// startRef starts the reference server on loopback with an in-memory store
// and returns its address and a stop function (also run by t.Cleanup).
func startRef(t testing.TB, d spec.Dialect) (string, func()) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.OpenSQLite(ctx, ":memory:")
	require.NoError(t, err)
	srv, err := server.New(server.Config{
		Addr:          "127.0.0.1:0",
		Dialect:       d,
		IdleTimeout:   time.Minute,
		VerifyTimeout: 10 * time.Second,
		WriteTimeout:  5 * time.Second,
	}, st)
	require.NoError(t, err)
	require.NoError(t, srv.Start(ctx))
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		st.Close()
	}
	t.Cleanup(stop)
	return srv.Addr(), stop
}
