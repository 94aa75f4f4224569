package main

import (
	"context"
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/spec"
)

// greeter accepts one connection on loopback and writes p to it.
func greeter(t *testing.T, p *spec.Packet) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	b, err := spec.AppendPacket(nil, p, spec.DialectSpec)
	require.NoError(t, err)
	done := make(chan struct{})
	t.Cleanup(func() { <-done })
	go func() {
		defer close(done)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = conn.Write(b)
	}()
	return ln.Addr().String()
}

func TestHealth(t *testing.T) {
	c := defaults()
	c.Addr = greeter(t, spec.NewPacket(spec.HELLO, 0, []byte("hi")))
	require.NoError(t, healthCommand(context.Background(), c, nil))

	c.Addr = greeter(t, spec.NewPacket(spec.SHTDWN, 0))
	require.ErrorContains(t, healthCommand(context.Background(), c, nil), "not HELLO")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	c.Addr = ln.Addr().String()
	ln.Close()
	require.ErrorContains(t, healthCommand(context.Background(), c, nil), "health")

	c.Addr = ""
	require.ErrorContains(t, healthCommand(context.Background(), c, nil), "disabled")
	require.Error(t, healthCommand(context.Background(), defaults(), []string{"x"}))
}

func TestProbeAddr(t *testing.T) {
	for listen, want := range map[string]string{
		":9037":          "127.0.0.1:9037",
		"0.0.0.0:9037":   "127.0.0.1:9037",
		"[::]:9037":      "[::1]:9037",
		"10.1.2.3:9037":  "10.1.2.3:9037",
		"example.org:77": "example.org:77",
	} {
		got, err := probeAddr(listen)
		require.NoError(t, err)
		require.Equal(t, want, got, listen)
	}
	_, err := probeAddr("9037")
	require.Error(t, err)
}
