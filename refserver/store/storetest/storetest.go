// Package storetest is the conformance suite for store.Store backends: every
// backend runs Run in its tests and Bench in its benchmarks, so all of them
// keep the same contract.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/refserver/store"
)

// Run runs the suite. open must return a new, empty store for each call and
// close it when t ends (it is called from parallel subtests); the suite may
// also Close it itself, so a second Close must be harmless. opts add what
// the suite cannot do through the interface, such as injecting faults.
func Run(t *testing.T, open func(t *testing.T) store.Store, opts ...Option) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"CreateLookup", testCreateLookup},
		{"NamesByteExact", testNamesByteExact},
		{"DuplicateName", testDuplicateName},
		{"DuplicateKey", testDuplicateKey},
		{"DanglingName", testDanglingName},
		{"DeregisterMail", testDeregisterMail},
		{"NotFound", testNotFound},
		{"SetPerm", testSetPerm},
		{"ListUsers", testListUsers},
		{"MessageRoundTrip", testMessageRoundTrip},
		{"QueueRejects", testQueueRejects},
		{"Ordering", testOrdering},
		{"PendingLimit", testPendingLimit},
		{"DeleteOnlyGiven", testDeleteOnlyGiven},
		{"DeleteManyChunks", testDeleteManyChunks},
		{"Settings", testSettings},
		{"ConcurrentQueue", testConcurrentQueue},
		{"QueueMessages", testQueueMessages},
		{"QueueMessagesLarge", testQueueMessagesLarge},
		{"GroupCommit", testGroupCommit},
		{"ReadPendingPages", testReadPendingPages},
		{"BatchFailure", func(t *testing.T, s store.Store) { testBatchFailure(t, s, &o) }},
		{"Close", testClose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // every subtest has a store of its own
			tt.fn(t, open(t))
		})
	}
}

// Key returns a random stand-in for a DER key; the store treats keys as
// opaque bytes.
func Key(tb testing.TB) []byte {
	k := make([]byte, 294) // the size of an RSA-2048 PKIX DER key
	_, err := rand.Read(k)
	require.NoError(tb, err)
	return k
}

func mustUser(t testing.TB, s store.Store, name string, perm uint8) store.User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), name, Key(t), perm)
	require.NoError(t, err)
	return u
}

func queue(t testing.TB, s store.Store, from, to string, stamp int64, body string) int64 {
	t.Helper()
	id, err := s.QueueMessage(context.Background(), store.Message{
		From: from, To: to, Stamp: time.Unix(stamp, 0), Body: []byte(body),
	})
	require.NoError(t, err)
	return id
}

func bodies(ms []store.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = string(m.Body)
	}
	return out
}

func testCreateLookup(t *testing.T, s store.Store) {
	ctx := context.Background()
	key := Key(t)
	before := time.Now().Add(-time.Second)
	u, err := s.CreateUser(ctx, "alice", key, store.PermAdmin)
	require.NoError(t, err)
	assert.NotZero(t, u.ID)
	assert.Equal(t, "alice", u.Name)
	assert.Equal(t, key, u.Key)
	assert.Equal(t, store.PermAdmin, u.Perm)
	assert.False(t, u.Deregistered)

	got, err := s.UserByName(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, u.ID, got.ID)
	assert.Equal(t, "alice", got.Name)
	assert.Equal(t, key, got.Key)
	assert.Equal(t, store.PermAdmin, got.Perm)
	assert.False(t, got.Deregistered)
	assert.True(t, got.Created.After(before) && got.Created.Before(time.Now().Add(time.Second)),
		"created %v", got.Created)
	assert.True(t, u.Created.Equal(got.Created))

	other := mustUser(t, s, "bob", store.PermUser)
	assert.NotEqual(t, u.ID, other.ID)
}

