package engine

import (
	"bufio"
	"context"
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/conformance/target"
	"github.com/gochatproto/gochat/spec"
)

// fragile is a test double of a server that dies on a malformed packet:
// its listener and every connection close, as when a process exits.
type fragile struct {
	mu    sync.Mutex
	l     net.Listener
	conns []net.Conn
	wg    sync.WaitGroup
}

func startFragile(t *testing.T) *fragile {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &fragile{l: l}
	f.wg.Add(1)
	go f.accept()
	t.Cleanup(f.die)
	return f
}

func (f *fragile) accept() {
	defer f.wg.Done()
	for {
		c, err := f.l.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns = append(f.conns, c)
		f.mu.Unlock()
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.serve(c)
		}()
	}
}

func (f *fragile) serve(c net.Conn) {
	defer c.Close()
	hello := spec.NewPacket(spec.HELLO, 0, []byte("fragile"))
	_, _ = c.Write(spec.AppendRaw(nil, &spec.RawPacket{Header: hello.Header(), Args: hello.Args}))
	dec := spec.NewRawDecoder(bufio.NewReader(c), spec.ServerBound, spec.DialectSpec)
	for {
		var p spec.Packet
		if err := dec.ReadPacket(&p); err != nil {
			return
		}
		if dec.FramingError() != nil {
			_ = f.l.Close() // the whole "process" exits: no new connection from now on
			go f.die()
			return
		}
		ok := spec.NewPacket(spec.OK, p.ID)
		_, _ = c.Write(spec.AppendRaw(nil, &spec.RawPacket{Header: ok.Header()}))
	}
}

// die closes the listener and every connection and waits for the
// goroutines; it may be called more than once.
func (f *fragile) die() {
	_ = f.l.Close()
	f.mu.Lock()
	for _, c := range f.conns {
		_ = c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// restartable is a target whose shared server is a fragile double that
// Restart replaces (what --server-cmd gives).
type restartable struct {
	t        *testing.T
	mu       sync.Mutex
	f        *fragile
	restarts int
}

func (r *restartable) Shared() *target.Endpoint {
	r.mu.Lock()
	defer r.mu.Unlock()
	return &target.Endpoint{Addr: r.f.l.Addr().String()}
}

func (r *restartable) Fresh(context.Context, scenario.ServerConfig) (*target.Endpoint, func(), error) {
	return nil, nil, target.ErrUnsupported
}
func (r *restartable) Dialect() spec.Dialect { return spec.DialectSpec }
func (r *restartable) Close() error          { return nil }

func (r *restartable) Restart(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.f.die()
	r.f = startFragile(r.t)
	r.restarts++
	return nil
}

const malformedDoc = `
id: T-malformed
title: malformed
requirements: [FRAME-7]
level: must
steps:
  - connect: {conn: c}
  - send_raw: {conn: c, header: {action: KEEP}, header_sep: "0a0d"}
  - expect_close: {conn: c, err: ERR_HEADER}
`

const plainDoc = `
id: T-plain
title: plain
requirements: [FRAME-1]
level: must
steps:
  - connect: {conn: c}
  - send: {conn: c, action: KEEP}
  - expect: {conn: c, action: OK}
`

func runAllOn(t *testing.T, tgt target.Target, docs ...string) []*result.Result {
	t.Helper()
	e, err := New(Options{Target: tgt, Seed: 1, Keys: testKeys(t), Parallel: 1})
	require.NoError(t, err)
	var scs []*scenario.Scenario
	for _, d := range docs {
		scs = append(scs, parseOne(t, d))
	}
	return e.Run(context.Background(), scs)
}

func TestServerThatDiesIsACrash(t *testing.T) {
	f := startFragile(t)
	tgt := &target.External{EP: &target.Endpoint{Addr: f.l.Addr().String()}}
	rs := runAllOn(t, tgt, plainDoc, malformedDoc, plainDoc)
	require.Len(t, rs, 3)
	assert.Equal(t, result.Pass, rs[0].Verdict, "%+v", rs[0])
	crash := rs[1]
	require.Equal(t, result.Crash, crash.Verdict, "%+v", crash)
	assert.Contains(t, crash.Reason, "T-malformed")
	assert.Contains(t, crash.Reason, "last packets sent: c -> v1 KEEP")
	assert.Equal(t, result.Skip, rs[2].Verdict)
	assert.Equal(t, result.KindServerDown, rs[2].Kind)
	assert.Equal(t, 1, result.ExitCode(rs))

	e, err := New(Options{Target: tgt, Seed: 1, Keys: testKeys(t),
		Expect: map[string]string{"T-malformed": "known"}})
	require.NoError(t, err)
	f2 := startFragile(t)
	tgt.EP.Addr = f2.l.Addr().String()
	r := e.RunOne(context.Background(), parseOne(t, malformedDoc))
	assert.Equal(t, result.Crash, r.Verdict, "an expectations file does not excuse a crash")
}

func TestCrashedServerIsRestarted(t *testing.T) {
	tgt := &restartable{t: t, f: startFragile(t)}
	rs := runAllOn(t, tgt, malformedDoc, plainDoc, malformedDoc, plainDoc)
	require.Len(t, rs, 4)
	assert.Equal(t, result.Crash, rs[0].Verdict)
	assert.Equal(t, result.Pass, rs[1].Verdict, "the run goes on on a new server: %+v", rs[1])
	assert.Equal(t, result.Crash, rs[2].Verdict)
	assert.Equal(t, result.Pass, rs[3].Verdict)
	assert.Equal(t, 2, tgt.restarts)
}
