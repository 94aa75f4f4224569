package target

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/spec"
)

// listen serves each connection with serve until the test ends.
func listen(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); defer c.Close(); serve(c) }()
		}
	}()
	t.Cleanup(func() { _ = l.Close(); wg.Wait() })
	return l.Addr().String()
}

func TestAlive(t *testing.T) {
	ctx := context.Background()
	hello := listen(t, func(c net.Conn) {
		_, _ = c.Write(spec.AppendRaw(nil, &spec.RawPacket{Header: spec.NewPacket(spec.HELLO, 0, []byte("hi")).Header(),
			Args: [][]byte{[]byte("hi")}}))
		_, _ = c.Read(make([]byte, 1))
	})
	assert.NoError(t, Alive(ctx, &Endpoint{Addr: hello}, spec.DialectSpec, time.Second))

	mute := listen(t, func(c net.Conn) {
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, _ = c.Read(make([]byte, 1))
	})
	assert.Error(t, Alive(ctx, &Endpoint{Addr: mute}, spec.DialectSpec, 200*time.Millisecond), "no HELLO")

	capped := listen(t, func(c net.Conn) { // a per-source cap's refusal (E-50): alive
		e := spec.NewPacket(spec.ERR, 0)
		e.Info = uint8(spec.CodeConn)
		_, _ = c.Write(spec.AppendRaw(nil, &spec.RawPacket{Header: e.Header()}))
	})
	assert.NoError(t, Alive(ctx, &Endpoint{Addr: capped}, spec.DialectSpec, time.Second), "refused by policy is alive")
	closes := listen(t, func(net.Conn) {})
	assert.Error(t, Alive(ctx, &Endpoint{Addr: closes}, spec.DialectSpec, time.Second), "closed without a word")

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	gone := l.Addr().String()
	require.NoError(t, l.Close())
	assert.Error(t, Alive(ctx, &Endpoint{Addr: gone}, spec.DialectSpec, time.Second), "connection refused")
	assert.NoError(t, Alive(ctx, &Endpoint{Addr: gone, Direct: hello}, spec.DialectSpec, time.Second),
		"Direct bypasses a proxy")
}
