package app

import (
	"context"
	"crypto/rsa"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/internal/testserver"
	"github.com/gochatproto/gochat/refclient/core"
	"github.com/gochatproto/gochat/refclient/internal/testkeys"
	"github.com/gochatproto/gochat/refclient/keyring"
	"github.com/gochatproto/gochat/refclient/store"
	"github.com/gochatproto/gochat/spec"
)

func startServer(t *testing.T) (plain, secure string) {
	t.Helper()
	srv := testserver.Start(t, testserver.WithTLS(), testserver.WithMOTD("app test"))
	return srv.Addr(), srv.TLSAddr()
}

// recorder collects a session's events.
type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) handle(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) texts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		if m, ok := e.Core.(core.Message); ok {
			out = append(out, m.From+": "+m.Text)
		}
	}
	return out
}

func (r *recorder) hooks() []core.Hook {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []core.Hook
	for _, e := range r.events {
		if h, ok := e.Core.(core.Hook); ok {
			out = append(out, h)
		}
	}
	return out
}

type client struct {
	cfg Config
	st  *store.Store
	rec *recorder
}

// newClient returns a client with its own store whose REG uses the
// fixture key of name.
func newClient(t *testing.T, name string) *client {
	t.Helper()
	st, err := store.Open(context.Background(), store.MemoryPath)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	key := testkeys.Load(t, name)
	return &client{st: st, rec: &recorder{}, cfg: Config{
		Store: st, KeyParams: keyring.InsecureTestParams, RequestTimeout: 5 * time.Second, KeepAlive: -1,
		GenerateKey: func() (*rsa.PrivateKey, error) { return key, nil },
	}}
}

func (c *client) connect(t *testing.T, target string, tls bool) *Session {
	t.Helper()
	ctx := context.Background()
	sv, err := ResolveServer(ctx, c.st, target, store.Server{TLS: tls, InsecureSkipVerify: tls})
	require.NoError(t, err)
	s, err := Connect(ctx, c.cfg, sv, c.rec.handle)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSessionConversation(t *testing.T) {
	ctx := context.Background()
	plain, secure := startServer(t)
	alice, bob := newClient(t, "alice"), newClient(t, "bob")

	as := alice.connect(t, secure, true)
	assert.Equal(t, "tls:"+secure, as.Server().Name)
	_, err := as.Register(ctx, "alice", []byte("pw-a"))
	require.NoError(t, err)
	_, err = as.Login(ctx, "alice", []byte("wrong"), LoginOptions{})
	require.ErrorIs(t, err, ErrWrongPassword)
	assert.Equal(t, "", as.User())
	_, err = as.Login(ctx, "alice", []byte("pw-a"), LoginOptions{CatchUp: true, SubscribeAll: true})
	require.NoError(t, err)

	bs := bob.connect(t, plain, false)
	_, err = bs.Register(ctx, "bob", []byte("pw-b"))
	require.NoError(t, err)
	_, err = bs.Login(ctx, "bob", []byte("pw-b"), LoginOptions{SubscribeAll: true})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(alice.rec.hooks()) > 0 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, core.Hook{Kind: spec.HookNewLogin, User: "bob"}, alice.rec.hooks()[0])

	_, err = bs.Send(ctx, "alice", "hi alice")
	require.NoError(t, err)
	_, err = as.Send(ctx, "bob", "hi bob")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(alice.rec.texts()) == 1 && len(bob.rec.texts()) == 1 },
		5*time.Second, 10*time.Millisecond)
	as.Sync()
	hist, err := as.History(ctx, "bob", 0, 10)
	require.NoError(t, err)
	require.Len(t, hist, 2, "both directions stored")
	assert.Equal(t, store.Incoming, hist[0].Direction)
	assert.Equal(t, "hi alice", hist[0].Body)
	assert.Equal(t, store.Outgoing, hist[1].Direction)

	// A message sent while alice is logged out arrives with the catch-up
	// at her next login, and is stored.
	require.NoError(t, as.Logout(ctx))
	_, err = bs.Send(ctx, "alice", "while you were away")
	require.NoError(t, err)
	res, err := as.Login(ctx, "alice", []byte("pw-a"), LoginOptions{CatchUp: true, SubscribeAll: true})
	require.NoError(t, err)
	assert.Equal(t, 1, res.CaughtUp)
	as.Sync()
	assert.Equal(t, []string{"bob: hi alice", "bob: while you were away"}, alice.rec.texts())
	hist, err = as.History(ctx, "bob", 0, 2)
	require.NoError(t, err)
	require.Len(t, hist, 2)
	assert.Equal(t, "while you were away", hist[1].Body)
	hist, err = as.History(ctx, "bob", hist[0].ID, 10)
	require.NoError(t, err)
	require.Len(t, hist, 1, "paging by row keeps messages of the same second")
	assert.Equal(t, "hi alice", hist[0].Body)

	// Reconnecting over TLS restores the session with the token.
	ns, lres, err := as.Reconnect(ctx, LoginOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { ns.Close() })
	assert.True(t, lres.UsedToken)
	assert.Equal(t, "alice", ns.User())

	// Admin needs permissions; deregistration removes the local account.
	_, err = bs.Admin(ctx, "kick", []string{"alice"})
	assert.True(t, core.IsCode(err, spec.CodePerms), "%v", err)
	_, err = bs.Admin(ctx, "setperms", []string{"alice"})
	var ue *UsageError
	require.ErrorAs(t, err, &ue)
	user, err := bs.Deregister(ctx)
	require.NoError(t, err)
	assert.Equal(t, "bob", user)
	ok, err := bs.HasAccount(ctx, "bob")
	require.NoError(t, err)
	assert.False(t, ok)
}

// A key that changed on the server blocks sending until Trust.
func TestSessionKeyChange(t *testing.T) {
	ctx := context.Background()
	plain, _ := startServer(t)
	alice, bob := newClient(t, "alice"), newClient(t, "bob")
	bs := bob.connect(t, plain, false)
	_, err := bs.Register(ctx, "bob", []byte("pw"))
	require.NoError(t, err)
	as := alice.connect(t, plain, false)
	_, err = as.Register(ctx, "alice", []byte("pw"))
	require.NoError(t, err)
	_, err = as.Login(ctx, "alice", []byte("pw"), LoginOptions{})
	require.NoError(t, err)
	_, _, err = as.RequestKey(ctx, "bob")
	require.NoError(t, err)

	other := testkeys.Load(t, "alice")
	der, err := spec.DialectSpec.MarshalPublicKey(&other.PublicKey)
	require.NoError(t, err)
	_, err = alice.st.PinContactKey(ctx, as.Server().Name, "alice", "bob", der)
	require.NoError(t, err)

	_, err = as.Send(ctx, "bob", "hi")
	var kp *KeyPendingError
	require.ErrorAs(t, err, &kp)
	_, _, err = as.Trust(ctx, "bob")
	require.NoError(t, err)
	_, _, err = as.Trust(ctx, "bob")
	require.ErrorIs(t, err, ErrNoKeyChange)
}

func TestShutdownTime(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	for in, want := range map[string]time.Time{
		"5":          now.Add(5 * time.Minute).Truncate(time.Second),
		"90s":        now.Add(90 * time.Second).Truncate(time.Second),
		"1800000000": time.Unix(1800000000, 0),
	} {
		got, err := ShutdownTime(in, now)
		require.NoError(t, err, in)
		assert.True(t, want.Equal(got), "%s: %v", in, got)
	}
	for _, bad := range []string{"", "-1s", "soon", "999999999"} {
		_, err := ShutdownTime(bad, now)
		assert.Error(t, err, bad)
	}
}
