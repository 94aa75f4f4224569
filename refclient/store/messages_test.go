package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func msg(peer string, d Direction, sec int, body string) Message {
	return Message{Server: "srv", Account: "alice", Peer: peer, Direction: d,
		Stamp: t0.Add(time.Duration(sec) * time.Second), Body: body}
}

// sealed is msg for an incoming message received as ciphertext ct.
func sealed(peer string, sec int, body, ct string) Message {
	m := msg(peer, Incoming, sec, body)
	m.Ciphertext = []byte(ct)
	return m
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
		{"incoming", sealed("bob", 0, "hi", "ct1"), true, -1, nil},
		{"redelivery of the same ciphertext", sealed("bob", 0, "hi", "ct1"), false, 0, nil},
		{"same text, other ciphertext", sealed("bob", 0, "hi", "ct2"), true, -1, nil},
		{"redelivery with another stamp", sealed("bob", 9, "hi", "ct2"), false, 2, nil},
		{"same ciphertext from another peer", sealed("carol", 0, "hi", "ct1"), true, -1, nil},
		{"no ciphertext: never deduplicated", msg("bob", Incoming, 0, "hi"), true, -1, nil},
		{"no ciphertext again", msg("bob", Incoming, 0, "hi"), true, -1, nil},
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

// TestRepeatedTextSurvivesRestart is the case that used to lose messages:
// bob sends "ok" three times within one second. The three live messages
// must still be three rows when the client opens its database again, while
// a catch-up that redelivers one of them adds nothing.
func TestRepeatedTextSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "client.db")
	s, err := Open(ctx, path)
	require.NoError(t, err)
	withAccount(t, s)
	for i, ct := range []string{"oaep-a", "oaep-b", "oaep-c"} {
		_, inserted, err := s.AddMessage(ctx, sealed("bob", 0, "ok", ct))
		require.NoError(t, err)
		require.True(t, inserted, "send %d", i)
	}
	require.NoError(t, s.Close())

	s, err = Open(ctx, path)
	require.NoError(t, err)
	defer s.Close()
	_, inserted, err := s.AddMessage(ctx, sealed("bob", 0, "ok", "oaep-b"))
	require.NoError(t, err)
	assert.False(t, inserted, "a redelivered ciphertext is one row")
	h, err := s.History(ctx, "srv", "alice", "bob", 0, 0)
	require.NoError(t, err)
	require.Len(t, h, 3)
	for _, m := range h {
		assert.Equal(t, "ok", m.Body)
		assert.Nil(t, m.Ciphertext, "only a digest is stored")
	}
}

func TestQueuedMarker(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	withAccount(t, s)
	out := msg("bob", Outgoing, 0, "for later")
	out.Queued = true
	_, _, err := s.AddMessage(ctx, out)
	require.NoError(t, err)
	in := msg("bob", Incoming, 1, "reply")
	in.Queued = true // meaningless for incoming messages: ignored
	_, _, err = s.AddMessage(ctx, in)
	require.NoError(t, err)
	h, err := s.History(ctx, "srv", "alice", "bob", 0, 0)
	require.NoError(t, err)
	require.Len(t, h, 2)
	assert.True(t, h[0].Queued)
	assert.False(t, h[1].Queued)
}

func TestUndecodedKeptRaw(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	withAccount(t, s)
	raw := []byte("\x00\x01\r\nnot decodable\r\n")
	id, err := s.AddUndecoded(ctx, Undecoded{Server: "srv", Account: "alice", Raw: raw, Reason: "bad timestamp"})
	require.NoError(t, err)
	_, err = s.AddUndecoded(ctx, Undecoded{Server: "srv", Account: "alice", Raw: []byte{2}, Reason: "x"})
	require.NoError(t, err)

	got, err := s.UndecodedPackets(ctx, "srv", "alice")
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, Undecoded{ID: id, Server: "srv", Account: "alice", Raw: raw, Reason: "bad timestamp", ReceivedAt: t0}, got[0])
	other, err := s.UndecodedPackets(ctx, "srv", "bob")
	require.NoError(t, err)
	assert.Empty(t, other)

	require.NoError(t, s.DeleteUndecoded(ctx, id))
	require.ErrorIs(t, s.DeleteUndecoded(ctx, id), ErrNotFound)
	got, err = s.UndecodedPackets(ctx, "srv", "alice")
	require.NoError(t, err)
	assert.Len(t, got, 1)

	for name, u := range map[string]Undecoded{
		"empty":          {Server: "srv", Account: "alice"},
		"too big":        {Server: "srv", Account: "alice", Raw: make([]byte, MaxUndecodedSize+1)},
		"no account":     {Server: "srv", Raw: raw},
		"unknown server": {Server: "nope", Account: "alice", Raw: raw},
	} {
		_, err := s.AddUndecoded(ctx, u)
		assert.Error(t, err, name)
	}
	require.NoError(t, s.DeleteServer(ctx, "srv"))
	var n int
	require.NoError(t, s.db.QueryRow(`SELECT count(*) FROM undecoded`).Scan(&n))
	assert.Zero(t, n, "deleting the server deletes its kept packets")
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
