package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/refserver/server"
	"github.com/gochatproto/gochat/spec"
)

func TestSubscriptions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.user("alice", 0, 0)
	e.user("bob", 1, 0)
	e.user("owner", 2, 2)
	a := e.dial()
	a.login("alice", 0)
	a.do(spec.SUB, uint8(spec.HookNewLogin))
	a.expectErr(a.send(spec.SUB, uint8(spec.HookNewLogin)), spec.CodeExists)
	a.expectErr(a.send(spec.UNSUB, uint8(spec.HookNewLogout)), spec.CodeNotFound)
	a.expectErr(a.send(spec.SUB, 5), spec.CodeOption)
	a.expectErr(a.send(spec.UNSUB, 9), spec.CodeOption)
	a.do(spec.SUB, uint8(spec.HookAll))
	a.do(spec.SUB, uint8(spec.HookAll))

	b := e.dial()
	b.login("bob", 1)
	h := a.expect(spec.HOOK, 0)
	require.Equal(t, uint8(spec.HookNewLogin), h.Info)
	require.Equal(t, [][]byte{[]byte("bob"), {0}}, h.Args)

	o := e.dial()
	o.login("owner", 2)
	a.expect(spec.HOOK, 0) // owner's login
	o.do(spec.ADMIN, uint8(spec.AdminChgPerms), []byte("bob"), []byte{1})
	h = a.expect(spec.HOOK, 0)
	require.Equal(t, uint8(spec.HookPermsChg), h.Info)
	require.Equal(t, [][]byte{[]byte("bob"), {1}}, h.Args)

	b.do(spec.LOGOUT, spec.EmptyInfo)
	h = a.expect(spec.HOOK, 0)
	require.Equal(t, uint8(spec.HookNewLogout), h.Info)
	require.Equal(t, [][]byte{[]byte("bob")}, h.Args)

	a.do(spec.UNSUB, uint8(spec.HookAll))
	a.do(spec.UNSUB, uint8(spec.HookAll))
	b.login("bob", 1)
	// Logout drops subscriptions (E-36).
	a.do(spec.SUB, uint8(spec.HookNewLogout))
	a.do(spec.LOGOUT, spec.EmptyInfo)
	a.login("alice", 0)
	b.do(spec.LOGOUT, spec.EmptyInfo)
	a.do(spec.UNSUB, uint8(spec.HookAll)) // next packet is this OK, no HOOK
}

func TestDisconnectHook(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.user("alice", 0, 0)
	e.user("bob", 1, 0)
	a, b := e.dial(), e.dial()
	a.login("alice", 0)
	a.do(spec.SUB, uint8(spec.HookNewLogout))
	b.login("bob", 1)
	b.nc.Close()
	h := a.expect(spec.HOOK, 0)
	require.Equal(t, [][]byte{[]byte("bob")}, h.Args)
	// And bob can log in again elsewhere.
	e.dial().login("bob", 1)
}

func TestAdminMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.user("user", 0, 0)
	e.user("admin", 1, 1)
	e.user("owner", 2, 2)
	e.user("victim", 3, 0)
	conns := map[string]*client{}
	for i, n := range []string{"user", "admin", "owner"} {
		c := e.dial()
		c.login(n, i)
		conns[n] = c
	}
	future := stamp(e.cfg.Dialect, time.Now().Add(time.Hour).Unix())
	ops := []struct {
		op   spec.AdminOp
		args [][]byte
		min  int
	}{
		{spec.AdminDereg, [][]byte{[]byte("nobody")}, 1},
		{spec.AdminKick, [][]byte{[]byte("nobody")}, 1},
		{spec.AdminChgPerms, [][]byte{[]byte("nobody"), {0}}, 2},
		{spec.AdminMotd, [][]byte{[]byte("new motd")}, 2},
	}
	for _, o := range ops {
		for lvl, n := range []string{"user", "admin", "owner"} {
			c := conns[n]
			id := c.send(spec.ADMIN, uint8(o.op), o.args...)
			p := c.read()
			require.Equal(t, id, p.ID)
			if lvl < o.min {
				require.Equal(t, spec.ERR, p.Action, "%s by %s", o.op, n)
				require.Equal(t, spec.CodePerms, spec.ErrCode(p.Info), "%s by %s", o.op, n)
				continue
			}
			switch o.op {
			case spec.AdminDereg, spec.AdminKick, spec.AdminChgPerms:
				require.Equal(t, spec.ERR, p.Action)
				require.Equal(t, spec.CodeNotFound, spec.ErrCode(p.Info), "%s by %s", o.op, n)
			default:
				require.Equal(t, spec.OK, p.Action, "%s by %s", o.op, n)
			}
		}
	}
	// Order of checks (E-31): option, then args, then level.
	u := conns["user"]
	u.expectErr(u.send(spec.ADMIN, 9), spec.CodeOption)
	u.expectErr(u.send(spec.ADMIN, uint8(spec.AdminKick), []byte("bad name")), spec.CodeArgs)
	u.expectErr(u.send(spec.ADMIN, uint8(spec.AdminChgPerms), []byte("vic tim"), []byte{0}), spec.CodeArgs)
	u.expectErr(u.send(spec.ADMIN, uint8(spec.AdminShtdwn), stamp(e.cfg.Dialect, 5)), spec.CodeArgs)

	o, a := conns["owner"], conns["admin"]
	o.expectErr(o.send(spec.ADMIN, uint8(spec.AdminChgPerms), []byte("victim"), []byte{2}), spec.CodePerms)
	o.expectErr(o.send(spec.ADMIN, uint8(spec.AdminChgPerms), []byte("victim"), []byte{200}), spec.CodePerms)
	o.expectErr(o.send(spec.ADMIN, uint8(spec.AdminChgPerms), []byte("admin"), []byte{1}), spec.CodeInvalid)
	o.expectErr(o.send(spec.ADMIN, uint8(spec.AdminChgPerms), []byte("victim"), []byte{0}), spec.CodeInvalid)
	o.expectErr(o.send(spec.ADMIN, uint8(spec.AdminChgPerms), []byte("owner"), []byte{1}), spec.CodePerms)
	a.expectErr(a.send(spec.ADMIN, uint8(spec.AdminDereg), []byte("owner")), spec.CodePerms)
	a.expectErr(a.send(spec.ADMIN, uint8(spec.AdminKick), []byte("admin")), spec.CodePerms)
	a.expectErr(a.send(spec.ADMIN, uint8(spec.AdminBrdcast), []byte("hi")), spec.CodeNoSecure)
	o.do(spec.ADMIN, uint8(spec.AdminChgPerms), []byte("victim"), []byte{1})
	v, err := e.st.UserByName(context.Background(), "victim")
	require.NoError(t, err)
	require.Equal(t, uint8(1), v.Perm)

	u.expectErr(u.send(spec.ADMIN, uint8(spec.AdminShtdwn), future), spec.CodePerms)
	id := a.send(spec.ADMIN, uint8(spec.AdminShtdwn), future)
	a.expect(spec.SHTDWN, 0)
	a.expectOK(id)
	u.expect(spec.SHTDWN, 0)

	// The MOTD change is persisted and used by later HELLOs (E-35).
	h := e.dialNoHello().expect(spec.HELLO, 0)
	require.Equal(t, "new motd", string(h.Args[0]))
}

