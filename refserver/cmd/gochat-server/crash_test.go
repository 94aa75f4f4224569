package main

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/internal/mariadbtest"
	"github.com/gochatproto/gochat/spec"
)

// childEnv makes the test binary run gochat-server's main instead of the
// tests, so the crash test can kill a real server process.
const childEnv = "GOCHAT_TEST_RUN_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		main()
		os.Exit(0)
	}
	mariadbtest.Main(m)
}

// The crash test: 16 senders pipeline MSGs to an offline user while the
// server process is killed with SIGKILL; a server started again on the same
// database delivers, in the next catch-up, every message that had been
// answered OK. An OK sent before its commit would be lost here.
func TestKillWhileCachingLosesNoAcknowledgedMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	keys := crashKeys(t, senders+1)
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		crashRound(t, "sqlite:"+filepath.Join(t.TempDir(), "crash.db"), keys)
	})
	t.Run("mariadb", func(t *testing.T) {
		t.Parallel()
		crashRound(t, "mariadb:"+mariadbtest.DSN(t), keys)
	})
}

const (
	senders     = 16
	crashWindow = 32   // MSGs in flight per sender
	killAfter   = 1500 // OKs before the kill, so it lands mid-stream
)

func crashRound(t *testing.T, db string, keys []*rsa.PrivateKey) {
	addr := freeAddr(t)
	srv := startServer(t, addr, db)
	setup := dialHello(t, addr)
	for i, k := range keys {
		register(t, setup, crashName(i), k)
	}
	setup.nc.Close()

	var (
		mu    sync.Mutex
		acked = map[string]bool{}
		oks   = make(chan struct{}, killAfter)
		wg    sync.WaitGroup
	)
	for i := 1; i <= senders; i++ {
		c := dialHello(t, addr)
		login(t, c, crashName(i), keys[i])
		wg.Go(func() {
			// Runs until the kill breaks the connection.
			c.stream(crashName(0), crashName(i), func(body string) {
				mu.Lock()
				acked[body] = true
				mu.Unlock()
				select {
				case oks <- struct{}{}:
				default:
				}
			})
		})
	}
	for range killAfter {
		select {
		case <-oks:
		case <-time.After(60 * time.Second):
			t.Fatal("senders stalled before the kill")
		}
	}
	require.NoError(t, srv.Process.Signal(syscall.SIGKILL))
	_ = srv.Wait()
	wg.Wait()

	startServer(t, addr, db)
	r := dialHello(t, addr)
	login(t, r, crashName(0), keys[0])
	got := r.catchUpAll(t)
	mu.Lock()
	defer mu.Unlock()
	require.GreaterOrEqual(t, len(acked), killAfter)
	missing := 0
	for body := range acked {
		if !got[body] {
			missing++
		}
	}
	require.Zero(t, missing, "of %d acknowledged messages, %d were not delivered after the restart (%d delivered)", len(acked), missing, len(got))
}

func crashName(i int) string { return fmt.Sprintf("crash%d", i) }

// crashKeys reads n committed fixture keys (the load generator's pool).
func crashKeys(t *testing.T, n int) []*rsa.PrivateKey {
	t.Helper()
	ks := make([]*rsa.PrivateKey, n)
	for i := range ks {
		b, err := os.ReadFile(filepath.Join("..", "..", "..", "conformance", "load", "keys", fmt.Sprintf("load%02d.pem", i)))
		require.NoError(t, err)
		blk, _ := pem.Decode(b)
		require.NotNil(t, blk)
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			k, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
		}
		require.NoError(t, err)
		ks[i] = k.(*rsa.PrivateKey)
	}
	return ks
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// startServer runs this test binary as gochat-server and waits until it
// accepts connections; the cleanup kills it.
func startServer(t *testing.T, addr, db string) *exec.Cmd {
	t.Helper()
	// All 16 senders and their recipients register from one loopback
	// address: the per-source limits (E-49, E-50) are off, as
	// docs/operations.md says for clients behind one address.
	cmd := exec.Command(os.Args[0], "-addr", addr, "-db", db, "-log-level", "error",
		"-max-conns-per-ip", "0", "-reg-rate", "0", "-login-rate", "0", "-verif-fail-rate", "0", "-max-pending-per-ip", "0")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		nc, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			nc.Close()
			return cmd
		}
		require.True(t, time.Now().Before(deadline), "server did not start: %v", err)
		time.Sleep(20 * time.Millisecond)
	}
}

