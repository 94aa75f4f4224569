package protoclient

import (
	"bufio"
	"context"
	"crypto/rsa"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/scenarios"
	"github.com/gochatproto/gochat/spec"
)

var (
	keyOnce sync.Once
	key     *rsa.PrivateKey
)

func alice(t *testing.T) *rsa.PrivateKey {
	keyOnce.Do(func() {
		keys, err := codec.LoadKeys(scenarios.FS, "fixtures/keys")
		require.NoError(t, err)
		key = keys["alice"]
	})
	return key
}

// fakeServer sends HELLO, then hands every packet to h, which writes what
// it likes through send.
func fakeServer(t *testing.T, h func(p *spec.Packet, send func(*spec.Packet))) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		send := func(p *spec.Packet) {
			b, err := spec.MarshalPacket(p, spec.DialectSpec)
			if err == nil {
				_, _ = c.Write(b)
			}
		}
		send(spec.NewPacket(spec.HELLO, 0, []byte("fake")))
		dec := spec.NewDecoder(bufio.NewReader(c), spec.ServerBound, spec.DialectSpec)
		for {
			var p spec.Packet
			if dec.ReadPacket(&p) != nil {
				return
			}
			h(p.Clone(), send)
		}
	}()
	t.Cleanup(func() { l.Close(); wg.Wait() })
	return l.Addr().String()
}

func dial(t *testing.T, addr string) *Client {
	t.Helper()
	c, err := Dial(context.Background(), addr, Options{Dialect: spec.DialectSpec, Timeout: 5 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestLoginRetriesDupSessAndAnswersTheChallenge(t *testing.T) {
	k := alice(t)
	dups := 2
	addr := fakeServer(t, func(p *spec.Packet, send func(*spec.Packet)) {
		switch p.Action {
		case spec.LOGIN:
			if dups > 0 {
				dups--
				send(&spec.Packet{Action: spec.ERR, Info: uint8(spec.CodeDupSess), ID: p.ID})
				return
			}
			ct, err := codec.Encrypt(&k.PublicKey, []byte("challenge"))
			require.NoError(t, err)
			send(spec.NewPacket(spec.VERIF, p.ID, ct))
		case spec.VERIF:
			if string(p.Args[1]) == "challenge" {
				send(spec.NewPacket(spec.OK, p.ID))
			}
		}
	})
	c := dial(t, addr)
	assert.Equal(t, "fake", string(c.Hello().Args[0]))
	require.NoError(t, c.Login(context.Background(), "alice", k))
	assert.Zero(t, dups)
}

func TestPipelinedRepliesAndPushesAreKeptApart(t *testing.T) {
	var held []*spec.Packet
	addr := fakeServer(t, func(p *spec.Packet, send func(*spec.Packet)) {
		held = append(held, p)
		if len(held) < 2 {
			return
		}
		hook := spec.NewPacket(spec.HOOK, 0, []byte("bob"), []byte{1})
		hook.Info = uint8(spec.HookNewLogin)
		send(hook)
		send(spec.NewPacket(spec.OK, held[1].ID)) // answered in reverse order
		send(&spec.Packet{Action: spec.ERR, Info: uint8(spec.CodeNotFound), ID: held[0].ID})
	})
	c := dial(t, addr)
	id1, err := c.Send(spec.NewPacket(spec.REQ, 0, []byte("nobody")))
	require.NoError(t, err)
	id2, err := c.Send(spec.NewPacket(spec.KEEP, 0))
	require.NoError(t, err)
	r1, err := c.Reply(id1)
	require.NoError(t, err)
	assert.Equal(t, spec.ERR, r1.Action)
	r2, err := c.Reply(id2)
	require.NoError(t, err)
	assert.Equal(t, spec.OK, r2.Action, "the earlier reply was stashed, not lost")
	pushes := c.Pushes()
	require.Len(t, pushes, 1)
	assert.Equal(t, spec.HOOK, pushes[0].Action)
	assert.Empty(t, c.Pushes())
}

func TestCallErrors(t *testing.T) {
	addr := fakeServer(t, func(p *spec.Packet, send func(*spec.Packet)) {
		switch p.Action {
		case spec.REG:
			send(&spec.Packet{Action: spec.ERR, Info: uint8(spec.CodeExists), ID: p.ID})
		case spec.DEREG:
			send(&spec.Packet{Action: spec.ERR, Info: uint8(spec.CodeIdle), ID: 0})
		}
	})
	c := dial(t, addr)
	err := c.Register("alice", alice(t))
	assert.True(t, IsCode(err, spec.CodeExists), "%v", err)
	var notice *NoticeError
	require.ErrorAs(t, c.Dereg(), &notice)
	assert.Equal(t, spec.CodeIdle, notice.Code)
	c.SetTimeout(50 * time.Millisecond)
	_, err = c.Call(spec.NewPacket(spec.LOGOUT, 0))
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "an unanswered request times out")
}
