package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/refserver/store"
)

// CatchUpSize is the backlog the catch-up benchmark drains; the project's
// goal is under one second for it on MariaDB.
const CatchUpSize = 10_000

// Bench runs the store benchmarks. open must return a new, empty store and
// close it when b ends.
func Bench(b *testing.B, open func(b *testing.B) store.Store) {
	b.Run("QueueMessage", func(b *testing.B) { benchQueue(b, open(b)) })
	b.Run("CatchUp10k", func(b *testing.B) { benchCatchUp(b, open(b)) })
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
