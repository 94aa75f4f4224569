package server_test

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/refserver/server"
	"github.com/gochatproto/gochat/spec"
)

// frame builds a raw frame from a header and payload.
func frame(h spec.Header, sep string, payload string) []byte {
	b := spec.AppendHeader(nil, h)
	return append(append(b, sep...), payload...)
}

func hdr(a spec.Action, info uint8, args uint8, length uint16, id uint16) spec.Header {
	return spec.Header{Version: 1, Action: a, Info: info, Args: args, Len: length, ID: id, Reserved: 0xFFFF}
}

// TestMalformedInput checks E-7: ERR with ID 0 and the class's code, then
// close; and that another client is still served.
func TestMalformedInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.user("alice", 0, 0)
	long := make([]byte, 2048)
	for i := range long {
		long[i] = 'a'
	}
	cases := []struct {
		name string
		b    []byte
		code spec.ErrCode
	}{
		{"version", frame(spec.Header{Version: 2, Action: spec.KEEP, Info: 0xFF, ID: 1}, "\r\n", ""), spec.CodeVersion},
		{"null action", frame(hdr(0, 0xFF, 0, 0, 1), "\r\n", ""), spec.CodeHeader},
		{"unknown action", frame(hdr(0x13, 0xFF, 0, 0, 1), "\r\n", ""), spec.CodeHeader},
		{"client sends OK", frame(hdr(spec.OK, 0xFF, 0, 0, 1), "\r\n", ""), spec.CodeHeader},
		{"client sends HELLO", frame(hdr(spec.HELLO, 0xFF, 0, 0, 1), "\r\n", ""), spec.CodeHeader},
		{"null ID", frame(hdr(spec.KEEP, 0xFF, 0, 0, 0), "\r\n", ""), spec.CodeHeader},
		{"info on LOGOUT", frame(hdr(spec.LOGOUT, 5, 0, 0, 1), "\r\n", ""), spec.CodeHeader},
		{"no info on USRS", frame(hdr(spec.USRS, 0xFF, 0, 0, 1), "\r\n", ""), spec.CodeHeader},
		{"too few args", frame(hdr(spec.REG, 0xFF, 1, 7, 1), "\r\n", "alice\r\n"), spec.CodeHeader},
		{"too many args", frame(hdr(spec.LOGIN, 0xFF, 3, 9, 1), "\r\n", "a\r\nb\r\nc\r\n"), spec.CodeHeader},
		{"args without len", frame(hdr(spec.REQ, 0xFF, 1, 0, 1), "\r\n", ""), spec.CodeHeader},
		{"bad separator", frame(hdr(spec.KEEP, 0xFF, 0, 0, 1), "XY", ""), spec.CodeHeader},
		{"arg too long", frame(hdr(spec.REQ, 0xFF, 1, 2050, 1), "\r\n", string(long)+"\r\n"), spec.CodeMaxSize},
		{"missing final CRLF", frame(hdr(spec.REQ, 0xFF, 1, 7, 1), "\r\n", "alice\rX"), spec.CodeArgs},
		{"trailing bytes", frame(hdr(spec.REQ, 0xFF, 1, 9, 1), "\r\n", "alice\r\nXY"), spec.CodeArgs},
		{"short timestamp", frame(hdr(spec.MSG, 0xFF, 3, 14, 1), "\r\n", "bob\r\n123\r\nxy\r\n"), spec.CodeArgs},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := e.dial()
			c.raw(tc.b)
			c.expectErr(0, tc.code)
			c.expectClosed()
			// Another client is unaffected.
			d := e.dial()
			d.expectErr(d.send(spec.LOGOUT, spec.EmptyInfo), spec.CodeNoSess)
		})
	}
}

func TestPipelinedRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.dial()
	var b []byte
	for id := uint16(1); id <= 5; id++ {
		p := &spec.Packet{Action: spec.LOGOUT, Info: spec.EmptyInfo, ID: id}
		var err error
		b, err = spec.AppendPacket(b, p, spec.DialectSpec)
		require.NoError(t, err)
	}
	c.raw(b)
	for id := uint16(1); id <= 5; id++ {
		c.expectErr(id, spec.CodeNoSess)
	}
}

