package store

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAddAccount(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	require.NoError(t, s.AddServer(ctx, Server{Name: "srv", Address: "127.0.0.1:1"}))
	require.NoError(t, s.AddServer(ctx, Server{Name: "other", Address: "127.0.0.1:2"}))
	cases := []struct {
		name string
		in   Account
		err  error
	}{
		{"ok", Account{Server: "srv", Username: "alice", SealedKey: []byte{1}}, nil},
		{"same name other server", Account{Server: "other", Username: "alice", SealedKey: []byte{2}}, nil},
		{"duplicate", Account{Server: "srv", Username: "alice", SealedKey: []byte{3}}, ErrExists},
		{"unknown server", Account{Server: "nope", Username: "bob", SealedKey: []byte{1}}, ErrNotFound},
		{"empty name", Account{Server: "srv", SealedKey: []byte{1}}, ErrInvalid},
		{"no key", Account{Server: "srv", Username: "bob"}, ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := s.AddAccount(ctx, tc.in)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			got, err := s.Account(ctx, tc.in.Server, tc.in.Username)
			require.NoError(t, err)
			want := tc.in
			want.Created = t0
			assert.Equal(t, want, got)
			assert.True(t, got.LastLogin.IsZero())
		})
	}
}

func TestAccountsAndUpdates(t *testing.T) {
	s, clock := newStore(t)
	ctx := context.Background()
	withAccount(t, s)
	require.NoError(t, s.AddAccount(ctx, Account{Server: "srv", Username: "aaron", SealedKey: []byte{9}}))

	list, err := s.Accounts(ctx, "srv")
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, "aaron", list[0].Username)
	assert.Equal(t, "alice", list[1].Username)
	list, err = s.Accounts(ctx, "nope")
	require.NoError(t, err)
	assert.Empty(t, list)

	*clock = time.Hour
	require.NoError(t, s.RecordLogin(ctx, "srv", "alice"))
	require.NoError(t, s.SetSealedKey(ctx, "srv", "alice", []byte{7, 7}))
	a, err := s.Account(ctx, "srv", "alice")
	require.NoError(t, err)
	assert.Equal(t, t0.Add(time.Hour), a.LastLogin)
	assert.Equal(t, []byte{7, 7}, a.SealedKey)
	assert.Equal(t, t0, a.Created)

	assert.ErrorIs(t, s.SetSealedKey(ctx, "srv", "alice", nil), ErrInvalid)
	assert.ErrorIs(t, s.SetSealedKey(ctx, "srv", "nobody", []byte{1}), ErrNotFound)
	assert.ErrorIs(t, s.RecordLogin(ctx, "nope", "alice"), ErrNotFound)
}

func TestDeleteAccount(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	withAccount(t, s)
	_, err := s.PinContactKey(ctx, "srv", "alice", "bob", pubDER(t, 0))
	require.NoError(t, err)
	_, _, err = s.AddMessage(ctx, Message{Server: "srv", Account: "alice", Peer: "bob", Direction: Outgoing, Body: "hi"})
	require.NoError(t, err)

	require.NoError(t, s.DeleteAccount(ctx, "srv", "alice"))
	_, err = s.Account(ctx, "srv", "alice")
	assert.ErrorIs(t, err, ErrNotFound)
	assert.ErrorIs(t, s.DeleteAccount(ctx, "srv", "alice"), ErrNotFound)
	for _, table := range []string{"contacts", "messages"} {
		var n int
		require.NoError(t, s.db.QueryRow(`SELECT count(*) FROM `+table).Scan(&n))
		assert.Zero(t, n, table)
	}
	_, err = s.Server(ctx, "srv")
	assert.NoError(t, err, "the server stays")
}