func TestAdminKickAndDereg(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.user("admin", 0, 1)
	e.user("bob", 1, 0)
	e.user("carol", 2, 0)
	a, b, c := e.dial(), e.dial(), e.dial()
	a.login("admin", 0)
	a.do(spec.SUB, uint8(spec.HookNewLogout))
	b.login("bob", 1)
	c.login("carol", 2)

	id := a.send(spec.ADMIN, uint8(spec.AdminKick), []byte("BOB"))
	h := a.expect(spec.HOOK, 0) // raised while the kick runs, before its OK
	require.Equal(t, [][]byte{[]byte("bob")}, h.Args)
	a.expectOK(id)
	b.expectErr(0, spec.CodeDiscn)
	b.expectClosed()
	a.expectErr(a.send(spec.ADMIN, uint8(spec.AdminKick), []byte("bob")), spec.CodeNotFound)

	id = a.send(spec.ADMIN, uint8(spec.AdminDereg), []byte("carol"))
	a.expect(spec.HOOK, 0)
	a.expectOK(id)
	c.expectErr(0, spec.CodeDereg)
	c.expectClosed()
	a.do(spec.ADMIN, uint8(spec.AdminDereg), []byte("carol")) // already: OK (E-34)
	u, err := e.st.UserByName(context.Background(), "carol")
	require.NoError(t, err)
	require.True(t, u.Deregistered)
	d := e.dial()
	d.expectErr(d.send(spec.LOGIN, spec.EmptyInfo, []byte("carol")), spec.CodeDereg)
}

func TestAdminBroadcast(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.user("admin", 0, 1)
	e.user("bob", 1, 0)
	a := e.dialTLS()
	a.login("admin", 0)
	b := e.dial()
	b.login("bob", 1)
	a.do(spec.ADMIN, uint8(spec.AdminBrdcast), []byte("hello all"))
	p := b.expect(spec.RECIV, 0)
	require.Equal(t, "admin", string(p.Args[0]))
	plain, err := spec.Decrypt(key(t, 1), p.Args[2])
	require.NoError(t, err)
	require.Equal(t, "ADMINISTRATIVE BROADCAST:\nhello all", string(plain))
	long := make([]byte, 421)
	a.expectErr(a.send(spec.ADMIN, uint8(spec.AdminBrdcast), long), spec.CodeArgs)
}

func TestAdminShutdown(t *testing.T) {
	t.Parallel()
	// The next whole second is 1 s away on this clock: time enough for the
	// logins below, short enough for a test.
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	e := newEnv(t, func(c *server.Config) { c.Now = clock.Now })
	e.user("admin", 0, 1)
	e.user("bob", 1, 0)
	a, b := e.dial(), e.dial()
	a.login("admin", 0)
	b.login("bob", 1)
	anon := e.dial()
	id := a.send(spec.ADMIN, uint8(spec.AdminShtdwn), stamp(e.cfg.Dialect, 1_800_000_000))
	a.expectErr(id, spec.CodeArgs) // not strictly in the future
	at := int64(1_800_000_001)
	ts := stamp(e.cfg.Dialect, at)
	id = a.send(spec.ADMIN, uint8(spec.AdminShtdwn), ts)
	require.Equal(t, [][]byte{ts}, a.expect(spec.SHTDWN, 0).Args) // before the OK (E-32)
	a.expectOK(id)
	require.Equal(t, [][]byte{ts}, b.expect(spec.SHTDWN, 0).Args)

	e.user("carol", 2, 0)
	c := e.dial()
	c.login("carol", 2)
	c.expect(spec.SHTDWN, 0) // logged in while scheduled

	select {
	case <-e.srv.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop")
	}
	for _, x := range []*client{a, b, c, anon} {
		x.expectErr(0, spec.CodeDiscn)
		x.expectClosed()
	}
}

func TestShutdownNotifies(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.MaxClients = 1 })
	a := e.dial()
	w := e.dialNoHello() // waiting in admission
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, e.srv.Shutdown(ctx))
	a.expectErr(0, spec.CodeDiscn)
	a.expectClosed()
	w.expectClosed()
}
