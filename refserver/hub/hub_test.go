package hub

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/refserver/store/sqlstore"
	"github.com/gochatproto/gochat/spec"
)

type fakePeer struct {
	mu   sync.Mutex
	sent []*spec.Packet
}

func (p *fakePeer) Send(pk *spec.Packet) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent = append(p.sent, pk)
	return true
}
func (p *fakePeer) Deliver(context.Context, []byte) error { return nil }
func (p *fakePeer) Close(spec.ErrCode)                    {}
func (p *fakePeer) RemoteIP() string                      { return "127.0.0.1" }
func (p *fakePeer) Secure() bool                          { return false }

func newHub(t *testing.T, now *time.Time, maxPending int) *Hub {
	t.Helper()
	st, err := sqlstore.OpenSQLite(context.Background(), ":memory:")
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	h, err := New(context.Background(), Config{
		VerifyTimeout: time.Minute, TokenTTL: time.Minute, MaxPending: maxPending,
		Now: func() time.Time { return *now },
	}, st)
	require.NoError(t, err)
	return h
}

func TestPendingBoundSweepsExpired(t *testing.T) {
	now := time.Unix(1000, 0)
	h := newHub(t, &now, 2)
	a, b, c := new(int), new(int), new(int)
	require.NoError(t, h.BeginVerify(a, "a", []byte("x")))
	require.NoError(t, h.BeginVerify(b, "b", []byte("y")))
	require.ErrorIs(t, h.BeginVerify(c, "c", []byte("z")), ErrBusy)
	now = now.Add(time.Minute)
	require.NoError(t, h.BeginVerify(c, "c", []byte("z")), "expired entries make room")
	_, err := h.TakeVerify(a)
	require.ErrorIs(t, err, ErrNoPending)
	p, err := h.TakeVerify(c)
	require.NoError(t, err)
	require.Equal(t, "c", p.Name)
}

func TestTokenExpiryIsFixed(t *testing.T) {
	now := time.Unix(1000, 0)
	h := newHub(t, &now, 0)
	require.ErrorIs(t, h.CheckToken("a", []byte("t")), ErrNotFound)
	h.IssueToken("a", []byte("t"))
	require.ErrorIs(t, h.CheckToken("a", []byte("u")), ErrBadToken)
	now = now.Add(59 * time.Second)
	require.NoError(t, h.CheckToken("a", []byte("t")))
	now = now.Add(time.Second)
	require.ErrorIs(t, h.CheckToken("a", []byte("t")), ErrNotFound)
}

func TestHooksReachSubscribersOnly(t *testing.T) {
	now := time.Unix(1000, 0)
	h := newHub(t, &now, 0)
	pa, pb := &fakePeer{}, &fakePeer{}
	a, err := h.Login("a", 0, pa)
	require.NoError(t, err)
	require.NoError(t, h.Subscribe(a, spec.HookAll))
	b, err := h.Login("b", 1, pb)
	require.NoError(t, err)
	_, err = h.Login("b", 1, &fakePeer{})
	require.ErrorIs(t, err, ErrDupSess)
	h.PermChanged("zed", 1) // offline target still notifies (E-36)
	require.True(t, h.Logout(b))
	require.False(t, h.Logout(b))
	require.Len(t, pa.sent, 3) // NEWLOGIN b, PERMSCHG zed, NEWLOGOUT b
	require.Equal(t, uint8(spec.HookNewLogin), pa.sent[0].Info)
	require.Equal(t, uint8(spec.HookPermsChg), pa.sent[1].Info)
	require.Equal(t, uint8(spec.HookNewLogout), pa.sent[2].Info)
	require.Empty(t, pb.sent)
}
