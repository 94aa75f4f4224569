package metrics_test

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/internal/testserver"
	"github.com/gochatproto/gochat/refserver/metrics"
	"github.com/gochatproto/gochat/refserver/server"
	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/refserver/store/sqlstore"
	"github.com/gochatproto/gochat/spec"
)

// Every metric docs/operations.md names is served, and the server's
// events move them: connections by state, logins, live, stored and
// caught-up messages, store calls, limit hits.
func TestScrapeHasEveryDocumentedMetric(t *testing.T) {
	m := metrics.New()
	st, err := sqlstore.OpenSQLite(context.Background(), ":memory:")
	require.NoError(t, err)
	lim := server.Limits{Reg: server.Rate{N: 1, Per: time.Hour, Burst: 1}}
	srv := testserver.Start(t, testserver.WithStore(m.WrapStore(st)), testserver.WithObserver(m),
		testserver.WithLimits(lim),
		testserver.WithUser("alice", &key(t, 1).PublicKey, 0),
		testserver.WithUser("bob", &key(t, 2).PublicKey, 0),
		testserver.WithUser("carol", &key(t, 3).PublicKey, 0))
	web := httptest.NewServer(m.Handler(metrics.StoreHealth(srv.Store, time.Second)))
	defer web.Close()

	a, b := dial(t, srv.Addr()), dial(t, srv.Addr())
	a.login("alice", 1)
	b.login("bob", 2)
	anon := dial(t, srv.Addr())
	anon.expectOK(anon.send(spec.REG, []byte("dave"), der(t, 4)))
	anon.expectErr(anon.send(spec.REG, []byte("erin"), der(t, 5)), spec.CodeLogin) // over the REG bucket
	ts := spec.DialectSpec.AppendTimestamp(nil, time.Unix(1_700_000_000, 0))
	a.expectOK(a.send(spec.MSG, []byte("bob"), ts, []byte("live")))
	b.expect(spec.RECIV, 0)
	a.expectOK(a.send(spec.MSG, []byte("carol"), ts, []byte("one")))
	a.expectOK(a.send(spec.MSG, []byte("carol"), ts, []byte("two")))
	c := dial(t, srv.Addr())
	c.login("carol", 3)
	c.expectOK(c.send(spec.RECIV))
	c.expect(spec.RECIV, 0)
	c.expect(spec.RECIV, 0)
	bad := dial(t, srv.Addr())
	bad.expect(spec.VERIF, bad.send(spec.LOGIN, []byte("dave")))
	bad.expectErr(bad.send(spec.VERIF, []byte("dave"), []byte("wrong")), spec.CodeHandshake)

	want := map[string]float64{
		`gochat_connections{state="logged_in"}`:             3,
		`gochat_connections{state="anonymous"}`:             2,
		`gochat_connections{state="verifying"}`:             0,
		`gochat_connections_opened_total`:                   5,
		`gochat_logins_total{result="ok"}`:                  3,
		`gochat_logins_total{result="failed"}`:              1,
		`gochat_messages_total{path="live"}`:                1,
		`gochat_messages_total{path="stored"}`:              2,
		`gochat_messages_total{path="caught_up"}`:           2,
		`gochat_catchup_messages_count`:                     1,
		`gochat_catchup_messages_sum`:                       2,
		`gochat_limit_hits_total{limit="reg_rate"}`:         1,
		`gochat_limit_hits_total{limit="conns_per_source"}`: 0,
		`gochat_store_errors_total{op="queue_messages"}`:    0,
	}
	// The server counts a login or a catch-up just after its answer is
	// written, so the last ones may trail the client by a moment.
	var text string
	deadline := time.Now().Add(10 * time.Second)
	for {
		text = scrape(t, web.URL+"/metrics")
		if matches(text, want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	names := documentedMetrics(t)
	require.Greater(t, len(names), 10)
	for _, name := range names {
		require.Regexp(t, "(?m)^# TYPE "+name+" ", text, "%s is in docs/operations.md but not served", name)
	}
	for series, v := range want {
		require.Equal(t, v, value(t, text, series), series)
	}
	require.Greater(t, value(t, text, `gochat_store_duration_seconds_count{op="user_by_name"}`), 0.0)
	// The two offline MSGs are stored by one or two group commits.
	require.Greater(t, value(t, text, `gochat_store_duration_seconds_count{op="queue_messages"}`), 0.0)
	require.Greater(t, value(t, text, `gochat_store_duration_seconds_count{op="read_pending"}`), 0.0)
}

// /healthz follows the store: healthy, unhealthy (503, saying why) while
// the store fails or hangs, healthy again when it answers.
func TestHealthzFollowsTheStore(t *testing.T) {
	st, err := sqlstore.OpenSQLite(context.Background(), ":memory:")
	require.NoError(t, err)
	defer st.Close()
	sw := &switchable{Store: st}
	m := metrics.New()
	web := httptest.NewServer(m.Handler(metrics.StoreHealth(sw, 100*time.Millisecond)))
	defer web.Close()

	health := func() (int, string) {
		resp, err := http.Get(web.URL + "/healthz")
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := health()
	require.Equal(t, http.StatusOK, code, body)
	sw.mode.Store(down)
	code, body = health()
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Contains(t, body, "store unreachable")
	sw.mode.Store(hung)
	code, body = health()
	require.Equal(t, http.StatusServiceUnavailable, code, "a hung store is unhealthy, not a hung check")
	require.Contains(t, body, "deadline exceeded")
	sw.mode.Store(up)
	code, _ = health()
	require.Equal(t, http.StatusOK, code)
}

// The endpoint listens on loopback unless the address names a host, and
// stops on Close.
func TestListen(t *testing.T) {
	for in, want := range map[string]string{
		":9100": "127.0.0.1:9100", "0.0.0.0:9100": "0.0.0.0:9100", "[::1]:1": "[::1]:1", "localhost:1": "localhost:1",
	} {
		got, err := metrics.ListenAddr(in)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	_, err := metrics.ListenAddr("9100")
	require.Error(t, err)

	e, err := metrics.Listen(":0", metrics.New().Handler(func(context.Context) error { return nil }), nil)
	require.NoError(t, err)
	host, _, _ := net.SplitHostPort(e.Addr())
	require.Equal(t, "127.0.0.1", host)
	resp, err := http.Get("http://" + e.Addr() + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, e.Close(context.Background()))
	_, err = http.Get("http://" + e.Addr() + "/healthz")
	require.Error(t, err)
}

const (
	up int32 = iota
	down
	hung
)

// switchable is a store whose reads can be made to fail or hang, so that
// the health check's view of an unreachable database is deterministic.
type switchable struct {
	store.Store
	mode atomic.Int32
}

func (s *switchable) Setting(ctx context.Context, key string) (string, bool, error) {
	switch s.mode.Load() {
	case down:
		return "", false, errors.New("dial tcp 127.0.0.1:3306: connect: connection refused")
	case hung:
		<-ctx.Done()
		return "", false, ctx.Err()
	}
	return s.Store.Setting(ctx, key)
}

// documentedMetrics are the metric names in docs/operations.md's metrics
// table (first column).
func documentedMetrics(t *testing.T) []string {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "operations.md"))
	require.NoError(t, err)
	re := regexp.MustCompile("(?m)^\\| `((?:gochat|go|process)_[a-z0-9_]+)`")
	var names []string
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		names = append(names, m[1])
	}
	return names
}

func scrape(t *testing.T, url string) string {
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func matches(text string, want map[string]float64) bool {
	for series, v := range want {
		if got, ok := lookup(text, series); !ok || got != v {
			return false
		}
	}
	return true
}

func lookup(text, series string) (float64, bool) {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil
		}
	}
	return 0, false
}

