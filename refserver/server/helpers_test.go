package server_test

import (
	"context"
	"crypto/rsa"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/refserver/server"
	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/refserver/store/sqlstore"
	"github.com/gochatproto/gochat/spec"
)

// Fixture keys: generating 4096-bit keys per test would dominate the run.
var (
	keysOnce sync.Once
	keys     []*rsa.PrivateKey
)

func key(t testing.TB, i int) *rsa.PrivateKey {
	t.Helper()
	keysOnce.Do(func() {
		for n := 1; n <= 8; n++ {
			b, err := os.ReadFile(filepath.Join("..", "testdata", fmt.Sprintf("user%d.pem", n)))
			if err != nil {
				panic(err)
			}
			k, err := spec.ParsePrivateKey(b)
			if err != nil {
				panic(err)
			}
			keys = append(keys, k)
		}
	})
	return keys[i]
}

func pubDER(t testing.TB, i int) []byte {
	t.Helper()
	der, err := spec.DialectSpec.MarshalPublicKey(&key(t, i).PublicKey)
	require.NoError(t, err)
	return der
}

type env struct {
	t   testing.TB
	srv *server.Server
	st  store.Store
	cfg server.Config
}

// newEnv starts a server on loopback with an in-memory SQLite store.
func newEnv(t testing.TB, mut func(*server.Config)) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.OpenSQLite(ctx, ":memory:")
	require.NoError(t, err)
	cfg := server.Config{
		Addr:          "127.0.0.1:0",
		TLSAddr:       "127.0.0.1:0",
		MOTD:          "welcome",
		WriteTimeout:  5 * time.Second,
		VerifyTimeout: 5 * time.Second,
	}
	if mut != nil {
		mut(&cfg)
	}
	srv, err := server.New(cfg, st)
	require.NoError(t, err)
	require.NoError(t, srv.Start(ctx))
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, srv.Shutdown(sctx))
		st.Close()
	})
	return &env{t: t, srv: srv, st: st, cfg: cfg}
}

// user registers name with fixture key i at level perm.
func (e *env) user(name string, i int, perm uint8) {
	e.t.Helper()
	require.NoError(e.t, server.BootstrapUser(context.Background(), e.st, name, pubDER(e.t, i), perm))
}

// client is a minimal protocol client for tests.
type client struct {
	t       testing.TB
	nc      net.Conn
	dec     *spec.Decoder
	dialect spec.Dialect
	id      uint16
}

func (e *env) dialNoHello() *client {
	e.t.Helper()
	nc, err := net.Dial("tcp", e.srv.Addr())
	require.NoError(e.t, err)
	return e.wrap(nc)
}

func (e *env) wrap(nc net.Conn) *client {
	c := &client{t: e.t, nc: nc, dialect: e.cfg.Dialect, dec: spec.NewDecoder(nc, spec.ClientBound, e.cfg.Dialect)}
	e.t.Cleanup(func() { nc.Close() })
	return c
}

// dial connects over plain TCP and consumes HELLO.
func (e *env) dial() *client {
	c := e.dialNoHello()
	c.expect(spec.HELLO, 0)
	return c
}

// dialTLS connects over TLS and consumes HELLO.
func (e *env) dialTLS() *client {
	e.t.Helper()
	nc, err := tls.Dial("tcp", e.srv.TLSAddr(), &tls.Config{InsecureSkipVerify: true})
	require.NoError(e.t, err)
	c := e.wrap(nc)
	c.expect(spec.HELLO, 0)
	return c
}

func (c *client) nextID() uint16 {
	c.id = c.id%spec.MaxID + 1
	return c.id
}

// send writes a request with a fresh ID and returns the ID.
func (c *client) send(a spec.Action, info uint8, args ...[]byte) uint16 {
	c.t.Helper()
	p := &spec.Packet{Action: a, Info: info, ID: c.nextID(), Args: args}
	b, err := spec.MarshalPacket(p, c.dialect)
	require.NoError(c.t, err)
	c.raw(b)
	return p.ID
}

func (c *client) raw(b []byte) {
	c.t.Helper()
	_, err := c.nc.Write(b)
	require.NoError(c.t, err)
}

// read returns the next packet (a copy).
func (c *client) read() *spec.Packet {
	c.t.Helper()
	p, err := c.tryRead(5 * time.Second)
	require.NoError(c.t, err)
	return p
}

func (c *client) tryRead(d time.Duration) (*spec.Packet, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(d))
	var p spec.Packet
	if err := c.dec.ReadPacket(&p); err != nil {
		return nil, err
	}
	return p.Clone(), nil
}

// expect reads one packet and checks its action and ID.
func (c *client) expect(a spec.Action, id uint16) *spec.Packet {
	c.t.Helper()
	p := c.read()
	require.Equal(c.t, a, p.Action, "got %s", p)
	require.Equal(c.t, id, p.ID, "got %s", p)
	return p
}

func (c *client) expectOK(id uint16) { c.t.Helper(); c.expect(spec.OK, id) }

// expectErr reads an ERR with the given ID and code.
func (c *client) expectErr(id uint16, code spec.ErrCode) {
	c.t.Helper()
	p := c.expect(spec.ERR, id)
	require.Equal(c.t, code, spec.ErrCode(p.Info), "got %s", spec.ErrCode(p.Info))
}

// expectClosed checks that the server closed the connection.
func (c *client) expectClosed() {
	c.t.Helper()
	_, err := c.tryRead(5 * time.Second)
	require.Error(c.t, err)
	var ne net.Error
	require.False(c.t, errorAs(err, &ne) && ne.Timeout(), "connection still open: %v", err)
}

// do sends a request and expects OK.
func (c *client) do(a spec.Action, info uint8, args ...[]byte) {
	c.t.Helper()
	c.expectOK(c.send(a, info, args...))
}

// login performs LOGIN + VERIF with fixture key i.
func (c *client) login(name string, i int) {
	c.t.Helper()
	id := c.send(spec.LOGIN, spec.EmptyInfo, []byte(name))
	v := c.expect(spec.VERIF, id)
	plain, err := spec.Decrypt(key(c.t, i), v.Args[0])
	require.NoError(c.t, err)
	c.do(spec.VERIF, spec.EmptyInfo, []byte(name), plain)
}

// challenge performs LOGIN and returns the decrypted challenge.
func (c *client) challenge(name string, i int) []byte {
	c.t.Helper()
	id := c.send(spec.LOGIN, spec.EmptyInfo, []byte(name))
	v := c.expect(spec.VERIF, id)
	plain, err := spec.Decrypt(key(c.t, i), v.Args[0])
	require.NoError(c.t, err)
	return plain
}

func stamp(d spec.Dialect, sec int64) []byte {
	return d.AppendTimestamp(nil, time.Unix(sec, 0))
}

// dialTLSAsync is dialTLS for use off the test goroutine: it returns nil
// on failure instead of failing the test.
func (e *env) dialTLSAsync() *client {
	nc, err := tls.Dial("tcp", e.srv.TLSAddr(), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		return nil
	}
	c := &client{t: e.t, nc: nc, dialect: e.cfg.Dialect, dec: spec.NewDecoder(nc, spec.ClientBound, e.cfg.Dialect)}
	var p spec.Packet
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := c.dec.ReadPacket(&p); err != nil || p.Action != spec.HELLO {
		nc.Close()
		return nil
	}
	return c
}