// testNamesByteExact guards against the original server's bug: a
// case-insensitive, pad-space collation made "ALICE" and "alice " alias
// "alice".
func testNamesByteExact(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, "alice", 0)
	for _, name := range []string{"ALICE", "Alice", "alice ", " alice", "alic"} {
		_, err := s.UserByName(ctx, name)
		assert.ErrorIs(t, err, store.ErrNotFound, "%q", name)
	}
	// Distinct bytes are distinct names to the store.
	mustUser(t, s, "ALICE", 0)
	mustUser(t, s, "alice ", 0)
	u, err := s.UserByName(ctx, "alice ")
	require.NoError(t, err)
	assert.Equal(t, "alice ", u.Name)
}

func testDuplicateName(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, "alice", 0)
	_, err := s.CreateUser(ctx, "alice", Key(t), 0)
	assert.ErrorIs(t, err, store.ErrNameTaken)
	// The name check wins when the key is taken too.
	a, err := s.UserByName(ctx, "alice")
	require.NoError(t, err)
	_, err = s.CreateUser(ctx, "alice", a.Key, 0)
	assert.ErrorIs(t, err, store.ErrNameTaken)
	// A failed insert leaves later ones working.
	mustUser(t, s, "bob", 0)
}

func testDuplicateKey(t *testing.T, s store.Store) {
	ctx := context.Background()
	key := Key(t)
	_, err := s.CreateUser(ctx, "alice", key, 0)
	require.NoError(t, err)
	_, err = s.CreateUser(ctx, "bob", bytes.Clone(key), 0)
	assert.ErrorIs(t, err, store.ErrKeyTaken)
	_, err = s.UserByName(ctx, "bob")
	assert.ErrorIs(t, err, store.ErrNotFound)
	// A key differing in one byte is a different key.
	other := bytes.Clone(key)
	other[len(other)-1] ^= 1
	_, err = s.CreateUser(ctx, "bob", other, 0)
	assert.NoError(t, err)
}

func testDanglingName(t *testing.T, s store.Store) {
	ctx := context.Background()
	key := Key(t)
	alice, err := s.CreateUser(ctx, "alice", key, store.PermAdmin)
	require.NoError(t, err)
	require.NoError(t, s.Deregister(ctx, "alice"))

	u, err := s.UserByName(ctx, "alice")
	require.NoError(t, err)
	assert.True(t, u.Deregistered)
	assert.Nil(t, u.Key)
	assert.Equal(t, alice.ID, u.ID)
	assert.Equal(t, store.PermAdmin, u.Perm)

	_, err = s.CreateUser(ctx, "alice", Key(t), 0)
	assert.ErrorIs(t, err, store.ErrNameDangling)
	_, err = s.CreateUser(ctx, "alice", key, 0)
	assert.ErrorIs(t, err, store.ErrNameDangling)

	// The key is free again, under a new name.
	carol, err := s.CreateUser(ctx, "carol", key, 0)
	require.NoError(t, err)
	assert.Equal(t, key, carol.Key)

	// Deregistering again succeeds and changes nothing.
	require.NoError(t, s.Deregister(ctx, "alice"))
	u, err = s.UserByName(ctx, "alice")
	require.NoError(t, err)
	assert.True(t, u.Deregistered)
}

func testDeregisterMail(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, n := range []string{"alice", "bob", "carol"} {
		mustUser(t, s, n, 0)
	}
	queue(t, s, "bob", "alice", 10, "to alice 1")
	queue(t, s, "carol", "alice", 11, "to alice 2")
	queue(t, s, "alice", "bob", 12, "from alice")
	queue(t, s, "carol", "bob", 13, "from carol")

	require.NoError(t, s.Deregister(ctx, "alice"))

	n, err := s.CountPending(ctx, "alice")
	require.NoError(t, err)
	assert.Zero(t, n, "mail to a deregistered user is deleted")
	ms, err := s.PendingMessages(ctx, "bob", 0)
	require.NoError(t, err)
	require.Equal(t, []string{"from alice", "from carol"}, bodies(ms))
	assert.Equal(t, "alice", ms[0].From, "mail from a deregistered user keeps its sender")

	// Nothing more can be queued for the deregistered user, but a message
	// in flight from them is still accepted.
	_, err = s.QueueMessage(ctx, store.Message{From: "bob", To: "alice", Stamp: time.Unix(20, 0), Body: []byte("x")})
	assert.ErrorIs(t, err, store.ErrNotFound)
	queue(t, s, "alice", "carol", 21, "late")
}

