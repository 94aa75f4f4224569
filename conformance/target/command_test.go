package target

import (
	"context"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/spec"
)

// serveEnv makes the test binary a minimal server (HELLO to every
// connection) listening on its value, so a Command template can start it.
const serveEnv = "GOCHAT_TARGET_TEST_SERVE"

func TestMain(m *testing.M) {
	if addr := os.Getenv(serveEnv); addr != "" {
		serveHello(addr)
		return
	}
	os.Exit(m.Run())
}

// serveHello greets every connection until the process is killed.
func serveHello(addr string) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		os.Exit(1)
	}
	hello := spec.NewPacket(spec.HELLO, 0, []byte("hi"))
	frame := spec.AppendRaw(nil, &spec.RawPacket{Header: hello.Header(), Args: hello.Args})
	for {
		c, err := l.Accept()
		if err != nil {
			os.Exit(1)
		}
		_, _ = c.Write(frame)
		go func() { _, _ = c.Read(make([]byte, 1)); _ = c.Close() }()
	}
}

func TestCommandRestart(t *testing.T) {
	ctx := context.Background()
	c, err := StartCommand(ctx, &Command{D: spec.DialectSpec,
		Template: serveEnv + "={addr} exec " + strconv.Quote(os.Args[0]) + " -test.run=^$"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	old := c.Shared()
	require.NoError(t, Alive(ctx, old, spec.DialectSpec, 5*time.Second))
	require.NoError(t, c.Restart(ctx))
	now := c.Shared()
	assert.NotEqual(t, old.Addr, now.Addr, "a new server on new ports")
	assert.NoError(t, Alive(ctx, now, spec.DialectSpec, 5*time.Second))
	assert.Error(t, Alive(ctx, old, spec.DialectSpec, time.Second), "the old one is stopped")
}
