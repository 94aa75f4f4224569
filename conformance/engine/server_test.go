package engine

import (
	"bufio"
	"context"
	"crypto/rsa"
	"io/fs"
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance/registry"
	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/conformance/target"
	"github.com/gochatproto/gochat/scenarios"
	"github.com/gochatproto/gochat/spec"
)

// fake is a scripted server: it sends HELLO, then calls handle for every
// packet; handle returns the packets to send and whether to close.
type fake struct {
	l  net.Listener
	wg sync.WaitGroup
}

type handler func(p *spec.Packet, framing error) (out []*spec.Packet, closeConn bool)

func startFake(t *testing.T, h handler) *fake {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &fake{l: l}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				defer c.Close()
				serveFake(c, h)
			}()
		}
	}()
	t.Cleanup(func() { _ = l.Close(); f.wg.Wait() })
	return f
}

func serveFake(c net.Conn, h handler) {
	write := func(p *spec.Packet) {
		_, _ = c.Write(spec.AppendRaw(nil, &spec.RawPacket{Header: p.Header(), Args: p.Args}))
	}
	write(spec.NewPacket(spec.HELLO, 0, []byte("fake")))
	dec := spec.NewRawDecoder(bufio.NewReader(c), spec.ServerBound, spec.DialectSpec)
	for {
		var p spec.Packet
		if err := dec.ReadPacket(&p); err != nil {
			return
		}
		out, closeConn := h(&p, dec.FramingError())
		for _, o := range out {
			write(o)
		}
		if closeConn {
			return
		}
	}
}

var (
	keysOnce sync.Once
	keys     map[string]*rsa.PrivateKey
)

func testKeys(t *testing.T) map[string]*rsa.PrivateKey {
	keysOnce.Do(func() {
		b, err := fs.ReadFile(scenarios.FS, "fixtures/keys/alice.pem")
		if err != nil {
			panic(err)
		}
		k, err := spec.ParsePrivateKey(b)
		if err != nil {
			panic(err)
		}
		keys = map[string]*rsa.PrivateKey{"alice": k}
	})
	return keys
}

func errPkt(id uint16, code spec.ErrCode) *spec.Packet {
	p := spec.NewPacket(spec.ERR, id)
	p.Info = uint8(code)
	return p
}

func parseOne(t *testing.T, doc string) *scenario.Scenario {
	t.Helper()
	scs, err := scenario.Parse("t.yaml", []byte(doc), scenario.RoleServer, scenario.LoadOptions{})
	require.NoError(t, err)
	require.Len(t, scs, 1)
	return scs[0]
}

// withRegistry gives the run the project's registry, so checks take
// their level and source from it.
func withRegistry(t *testing.T) func(*Options) {
	t.Helper()
	reg, err := registry.Embedded()
	require.NoError(t, err)
	return func(o *Options) { o.Registry = reg }
}

// strict adds --strict to a modifier.
func strict(mod func(*Options)) func(*Options) {
	return func(o *Options) {
		if mod != nil {
			mod(o)
		}
		o.Strict = true
	}
}

func runOn(t *testing.T, addr, doc string, mod func(*Options)) *result.Result {
	t.Helper()
	o := Options{Target: &target.External{EP: &target.Endpoint{Addr: addr}}, Seed: 1, Keys: testKeys(t)}
	if mod != nil {
		mod(&o)
	}
	e, err := New(o)
	require.NoError(t, err)
	return e.RunOne(context.Background(), parseOne(t, doc))
}

func run(t *testing.T, f *fake, doc string, mod func(*Options)) *result.Result {
	t.Helper()
	return runOn(t, f.l.Addr().String(), doc, mod)
}

const closeDoc = `
id: T-close
title: close
requirements: [X-1]
level: must
steps:
  - connect: {conn: c}
  - send_raw: {conn: c, header: {version: 2, action: KEEP}}
  - expect_close: {conn: c, err: ERR_VERSION, within: 500ms}
`

func TestExpectCloseGrades(t *testing.T) {
	closes := func(code spec.ErrCode) handler {
		return func(p *spec.Packet, framing error) ([]*spec.Packet, bool) {
			if framing != nil {
				return []*spec.Packet{errPkt(0, code)}, true
			}
			return nil, false
		}
	}
	r := run(t, startFake(t, closes(spec.CodeVersion)), closeDoc, nil)
	assert.Equal(t, result.Pass, r.Verdict, "%+v", r.Failures)

	reg := withRegistry(t)
	r = run(t, startFake(t, closes(spec.CodeHeader)), closeDoc, reg)
	require.Equal(t, result.Pass, r.Verdict, "a wrong code is the project's choice (E-60): %+v", r.Failures)
	require.Len(t, r.Notes, 1)
	assert.Equal(t, result.SourceDecision, r.Notes[0].Source)
	assert.Equal(t, []string{"CONN-7"}, r.Notes[0].Requirements)

	r = run(t, startFake(t, closes(spec.CodeHeader)), closeDoc, strict(reg))
	require.Equal(t, result.Warn, r.Verdict, "under --strict a wrong code judges at CONN-7's level")
	assert.Equal(t, result.Should, r.Warnings[0].Level)
	assert.Equal(t, 0, result.ExitCode([]*result.Result{r}), "a warning does not fail the run")

	bare := func(_ *spec.Packet, framing error) ([]*spec.Packet, bool) { return nil, framing != nil }
	r = run(t, startFake(t, bare), closeDoc, reg)
	require.Equal(t, result.Warn, r.Verdict, "a close without ERR misses a spec SHOULD (CONN-7)")
	assert.Equal(t, result.SourceSpec, r.Warnings[0].Source)

	never := func(*spec.Packet, error) ([]*spec.Packet, bool) { return nil, false }
	r = run(t, startFake(t, never), closeDoc, nil)
	require.Equal(t, result.Fail, r.Verdict)
	assert.Equal(t, result.Must, r.Failures[0].Level, "not closing is a MUST failure")
	assert.Contains(t, r.Failures[0].Message, "still open")
}

