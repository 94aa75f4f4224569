//go:build linux

package server

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/spec"
)

// The probe says the next packet has arrived only when all of it is
// readable: its header entirely in the kernel, split between the read
// buffer and the kernel, or entirely in the buffer.
func TestInputProbe(t *testing.T) {
	pkt, err := spec.MarshalPacket(spec.NewPacket(spec.MSG, 1, []byte("bob"), []byte("1700000000"), make([]byte, 100)), spec.DialectSpec)
	require.NoError(t, err)
	for _, buffered := range []int{0, 3, 16} { // header bytes already read into the buffer
		cli, nc := tcpPair(t)
		p := newInputProbe(nc, nc, 16) // the smallest bufio allows
		br := p.br
		write := func(b []byte, unread int) {
			t.Helper()
			_, err := cli.Write(b)
			require.NoError(t, err)
			deadline := time.Now().Add(10 * time.Second)
			for p.kernelBytes() < unread {
				require.True(t, time.Now().Before(deadline), "bytes never arrived")
				time.Sleep(time.Millisecond)
			}
		}
		require.False(t, p.nextPacketArrived(), "nothing sent")
		if buffered > 0 {
			write(pkt[:buffered], buffered)
			_, err := br.Peek(buffered)
			require.NoError(t, err)
			require.Equal(t, buffered, br.Buffered())
		}
		// As if the last socket read had filled the buffer (a burst).
		p.full = true
		write(pkt[buffered:buffered+2], 2)
		require.False(t, p.nextPacketArrived(), "buffered %d: 2 more bytes", buffered)
		write(pkt[buffered+2:len(pkt)-1], len(pkt)-buffered-1)
		require.False(t, p.nextPacketArrived(), "buffered %d: one byte missing", buffered)
		write(pkt[len(pkt)-1:], len(pkt)-buffered)
		require.True(t, p.nextPacketArrived(), "buffered %d: all there", buffered)
		p.full = false // the last read emptied the socket: not asked
		require.False(t, p.nextPacketArrived(), "buffered %d: after a short read", buffered)
		p.full = true

		nc.pre = []byte{0} // a byte replayed from admission: not probed
		require.False(t, p.nextPacketArrived())
	}
}

func tcpPair(t *testing.T) (net.Conn, *prefixConn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	cli, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { cli.Close() })
	srv, err := ln.Accept()
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	return cli, &prefixConn{Conn: srv}
}