func testNotFound(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, err := s.UserByName(ctx, "nobody")
	assert.ErrorIs(t, err, store.ErrNotFound)
	assert.ErrorIs(t, s.Deregister(ctx, "nobody"), store.ErrNotFound)
	assert.ErrorIs(t, s.SetPerm(ctx, "nobody", 1), store.ErrNotFound)
	ms, err := s.PendingMessages(ctx, "nobody", 0)
	assert.NoError(t, err)
	assert.Empty(t, ms)
	n, err := s.CountPending(ctx, "nobody")
	assert.NoError(t, err)
	assert.Zero(t, n)
	assert.NoError(t, s.DeleteMessages(ctx, "nobody", []int64{1, 2}))
	assert.NoError(t, s.DeleteMessages(ctx, "nobody", nil))
}

func testSetPerm(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, "alice", 0)
	require.NoError(t, s.SetPerm(ctx, "alice", store.PermOwner))
	u, err := s.UserByName(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, store.PermOwner, u.Perm)
	// Setting the current value is not "not found".
	require.NoError(t, s.SetPerm(ctx, "alice", store.PermOwner))
	// Deregistered users keep a settable level (the shell's SETOWNER).
	mustUser(t, s, "bob", 0)
	require.NoError(t, s.Deregister(ctx, "bob"))
	require.NoError(t, s.SetPerm(ctx, "bob", store.PermAdmin))
	u, err = s.UserByName(ctx, "bob")
	require.NoError(t, err)
	assert.Equal(t, store.PermAdmin, u.Perm)
}

func testListUsers(t *testing.T, s store.Store) {
	ctx := context.Background()
	us, err := s.ListUsers(ctx)
	require.NoError(t, err)
	assert.Empty(t, us)
	for _, n := range []string{"zed", "bob", "b0b", "alice", "carol", "bobby", "a"} {
		mustUser(t, s, n, 0)
	}
	require.NoError(t, s.SetPerm(ctx, "zed", store.PermOwner))
	require.NoError(t, s.Deregister(ctx, "carol"))
	us, err = s.ListUsers(ctx)
	require.NoError(t, err)
	want := []store.UserSummary{}
	for _, n := range []string{"a", "alice", "b0b", "bob", "bobby"} {
		want = append(want, store.UserSummary{Name: n})
	}
	want = append(want, store.UserSummary{Name: "zed", Perm: store.PermOwner})
	assert.Equal(t, want, us)
}

func testMessageRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, "alice", 0)
	mustUser(t, s, "bob", 0)
	body := make([]byte, 2047)
	for i := range body {
		body[i] = byte(i) // every byte value, NULs and CR LF included
	}
	stamp := time.Unix(1795535841, 999_000_000) // sub-second part is dropped
	before := time.Now().Add(-time.Second)
	id, err := s.QueueMessage(ctx, store.Message{From: "alice", To: "bob", Stamp: stamp, Body: body})
	require.NoError(t, err)
	// Stamps outside 32 bits and before 1970 survive too.
	queue(t, s, "alice", "bob", -5, "negative")
	queue(t, s, "alice", "bob", 1<<40, "far future")

	ms, err := s.PendingMessages(ctx, "bob", 0)
	require.NoError(t, err)
	require.Len(t, ms, 3)
	assert.Equal(t, "negative", string(ms[0].Body))
	assert.Equal(t, int64(-5), ms[0].Stamp.Unix())
	m := ms[1]
	assert.Equal(t, id, m.ID)
	assert.Equal(t, "alice", m.From)
	assert.Equal(t, "bob", m.To)
	assert.Equal(t, int64(1795535841), m.Stamp.Unix())
	assert.Zero(t, m.Stamp.Nanosecond())
	assert.Equal(t, body, m.Body)
	assert.True(t, m.Queued.After(before), "queued %v", m.Queued)
	assert.Equal(t, int64(1<<40), ms[2].Stamp.Unix())

	// An explicit Queued time is kept.
	q := time.Unix(1700000000, 123456789)
	_, err = s.QueueMessage(ctx, store.Message{From: "bob", To: "alice", Stamp: time.Unix(1, 0), Body: []byte{}, Queued: q})
	require.NoError(t, err)
	ms, err = s.PendingMessages(ctx, "alice", 0)
	require.NoError(t, err)
	require.Len(t, ms, 1)
	assert.True(t, q.Equal(ms[0].Queued), "queued %v", ms[0].Queued)
	assert.Empty(t, ms[0].Body)
}

