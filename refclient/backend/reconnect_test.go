package backend

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/internal/testserver"
	"github.com/gochatproto/gochat/refclient/model"
	"github.com/gochatproto/gochat/refclient/ui"
	"github.com/gochatproto/gochat/refserver/server"
	"github.com/gochatproto/gochat/refserver/store/sqlstore"
)

// restartable is a reference server on a fixed address with its store on
// disk, so it can be stopped and started again where clients expect it.
type restartable struct {
	t    *testing.T
	addr string
	db   string
	opts []testserver.Option
	srv  *testserver.Server
}

func newRestartable(t *testing.T, opts ...testserver.Option) *restartable {
	t.Helper()
	first := testserver.Start(t) // borrow a free port
	addr := first.Addr()
	require.NoError(t, first.Stop())
	r := &restartable{t: t, addr: addr, db: filepath.Join(t.TempDir(), "server.db"), opts: opts}
	r.start()
	return r
}

func (r *restartable) start() {
	r.t.Helper()
	st, err := sqlstore.OpenSQLite(context.Background(), r.db)
	require.NoError(r.t, err)
	r.srv = testserver.Start(r.t, append([]testserver.Option{testserver.WithStore(st), testserver.WithAddr(r.addr)}, r.opts...)...)
}

func (r *restartable) stop() { require.NoError(r.t, r.srv.Stop()) }

// status waits for a StatusEvent in state st, skipping other events.
func status(t *testing.T, be *Backend, st model.ConnState) ui.StatusEvent {
	t.Helper()
	for {
		ev := next[ui.StatusEvent](t, be)
		if ev.State == st {
			return ev
		}
	}
}

// The server stops under a logged-in user and comes back: the backend
// counts down, reconnects, logs in with the key it holds and catches up
// with what was sent meanwhile.
func TestReconnectAfterServerRestart(t *testing.T) {
	ctx := context.Background()
	srv := newRestartable(t)
	alice, bob := newBackend(t, "alice"), newBackend(t, "bob")
	for name, be := range map[string]*Backend{"alice": alice, "bob": bob} {
		_, err := be.Connect(ctx, srv.addr, nil)
		require.NoError(t, err)
		require.NoError(t, be.Register(ctx, srv.addr, name, "pw"))
		require.NoError(t, be.Login(ctx, srv.addr, name, "pw"))
	}

	srv.stop()
	st := status(t, alice, model.Reconnecting)
	assert.Contains(t, st.Text, "Connection lost: the server closed the connection (kicked by an admin, or the server stopped)")
	assert.False(t, st.RetryAt.IsZero())
	_, err := alice.Users(ctx, srv.addr, false)
	require.ErrorContains(t, err, "not connected")

	srv.start()
	st = status(t, bob, model.LoggedIn)
	assert.Equal(t, "bob", st.User)
	_, err = bob.Send(ctx, srv.addr, "alice", "sent while you reconnected")
	require.NoError(t, err)
	// Live or caught up, depending on who reconnects first: the message
	// may come before or after the status.
	var msg ui.MessageEvent
	st = ui.StatusEvent{}
	deadline := time.After(10 * time.Second)
	for msg.Text == "" || st.State != model.LoggedIn {
		select {
		case ev := <-alice.Events():
			switch ev := ev.(type) {
			case ui.MessageEvent:
				msg = ev
			case ui.StatusEvent:
				st = ev
			}
		case <-deadline:
			t.Fatalf("alice did not reconnect and receive the message: %+v %+v", st, msg)
		}
	}
	assert.Equal(t, "Reconnected; logged in as alice.", st.Text)
	assert.Equal(t, "sent while you reconnected", msg.Text)
	users, err := alice.Users(ctx, srv.addr, false)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"alice", "bob"}, users)
}

// /disconnect while reconnecting stops trying; /reconnect after a kick
// logs in again.
func TestReconnectStopsAndKick(t *testing.T) {
	ctx := context.Background()
	srv := newRestartable(t)
	alice, bob := newBackend(t, "alice"), newBackend(t, "bob")
	_, err := alice.Connect(ctx, srv.addr, nil)
	require.NoError(t, err)
	require.NoError(t, alice.Register(ctx, srv.addr, "alice", "pw"))
	require.NoError(t, alice.Login(ctx, srv.addr, "alice", "pw"))
	_, err = bob.Connect(ctx, srv.addr, nil)
	require.NoError(t, err)
	require.NoError(t, bob.Register(ctx, srv.addr, "bob", "pw"))
	require.NoError(t, server.SetPerm(ctx, srv.srv.Store, "bob", 2))
	require.NoError(t, bob.Login(ctx, srv.addr, "bob", "pw"))

	require.NoError(t, bob.Admin(ctx, srv.addr, "kick", []string{"alice"}))
	st := status(t, alice, model.Connected)
	assert.Equal(t, "Kicked by an admin. Still connected; /reconnect logs in again.", st.Text)
	require.NoError(t, alice.Reconnect(ctx, srv.addr))
	assert.Equal(t, "alice", status(t, alice, model.LoggedIn).User)

	srv.stop()
	status(t, alice, model.Reconnecting)
	require.NoError(t, alice.Disconnect(ctx, srv.addr))
	require.ErrorContains(t, alice.Reconnect(ctx, srv.addr), "no lost login")
}