// value reads one series' value from the text format.
func value(t *testing.T, text, series string) float64 {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			require.NoError(t, err, line)
			return f
		}
	}
	t.Fatalf("series %s not in the scrape", series)
	return 0
}

// A minimal client: the metrics test needs only a few exchanges.
type client struct {
	t   *testing.T
	nc  net.Conn
	dec *spec.Decoder
	id  uint16
}

func dial(t *testing.T, addr string) *client {
	nc, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	c := &client{t: t, nc: nc, dec: spec.NewDecoder(nc, spec.ClientBound, spec.DialectSpec)}
	c.expect(spec.HELLO, 0)
	return c
}

func (c *client) send(a spec.Action, args ...[]byte) uint16 {
	c.id++
	b, err := spec.MarshalPacket(&spec.Packet{Action: a, Info: spec.EmptyInfo, ID: c.id, Args: args}, spec.DialectSpec)
	require.NoError(c.t, err)
	_, err = c.nc.Write(b)
	require.NoError(c.t, err)
	return c.id
}

func (c *client) expect(a spec.Action, id uint16) *spec.Packet {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	var p spec.Packet
	require.NoError(c.t, c.dec.ReadPacket(&p))
	require.Equal(c.t, a, p.Action, "got %s", &p)
	require.Equal(c.t, id, p.ID, "got %s", &p)
	return p.Clone()
}

func (c *client) expectOK(id uint16) { c.t.Helper(); c.expect(spec.OK, id) }

func (c *client) expectErr(id uint16, code spec.ErrCode) {
	c.t.Helper()
	p := c.expect(spec.ERR, id)
	require.Equal(c.t, code, spec.ErrCode(p.Info))
}

func (c *client) login(name string, k int) {
	c.t.Helper()
	v := c.expect(spec.VERIF, c.send(spec.LOGIN, []byte(name)))
	plain, err := spec.Decrypt(key(c.t, k), v.Args[0])
	require.NoError(c.t, err)
	c.expectOK(c.send(spec.VERIF, []byte(name), plain))
}

func key(t *testing.T, i int) *rsa.PrivateKey {
	b, err := os.ReadFile(filepath.Join("..", "testdata", fmt.Sprintf("user%d.pem", i)))
	require.NoError(t, err)
	k, err := spec.ParsePrivateKey(b)
	require.NoError(t, err)
	return k
}

func der(t *testing.T, i int) []byte {
	b, err := spec.DialectSpec.MarshalPublicKey(&key(t, i).PublicKey)
	require.NoError(t, err)
	return b
}
