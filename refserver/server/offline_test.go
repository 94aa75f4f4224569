package server_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/refserver/server"
	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/refserver/store/sqlstore"
	"github.com/gochatproto/gochat/spec"
)

// failingStore fails every QueueMessages call while fail is set, as a
// failed group commit does: every message of the call gets the error.
type failingStore struct {
	store.Store
	fail atomic.Bool
}

func (f *failingStore) QueueMessages(ctx context.Context, ms []store.Message) []error {
	if !f.fail.Load() {
		return f.Store.QueueMessages(ctx, ms)
	}
	errs := make([]error, len(ms))
	for i := range errs {
		errs[i] = errors.New("injected commit failure")
	}
	return errs
}

// offlineMsgs returns n pipelined MSGs to an offline user with IDs from
// first on.
func offlineMsgs(t *testing.T, d spec.Dialect, first uint16, n int, tag string) []byte {
	var ps []*spec.Packet
	for i := range n {
		ps = append(ps, &spec.Packet{Action: spec.MSG, Info: spec.EmptyInfo, ID: first + uint16(i),
			Args: [][]byte{[]byte("inbox"), stamp(d, int64(i)), []byte(fmt.Sprintf("%s/%d", tag, i))}})
	}
	return packets(t, d, ps...)
}

// While commits fail, every sender of pipelined offline MSGs gets
// ERR_SERVER for each of them and no OK, and nothing is stored; once
// commits work again the same senders get OK and the messages arrive.
func TestOfflineCommitFailureFailsEverySender(t *testing.T) {
	t.Parallel()
	st, err := sqlstore.OpenSQLite(t.Context(), ":memory:")
	require.NoError(t, err)
	fs := &failingStore{Store: st}
	e := newEnvStore(t, fs)
	e.user("inbox", 0, 0)
	const senders, per = 4, 20
	cs := make([]*client, senders)
	for i := range cs {
		e.user(fmt.Sprintf("s%d", i), i+1, 0)
		cs[i] = e.dial()
		cs[i].login(fmt.Sprintf("s%d", i), i+1)
	}
	d := e.cfg.Dialect
	for round, failing := range []bool{true, false} {
		fs.fail.Store(failing)
		var wg sync.WaitGroup
		for i, c := range cs {
			first := uint16(1 + round*per)
			c.raw(offlineMsgs(t, d, first, per, fmt.Sprintf("%d/%d", round, i)))
			wg.Go(func() {
				for j := range per {
					p, err := c.tryRead(10 * time.Second)
					if !assert.NoError(t, err) {
						return
					}
					assert.Equal(t, first+uint16(j), p.ID, "answers keep request order")
					if failing {
						assert.Equal(t, spec.ERR, p.Action, "no OK while commits fail")
						assert.Equal(t, uint8(spec.CodeServer), p.Info)
					} else {
						assert.Equal(t, spec.OK, p.Action)
					}
				}
			})
		}
		wg.Wait()
		n, err := e.st.CountPending(t.Context(), "inbox")
		require.NoError(t, err)
		if failing {
			require.Zero(t, n, "nothing of a failed commit is stored")
		} else {
			require.Equal(t, senders*per, n)
		}
	}
}

// newEnvStore is newEnv serving st.
func newEnvStore(t *testing.T, st store.Store) *env {
	t.Helper()
	ctx := context.Background()
	cfg := server.Config{Addr: "127.0.0.1:0", WriteTimeout: 5 * time.Second, VerifyTimeout: 5 * time.Second}
	srv, err := server.New(cfg, st)
	require.NoError(t, err)
	require.NoError(t, srv.Start(ctx))
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, srv.Shutdown(sctx))
		st.Close()
	})
	return &env{t: t, srv: srv, st: st, cfg: cfg}
}

// queueBulk stores n messages alice -> bob with stamps from base on.
func queueBulk(t *testing.T, st store.Store, n, base, size int) {
	t.Helper()
	ms := make([]store.Message, n)
	for i := range ms {
		body := make([]byte, size)
		copy(body, fmt.Sprintf("%08d", base+i))
		ms[i] = store.Message{From: "alice", To: "bob", Stamp: time.Unix(int64(base+i), 0), Body: body}
	}
	for _, err := range st.QueueMessages(context.Background(), ms) {
		require.NoError(t, err)
	}
}

