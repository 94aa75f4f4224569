package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/refserver/store"
)

// Option adds backend-specific abilities to Run.
type Option func(*options)

type options struct {
	fault func(s store.Store, fault func(msgs int) error)
}

// WithCommitFault lets the suite fail a backend's batched commits: set
// must make every later group commit of s call fault with the number of
// messages in the group just before committing, fail the whole group if
// it returns an error, and stop calling it when given nil. Without it the
// failure tests are skipped.
func WithCommitFault(set func(s store.Store, fault func(msgs int) error)) Option {
	return func(o *options) { o.fault = set }
}

func msg(from, to string, stamp int64, body string) store.Message {
	return store.Message{From: from, To: to, Stamp: time.Unix(stamp, 0), Body: []byte(body)}
}

// testQueueMessages: one call with good and bad messages stores the good
// ones; the bad ones get ErrNotFound and do not hold the others back.
func testQueueMessages(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, n := range []string{"alice", "bob", "carol", "dave"} {
		mustUser(t, s, n, 0)
	}
	require.NoError(t, s.Deregister(ctx, "dave"))
	q := time.Unix(1700000000, 5)
	ms := []store.Message{
		msg("alice", "bob", 20, "one"),
		msg("alice", "nobody", 21, "unknown recipient"),
		msg("carol", "bob", 10, "two"),
		msg("nobody", "bob", 22, "unknown sender"),
		msg("alice", "dave", 23, "deregistered recipient"),
		msg("dave", "bob", 30, "from a deregistered sender"),
		msg("bob", "alice", 1, ""),
	}
	ms[2].Queued = q
	errs := s.QueueMessages(ctx, ms)
	require.Len(t, errs, len(ms))
	for i, want := range []error{nil, store.ErrNotFound, nil, store.ErrNotFound, store.ErrNotFound, nil, nil} {
		if want == nil {
			assert.NoError(t, errs[i], ms[i].Body)
		} else {
			assert.ErrorIs(t, errs[i], want, ms[i].Body)
		}
	}
	got, err := s.PendingMessages(ctx, "bob", 0)
	require.NoError(t, err)
	assert.Equal(t, []string{"two", "one", "from a deregistered sender"}, bodies(got))
	assert.Equal(t, "carol", got[0].From)
	assert.True(t, q.Equal(got[0].Queued), "an explicit Queued time is kept: %v", got[0].Queued)
	assert.NotZero(t, got[1].Queued)
	assert.NotEqual(t, got[0].ID, got[1].ID)
	got, err = s.PendingMessages(ctx, "alice", 0)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Empty(t, got[0].Body)
	n, err := s.CountPending(ctx, "dave")
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Empty(t, s.QueueMessages(ctx, nil))
}

