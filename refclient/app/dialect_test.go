package app

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/internal/testserver"
	"github.com/gochatproto/gochat/refclient/core"
	"github.com/gochatproto/gochat/refclient/store"
	"github.com/gochatproto/gochat/spec"
)

// A client set to one dialect logs in to a server of the other, with
// messages queued for it: it learns the server's dialect before the
// catch-up, so nothing queued is lost, and remembers it for the server.
func TestDialectLearntBeforeCatchUp(t *testing.T) {
	for _, server := range []spec.Dialect{spec.DialectGochat1, spec.DialectSpec} {
		client := otherDialect(server)
		t.Run("client "+client.String()+" server "+server.String(), func(t *testing.T) {
			ctx := context.Background()
			addr := testserver.Start(t, testserver.WithDialect(server)).Addr()
			alice, bob := newClient(t, "alice"), newClient(t, "bob")
			alice.cfg.Dialect, bob.cfg.Dialect = client, server

			as := alice.connectDialect(t, addr, client)
			_, err := as.Register(ctx, "alice", []byte("pw"))
			require.NoError(t, err)
			as.Close()
			bs := bob.connectDialect(t, addr, server)
			_, err = bs.Register(ctx, "bob", []byte("pw"))
			require.NoError(t, err)
			_, err = bs.Login(ctx, "bob", []byte("pw"), LoginOptions{})
			require.NoError(t, err)
			for _, text := range []string{"first while you were out", "second"} {
				res, err := bs.Send(ctx, "alice", text)
				require.NoError(t, err)
				assert.True(t, res.Queued, "alice is offline")
			}

			as = alice.connectDialect(t, addr, client)
			res, err := as.Login(ctx, "alice", []byte("pw"), LoginOptions{CatchUp: true})
			require.NoError(t, err)
			assert.Equal(t, 2, res.CaughtUp)
			as.Sync()
			assert.Equal(t, []string{"bob: first while you were out", "bob: second"}, alice.rec.texts())
			assert.Equal(t, server, as.Client().Dialect())
			sv, err := alice.st.Server(ctx, as.Server().Name)
			require.NoError(t, err)
			assert.Equal(t, store.Dialect(server.String()), sv.Dialect, "remembered for the server")

			// And the conversation goes on in the server's dialect.
			_, err = as.Send(ctx, "bob", "got them")
			require.NoError(t, err)
		})
	}
}

// A RECIV nobody can read is kept and read again at the next login.
func TestUnreadableMessageKept(t *testing.T) {
	ctx := context.Background()
	addr := testserver.Start(t).Addr()
	alice := newClient(t, "alice")
	as := alice.connect(t, addr, false)
	_, err := as.Register(ctx, "alice", []byte("pw"))
	require.NoError(t, err)
	_, err = as.Login(ctx, "alice", []byte("pw"), LoginOptions{})
	require.NoError(t, err)

	// The pump is handed a gochat1 RECIV on a spec connection whose
	// dialect is settled, as if it had arrived.
	key, err := as.OpenKey(ctx, "alice", []byte("pw"))
	require.NoError(t, err)
	ct, err := spec.Encrypt(&key.PublicKey, []byte("kept for later"))
	require.NoError(t, err)
	raw, err := core.EncodeRECIV(core.Message{From: "bob", Stamp: time.Unix(1700000000, 0), Ciphertext: ct}, spec.DialectGochat1)
	require.NoError(t, err)
	as.handleEvent(core.Undecodable{Raw: raw, Err: errSplit})
	kept, err := alice.st.UndecodedPackets(ctx, as.Server().Name, "alice")
	require.NoError(t, err)
	assert.Empty(t, kept, "readable in the other dialect: stored at once")
	assert.Equal(t, []string{"bob: kept for later"}, alice.rec.texts())

	// One that cannot be decrypted now is kept raw...
	undecryptable := core.Message{From: "bob", Stamp: time.Unix(1700000001, 0), Ciphertext: []byte("not for this key"), DecryptErr: errSplit}
	as.handleEvent(undecryptable)
	kept, err = alice.st.UndecodedPackets(ctx, as.Server().Name, "alice")
	require.NoError(t, err)
	require.Len(t, kept, 1)
	assert.Contains(t, kept[0].Reason, "cannot decrypt")
	// ...and stays kept while it still cannot be read.
	require.NoError(t, as.Logout(ctx))
	res, err := as.Login(ctx, "alice", []byte("pw"), LoginOptions{})
	require.NoError(t, err)
	assert.Empty(t, res.Recovered)
	kept, err = alice.st.UndecodedPackets(ctx, as.Server().Name, "alice")
	require.NoError(t, err)
	assert.Len(t, kept, 1)
}

var errSplit = &spec.ProtocolError{Code: spec.CodeArgs, Err: spec.ErrSplit}

func (c *client) connectDialect(t *testing.T, addr string, d spec.Dialect) *Session {
	t.Helper()
	ctx := context.Background()
	sv, err := ResolveServer(ctx, c.st, addr, store.Server{Dialect: store.Dialect(d.String())})
	require.NoError(t, err)
	s, err := Connect(ctx, c.cfg, sv, c.rec.handle)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSplitAndQueuedSend(t *testing.T) {
	ctx := context.Background()
	addr := testserver.Start(t).Addr()
	alice, bob := newClient(t, "alice"), newClient(t, "bob")
	bs := bob.connect(t, addr, false)
	_, err := bs.Register(ctx, "bob", []byte("pw"))
	require.NoError(t, err)
	as := alice.connect(t, addr, false)
	_, err = as.Register(ctx, "alice", []byte("pw"))
	require.NoError(t, err)
	_, err = as.Login(ctx, "alice", []byte("pw"), LoginOptions{SubscribeAll: true})
	require.NoError(t, err)

	long := ""
	for len(long) < 600 {
		long += "word "
	}
	res, err := as.Send(ctx, "bob", long)
	require.NoError(t, err)
	require.Len(t, res.Parts, 2)
	assert.True(t, res.Queued, "bob is offline")
	for _, p := range res.Parts {
		assert.LessOrEqual(t, len(p.Text), 446)
		assert.NotZero(t, p.ID)
	}

	_, err = bs.Login(ctx, "bob", []byte("pw"), LoginOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool { online, _ := as.IsOnline(ctx, "bob"); return online },
		5*time.Second, 10*time.Millisecond, "the login hook updates who is online")
	res, err = as.Send(ctx, "bob", "short")
	require.NoError(t, err)
	assert.False(t, res.Queued)
	hist, err := as.History(ctx, "bob", 0, 10)
	require.NoError(t, err)
	require.Len(t, hist, 3)
	assert.True(t, hist[0].Queued)
	assert.False(t, hist[2].Queued)
}

func TestResolveServerDefaults(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, "alice")
	for target, want := range map[string]string{
		"localhost":          "localhost:9037",
		"tls:localhost":      "localhost:8037",
		"example.org:1234":   "example.org:1234",
		"tls:example.org:99": "example.org:99",
		"::1":                "[::1]:9037",
		"[::1]":              "[::1]:9037",
	} {
		sv, err := ResolveServer(ctx, c.st, target, store.Server{})
		require.NoError(t, err, target)
		assert.Equal(t, want, sv.Address, target)
	}
	sv, err := ResolveServer(ctx, c.st, "tls:localhost", store.Server{})
	require.NoError(t, err)
	assert.Equal(t, "tls:localhost:8037", sv.Name, "saved under the same name next time")
	assert.True(t, sv.TLS)
	_, err = ResolveServer(ctx, c.st, "bad host:0", store.Server{})
	assert.Error(t, err)
}
