package store

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAddServer(t *testing.T) {
	cases := []struct {
		name string
		in   Server
		err  error
		want Dialect
	}{
		{"defaults to spec", Server{Name: "a", Address: "127.0.0.1:9037"}, nil, DialectSpec},
		{"gochat1", Server{Name: "b", Address: "[::1]:9037", Dialect: DialectGochat1}, nil, DialectGochat1},
		{"hostname", Server{Name: "c", Address: "chat.example:1", TLS: true}, nil, DialectSpec},
		{"empty name", Server{Address: "127.0.0.1:1"}, ErrInvalid, ""},
		{"no port", Server{Name: "d", Address: "127.0.0.1"}, ErrInvalid, ""},
		{"no host", Server{Name: "d", Address: ":9037"}, ErrInvalid, ""},
		{"port zero", Server{Name: "d", Address: "127.0.0.1:0"}, ErrInvalid, ""},
		{"port too big", Server{Name: "d", Address: "127.0.0.1:65536"}, ErrInvalid, ""},
		{"named port", Server{Name: "d", Address: "127.0.0.1:http"}, ErrInvalid, ""},
		{"bad dialect", Server{Name: "d", Address: "127.0.0.1:1", Dialect: "v2"}, ErrInvalid, ""},
	}
	s, _ := newStore(t)
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := s.AddServer(ctx, tc.in)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			got, err := s.Server(ctx, tc.in.Name)
			require.NoError(t, err)
			want := tc.in
			want.Dialect, want.Created = tc.want, t0
			assert.Equal(t, want, got)
		})
	}
	err := s.AddServer(ctx, Server{Name: "a", Address: "127.0.0.1:2"})
	assert.ErrorIs(t, err, ErrExists)
}

func TestServerNotFound(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	_, err := s.Server(ctx, "nope")
	assert.ErrorIs(t, err, ErrNotFound)
	assert.ErrorIs(t, s.UpdateServer(ctx, Server{Name: "nope", Address: "127.0.0.1:1"}), ErrNotFound)
	assert.ErrorIs(t, s.DeleteServer(ctx, "nope"), ErrNotFound)
	list, err := s.Servers(ctx)
	require.NoError(t, err)
	assert.Empty(t, list)
}

func TestServersSorted(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	for _, n := range []string{"zeta", "alpha", "mid"} {
		require.NoError(t, s.AddServer(ctx, Server{Name: n, Address: "127.0.0.1:1"}))
	}
	list, err := s.Servers(ctx)
	require.NoError(t, err)
	var names []string
	for _, sv := range list {
		names = append(names, sv.Name)
	}
	assert.Equal(t, []string{"alpha", "mid", "zeta"}, names)
}

func TestUpdateServer(t *testing.T) {
	s, clock := newStore(t)
	ctx := context.Background()
	require.NoError(t, s.AddServer(ctx, Server{Name: "a", Address: "127.0.0.1:1"}))
	*clock = 1 << 40 // Created must not move
	up := Server{Name: "a", Address: "[::1]:2", TLS: true, InsecureSkipVerify: true, Dialect: DialectGochat1}
	require.NoError(t, s.UpdateServer(ctx, up))
	got, err := s.Server(ctx, "a")
	require.NoError(t, err)
	up.Created = t0
	assert.Equal(t, up, got)

	assert.ErrorIs(t, s.UpdateServer(ctx, Server{Name: "a", Address: "bad"}), ErrInvalid)
}

func TestDeleteServerCascades(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	withAccount(t, s)
	_, err := s.PinContactKey(ctx, "srv", "alice", "bob", pubDER(t, 0))
	require.NoError(t, err)
	_, _, err = s.AddMessage(ctx, Message{Server: "srv", Account: "alice", Peer: "bob", Direction: Incoming, Body: "hi"})
	require.NoError(t, err)

	require.NoError(t, s.DeleteServer(ctx, "srv"))
	for _, table := range []string{"servers", "accounts", "contacts", "messages"} {
		var n int
		require.NoError(t, s.db.QueryRow(`SELECT count(*) FROM `+table).Scan(&n))
		assert.Zero(t, n, table)
	}
}
