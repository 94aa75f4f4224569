package load

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/internal/testserver"
)

// refServer starts the reference server on loopback with in-memory SQLite.
func refServer(t *testing.T) string {
	t.Helper()
	srv := testserver.Start(t, testserver.WithShutdownTimeout(10*time.Second))
	// Registered after Start's own cleanup, so it runs first: a load run
	// must leave nothing that keeps the server from shutting down.
	t.Cleanup(func() { assert.NoError(t, srv.Stop()) })
	return srv.Addr()
}

// tiny returns options for a run of a few operations: no timing is
// asserted, only that every profile completes without errors.
func tiny(addr string) Options {
	o := DefaultOptions()
	o.Addr = addr
	o.Duration = 5 * time.Second
	o.Warmup = 0
	o.Count = 20
	o.Pairs, o.Window, o.Logins = 2, 4, 2
	o.Messages, o.Conns, o.Hold = 30, 20, 10*time.Millisecond
	o.InProcess = true
	return o
}

func TestProfilesAgainstReferenceServer(t *testing.T) {
	addr := refServer(t)
	for _, profile := range Profiles {
		t.Run(profile, func(t *testing.T) {
			o := tiny(addr)
			if profile == "catchup" {
				o.Count = 2
			}
			rs, err := Run(context.Background(), profile, o)
			require.NoError(t, err)
			require.NotEmpty(t, rs)
			for _, r := range rs {
				assert.Empty(t, r.Errors, r.Profile)
				assert.Positive(t, r.Ops, r.Profile)
			}
			var buf bytes.Buffer
			require.NoError(t, WriteTable(&buf, rs))
			require.NoError(t, WriteJSON(&buf, rs))
			t.Log("\n" + buf.String())
		})
	}
}

func TestOnlineCountsExactly(t *testing.T) {
	addr := refServer(t)
	o := tiny(addr)
	o.Count = 100
	rs, err := Run(context.Background(), "online", o)
	require.NoError(t, err)
	r := rs[0]
	assert.Equal(t, int64(100), r.Ops, "every counted message delivered once")
	assert.Equal(t, uint64(100), r.Latency[0].Count)
	assert.Equal(t, uint64(100), r.Latency[1].Count)
}

func TestReuseAccountsAcrossRuns(t *testing.T) {
	addr := refServer(t)
	o := tiny(addr)
	o.ReuseAccounts = true
	for range 2 {
		rs, err := Run(context.Background(), "login", o)
		require.NoError(t, err)
		assert.Empty(t, rs[0].Errors)
	}
	// A fresh run after a reuse run finds the keys bound and adopts the
	// deterministic accounts.
	o.ReuseAccounts = false
	rs, err := Run(context.Background(), "login", o)
	require.NoError(t, err)
	assert.Empty(t, rs[0].Errors)
}

func TestJSONRoundTrip(t *testing.T) {
	r := &Result{Profile: "online", Ops: 3, Errors: map[string]int64{}, Latency: []Latency{{"x", Summary{Count: 1, P50: time.Millisecond}}}}
	var buf bytes.Buffer
	require.NoError(t, WriteJSON(&buf, []*Result{r}))
	var back []*Result
	require.NoError(t, json.Unmarshal(buf.Bytes(), &back))
	assert.Equal(t, time.Millisecond, back[0].Latency[0].P50)
}

func TestStub(t *testing.T) {
	s, err := StartStub("127.0.0.1:0", 0)
	require.NoError(t, err)
	defer s.Close()
	for _, profile := range []string{"online", "login", "conns"} {
		o := tiny(s.Addr())
		o.InProcess = false
		rs, err := Run(context.Background(), profile, o)
		require.NoError(t, err, profile)
		assert.Empty(t, rs[0].Errors, profile)
		assert.Positive(t, rs[0].Ops, profile)
	}
	_, err = StartStub("192.0.2.1:0", 0)
	assert.Error(t, err, "the stub listens on loopback only")
}
