package server_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/refserver/server"
	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/spec"
)

const (
	flooder = "127.0.0.2"
	other   = "127.0.0.3"
)

// A source past its REG budget gets ERR_LOGIN with the request's ID and
// no account; the connection then reads nothing for a second; another
// source registers as usual (E-49).
func TestRegThrottle(t *testing.T) {
	needLoopbackSources(t)
	e := newEnv(t, func(c *server.Config) { c.Limits.Reg = server.Rate{N: 1, Per: time.Hour, Burst: 2} })
	c := e.dialFrom(flooder)
	for i := range 2 {
		c.do(spec.REG, spec.EmptyInfo, fmt.Appendf(nil, "ok%d", i), pubDER(t, i))
	}
	c.expectErr(c.send(spec.REG, spec.EmptyInfo, []byte("over"), pubDER(t, 2)), spec.CodeLogin)
	_, err := e.st.UserByName(context.Background(), "over")
	require.ErrorIs(t, err, store.ErrNotFound, "a refused REG creates nothing")

	start := time.Now()
	c.expectErr(c.send(spec.REG, spec.EmptyInfo, []byte("over"), pubDER(t, 2)), spec.CodeLogin)
	require.GreaterOrEqual(t, time.Since(start), time.Second, "the refusal pauses the connection's reading")

	o := e.dialFrom(other)
	o.do(spec.REG, spec.EmptyInfo, []byte("fine"), pubDER(t, 3))
}

// LOGIN takes a token whether it asks for a challenge or uses a token;
// once the bucket is empty, a LOGIN is refused before any store lookup or
// encryption. A logged-in connection is not throttled: it gets the
// session's own answer (E-24).
func TestLoginThrottle(t *testing.T) {
	needLoopbackSources(t)
	e := newEnv(t, func(c *server.Config) { c.Limits.Login = server.Rate{N: 1, Per: time.Hour, Burst: 2} })
	e.user("alice", 0, 0)
	e.user("bob", 1, 0)
	c := e.dialFrom(flooder)
	c.login("alice", 0) // one token
	c.do(spec.LOGOUT, spec.EmptyInfo)
	c.challenge("alice", 0) // two
	c.expectErr(c.send(spec.LOGIN, spec.EmptyInfo, []byte("alice")), spec.CodeLogin)

	d := e.dialFrom(flooder)
	d.expectErr(d.send(spec.LOGIN, spec.EmptyInfo, []byte("bob")), spec.CodeLogin)

	o := e.dialFrom(other)
	o.login("bob", 1)
	o.expectErr(o.send(spec.LOGIN, spec.EmptyInfo, []byte("bob")), spec.CodeInvalid)
}

// Failed VERIFs spend the source's VerifyFail bucket; with it empty even
// a right VERIF is refused unread, while another source logs in.
func TestVerifyFailThrottle(t *testing.T) {
	needLoopbackSources(t)
	e := newEnv(t, func(c *server.Config) { c.Limits.VerifyFail = server.Rate{N: 1, Per: time.Hour, Burst: 1} })
	e.user("alice", 0, 0)
	c := e.dialFrom(flooder)
	c.challenge("alice", 0)
	c.expectErr(c.send(spec.VERIF, spec.EmptyInfo, []byte("alice"), []byte("wrong")), spec.CodeHandshake)
	plain := c.challenge("alice", 0)
	c.expectErr(c.send(spec.VERIF, spec.EmptyInfo, []byte("alice"), plain), spec.CodeLogin)

	o := e.dialFrom(other)
	o.login("alice", 0)
}

// A source may have MaxPendingPerSource verifications waiting at once; a
// connection may still replace its own, and a finished one frees a place
// (E-52).
func TestPendingPerSource(t *testing.T) {
	needLoopbackSources(t)
	e := newEnv(t, func(c *server.Config) { c.Limits.MaxPendingPerSource = 2 })
	e.user("alice", 0, 0)
	a, b, c := e.dialFrom(flooder), e.dialFrom(flooder), e.dialFrom(flooder)
	a.challenge("alice", 0)
	b.challenge("alice", 0)
	c.expectErr(c.send(spec.LOGIN, spec.EmptyInfo, []byte("alice")), spec.CodeLogin)
	a.challenge("alice", 0) // replaces a's own
	e.dialFrom(other).challenge("alice", 0)

	b.do(spec.LOGOUT, spec.EmptyInfo) // cancels b's verification (E-22)
	c.login("alice", 0)
}

// A source over its connection cap is closed right after accept: ERR_CONN
// with ID 0 on plain TCP, nothing at all on TLS; other sources connect,
// and a closed connection frees its place (E-50).
func TestConnsPerSource(t *testing.T) {
	needLoopbackSources(t)
	e := newEnv(t, func(c *server.Config) { c.Limits.MaxConnsPerSource = 3 })
	held := []*client{e.dialFrom(flooder), e.dialFrom(flooder)}
	tc, err := tls.DialWithDialer(dialer(flooder), "tcp", e.srv.TLSAddr(), &tls.Config{InsecureSkipVerify: true})
	require.NoError(t, err, "the TLS listener shares the cap")
	t.Cleanup(func() { tc.Close() })
	e.wrap(tc).expect(spec.HELLO, 0)

	e.dialFromNoHello(flooder).expectCloseWith(spec.CodeConn, 5*time.Second)
	_, err = tls.DialWithDialer(dialer(flooder), "tcp", e.srv.TLSAddr(), &tls.Config{InsecureSkipVerify: true})
	require.Error(t, err, "over the cap, TLS gets no handshake")
	e.dialFrom(other)

	held[0].nc.Close()
	require.Eventually(t, func() bool {
		c := e.dialFromNoHello(flooder)
		defer c.nc.Close()
		p, err := c.tryRead(5 * time.Second)
		return err == nil && p.Action == spec.HELLO
	}, 5*time.Second, 20*time.Millisecond, "a closed connection frees its place")
}

// The descriptor budget counts every client socket, from any source,
// waiting or admitted; past it a socket is refused like one over its
// source's cap (E-51). A reserve the limit cannot hold stops the start.
func TestDescriptorBudget(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.MaxClients = 1
		c.Limits.OpenFiles, c.Limits.FDReserve = 10, 8
	})
	e.dial()
	waiting := e.dialNoHello() // waits for admission (E-38), holding a socket
	e.dialNoHello().expectCloseWith(spec.CodeConn, 5*time.Second)
	_, err := waiting.tryRead(200 * time.Millisecond)
	require.Error(t, err, "the waiting one still waits")

	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", Limits: server.Limits{OpenFiles: 10, FDReserve: 10}}, e.st)
	require.NoError(t, err)
	err = srv.Start(context.Background())
	require.ErrorContains(t, err, "open-file limit 10")
}

// Invalid limits are refused by New.
func TestLimitsValidation(t *testing.T) {
	for _, l := range []server.Limits{
		{MaxConnsPerSource: -1},
		{LoginDeadline: -time.Second},
		{Reg: server.Rate{N: 1}},
		{Login: server.Rate{N: -1, Per: time.Second}},
		{VerifyFail: server.Rate{N: 1, Per: time.Second, Burst: -1}},
		{FDReserve: -1},
	} {
		_, err := server.New(server.Config{Addr: "127.0.0.1:0", Limits: l}, nopStore{})
		require.Error(t, err, "%+v", l)
	}
}

type nopStore struct{ store.Store }
