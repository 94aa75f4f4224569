package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/refserver/store"
)

// CatchUpSize is the backlog the catch-up benchmarks drain; the project's
// goal is well under 100 ms for it on MariaDB, end to end (make bench).
const CatchUpSize = 10_000

// Bench runs the store benchmarks. open must return a new, empty store and
// close it when b ends.
func Bench(b *testing.B, open func(b *testing.B) store.Store) {
	b.Run("QueueMessage", func(b *testing.B) { benchQueue(b, open(b)) })
	b.Run("GroupCommit16x64", func(b *testing.B) { benchGroupCommit(b, open(b)) })
	b.Run("CatchUp10k", func(b *testing.B) { benchCatchUp(b, open(b)) })
	b.Run("ReadPages10k", func(b *testing.B) { benchReadPages(b, open(b)) })
	b.Run("CreateUser", func(b *testing.B) { benchCreateUser(b, open(b)) })
}

func benchQueue(b *testing.B, s store.Store) {
	mustUser(b, s, "alice", 0)
	mustUser(b, s, "bob", 0)
	body := make([]byte, 256)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_, err := s.QueueMessage(ctx, store.Message{
			From: "alice", To: "bob", Stamp: time.Unix(int64(i), 0), Body: body,
		})
		if err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// benchCatchUp measures what RECIV costs the server: read the whole backlog
// in order, then delete exactly what was read.
func benchCatchUp(b *testing.B, s store.Store) {
	mustUser(b, s, "alice", 0)
	mustUser(b, s, "bob", 0)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		seed(b, s, "alice", "bob", CatchUpSize)
		b.StartTimer()
		ms, err := s.PendingMessages(ctx, "bob", 0)
		if err != nil {
			b.Fatal(err)
		}
		ids := make([]int64, len(ms))
		for i, m := range ms {
			ids[i] = m.ID
		}
		if err := s.DeleteMessages(ctx, "bob", ids); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		require.Len(b, ms, CatchUpSize)
		n, err := s.CountPending(ctx, "bob")
		require.NoError(b, err)
		require.Zero(b, n)
		b.StartTimer()
	}
}

func benchCreateUser(b *testing.B, s store.Store) {
	ctx := context.Background()
	key := Key(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		key[0], key[1], key[2], key[3] = byte(i), byte(i>>8), byte(i>>16), byte(i>>24)
		if _, err := s.CreateUser(ctx, fmt.Sprintf("u%d", i), key, 0); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// benchGroupCommit is the offline-MSG path under load: 16 sessions each
// storing bursts of 64 messages of 512 bytes at once. One op is one
// message.
func benchGroupCommit(b *testing.B, s store.Store) {
	const senders, burst = 16, 64
	mustUser(b, s, "inbox", 0)
	for w := range senders {
		mustUser(b, s, fmt.Sprintf("s%d", w), 0)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(512)
	b.ResetTimer()
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range senders {
		wg.Go(func() {
			ms := make([]store.Message, burst)
			for i := range ms {
				ms[i] = store.Message{From: fmt.Sprintf("s%d", w), To: "inbox", Stamp: time.Unix(int64(i), 0), Body: make([]byte, 512)}
			}
			for next.Add(burst)-burst < int64(b.N) {
				for _, err := range s.QueueMessages(ctx, ms) {
					if err != nil {
						b.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

// benchReadPages is the read side of a catch-up: 10,000 messages of 512
// bytes read by cursor in pages of 2,048, each body touched (as encoding
// it would), then deleted by id.
func benchReadPages(b *testing.B, s store.Store) {
	mustUser(b, s, "alice", 0)
	mustUser(b, s, "bob", 0)
	ctx := context.Background()
	b.ReportAllocs()
	ids := make([]int64, 0, CatchUpSize)
	for b.Loop() {
		b.StopTimer()
		ms := make([]store.Message, CatchUpSize)
		for i := range ms {
			ms[i] = store.Message{From: "alice", To: "bob", Stamp: time.Unix(int64(1_700_000_000+i), 0), Body: make([]byte, 512)}
		}
		for _, err := range s.QueueMessages(ctx, ms) {
			require.NoError(b, err)
		}
		b.StartTimer()
		ids = ids[:0]
		var pos store.Cursor
		sum := 0
		for {
			n := 0
			err := s.ReadPending(ctx, "bob", pos, 2048, func(m *store.Message) bool {
				sum += int(m.Body[0]) + len(m.Body)
				ids = append(ids, m.ID)
				pos = m.After()
				n++
				return true
			})
			require.NoError(b, err)
			if n < 2048 {
				break
			}
		}
		require.NoError(b, s.DeleteMessages(ctx, "bob", ids))
		b.StopTimer()
		require.Len(b, ids, CatchUpSize)
		require.Equal(b, CatchUpSize*512, sum)
		b.StartTimer()
	}
}
