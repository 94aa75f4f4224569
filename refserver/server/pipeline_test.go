package server_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/spec"
)

// packets encodes ps back to back, as a client that pipelines sends them.
func packets(t *testing.T, d spec.Dialect, ps ...*spec.Packet) []byte {
	t.Helper()
	var b []byte
	for _, p := range ps {
		var err error
		b, err = spec.AppendPacket(b, p, d)
		require.NoError(t, err)
	}
	return b
}

// MSGs to online users are delivered and answered in batches; answers to
// a pipelined mix of live, stored and failing MSGs and other commands
// still come in request order (E-27).
func TestPipelinedMessagesKeepReplyOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.user("alice", 0, 0)
	e.user("bob", 1, 0)
	e.user("carol", 2, 0)
	a, b := e.dial(), e.dial()
	a.login("alice", 0)
	b.login("bob", 1)
	d := e.cfg.Dialect
	ts := stamp(d, 42)
	msg := func(id uint16, to, body string) *spec.Packet {
		return &spec.Packet{Action: spec.MSG, Info: spec.EmptyInfo, ID: id, Args: [][]byte{[]byte(to), ts, []byte(body)}}
	}
	a.raw(packets(t, d,
		msg(101, "bob", "one"),
		msg(102, "bob", "two"),
		msg(103, "carol", "stored"),
		msg(104, "alice", "self"),
		&spec.Packet{Action: spec.KEEP, Info: spec.EmptyInfo, ID: 105},
		msg(106, "bob", "three"),
		spec.NewPacket(spec.REQ, 107, []byte("bob")),
		msg(108, "nobody", "x"),
		msg(109, "bob", "four"),
	))
	a.expectOK(101)
	a.expectOK(102)
	a.expectOK(103)
	a.expectErr(104, spec.CodeInvalid)
	a.expectOK(106)
	a.expect(spec.REQ, 107)
	a.expectErr(108, spec.CodeNotFound)
	a.expectOK(109)
	for _, body := range []string{"one", "two", "three", "four"} {
		p := b.expect(spec.RECIV, spec.NullID)
		require.Equal(t, [][]byte{[]byte("alice"), ts, []byte(body)}, p.Args)
	}
	n, err := e.st.CountPending(t.Context(), "carol")
	require.NoError(t, err)
	require.Equal(t, 1, n)
}

// A client streaming more MSGs than one batch holds gets every answer, in
// order, and the recipient every RECIV, in order.
func TestPipelinedMessagesLongStream(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.user("alice", 0, 0)
	e.user("bob", 1, 0)
	a, b := e.dial(), e.dial()
	a.login("alice", 0)
	b.login("bob", 1)
	d := e.cfg.Dialect
	const n = 500
	var ps []*spec.Packet
	for i := range n {
		body := fmt.Sprint(i)
		ps = append(ps, &spec.Packet{Action: spec.MSG, Info: spec.EmptyInfo, ID: uint16(i + 1),
			Args: [][]byte{[]byte("bob"), stamp(d, int64(i)), []byte(body)}})
	}
	go func() { _, _ = a.nc.Write(packets(t, d, ps...)) }()
	for i := range n {
		a.expectOK(uint16(i + 1))
	}
	for i := range n {
		p := b.expect(spec.RECIV, spec.NullID)
		require.Equal(t, fmt.Sprint(i), string(p.Args[2]))
	}
}

// MSGs read together with a malformed packet are answered before the
// closing ERR.
func TestHeldMessagesAnsweredBeforeMalformedClose(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.user("alice", 0, 0)
	e.user("bob", 1, 0)
	a, b := e.dial(), e.dial()
	a.login("alice", 0)
	b.login("bob", 1)
	d := e.cfg.Dialect
	m := &spec.Packet{Action: spec.MSG, Info: spec.EmptyInfo, ID: 7, Args: [][]byte{[]byte("bob"), stamp(d, 1), []byte("x")}}
	bad := frame(hdr(spec.MSG, spec.EmptyInfo, 3, 5, 8), "XX", "hello") // bad separator
	a.raw(append(packets(t, d, m), bad...))
	a.expectOK(7)
	a.expectErr(0, spec.CodeHeader)
	a.expectClosed()
	b.expect(spec.RECIV, spec.NullID)
}
