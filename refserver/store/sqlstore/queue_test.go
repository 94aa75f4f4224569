package sqlstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/refserver/store/sqlstore"
	"github.com/gochatproto/gochat/refserver/store/storetest"
)

// A panic while a group commits (a driver bug, say) reaches the leading
// caller only; every other caller of that group is released with an
// error, and later calls still commit: nobody waits forever.
func TestGroupCommitPanicReleasesFollowers(t *testing.T) {
	t.Parallel()
	s := openSQLite(t, ":memory:")
	ctx := context.Background()
	for _, n := range []string{"inbox", "a", "b", "c", "d"} {
		_, err := s.CreateUser(ctx, n, storetest.Key(t), 0)
		require.NoError(t, err)
	}
	var once sync.Once
	release := make(chan struct{})
	sqlstore.SetCommitFault(s, func(int) error {
		once.Do(func() {
			<-release // let the others queue up behind this group...
			panic("driver bug")
		})
		return nil
	})
	var wg sync.WaitGroup
	results := make([][]error, 4)
	panics := make([]any, 4)
	for i, from := range []string{"a", "b", "c", "d"} {
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			results[i] = s.QueueMessages(ctx, []store.Message{{From: from, To: "inbox", Stamp: time.Unix(1, 0), Body: []byte(from)}})
		})
	}
	time.Sleep(50 * time.Millisecond) // not a bound: only makes queueing likely
	close(release)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("callers still waiting after a panicking commit")
	}
	npanic := 0
	for i := range panics {
		if panics[i] != nil {
			npanic++
			continue
		}
		require.Len(t, results[i], 1)
	}
	assert.Equal(t, 1, npanic, "only the leader sees the panic")
	sqlstore.SetCommitFault(s, nil)
	for _, err := range s.QueueMessages(ctx, []store.Message{{From: "a", To: "inbox", Stamp: time.Unix(2, 0), Body: []byte("after")}}) {
		require.NoError(t, err, "the store works after the panic")
	}
}