// crashClient is a single-goroutine protocol client.
type crashClient struct {
	nc  net.Conn
	dec *spec.Decoder
	id  uint16
	in  spec.Packet
}

func dialHello(t *testing.T, addr string) *crashClient {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	c := &crashClient{nc: nc, dec: spec.NewDecoder(nc, spec.ClientBound, spec.DialectSpec)}
	require.Equal(t, spec.HELLO, c.read(t).Action)
	return c
}

func (c *crashClient) read(t *testing.T) *spec.Packet {
	t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(60 * time.Second))
	require.NoError(t, c.dec.ReadPacket(&c.in))
	return &c.in
}

func (c *crashClient) call(t *testing.T, a spec.Action, args ...[]byte) *spec.Packet {
	t.Helper()
	c.id = c.id%spec.MaxID + 1
	b, err := spec.MarshalPacket(spec.NewPacket(a, c.id, args...), spec.DialectSpec)
	require.NoError(t, err)
	_, err = c.nc.Write(b)
	require.NoError(t, err)
	for {
		p := c.read(t)
		if p.ID == c.id {
			return p
		}
	}
}

func register(t *testing.T, c *crashClient, name string, k *rsa.PrivateKey) {
	t.Helper()
	der, err := spec.DialectSpec.MarshalPublicKey(&k.PublicKey)
	require.NoError(t, err)
	p := c.call(t, spec.REG, []byte(name), der)
	require.Equal(t, spec.OK, p.Action, "REG %s: %v", name, p)
}

func login(t *testing.T, c *crashClient, name string, k *rsa.PrivateKey) {
	t.Helper()
	p := c.call(t, spec.LOGIN, []byte(name))
	require.Equal(t, spec.VERIF, p.Action, "LOGIN %s: %v", name, p)
	plain, err := spec.Decrypt(k, p.Args[0])
	require.NoError(t, err)
	p = c.call(t, spec.VERIF, []byte(name), plain)
	require.Equal(t, spec.OK, p.Action, "VERIF %s: %v", name, p)
}

// stream keeps crashWindow MSGs in flight from this sender until the
// connection breaks, calling acked with the body of every MSG answered OK.
func (c *crashClient) stream(to, from string, acked func(body string)) {
	bodies := map[uint16]string{}
	stamp := spec.DialectSpec.AppendTimestamp(nil, time.Now())
	seq := 0
	var buf []byte
	for {
		buf = buf[:0]
		for len(bodies) < crashWindow {
			c.id = c.id%spec.MaxID + 1
			body := fmt.Sprintf("%s/%d", from, seq)
			seq++
			bodies[c.id] = body
			var err error
			buf, err = spec.AppendPacket(buf, spec.NewPacket(spec.MSG, c.id, []byte(to), stamp, []byte(body)), spec.DialectSpec)
			if err != nil {
				return
			}
		}
		if _, err := c.nc.Write(buf); err != nil {
			return
		}
		_ = c.nc.SetReadDeadline(time.Now().Add(60 * time.Second))
		if err := c.dec.ReadPacket(&c.in); err != nil {
			return // killed
		}
		body, ok := bodies[c.in.ID]
		if !ok {
			continue
		}
		delete(bodies, c.in.ID)
		if c.in.Action == spec.OK {
			acked(body)
		}
	}
}

// catchUpAll sends RECIV until ERR_EMPTY and returns the bodies received.
func (c *crashClient) catchUpAll(t *testing.T) map[string]bool {
	t.Helper()
	got := map[string]bool{}
	for range 100 {
		c.id = c.id%spec.MaxID + 1
		id := c.id
		b, err := spec.MarshalPacket(spec.NewPacket(spec.RECIV, id), spec.DialectSpec)
		require.NoError(t, err)
		_, err = c.nc.Write(b)
		require.NoError(t, err)
		for {
			p := c.read(t)
			if p.Action == spec.RECIV && p.ID == spec.NullID {
				got[string(p.Args[2])] = true
				continue
			}
			if p.ID != id {
				continue
			}
			if p.Action == spec.ERR && spec.ErrCode(p.Info) == spec.CodeEmpty {
				return got
			}
			// OK: this catch-up's RECIVs come before the next answer.
			require.Equal(t, spec.OK, p.Action, "RECIV: %v", p)
			break
		}
	}
	t.Fatal("catch-up did not end")
	return nil
}