// One RECIV sends at most 16,384 messages (a sender cannot keep the
// receiver in catch-up forever); the next RECIV gets the rest, in order.
func TestCatchUpBoundPerRECIV(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.user("alice", 0, 0)
	e.user("bob", 1, 0)
	const bound, extra = 16384, 10
	queueBulk(t, e.st, bound+extra, 0, 8)
	b := e.dial()
	b.login("bob", 1)
	b.expectOK(b.send(spec.RECIV, spec.EmptyInfo))
	for i := range bound {
		p, err := b.tryRead(5 * time.Second)
		require.NoError(t, err, "after %d", i)
		require.Equal(t, fmt.Sprintf("%08d", i), string(p.Args[2]))
	}
	// Had the first catch-up sent more, a RECIV would come before this OK.
	// (The first catch-up still deletes what it sent before it answers.)
	id := b.send(spec.RECIV, spec.EmptyInfo)
	p, err := b.tryRead(60 * time.Second)
	require.NoError(t, err)
	require.Equal(t, spec.OK, p.Action, "got %s", p)
	require.Equal(t, id, p.ID)
	for i := range extra {
		p := b.expect(spec.RECIV, spec.NullID)
		require.Equal(t, fmt.Sprintf("%08d", bound+i), string(p.Args[2]))
	}
	b.expectErr(b.send(spec.RECIV, spec.EmptyInfo), spec.CodeEmpty)
}

// A receiver that stops reading in the middle of a catch-up is
// disconnected when the write times out; what was not written stays
// queued, so the RECIVs that reached its socket and those of the next
// catch-up together hold every message: nothing is lost.
func TestCatchUpStalledReceiverLosesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.WriteTimeout = 300 * time.Millisecond })
	e.user("alice", 0, 0)
	e.user("bob", 1, 0)
	const n, size = 4000, 1000 // 4 MB: far more than an unread socket takes
	queueBulk(t, e.st, n, 0, size)
	b := e.dial()
	require.NoError(t, b.nc.(*net.TCPConn).SetReadBuffer(64<<10))
	b.login("bob", 1)
	b.expectOK(b.send(spec.RECIV, spec.EmptyInfo))
	// Read nothing until the server gave up on the write.
	require.Eventually(t, func() bool {
		left, err := e.st.CountPending(t.Context(), "bob")
		return err == nil && left < n
	}, 30*time.Second, 50*time.Millisecond, "the pages written before the stall are deleted")
	seen := map[string]bool{}
	for {
		p, err := b.tryRead(30 * time.Second)
		if err != nil || p.Action != spec.RECIV {
			break // the closing ERR or the end of the stream
		}
		seen[string(p.Args[2][:8])] = true
	}
	left, err := e.st.CountPending(t.Context(), "bob")
	require.NoError(t, err)
	require.Positive(t, left, "the stall left messages queued")
	b2 := e.dial()
	b2.login("bob", 1)
	b2.expectOK(b2.send(spec.RECIV, spec.EmptyInfo))
	for range left {
		p := b2.expect(spec.RECIV, spec.NullID)
		seen[string(p.Args[2][:8])] = true
	}
	for i := range n {
		require.True(t, seen[fmt.Sprintf("%08d", i)], "message %d lost", i)
	}
}

// A client that streams MSGs without pause for several idle timeouts is
// not idle: the reader keeps holding while the next packet is already in
// the kernel, and re-arms the idle deadline before each socket read.
func TestStreamingClientIsNotIdle(t *testing.T) {
	t.Parallel()
	const idle = 300 * time.Millisecond
	e := newEnv(t, func(c *server.Config) { c.IdleTimeout = idle })
	e.user("inbox", 0, 0)
	e.user("alice", 1, 0)
	a := e.dial()
	a.login("alice", 1)
	d := e.cfg.Dialect
	stop := make(chan struct{})
	wrote := make(chan error, 1)
	go func() {
		burst := offlineMsgs(t, d, 1, 64, "s")
		for {
			select {
			case <-stop:
				wrote <- nil
				return
			default:
			}
			if _, err := a.nc.Write(burst); err != nil {
				wrote <- err // after the close
				return
			}
		}
	}()
	deadline := time.Now().Add(4 * idle)
	for time.Now().Before(deadline) {
		p, err := a.tryRead(5 * time.Second)
		require.NoError(t, err)
		require.NotEqual(t, spec.ERR, p.Action, "got %s while streaming", p)
	}
	close(stop)
	a.nc.Close() // the writer may be blocked: we stopped reading answers
	<-wrote
}