const orderDoc = `
id: T-order
title: order
requirements: [X-1]
level: must
actors:
  zed: {name: zed}
steps:
  - connect: {conn: c}
  - send: {conn: c, action: USRS, info: USRS_ALL, id: 7}
  - expect_any_order:
      - {conn: c, action: USRS, args: [{user_list_contains: [bob, "amy 1"]}]}
      - {conn: c, action: HOOK, info: HOOK_NEWLOGOUT, args: [{capture: who}]}
  - send: {conn: c, action: REQ, args: [{var: who}]}
  - expect: {conn: c, action: ERR, info: ERR_NOTFOUND}
`

func TestExpectAnyOrderAndCaptures(t *testing.T) {
	h := func(p *spec.Packet, _ error) ([]*spec.Packet, bool) {
		switch p.Action {
		case spec.USRS:
			hook := spec.NewPacket(spec.HOOK, 0, []byte("zed"))
			hook.Info = uint8(spec.HookNewLogout)
			return []*spec.Packet{hook, spec.NewPacket(spec.USRS, p.ID, []byte("amy 1\nbob 0"))}, false
		case spec.REQ:
			if string(p.Args[0]) == "zed" {
				return []*spec.Packet{errPkt(p.ID, spec.CodeNotFound)}, false
			}
		}
		return []*spec.Packet{errPkt(p.ID, spec.CodeUndefined)}, false
	}
	r := run(t, startFake(t, h), orderDoc, nil)
	assert.Equal(t, result.Pass, r.Verdict, "%+v", r.Failures)
}

func TestReplyIDChecked(t *testing.T) {
	h := func(p *spec.Packet, _ error) ([]*spec.Packet, bool) {
		return []*spec.Packet{spec.NewPacket(spec.USRS, p.ID+1, []byte("amy 1\nbob 0"))}, false
	}
	r := run(t, startFake(t, h), orderDoc, nil)
	require.Equal(t, result.Fail, r.Verdict)
	assert.Contains(t, r.Failures[0].Message, "none of the expected")
	assert.Contains(t, r.Failures[0].Actual, "id=8")
}

func TestExpectationsAndSkips(t *testing.T) {
	never := func(*spec.Packet, error) ([]*spec.Packet, bool) { return nil, false }
	f := startFake(t, never)
	r := run(t, f, closeDoc, func(o *Options) { o.Expect = map[string]string{"T-close": "known bug"} })
	assert.Equal(t, result.XFail, r.Verdict)
	assert.Equal(t, "known bug", r.Reason)

	closes := func(p *spec.Packet, framing error) ([]*spec.Packet, bool) {
		return []*spec.Packet{errPkt(0, spec.CodeVersion)}, framing != nil
	}
	r = run(t, startFake(t, closes), closeDoc+"", func(o *Options) { o.Expect = map[string]string{"T-close": "known bug"} })
	assert.Equal(t, result.Fail, r.Verdict, "an unexpected pass fails")

	tlsDoc := "id: T-tls\ntitle: t\nrequirements: [X-1]\nlevel: must\nneeds: [tls]\nsteps:\n  - connect: {conn: c, tls: true}\n"
	r = run(t, f, tlsDoc, nil)
	assert.Equal(t, result.Skip, r.Verdict)
	assert.Contains(t, r.Reason, "--tls-addr")
}

func TestConnectFailureIsError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	r := runOn(t, addr, closeDoc, nil)
	assert.Equal(t, result.Error, r.Verdict)
	assert.Equal(t, 2, result.ExitCode([]*result.Result{r}))
}

func TestUsernameDeterministic(t *testing.T) {
	a := Username(42, "", "REG-x", "alice")
	assert.Equal(t, a, Username(42, "", "REG-x", "alice"))
	assert.NotEqual(t, a, Username(43, "", "REG-x", "alice"))
	assert.NotEqual(t, a, Username(42, "s", "REG-x", "alice"))
	assert.Regexp(t, `^alice[a-z0-9]{6}$`, a)
}

func TestReservedCheckedOnEveryPacket(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for { // one connection at a time: the scenario's, then the liveness probe's
			c, err := l.Accept()
			if err != nil {
				return
			}
			p := spec.NewPacket(spec.HELLO, 0, []byte("zero reserved"))
			h := p.Header()
			h.Reserved = 0
			_, _ = c.Write(spec.AppendRaw(nil, &spec.RawPacket{Header: h, Args: p.Args}))
			_, _ = c.Read(make([]byte, 1)) // until the runner hangs up
			_ = c.Close()
		}
	}()
	t.Cleanup(func() { _ = l.Close(); <-done })
	r := runOn(t, l.Addr().String(), "id: T-rsv\ntitle: t\nrequirements: [X-1]\nlevel: must\nsteps:\n  - connect: {conn: c}\n", nil)
	require.Equal(t, result.Fail, r.Verdict)
	require.Len(t, r.Failures, 1)
	assert.Equal(t, []string{"FRAME-3"}, r.Failures[0].Requirements)
	assert.Equal(t, result.Must, r.Failures[0].Level)
	assert.True(t, r.Failures[0].Soft, "a check made on every packet does not end the scenario")
	assert.Contains(t, r.Failures[0].Actual, "rsv=0x0000")
}
