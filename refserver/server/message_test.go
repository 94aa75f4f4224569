package server_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/refserver/server"
	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/spec"
)

// crlfBody is a ciphertext-like body with CRLF in the middle and at the
// end, which a naive splitter would break (E-5).
var crlfBody = []byte("\r\nhead\r\n\r\nmiddle\r\ntail\r\n")

func TestMessageOnline(t *testing.T) {
	t.Parallel()
	for _, d := range []spec.Dialect{spec.DialectSpec, spec.DialectGochat1} {
		t.Run(d.String(), func(t *testing.T) {
			e := newEnv(t, func(c *server.Config) { c.Dialect = d })
			e.user("alice", 0, 0)
			e.user("bob", 1, 0)
			a, b := e.dial(), e.dial()
			a.login("alice", 0)
			b.login("bob", 1)
			ts := stamp(d, 1_700_000_000)
			a.do(spec.MSG, spec.EmptyInfo, []byte("BOB"), ts, crlfBody)
			p := b.expect(spec.RECIV, 0)
			require.Equal(t, [][]byte{[]byte("alice"), ts, crlfBody}, p.Args)
			n, err := e.st.CountPending(context.Background(), "bob")
			require.NoError(t, err)
			require.Zero(t, n, "delivered live, not stored")
		})
	}
}

func TestMessageErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.user("alice", 0, 0)
	a := e.dial()
	a.login("alice", 0)
	ts := stamp(e.cfg.Dialect, 5)
	a.expectErr(a.send(spec.MSG, spec.EmptyInfo, []byte("alice"), ts, []byte("x")), spec.CodeInvalid)
	a.expectErr(a.send(spec.MSG, spec.EmptyInfo, []byte("ALICE"), ts, []byte("x")), spec.CodeInvalid)
	a.expectErr(a.send(spec.MSG, spec.EmptyInfo, []byte("nobody"), ts, []byte("x")), spec.CodeNotFound)
	a.expectErr(a.send(spec.MSG, spec.EmptyInfo, []byte("nobody"), ts, []byte{}), spec.CodeArgs)
	a.expectErr(a.send(spec.MSG, spec.EmptyInfo, []byte("bad name"), ts, []byte("x")), spec.CodeArgs)
}

func TestMessageOfflineAndCatchUp(t *testing.T) {
	t.Parallel()
	for _, d := range []spec.Dialect{spec.DialectSpec, spec.DialectGochat1} {
		t.Run(d.String(), func(t *testing.T) {
			e := newEnv(t, func(c *server.Config) { c.Dialect = d })
			e.user("alice", 0, 0)
			e.user("bob", 1, 0)
			e.user("carol", 2, 0)
			a, c := e.dial(), e.dial()
			a.login("alice", 0)
			c.login("carol", 2)
			a.do(spec.MSG, spec.EmptyInfo, []byte("bob"), stamp(d, 300), []byte("third"))
			c.do(spec.MSG, spec.EmptyInfo, []byte("bob"), stamp(d, 100), crlfBody)
			a.do(spec.MSG, spec.EmptyInfo, []byte("bob"), stamp(d, 200), []byte("second-a"))
			c.do(spec.MSG, spec.EmptyInfo, []byte("bob"), stamp(d, 200), []byte("second-b"))

			b := e.dial()
			b.login("bob", 1)
			id := b.send(spec.RECIV, spec.EmptyInfo)
			b.expectOK(id)
			want := []struct {
				from string
				ts   int64
				body []byte
			}{{"carol", 100, crlfBody}, {"alice", 200, []byte("second-a")}, {"carol", 200, []byte("second-b")}, {"alice", 300, []byte("third")}}
			for _, w := range want {
				p := b.expect(spec.RECIV, 0)
				require.Equal(t, [][]byte{[]byte(w.from), stamp(d, w.ts), w.body}, p.Args)
			}
			require.Eventually(t, func() bool {
				n, err := e.st.CountPending(context.Background(), "bob")
				return err == nil && n == 0
			}, 5*time.Second, 10*time.Millisecond)
			b.expectErr(b.send(spec.RECIV, spec.EmptyInfo), spec.CodeEmpty)
		})
	}
}

