package backend

import (
	"context"
	"crypto/rsa"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/internal/testserver"
	"github.com/gochatproto/gochat/refclient/app"
	"github.com/gochatproto/gochat/refclient/internal/testkeys"
	"github.com/gochatproto/gochat/refclient/keyring"
	"github.com/gochatproto/gochat/refclient/model"
	"github.com/gochatproto/gochat/refclient/store"
	"github.com/gochatproto/gochat/refclient/ui"
)

func newBackend(t *testing.T, name string) *Backend {
	t.Helper()
	key := testkeys.Load(t, name)
	st, err := store.Open(context.Background(), store.MemoryPath)
	require.NoError(t, err)
	be := New(app.Config{
		Store: st, KeyParams: keyring.InsecureTestParams, RequestTimeout: 5 * time.Second, KeepAlive: -1,
		GenerateKey: func() (*rsa.PrivateKey, error) { return key, nil },
	}, Options{Backoff: func(int) time.Duration { return 10 * time.Millisecond }})
	t.Cleanup(func() { be.Quit(); st.Close() })
	return be
}

func startServer(t *testing.T) (string, *testserver.Server) {
	t.Helper()
	srv := testserver.Start(t, testserver.WithMOTD("be"))
	return srv.Addr(), srv
}

// next returns the next event of type T, skipping others.
func next[T ui.Event](t *testing.T, be *Backend) T {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-be.Events():
			if e, ok := ev.(T); ok {
				return e
			}
		case <-deadline:
			var zero T
			t.Fatalf("no %T event", zero)
			return zero
		}
	}
}

func TestBackend(t *testing.T) {
	ctx := context.Background()
	addr, _ := startServer(t)
	alice, bob := newBackend(t, "alice"), newBackend(t, "bob")

	name, err := alice.Connect(ctx, addr, nil)
	require.NoError(t, err)
	assert.Equal(t, addr, name)
	assert.Equal(t, "MOTD: be", next[ui.NoticeEvent](t, alice).Text)
	assert.Equal(t, []string{addr}, alice.Servers())
	_, err = alice.Connect(ctx, addr, nil)
	require.ErrorContains(t, err, "already connected")
	require.NoError(t, alice.Register(ctx, addr, "Alice", "pw"))
	require.NoError(t, alice.Login(ctx, addr, "alice", "pw"))

	_, err = bob.Connect(ctx, addr, nil)
	require.NoError(t, err)
	require.NoError(t, bob.Register(ctx, addr, "bob", "pw"))
	require.NoError(t, bob.Login(ctx, addr, "bob", "pw"))
	hook := next[ui.HookEvent](t, alice)
	assert.Equal(t, ui.HookEvent{Server: addr, Hook: "NEWLOGIN", User: "bob"}, hook)

	require.EqualError(t, bob.Query(ctx, addr, "nobody"), "no such user")
	require.NoError(t, bob.Query(ctx, addr, "alice"))
	sent, err := bob.Send(ctx, addr, "alice", "hello")
	require.NoError(t, err)
	require.Len(t, sent.Parts, 1)
	assert.False(t, sent.Queued, "alice is online")
	msg := next[ui.MessageEvent](t, alice)
	assert.Equal(t, "bob", msg.Peer)
	assert.Equal(t, "hello", msg.Text)
	assert.True(t, sent.Parts[0].Time.Equal(msg.Time))
	assert.NotZero(t, msg.ID, "stored before it is shown")

	// History pages by stored row: 0 is the newest, a row asks for those
	// before it.
	hist, err := alice.LoadHistory(ctx, addr, "bob", 0, 10)
	require.NoError(t, err)
	require.Len(t, hist, 1)
	assert.Equal(t, ui.Message{Time: msg.Time, From: "bob", Text: "hello", ID: msg.ID}, hist[0])
	hist, err = alice.LoadHistory(ctx, addr, "bob", msg.ID, 10)
	require.NoError(t, err)
	assert.Empty(t, hist)

	users, err := alice.Users(ctx, addr, false)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"alice", "bob"}, users)
	require.ErrorContains(t, alice.Admin(ctx, addr, "chgperms", []string{"bob"}), "usage: /admin")
	require.EqualError(t, alice.Admin(ctx, addr, "kick", []string{"bob"}),
		"you need admin rights for /admin kick (and a higher level than the user)")
	require.ErrorContains(t, alice.Subscribe(ctx, addr, "sideways"), "unknown hook")
	require.NoError(t, alice.Unsubscribe(ctx, addr, "new_login"), "the original's names work in the TUI too")
	require.ErrorContains(t, alice.Deregister(ctx, addr, "wrong"), "wrong password")

	// The server closing the connection is reported; Disconnect is not.
	require.NoError(t, bob.Disconnect(ctx, addr))
	_, err = bob.Users(ctx, addr, false)
	require.ErrorContains(t, err, "not connected")
	require.NoError(t, alice.Deregister(ctx, addr, "pw"))
	require.NoError(t, alice.Quit())
	require.NoError(t, alice.Quit(), "Quit twice")
}

func TestServerCloses(t *testing.T) {
	ctx := context.Background()
	addr, srv := startServer(t)
	be := newBackend(t, "alice")
	_, err := be.Connect(ctx, addr, nil)
	require.NoError(t, err)
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	st := next[ui.StatusEvent](t, be)
	assert.Equal(t, model.Disconnected, st.State)
	_, err = be.Users(ctx, addr, false)
	require.ErrorContains(t, err, "not connected")
}

// The TUI connects over TLS to an address, with the recommended port
// filled in when none is given, and to a named server.
func TestConnectTLSAndNamedServers(t *testing.T) {
	ctx := context.Background()
	srv := testserver.Start(t, testserver.WithTLS(), testserver.WithMOTD("tls"))
	be := newBackend(t, "alice")
	name, err := be.Connect(ctx, "tls:"+srv.TLSAddr(), []string{"-insecure"})
	require.NoError(t, err)
	assert.Equal(t, "tls:"+srv.TLSAddr(), name)
	assert.Equal(t, "MOTD: tls", next[ui.NoticeEvent](t, be).Text)
	require.NoError(t, be.Disconnect(ctx, name))

	require.NoError(t, be.AddServer(ctx, "secure", srv.TLSAddr(), []string{"-tls", "-insecure"}))
	require.Error(t, be.AddServer(ctx, "secure", srv.TLSAddr(), nil), "names are unique")
	require.ErrorContains(t, be.AddServer(ctx, "bad", srv.TLSAddr(), []string{"-insecure"}), "-insecure only makes sense with -tls")
	name, err = be.Connect(ctx, "secure", nil)
	require.NoError(t, err)
	assert.Equal(t, "secure", name)
	require.NoError(t, be.Register(ctx, name, "alice", "pw"))
	require.NoError(t, be.Login(ctx, name, "alice", "pw"))
	require.ErrorContains(t, be.DeleteServer(ctx, "secure"), "disconnect from secure first")
	require.NoError(t, be.Disconnect(ctx, name))
	require.NoError(t, be.DeleteServer(ctx, "secure"))
	assert.NotContains(t, be.Servers(), "secure")

	_, err = be.Connect(ctx, "localhost", []string{"-dialect", "klingon"})
	require.Error(t, err)
}