func TestIdleDeadlineRestartsOnKeep(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.IdleTimeout = 300 * time.Millisecond })
	c := e.dial()
	for range 6 { // 6 x 100 ms > one idle period
		time.Sleep(100 * time.Millisecond)
		c.send(spec.KEEP, spec.EmptyInfo)
	}
	c.expectErr(c.send(spec.LOGOUT, spec.EmptyInfo), spec.CodeNoSess) // still open
	start := time.Now()
	c.expectErr(0, spec.CodeIdle) // E-37
	c.expectClosed()
	require.Less(t, time.Since(start), 3*time.Second)
}

func TestMaxClientsQueue(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.MaxClients = 2 })
	a := e.dial()
	b := e.dial()
	w1 := e.dialNoHello()
	// w1 sends a request early; it is kept and answered after admission.
	w1.send(spec.LOGOUT, spec.EmptyInfo)
	gone := e.dialNoHello()
	w2 := e.dialNoHello()
	_, err := w1.tryRead(200 * time.Millisecond)
	require.Error(t, err, "no HELLO while the server is full (E-38)")
	gone.nc.Close() // leaves the queue
	time.Sleep(50 * time.Millisecond)

	a.nc.Close()
	w1.expect(spec.HELLO, 0) // FIFO: w1 first
	w1.expectErr(1, spec.CodeNoSess)
	_, err = w2.tryRead(200 * time.Millisecond)
	require.Error(t, err)
	b.nc.Close()
	w2.expect(spec.HELLO, 0)
}

func TestMaxClientsTLSWaitsBeforeHandshake(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.MaxClients = 1 })
	a := e.dial()
	done := make(chan *client, 1)
	go func() { done <- e.dialTLSAsync() }()
	select {
	case <-done:
		t.Fatal("TLS client admitted while full")
	case <-time.After(200 * time.Millisecond):
	}
	a.nc.Close()
	select {
	case c := <-done:
		require.NotNil(t, c)
	case <-time.After(5 * time.Second):
		t.Fatal("TLS client never admitted")
	}
}

func TestSlowReaderIsDisconnected(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.WriteTimeout = 200 * time.Millisecond })
	e.user("alice", 0, 0)
	e.user("bob", 1, 0)
	a, b := e.dial(), e.dial()
	a.login("alice", 0)
	b.login("bob", 1)
	// bob stops reading; alice's messages must still be acknowledged,
	// and bob is eventually cut off and the rest stored (E-27, E-39).
	body := make([]byte, 2000)
	for i := 0; i < 2000; i++ {
		a.do(spec.MSG, spec.EmptyInfo, []byte("bob"), stamp(e.cfg.Dialect, int64(i)), body)
		if i > 50 {
			if p, _ := e.st.CountPending(t.Context(), "bob"); p > 0 {
				return
			}
		}
	}
	t.Fatal("bob was never cut off")
}

func TestTLSHandshakeTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.HandshakeTimeout = 200 * time.Millisecond })
	nc, err := net.Dial("tcp", e.srv.TLSAddr())
	require.NoError(t, err)
	defer nc.Close()
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	_, err = io.ReadAll(nc) // the server gives up and closes
	require.NoError(t, err)
	require.Less(t, time.Since(start), 4*time.Second)
	// The slot was released: a normal client still gets in.
	e.dialTLS()
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	st := newEnv(t, nil).st
	_, err := server.New(server.Config{}, st)
	require.Error(t, err, "no address")
	_, err = server.New(server.Config{Addr: "127.0.0.1:0", MOTD: string(make([]byte, 2048))}, st)
	require.Error(t, err, "MOTD too long for HELLO")
	_, err = server.New(server.Config{Addr: "127.0.0.1:0"}, nil)
	require.Error(t, err, "nil store")
}

// TestErrSurvivesUnreadInput: after a header error the payload and
// anything after it stay unread; the ERR must still reach the client
// instead of being lost to a connection reset.
func TestErrSurvivesUnreadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.dial()
	junk := make([]byte, 300_000)
	b := append(frame(hdr(spec.REG, 0xFF, 1, 7, 1), "\r\n", "alice\r\n"), junk...)
	go func() { _, _ = c.nc.Write(b) }() // may block once the server stops reading
	time.Sleep(100 * time.Millisecond)   // let the junk arrive before we read
	c.expectErr(0, spec.CodeHeader)
}
