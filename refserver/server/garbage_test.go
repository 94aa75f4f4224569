package server_test

import (
	"bytes"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/refserver/server"
	"github.com/gochatproto/gochat/spec"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRandomInputNeverPanics throws random and mutated frames at the
// server (anonymous and logged in) and checks that it never panics and
// keeps serving.
func TestRandomInputNeverPanics(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	e := newEnv(t, func(c *server.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c.IdleTimeout = 300 * time.Millisecond
	})
	e.user("alice", 0, 2)
	e.user("bob", 1, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 100 {
		c := e.dial()
		if i%2 == 1 {
			// The previous connection's close may not be processed yet.
			for n := 0; !tryLogin(c, "alice", 0); n++ {
				require.Less(t, n, 500, "alice never went offline")
				time.Sleep(10 * time.Millisecond)
			}
		}
		c.raw(randomFrame(rng))
		// Read until the server closes or goes quiet; anything is fine.
		for range 20 {
			if _, err := c.tryRead(time.Second); err != nil {
				break
			}
		}
		c.nc.Close()
	}
	d := e.dial()
	d.login("bob", 1)
	d.expectErr(d.send(spec.REQ, spec.EmptyInfo, []byte("nobody")), spec.CodeNotFound)
	require.NotContains(t, logs.String(), "panic")
}

// randomFrame builds a header with random but mostly plausible fields and
// a payload of random CRLF-separated pieces.
func randomFrame(rng *rand.Rand) []byte {
	h := spec.Header{
		Version:  1,
		Action:   spec.Action(rng.IntN(0x14)),
		Info:     uint8(rng.IntN(8)),
		Args:     uint8(rng.IntN(5)),
		ID:       uint16(1 + rng.IntN(1023)),
		Reserved: 0xFFFF,
	}
	if rng.IntN(3) == 0 {
		h.Info = 0xFF
	}
	if rng.IntN(10) == 0 {
		h.Version = uint8(rng.IntN(16))
	}
	var payload []byte
	for range h.Args {
		n := rng.IntN(40)
		if rng.IntN(8) == 0 {
			n = 500 + rng.IntN(1600)
		}
		for range n {
			payload = append(payload, byte(rng.IntN(256)))
		}
		payload = append(payload, '\r', '\n')
	}
	if rng.IntN(5) == 0 && len(payload) > 0 {
		payload = payload[:rng.IntN(len(payload))]
	}
	h.Len = uint16(len(payload))
	if rng.IntN(6) == 0 {
		h.Len = uint16(rng.IntN(64))
	}
	out := spec.AppendHeader(nil, h)
	out = append(out, '\r', '\n')
	return append(out, payload...)
}

// tryLogin logs in, reporting false on ERR_DUPSESS.
func tryLogin(c *client, name string, i int) bool {
	c.t.Helper()
	id := c.send(spec.LOGIN, spec.EmptyInfo, []byte(name))
	p := c.read()
	if p.Action == spec.ERR && spec.ErrCode(p.Info) == spec.CodeDupSess {
		return false
	}
	require.Equal(c.t, spec.VERIF, p.Action)
	require.Equal(c.t, id, p.ID)
	plain, err := spec.Decrypt(key(c.t, i), p.Args[0])
	require.NoError(c.t, err)
	c.do(spec.VERIF, spec.EmptyInfo, []byte(name), plain)
	return true
}