// testGroupCommit: concurrent callers, as sessions of many senders are,
// all get every message stored exactly once, and a message is readable
// as soon as its call returned (it was committed before the answer).
func testGroupCommit(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, "inbox", 0)
	const callers, calls, per = 16, 8, 8
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for w := range callers {
		from := fmt.Sprintf("sender%d", w)
		mustUser(t, s, from, 0)
		wg.Go(func() {
			for c := range calls {
				ms := make([]store.Message, per)
				for i := range ms {
					ms[i] = msg(from, "inbox", int64(c*per+i), fmt.Sprintf("%d/%d", w, c*per+i))
				}
				for _, err := range s.QueueMessages(ctx, ms) {
					if err != nil {
						errs <- err
						return
					}
				}
				// Committed: another connection sees the call's last message.
				found := false
				after := store.Cursor{Stamp: int64(c*per + per - 2), ID: math.MaxInt64}
				err := s.ReadPending(ctx, "inbox", after, 0, func(m *store.Message) bool {
					found = found || bytes.Equal(m.Body, ms[per-1].Body)
					return !found
				})
				if err != nil || !found {
					errs <- fmt.Errorf("message %s not readable after its call returned (%v)", ms[per-1].Body, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	all, err := s.PendingMessages(ctx, "inbox", 0)
	require.NoError(t, err)
	require.Len(t, all, callers*calls*per)
	seen := map[string]bool{}
	for _, m := range all {
		assert.False(t, seen[string(m.Body)], "stored twice: %s", m.Body)
		seen[string(m.Body)] = true
	}
}

// testReadPendingPages: reading page by page from the cursor sees the
// same sequence as one read, messages queued meanwhile after the cursor
// show up, earlier ones wait for the next read, and fn can stop early.
func testReadPendingPages(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, "alice", 0)
	mustUser(t, s, "bob", 0)
	for i := range 25 {
		queue(t, s, "alice", "bob", int64(100+i/3), fmt.Sprint(i)) // equal stamps in threes
	}
	queue(t, s, "bob", "alice", 1, "not bob's")
	want, err := s.PendingMessages(ctx, "bob", 0)
	require.NoError(t, err)
	require.Len(t, want, 25)

	var got []string
	var pos store.Cursor
	for page := 0; ; page++ {
		n := 0
		require.NoError(t, s.ReadPending(ctx, "bob", pos, 4, func(m *store.Message) bool {
			got = append(got, string(m.Body)) // copied: Body is valid only during the call
			assert.Equal(t, "alice", m.From)
			assert.Equal(t, "bob", m.To)
			pos = m.After()
			n++
			return true
		}))
		if page == 2 {
			queue(t, s, "alice", "bob", 50, "late, early stamp")
			queue(t, s, "alice", "bob", 200, "late, last stamp")
		}
		if n < 4 {
			break
		}
	}
	assert.Equal(t, append(bodies(want), "late, last stamp"), got)

	// fn returning false stops the read.
	n := 0
	require.NoError(t, s.ReadPending(ctx, "bob", store.Cursor{}, 0, func(*store.Message) bool { n++; return n < 3 }))
	assert.Equal(t, 3, n)
	// The message skipped by the cursor is still there for the next read.
	first, err := s.PendingMessages(ctx, "bob", 1)
	require.NoError(t, err)
	assert.Equal(t, []string{"late, early stamp"}, bodies(first))
	// Unknown recipients have nothing; negative stamps sort first.
	require.NoError(t, s.ReadPending(ctx, "nobody", store.Cursor{}, 5, func(*store.Message) bool {
		t.Error("message for an unknown user")
		return true
	}))
	queue(t, s, "alice", "bob", -7, "negative")
	first, err = s.PendingMessages(ctx, "bob", 1)
	require.NoError(t, err)
	assert.Equal(t, []string{"negative"}, bodies(first))
}

// testQueueMessagesLarge: one call larger than a backend's multi-row
// INSERT (sqlstore: 256 rows, the full ones prepared once) stores every
// message with its own sender, stamp and body, in order.
func testQueueMessagesLarge(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, n := range []string{"alice", "bob", "carol"} {
		mustUser(t, s, n, 0)
	}
	const n = 600          // two full INSERTs and a partial one
	for round := range 2 { // the second reuses the prepared statement
		ms := make([]store.Message, n)
		for i := range ms {
			ms[i] = store.Message{From: []string{"alice", "bob"}[i%2], To: "carol",
				Stamp: time.Unix(int64(round*n+i), 0), Body: fmt.Appendf(nil, "%d/%d", round, i)}
		}
		for i, err := range s.QueueMessages(ctx, ms) {
			require.NoError(t, err, "message %d", i)
		}
		got, err := s.PendingMessages(ctx, "carol", 0)
		require.NoError(t, err)
		require.Len(t, got, (round+1)*n)
		for i, m := range got[round*n:] {
			assert.Equal(t, ms[i].From, m.From, "message %d", i)
			assert.Equal(t, ms[i].Stamp.Unix(), m.Stamp.Unix(), "message %d", i)
			assert.Equal(t, string(ms[i].Body), string(m.Body), "message %d", i)
		}
	}
}

// testBatchFailure: when a group commit fails, every call in that group
// gets an error for each of its messages and none of them is stored;
// calls in other groups are unaffected (the server answers ERR_SERVER to
// every sender of a failed group and OK to none).
func testBatchFailure(t *testing.T, s store.Store, o *options) {
	if o.fault == nil {
		t.Skip("backend offers no commit fault injection")
	}
	mustUser(t, s, "inbox", 0)
	const callers = 16
	for w := range callers {
		mustUser(t, s, fmt.Sprintf("sender%d", w), 0)
	}
	injected := errors.New("injected commit failure")
	// Up to a few tries: the failure needs a group holding several calls,
	// which depends on the callers' timing.
	for try := 0; try < 5; try++ {
		if batchFailureRound(t, s, o, injected, try) {
			return
		}
	}
	t.Fatal("no group with several calls formed in 5 tries")
}

// batchFailureRound runs the callers once, failing the first group that
// holds more than one call, and checks every call's outcome. It reports
// whether such a group formed.
func batchFailureRound(t *testing.T, s store.Store, o *options, injected error, try int) bool {
	ctx := context.Background()
	const callers, per = 16, 4
	var (
		mu       sync.Mutex
		calling  sync.WaitGroup
		failed   bool
		first    = true
		released = make(chan struct{})
	)
	calling.Add(callers)
	o.fault(s, func(msgs int) error {
		mu.Lock()
		defer mu.Unlock()
		if first {
			// Hold the first group until every caller has called, so the
			// next group gathers many of them.
			first = false
			mu.Unlock()
			calling.Wait()
			time.Sleep(20 * time.Millisecond)
			close(released)
			mu.Lock()
			return nil
		}
		if !failed && msgs > per {
			failed = true
			return injected
		}
		return nil
	})
	results := make([][]error, callers)
	calls := make([][]store.Message, callers)
	var wg sync.WaitGroup
	for w := range callers {
		ms := make([]store.Message, per)
		for i := range ms {
			ms[i] = msg(fmt.Sprintf("sender%d", w), "inbox", int64(try), fmt.Sprintf("%d/%d/%d", try, w, i))
		}
		ms[per-1].To = "nobody" // refused whatever happens to the group
		calls[w] = ms
		wg.Go(func() {
			calling.Done()
			results[w] = s.QueueMessages(ctx, ms)
		})
	}
	wg.Wait()
	<-released
	stored := map[string]bool{}
	all, err := s.PendingMessages(ctx, "inbox", 0)
	require.NoError(t, err)
	for _, m := range all {
		stored[string(m.Body)] = true
	}
	nFailed := 0
	for w, errs := range results {
		require.Len(t, errs, per)
		assert.ErrorIs(t, errs[per-1], store.ErrNotFound)
		ok := errs[0] == nil
		if !ok {
			nFailed++
		}
		for i, err := range errs[:per-1] {
			body := string(calls[w][i].Body)
			if ok {
				assert.NoError(t, err, "a call is all stored or all failed")
				assert.True(t, stored[body], "%s answered stored but missing", body)
			} else {
				assert.ErrorIs(t, err, injected, "a call is all stored or all failed")
				assert.False(t, stored[body], "%s answered failed but stored", body)
			}
		}
	}
	o.fault(s, nil)
	mu.Lock()
	failedGroup := failed
	mu.Unlock()
	if failedGroup {
		assert.Greater(t, nFailed, 1, "the failed group held several calls, all of which failed")
	}
	// The store goes on working after a failed group.
	for _, err := range s.QueueMessages(ctx, []store.Message{msg("sender0", "inbox", 9, "after")}) {
		require.NoError(t, err)
	}
	return failedGroup
}