func testQueueRejects(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, "alice", 0)
	for _, m := range []store.Message{
		{From: "nobody", To: "alice"},
		{From: "alice", To: "nobody"},
		{From: "alice", To: "ALICE"},
	} {
		m.Stamp, m.Body = time.Unix(1, 0), []byte("x")
		_, err := s.QueueMessage(ctx, m)
		assert.ErrorIs(t, err, store.ErrNotFound, "%s -> %s", m.From, m.To)
	}
	n, err := s.CountPending(ctx, "alice")
	require.NoError(t, err)
	assert.Zero(t, n)
}

func testOrdering(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, n := range []string{"alice", "bob", "carol"} {
		mustUser(t, s, n, 0)
	}
	// Stamp order first, then arrival order among equal stamps; other
	// recipients' mail is interleaved and must not show up.
	queue(t, s, "bob", "alice", 61, "b")
	queue(t, s, "carol", "bob", 1, "not mine")
	queue(t, s, "carol", "alice", 1795535841, "e")
	queue(t, s, "bob", "alice", -5, "a")
	queue(t, s, "carol", "alice", 61, "c")
	queue(t, s, "bob", "alice", 61, "d")
	ms, err := s.PendingMessages(ctx, "alice", 0)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c", "d", "e"}, bodies(ms))
	for i := 1; i < len(ms); i++ {
		if ms[i].Stamp.Equal(ms[i-1].Stamp) {
			assert.Less(t, ms[i-1].ID, ms[i].ID)
		}
	}
	n, err := s.CountPending(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, 5, n)
}

func testPendingLimit(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, "alice", 0)
	mustUser(t, s, "bob", 0)
	for i := range 10 {
		queue(t, s, "bob", "alice", int64(100-i), fmt.Sprint(i))
	}
	ms, err := s.PendingMessages(ctx, "alice", 3)
	require.NoError(t, err)
	assert.Equal(t, []string{"9", "8", "7"}, bodies(ms))
	ms, err = s.PendingMessages(ctx, "alice", -1)
	require.NoError(t, err)
	assert.Len(t, ms, 10)
}

func testDeleteOnlyGiven(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, n := range []string{"alice", "bob", "carol"} {
		mustUser(t, s, n, 0)
	}
	queue(t, s, "bob", "alice", 100, "one")
	queue(t, s, "bob", "alice", 200, "two")
	bobs := queue(t, s, "alice", "bob", 100, "for bob")

	ms, err := s.PendingMessages(ctx, "alice", 0)
	require.NoError(t, err)
	require.Len(t, ms, 2)
	// Queued during the catch-up, with an older stamp than the newest one
	// read: the original server's "delete stamp <= newest" lost this one.
	queue(t, s, "carol", "alice", 50, "during")

	ids := []int64{ms[0].ID, ms[1].ID, bobs, 1 << 50} // bob's and unknown IDs are ignored
	require.NoError(t, s.DeleteMessages(ctx, "alice", ids))
	ms, err = s.PendingMessages(ctx, "alice", 0)
	require.NoError(t, err)
	assert.Equal(t, []string{"during"}, bodies(ms))
	n, err := s.CountPending(ctx, "bob")
	require.NoError(t, err)
	assert.Equal(t, 1, n, "another recipient's message is not deleted")
	// Deleting again is harmless.
	require.NoError(t, s.DeleteMessages(ctx, "alice", ids))
}

