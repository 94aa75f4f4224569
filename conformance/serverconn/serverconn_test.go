package serverconn

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/spec"
)

// accepted returns both ends of a connection accepted by a Listener; the
// test's cleanup closes them.
func accepted(t *testing.T) (*Conn, net.Conn) {
	t.Helper()
	ln, err := Listen()
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	cl, err := net.Dial("tcp", ln.Addr())
	require.NoError(t, err)
	t.Cleanup(func() { cl.Close() })
	c, err := ln.Accept(2*time.Second, spec.DialectSpec)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c, cl
}

func TestHelloAndViolations(t *testing.T) {
	c, cl := accepted(t)

	require.NoError(t, c.Hello("hi"))
	got := make([]byte, 14)
	_, err := io.ReadFull(cl, got)
	require.NoError(t, err)
	require.Equal(t, []byte{0x11, 0x2f, 0xf1, 0x00, 0x10, 0x00, 0xff, 0xff, '\r', '\n', 'h', 'i', '\r', '\n'}, got)

	// A KEEP with ID 0 keeps its framing but reports the violation; the
	// next legal packet reads cleanly.
	bad := spec.NewPacket(spec.KEEP, 0).Raw()
	_, err = cl.Write(spec.AppendRaw(nil, bad))
	require.NoError(t, err)
	good, _ := spec.MarshalPacket(spec.NewPacket(spec.KEEP, 7), spec.DialectSpec)
	_, err = cl.Write(good)
	require.NoError(t, err)

	r, err := c.ReadPacket(time.Now().Add(2 * time.Second))
	require.NoError(t, err)
	require.True(t, errors.Is(r.Violation, spec.ErrNullID), "%v", r.Violation)
	r, err = c.ReadPacket(time.Now().Add(2 * time.Second))
	require.NoError(t, err)
	require.NoError(t, r.Violation)
	require.Equal(t, uint16(7), r.Packet.ID)
}

func TestChunkedWrite(t *testing.T) {
	c, cl := accepted(t)
	go c.WritePacket(spec.NewPacket(spec.OK, 3), 3, time.Millisecond)
	got := make([]byte, 10)
	_, err := io.ReadFull(cl, got)
	require.NoError(t, err)
	require.Equal(t, []byte{0x10, 0x1f, 0xf0, 0x00, 0x00, 0x03, 0xff, 0xff, '\r', '\n'}, got)
}