func TestCatchUpLarge(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.user("alice", 0, 0)
	e.user("bob", 1, 0)
	ctx := context.Background()
	const n = 300 // more than the first page (256)
	for i := range n {
		_, err := e.st.QueueMessage(ctx, store.Message{From: "alice", To: "bob", Stamp: time.Unix(int64(1000+i), 0), Body: []byte{byte(i), byte(i >> 8)}})
		require.NoError(t, err)
	}
	b := e.dial()
	b.login("bob", 1)
	b.expectOK(b.send(spec.RECIV, spec.EmptyInfo))
	for i := range n {
		p := b.expect(spec.RECIV, 0)
		require.Equal(t, []byte{byte(i), byte(i >> 8)}, p.Args[2])
	}
	b.expectErr(b.send(spec.RECIV, spec.EmptyInfo), spec.CodeEmpty)
}

func TestRequestUser(t *testing.T) {
	t.Parallel()
	for _, d := range []spec.Dialect{spec.DialectSpec, spec.DialectGochat1} {
		t.Run(d.String(), func(t *testing.T) {
			e := newEnv(t, func(c *server.Config) { c.Dialect = d })
			e.user("alice", 0, 0)
			e.user("bob", 1, 1)
			a := e.dial()
			a.login("alice", 0)
			id := a.send(spec.REQ, spec.EmptyInfo, []byte("BOB"))
			p := a.expect(spec.REQ, id)
			wantKey, err := d.MarshalPublicKey(&key(t, 1).PublicKey)
			require.NoError(t, err)
			require.Equal(t, [][]byte{[]byte("bob"), wantKey, {1}}, p.Args)
			a.expectErr(a.send(spec.REQ, spec.EmptyInfo, []byte("nobody")), spec.CodeNotFound)
			a.expectErr(a.send(spec.REQ, spec.EmptyInfo, []byte("no body")), spec.CodeArgs)
		})
	}
}

func TestListUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.user("carol", 2, 0)
	e.user("alice", 0, 0)
	e.user("bob", 1, 1)
	e.user("dave", 3, 0)
	require.NoError(t, e.st.Deregister(context.Background(), "dave"))
	a, b := e.dial(), e.dial()
	a.login("alice", 0)
	b.login("bob", 1)
	for _, tc := range []struct {
		kind spec.UsrsKind
		want string
	}{
		{spec.UsrsAll, "alice\nbob\ncarol"},
		{spec.UsrsOnline, "alice\nbob"},
		{spec.UsrsAllPerms, "alice 0\nbob 1\ncarol 0"},
		{spec.UsrsOnlinePerms, "alice 0\nbob 1"},
	} {
		id := a.send(spec.USRS, uint8(tc.kind))
		p := a.expect(spec.USRS, id)
		require.Equal(t, tc.want, string(bytes.Join(p.Args, []byte("\n"))), tc.kind.String())
	}
	a.expectErr(a.send(spec.USRS, 4), spec.CodeOption)
}

func TestListUsersSplitsLongList(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	var names []string
	for i := range 100 {
		name := strings.Repeat("u", 28) + string(rune('a'+i/26)) + string(rune('a'+i%26))
		names = append(names, name)
		// Keys must be unique; the store only compares bytes, so distinct
		// fake blobs are enough for listing.
		_, err := e.st.CreateUser(ctx, name, []byte(name), 0)
		require.NoError(t, err)
	}
	e.user("alice", 0, 0)
	names = append([]string{"alice"}, names...)
	a := e.dial()
	a.login("alice", 0)
	id := a.send(spec.USRS, uint8(spec.UsrsAll))
	p := a.expect(spec.USRS, id)
	require.Greater(t, len(p.Args), 1, "E-30: split over several arguments")
	require.Equal(t, strings.Join(names, "\n"), string(bytes.Join(p.Args, []byte("\n"))))
}
