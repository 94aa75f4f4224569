package driver

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/spec"
)

// session runs Serve on pipes and returns a line reader and writer.
func session(t *testing.T) (send func(string), next func() map[string]any, done <-chan error) {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		errc <- Serve(context.Background(), inR, outW, Options{RequestTimeout: 2 * time.Second})
		outW.Close()
	}()
	t.Cleanup(func() { inW.Close(); outR.Close() })
	sc := bufio.NewScanner(outR)
	next = func() map[string]any {
		t.Helper()
		require.True(t, sc.Scan(), "driver output ended: %v", sc.Err())
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), sc.Text())
		return m
	}
	send = func(s string) {
		_, err := io.WriteString(inW, s+"\n")
		require.NoError(t, err)
	}
	return send, next, errc
}

func TestHandshakeErrorsAndQuit(t *testing.T) {
	send, next, done := session(t)
	require.Equal(t, map[string]any{"driver": "gochat-driver", "version": 1.0, "client": "gochat-client (reference)"}, next())

	send(`{"id":1,"cmd":"bogus"}`)
	r := next()
	require.Equal(t, false, r["ok"])
	require.Equal(t, "unsupported", r["error"].(map[string]any)["code"])

	send(`{"id":2,"cmd":"logout"}`)
	require.Equal(t, "local", next()["error"].(map[string]any)["code"])

	send(`not json`)
	require.Equal(t, "bad_command", next()["error"].(map[string]any)["code"])

	send(`{"id":3,"cmd":"quit"}`)
	require.Equal(t, map[string]any{"id": 3.0, "ok": true}, next())
	require.NoError(t, <-done)
}

// TestConnectReportsHelloFirst checks that the connected event precedes
// the response and that a pushed RECIV arrives as a message event.
func TestConnectReportsHelloFirst(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		hello, _ := spec.MarshalPacket(spec.NewPacket(spec.HELLO, 0, []byte("hi there")), spec.DialectSpec)
		c.Write(hello)
		io.Copy(io.Discard, c)
	}()
	send, next, done := session(t)
	next() // handshake
	send(`{"id":1,"cmd":"connect","addr":"` + ln.Addr().String() + `","keepalive_ms":-1}`)
	require.Equal(t, map[string]any{"event": "connected", "motd": "hi there"}, next())
	require.Equal(t, map[string]any{"id": 1.0, "ok": true}, next())
	// Close waits for the session's reader, so its final event is
	// written before the response.
	send(`{"id":2,"cmd":"close"}`)
	require.Equal(t, map[string]any{"event": "disconnected", "reason": ""}, next())
	require.Equal(t, map[string]any{"id": 2.0, "ok": true}, next())
	send(`{"id":3,"cmd":"quit"}`)
	require.Equal(t, 3.0, next()["id"])
	require.NoError(t, <-done)
}
