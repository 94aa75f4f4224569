package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/refserver/metrics"
	"github.com/gochatproto/gochat/refserver/server"
	"github.com/gochatproto/gochat/refserver/store/sqlstore"
)

// -metrics-addr: /metrics and /healthz on loopback, healthy while the
// server runs, unhealthy once it stopped.
func TestServeMetrics(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.OpenSQLite(ctx, ":memory:")
	require.NoError(t, err)
	defer st.Close()
	m := metrics.New()
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", Observer: m}, m.WrapStore(st))
	require.NoError(t, err)
	require.NoError(t, srv.Start(ctx))
	web, err := serveMetrics(":0", m, srv, m.WrapStore(st), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer web.Close(ctx)
	require.True(t, strings.HasPrefix(web.Addr(), "127.0.0.1:"), web.Addr())

	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + web.Addr() + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get("/metrics")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "gochat_connections_opened_total 0")
	code, body = get("/healthz")
	require.Equal(t, http.StatusOK, code, body)
	require.NoError(t, srv.Shutdown(ctx))
	code, body = get("/healthz")
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Contains(t, body, "server stopped")
}
