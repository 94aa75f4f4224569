package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func msg(peer string, d Direction, sec int, body string) Message {
	return Message{Server: "srv", Account: "alice", Peer: peer, Direction: d,
		Stamp: t0.Add(time.Duration(sec) * time.Second), Body: body}
}

func TestAddMessage(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	withAccount(t, s)
	cases := []struct {
		name     string
		in       Message
		inserted bool
		sameAs   int // index of an earlier case whose id must be returned, or -1
		err      error
	}{
		{"incoming", msg("bob", Incoming, 0, "hi"), true, -1, nil},
		{"incoming duplicate", msg("bob", Incoming, 0, "hi"), false, 0, nil},
		{"other stamp", msg("bob", Incoming, 1, "hi"), true, -1, nil},
		{"other body", msg("bob", Incoming, 0, "hi!"), true, -1, nil},
		{"other peer", msg("carol", Incoming, 0, "hi"), true, -1, nil},
		{"outgoing same content", msg("bob", Outgoing, 0, "hi"), true, -1, nil},
		{"outgoing repeat kept", msg("bob", Outgoing, 0, "hi"), true, -1, nil},
		{"empty body", msg("bob", Incoming, 5, ""), true, -1, nil},
		{"no peer", msg("", Incoming, 0, "x"), false, -1, ErrInvalid},
		{"no direction", msg("bob", "", 0, "x"), false, -1, ErrInvalid},
		{"unknown account", Message{Server: "srv", Account: "zed", Peer: "bob", Direction: Incoming}, false, -1, ErrNotFound},
	}
	ids := make([]int64, len(cases))
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id, inserted, err := s.AddMessage(ctx, tc.in)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			ids[i] = id
			assert.Equal(t, tc.inserted, inserted)
			if tc.sameAs >= 0 {
				assert.Equal(t, ids[tc.sameAs], id)
			}
		})
	}
}

func TestAddMessageFields(t *testing.T) {
	s, clock := newStore(t)
	ctx := context.Background()
	withAccount(t, s)
	*clock = time.Hour
	in := msg("bob", Incoming, 7, "multi\nline ✓")
	in.ReceivedAt = t0.Add(time.Minute)
	_, _, err := s.AddMessage(ctx, in)
	require.NoError(t, err)
	_, _, err = s.AddMessage(ctx, Message{Server: "srv", Account: "alice", Peer: "bob", Direction: Outgoing, Body: "now"})
	require.NoError(t, err)

	h, err := s.History(ctx, "srv", "alice", "bob", 0, 0)
	require.NoError(t, err)
	require.Len(t, h, 2)
	in.ID, in.Unread = h[0].ID, true
	assert.Equal(t, in, h[0])
	assert.Equal(t, t0.Add(time.Hour), h[1].Stamp, "zero stamp means received now")
	assert.Equal(t, t0.Add(time.Hour), h[1].ReceivedAt)
	assert.False(t, h[1].Unread, "outgoing messages are never unread")
}

func TestHistoryPaging(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	withAccount(t, s)
	for i := range 25 {
		_, _, err := s.AddMessage(ctx, msg("bob", Incoming, i, fmt.Sprint(i)))
		require.NoError(t, err)
		_, _, err = s.AddMessage(ctx, msg("carol", Outgoing, i, "c"))
		require.NoError(t, err)
	}
	bodies := func(ms []Message) []string {
		var out []string
		for _, m := range ms {
			assert.Equal(t, "bob", m.Peer)
			out = append(out, m.Body)
		}
		return out
	}

	var pages [][]string
	before := int64(0)
	for range 10 { // bounded: 25 messages in pages of 10
		page, err := s.History(ctx, "srv", "alice", "bob", before, 10)
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		pages = append(pages, bodies(page))
		before = page[0].ID
	}
	assert.Equal(t, [][]string{
		{"15", "16", "17", "18", "19", "20", "21", "22", "23", "24"},
		{"5", "6", "7", "8", "9", "10", "11", "12", "13", "14"},
		{"0", "1", "2", "3", "4"},
	}, pages)

	all, err := s.History(ctx, "srv", "alice", "bob", 0, -1)
	require.NoError(t, err)
	assert.Len(t, all, 25, "limit <= 0 means the default")
	none, err := s.History(ctx, "srv", "alice", "nobody", 0, 10)
	require.NoError(t, err)
	assert.Empty(t, none)
	none, err = s.History(ctx, "srv", "zed", "bob", 0, 10)
	require.NoError(t, err)
	assert.Empty(t, none, "unknown account has no history")
}

func TestConversationsAndMarkRead(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	withAccount(t, s)
	add := func(m Message) int64 {
		id, _, err := s.AddMessage(ctx, m)
		require.NoError(t, err)
		return id
	}
	b1 := add(msg("bob", Incoming, 10, "1"))
	add(msg("carol", Incoming, 20, "c"))
	b2 := add(msg("bob", Incoming, 30, "2"))
	add(msg("bob", Outgoing, 40, "re"))
	b3 := add(msg("bob", Incoming, 35, "3")) // stamps need not follow insertion order
	d := add(msg("dave", Outgoing, 50, "yo"))

	convs, err := s.Conversations(ctx, "srv", "alice")
	require.NoError(t, err)
	assert.Equal(t, []ConversationSummary{
		{Peer: "dave", LastID: d, LastTime: t0.Add(50 * time.Second), Unread: 0},
		{Peer: "bob", LastID: b3, LastTime: t0.Add(35 * time.Second), Unread: 3},
		{Peer: "carol", LastID: b1 + 1, LastTime: t0.Add(20 * time.Second), Unread: 1},
	}, convs)

	n, err := s.MarkRead(ctx, "srv", "alice", "bob", b2)
	require.NoError(t, err)
	assert.Equal(t, int64(2), n)
	n, err = s.MarkRead(ctx, "srv", "alice", "bob", b2)
	require.NoError(t, err)
	assert.Zero(t, n, "idempotent")
	convs, err = s.Conversations(ctx, "srv", "alice")
	require.NoError(t, err)
	assert.Equal(t, 1, convs[1].Unread)
	assert.Equal(t, 1, convs[2].Unread, "other conversations untouched")

	n, err = s.MarkRead(ctx, "srv", "alice", "carol", 0)
	require.NoError(t, err)
	assert.Equal(t, int64(1), n, "0 marks everything")

	h, err := s.History(ctx, "srv", "alice", "bob", 0, 0)
	require.NoError(t, err)
	var unread []string
	for _, m := range h {
		if m.Unread {
			unread = append(unread, m.Body)
		}
	}
	assert.Equal(t, []string{"3"}, unread)

	convs, err = s.Conversations(ctx, "srv", "zed")
	require.NoError(t, err)
	assert.Empty(t, convs)
}
