package core_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/internal/testserver"
	"github.com/gochatproto/gochat/refclient/core"
	"github.com/gochatproto/gochat/refclient/internal/testkeys"
	"github.com/gochatproto/gochat/spec"
)

// startServer runs the reference server on loopback with an in-memory
// store.
func startServer(t *testing.T, d spec.Dialect) *testserver.Server {
	t.Helper()
	return testserver.Start(t, testserver.WithTLS(), testserver.WithDialect(d), testserver.WithMOTD("hi there"),
		testserver.WithTimeouts(0, 5*time.Second, 5*time.Second))
}

func dial(t *testing.T, srv *testserver.Server, d spec.Dialect, tls bool) *core.Client {
	t.Helper()
	cfg := core.Config{Addr: srv.Addr(), Dialect: d, RequestTimeout: 5 * time.Second, KeepAlive: -1}
	if tls {
		cfg.Addr, cfg.TLS, cfg.InsecureSkipVerify = srv.TLSAddr(), true, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := core.Dial(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func waitMessage(t *testing.T, c *core.Client) core.Message {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev := <-c.Events():
			if m, ok := ev.(core.Message); ok {
				return m
			}
		case <-timeout:
			t.Fatal("no message")
		}
	}
}

func TestAgainstReferenceServer(t *testing.T) {
	alice, bob := testkeys.Load(t, "alice"), testkeys.Load(t, "bob")
	for _, d := range []spec.Dialect{spec.DialectSpec, spec.DialectGochat1} {
		t.Run(d.String(), func(t *testing.T) {
			srv := startServer(t, d)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()

			ca := dial(t, srv, d, true)
			cb := dial(t, srv, d, false)
			assert.Equal(t, "hi there", ca.MOTD())
			require.NoError(t, ca.Register(ctx, "alice", alice))
			require.NoError(t, cb.Register(ctx, "bob", bob))
			err := cb.Register(ctx, "carol", bob)
			assert.True(t, core.IsCode(err, spec.CodeInvalid) || core.IsCode(err, spec.CodeExists), "%v", err)

			ra, err := ca.Login(ctx, "alice", alice)
			require.NoError(t, err)
			assert.NotEmpty(t, ra.Token, "TLS login keeps the token")
			rb, err := cb.Login(ctx, "BOB", bob)
			require.NoError(t, err)
			assert.Empty(t, rb.Token, "plain TCP login keeps no token")

			require.NoError(t, cb.Subscribe(ctx, spec.HookAll))
			users, err := ca.Users(ctx, spec.UsrsOnlinePerms)
			require.NoError(t, err)
			assert.Equal(t, []spec.UserEntry{{Name: "alice", HasPerm: true}, {Name: "bob", HasPerm: true}}, users)

			// Both directions, live.
			bobPub, _, perm, err := ca.RequestKey(ctx, "bob")
			require.NoError(t, err)
			assert.Zero(t, perm)
			at := time.Unix(1700000000, 0)
			require.NoError(t, ca.SendMessage(ctx, "bob", bobPub, "hello bob", at))
			m := waitMessage(t, cb)
			assert.Equal(t, core.Message{From: "alice", Stamp: at, Ciphertext: m.Ciphertext, Text: "hello bob"}, m)
			alicePub, _, _, err := cb.RequestKey(ctx, "alice")
			require.NoError(t, err)
			require.NoError(t, cb.SendMessage(ctx, "alice", alicePub, "hello alice", at))
			assert.Equal(t, "hello alice", waitMessage(t, ca).Text)

			// Offline: alice drops the connection, bob writes, alice comes
			// back with her token and catches up.
			token := ca.Token()
			ca.Close()
			waitHook(t, cb, spec.HookNewLogout)
			require.NoError(t, cb.SendMessage(ctx, "alice", alicePub, "while you were away", at.Add(time.Second)))
			require.NoError(t, cb.SendMessage(ctx, "alice", alicePub, "second", at.Add(2*time.Second)))

			ca2 := dial(t, srv, d, true)
			res, err := ca2.LoginWithToken(ctx, "alice", token, alice)
			require.NoError(t, err)
			assert.True(t, res.UsedToken)
			n, err := ca2.CatchUp(ctx)
			require.NoError(t, err)
			assert.Equal(t, 2, n)
			assert.Equal(t, "while you were away", waitMessage(t, ca2).Text)
			assert.Equal(t, "second", waitMessage(t, ca2).Text)
			n, err = ca2.CatchUp(ctx)
			require.NoError(t, err)
			assert.Zero(t, n)

			// Token login over plain TCP is refused locally.
			cplain := dial(t, srv, d, false)
			_, err = cplain.LoginWithToken(ctx, "alice", token, alice)
			require.ErrorIs(t, err, core.ErrNotSecure)

			// Admin operations need a level; bob has none.
			assert.True(t, core.IsCode(cb.AdminKick(ctx, "alice"), spec.CodePerms))

			require.NoError(t, ca2.Logout(ctx))
			require.NoError(t, cb.Deregister(ctx))
		})
	}
}

func waitHook(t *testing.T, c *core.Client, kind spec.Hook) core.Hook {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev := <-c.Events():
			if h, ok := ev.(core.Hook); ok && h.Kind == kind {
				return h
			}
		case <-timeout:
			t.Fatalf("no %s hook", kind)
		}
	}
}

// Reconnect restores the session with the token over TLS.
func TestReconnectWithToken(t *testing.T) {
	alice := testkeys.Load(t, "alice")
	srv := startServer(t, spec.DialectSpec)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := dial(t, srv, spec.DialectSpec, true)
	require.NoError(t, c.Register(ctx, "alice", alice))
	_, err := c.Login(ctx, "alice", alice)
	require.NoError(t, err)

	nc, res, err := c.Reconnect(ctx)
	require.NoError(t, err)
	defer nc.Close()
	assert.True(t, res.UsedToken)
	name, _ := nc.User()
	assert.Equal(t, "alice", name)
}
