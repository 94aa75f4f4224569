package core

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/spec"
)

// Test keys are committed fixtures: generating RSA-4096 keys per test
// would make the suite slow.
var (
	keysOnce sync.Once
	keyAlice *rsa.PrivateKey
	keyBob   *rsa.PrivateKey
	keysErr  error
)

func testKeys(t testing.TB) (alice, bob *rsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		load := func(name string) *rsa.PrivateKey {
			b, err := os.ReadFile("testdata/" + name + ".pem")
			if err != nil {
				keysErr = err
				return nil
			}
			k, err := spec.ParsePrivateKey(b)
			if err != nil {
				keysErr = err
			}
			return k
		}
		keyAlice, keyBob = load("alice"), load("bob")
	})
	require.NoError(t, keysErr)
	return keyAlice, keyBob
}

// fakeServer is the server end of a connection, driven step by step by a
// test.
type fakeServer struct {
	t    testing.TB
	conn net.Conn
	dec  *spec.Decoder
	d    spec.Dialect
}

func (f *fakeServer) send(p *spec.Packet) {
	f.t.Helper()
	b, err := spec.MarshalPacket(p, f.d)
	require.NoError(f.t, err)
	f.sendRaw(b)
}

func (f *fakeServer) sendRaw(b []byte) {
	f.t.Helper()
	f.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := f.conn.Write(b)
	require.NoError(f.t, err)
}

// recv returns the next packet from the client, skipping KEEPs.
func (f *fakeServer) recv() *spec.Packet {
	f.t.Helper()
	for {
		f.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		var p spec.Packet
		require.NoError(f.t, f.dec.ReadPacket(&p))
		if p.Action != spec.KEEP {
			return p.Clone()
		}
	}
}

func (f *fakeServer) reply(req *spec.Packet, a spec.Action, args ...[]byte) {
	f.t.Helper()
	f.send(spec.NewPacket(a, req.ID, args...))
}

func (f *fakeServer) replyErr(req *spec.Packet, code spec.ErrCode) {
	f.t.Helper()
	p := spec.NewPacket(spec.ERR, req.ID)
	p.Info = uint8(code)
	f.send(p)
}

func hello(motd string) *spec.Packet { return spec.NewPacket(spec.HELLO, 0, []byte(motd)) }

// pipePair connects a Client to a fakeServer over net.Pipe.
func pipePair(t testing.TB, cfg Config) (*Client, *fakeServer) {
	t.Helper()
	cliEnd, srvEnd := net.Pipe()
	f := &fakeServer{t: t, conn: srvEnd, dec: spec.NewDecoder(srvEnd, spec.ServerBound, cfg.Dialect), d: cfg.Dialect}
	helloDone := make(chan error, 1)
	go func() {
		b, _ := spec.MarshalPacket(hello("welcome"), cfg.Dialect)
		_, err := srvEnd.Write(b)
		helloDone <- err
	}()
	cfg.Addr = "pipe:1"
	cfg.DialContext = func(context.Context, string, string) (net.Conn, error) { return cliEnd, nil }
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = -1
	}
	c, err := Dial(testCtx(t), cfg)
	require.NoError(t, err)
	require.NoError(t, <-helloDone)
	t.Cleanup(func() { c.Close(); srvEnd.Close() })
	return c, f
}

// tlsPair connects a Client to a fakeServer over loopback TLS with a
// throwaway self-signed certificate.
func tlsPair(t testing.TB, cfg Config) (*Client, *fakeServer) {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}})
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		b, _ := spec.MarshalPacket(hello("secure"), cfg.Dialect)
		conn.Write(b)
		accepted <- conn
	}()
	cfg.Addr, cfg.TLS, cfg.InsecureSkipVerify = ln.Addr().String(), true, true
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = -1
	}
	c, err := Dial(testCtx(t), cfg)
	require.NoError(t, err)
	conn := <-accepted
	require.NotNil(t, conn)
	t.Cleanup(func() { c.Close(); conn.Close() })
	return c, &fakeServer{t: t, conn: conn, dec: spec.NewDecoder(conn, spec.ServerBound, cfg.Dialect), d: cfg.Dialect}
}

func selfSigned(t testing.TB) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// nextEvent waits for one event.
func nextEvent(t testing.TB, c *Client) Event {
	t.Helper()
	select {
	case ev, ok := <-c.Events():
		require.True(t, ok, "events channel closed")
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
		return nil
	}
}

// disconnected drains events until Disconnected and returns it.
func disconnected(t testing.TB, c *Client) Disconnected {
	t.Helper()
	for {
		if d, ok := nextEvent(t, c).(Disconnected); ok {
			return d
		}
	}
}