func testDeleteManyChunks(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, "alice", 0)
	mustUser(t, s, "bob", 0)
	const total = 1100 // more than one IN-list chunk
	seed(t, s, "bob", "alice", total)
	ms, err := s.PendingMessages(ctx, "alice", 0)
	require.NoError(t, err)
	require.Len(t, ms, total)
	ids := make([]int64, 0, total)
	for _, m := range ms[:total-1] {
		ids = append(ids, m.ID)
	}
	require.NoError(t, s.DeleteMessages(ctx, "alice", ids))
	left, err := s.PendingMessages(ctx, "alice", 0)
	require.NoError(t, err)
	require.Len(t, left, 1)
	assert.Equal(t, ms[total-1].ID, left[0].ID)
}

func testSettings(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, ok, err := s.Setting(ctx, store.SettingMOTD)
	require.NoError(t, err)
	assert.False(t, ok)
	require.NoError(t, s.SetSetting(ctx, store.SettingMOTD, "hello"))
	require.NoError(t, s.SetSetting(ctx, "other", ""))
	motd := "Welcome!\r\nÜnïcode ✓ and a NUL \x00 byte"
	require.NoError(t, s.SetSetting(ctx, store.SettingMOTD, motd))
	v, ok, err := s.Setting(ctx, store.SettingMOTD)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, motd, v)
	v, ok, err = s.Setting(ctx, "other")
	require.NoError(t, err)
	assert.True(t, ok, "an empty value exists")
	assert.Equal(t, "", v)
	_, ok, err = s.Setting(ctx, "MOTD")
	require.NoError(t, err)
	assert.False(t, ok, "keys are case-sensitive")
}

func testConcurrentQueue(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, "alice", 0)
	const workers, each = 16, 25
	senders := make([]string, workers)
	for i := range senders {
		senders[i] = fmt.Sprintf("user%d", i)
		mustUser(t, s, senders[i], 0)
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				_, err := s.QueueMessage(ctx, store.Message{
					From: senders[w], To: "alice", Stamp: time.Unix(int64(i), 0),
					Body: fmt.Appendf(nil, "%d/%d", w, i),
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	// Readers and a deleter run at the same time, as catch-ups would.
	wg.Go(func() {
		for range 10 {
			if _, err := s.PendingMessages(ctx, "alice", 5); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	ms, err := s.PendingMessages(ctx, "alice", 0)
	require.NoError(t, err)
	require.Len(t, ms, workers*each)
	seen := map[string]bool{}
	ids := map[int64]bool{}
	for _, m := range ms {
		seen[string(m.Body)] = true
		ids[m.ID] = true
	}
	assert.Len(t, seen, workers*each)
	assert.Len(t, ids, workers*each, "IDs are unique")
}

func testClose(t *testing.T, s store.Store) {
	require.NoError(t, s.Close())
	_, err := s.UserByName(context.Background(), "alice")
	assert.Error(t, err, "a closed store fails")
}

// seed queues n messages from -> to with increasing stamps, in batches
// through QueueMessages (one commit each, not one per message).
func seed(tb testing.TB, s store.Store, from, to string, n int) {
	tb.Helper()
	const batch = 1000
	for start := 0; start < n; start += batch {
		ms := make([]store.Message, min(batch, n-start))
		for i := range ms {
			ms[i] = store.Message{From: from, To: to, Stamp: time.Unix(int64(1_700_000_000+start+i), 0),
				Body: bytes.Repeat([]byte{byte(start + i)}, 256)}
		}
		for _, err := range s.QueueMessages(context.Background(), ms) {
			require.NoError(tb, err)
		}
	}
}
