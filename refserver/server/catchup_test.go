package server_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/refserver/store/sqlstore"
	"github.com/gochatproto/gochat/spec"
)

// lateStore changes the ranges of a catch-up's pages right after the
// pages were planned, before they are read.
type lateStore struct {
	store.Store
	once sync.Once
	late func()
}

func (l *lateStore) PendingBounds(ctx context.Context, to string, after store.Cursor, every, n int) ([]store.Cursor, error) {
	b, err := l.Store.PendingBounds(ctx, to, after, every, n)
	l.once.Do(l.late)
	return b, err
}

// A catch-up reads its pages at the same time; messages queued into their
// ranges meanwhile (older stamps than the newest, as a sender's clock
// allows) are neither lost nor delivered twice, and each catch-up is in
// stamp order. Messages removed meanwhile (no server path does that to a
// live user's queue today) do not make a page run into the next one.
func TestCatchUpPagesWithLateMessages(t *testing.T) {
	t.Parallel()
	st, err := sqlstore.OpenSQLite(t.Context(), ":memory:")
	require.NoError(t, err)
	ls := &lateStore{Store: st}
	e := newEnvStore(t, ls)
	e.user("alice", 0, 0)
	e.user("bob", 1, 0)
	const n, late = 6000, 20
	queueBulk(t, st, n, 0, 16)
	ls.late = func() {
		ms := make([]store.Message, late)
		for i := range ms {
			// Stamps across every page, equal to queued ones (ids order
			// them) and none of them a deleted one (%100 == 7).
			at := 300 + i*(n-300)/late
			ms[i] = store.Message{From: "alice", To: "bob", Stamp: time.Unix(int64(at), 0), Body: fmt.Appendf(nil, "late%04d", i)}
		}
		for _, err := range st.QueueMessages(context.Background(), ms) {
			assert.NoError(t, err)
		}
		all, err := st.PendingMessages(context.Background(), "bob", 0)
		assert.NoError(t, err)
		var gone []int64
		for _, m := range all {
			if m.Stamp.Unix()%100 == 7 && m.Stamp.Unix() > 300 {
				gone = append(gone, m.ID)
			}
		}
		assert.NoError(t, st.DeleteMessages(context.Background(), "bob", gone))
	}
	b := e.dial()
	b.login("bob", 1)
	seen := map[string]int{}
	for round := 0; round < 5; round++ {
		id := b.send(spec.RECIV, spec.EmptyInfo)
		p := b.read()
		require.Equal(t, id, p.ID, "got %s", p)
		if p.Action == spec.ERR && spec.ErrCode(p.Info) == spec.CodeEmpty {
			break
		}
		require.Equal(t, spec.OK, p.Action, "got %s", p)
		var last time.Time
		for {
			p, err := b.tryRead(2 * time.Second)
			if err != nil {
				break // the catch-up is over
			}
			require.Equal(t, spec.RECIV, p.Action, "got %s", p)
			at, err := e.cfg.Dialect.ParseTimestamp(p.Args[1])
			require.NoError(t, err)
			require.False(t, at.Before(last), "round %d: %s after %s", round, at, last)
			last = at
			seen[string(p.Args[2][:8])]++
		}
	}
	for i := range n {
		want := 1
		if i%100 == 7 && i > 300 {
			want = 0
		}
		assert.Equal(t, want, seen[fmt.Sprintf("%08d", i)], "message %d", i)
	}
	for i := range late {
		assert.Equal(t, 1, seen[fmt.Sprintf("late%04d", i)], "late message %d", i)
	}
	left, err := st.CountPending(t.Context(), "bob")
	require.NoError(t, err)
	assert.Zero(t, left)
}
