package core

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"io"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gochatproto/gochat/spec"
)

// fuzzMode packs the session set-up of one FuzzServerBytes input into a
// byte, so the fuzzer mutates it along with the bytes.
type fuzzMode uint8

const (
	modeRequest     fuzzMode = 0x03 // 0 none, 1 Users, 2 RequestKey, 3 Login
	modeLoggedIn    fuzzMode = 0x04 // session holds the alice fixture key
	modeGochat1     fuzzMode = 0x08 // dialect gochat1 instead of spec
	modeClientClose fuzzMode = 0x10 // the client closes; else the server does
	modeKeepAlive   fuzzMode = 0x20 // KEEP every 2 ms
	modeShortCtx    fuzzMode = 0x40 // the request's context ends after 20 ms
	modeTinyBuffer  fuzzMode = 0x80 // EventBuffer 1: events are dropped
)

const (
	fuzzMaxData = 1 << 15
	// fuzzMaxDecrypts bounds the RSA-4096 decryptions of RECIV pushes
	// per input (a few ms each): with more RECIVs the session is left
	// logged out.
	fuzzMaxDecrypts = 2
	// fuzzWait bounds every wait of the target; nothing legitimate takes
	// more than milliseconds.
	fuzzWait = 5 * time.Second
)

func (m fuzzMode) has(bit fuzzMode) bool { return m&bit != 0 }

func (m fuzzMode) dialect() spec.Dialect {
	if m.has(modeGochat1) {
		return spec.DialectGochat1
	}
	return spec.DialectSpec
}

// mayWriteLate reports whether the client can write after the fuzz bytes
// started (Login's follow-up requests, KEEPs), so a write can fail on the
// server's close before the reader sees it.
func (m fuzzMode) mayWriteLate() bool { return m&modeRequest == 3 || m.has(modeKeepAlive) }

// FuzzServerBytes connects the client to a fake server over net.Pipe that
// sends a valid HELLO and then the fuzz bytes, in chunks whose sizes come
// from cuts, while a request may be in flight and the session may hold a
// private key. It must never panic; every request returns in bounded
// time with a reply, a server error, ErrClosed, ErrTimeout or its
// context's error; the events are exactly those the well-formed prefix of
// the bytes calls for (see predictServer), the last one Disconnected with
// the cause a malformed packet or the end of the stream dictates; the
// Events channel closes; and no goroutine outlives Close.
func FuzzServerBytes(f *testing.F) {
	alice, _ := testKeys(f)
	f.Fuzz(func(t *testing.T, mode byte, cuts, data []byte) {
		if len(data) > fuzzMaxData {
			return
		}
		runServerBytes(t, fuzzMode(mode), cuts, data, alice)
	})
}

// serverOracle is what a stream of server bytes obliges the client to
// do, computed with a checking decoder over the whole stream.
type serverOracle struct {
	messages, hooks, shutdowns, notices int
	reply1                              bool         // a packet with ID 1 (the first request's) precedes the end
	end                                 error        // why reading stops
	notice                              *ServerError // the last null-ID ERR
}

func predictServer(data []byte, d spec.Dialect) serverOracle {
	var o serverOracle
	dec := spec.NewDecoder(bytes.NewReader(data), spec.ClientBound, d)
	var p spec.Packet
	for {
		if o.end = dec.ReadPacket(&p); o.end != nil {
			return o
		}
		if p.ID != spec.NullID {
			o.reply1 = o.reply1 || p.ID == 1
			continue
		}
		switch p.Action {
		case spec.RECIV:
			o.messages++
		case spec.HOOK:
			if _, ok := decodeHook(&p); ok {
				o.hooks++
			}
		case spec.SHTDWN:
			if _, o.end = d.ParseTimestamp(p.Args[0]); o.end != nil {
				return o
			}
			o.shutdowns++
		case spec.ERR:
			o.notices++
			o.notice = &ServerError{Code: spec.ErrCode(p.Info)}
		}
	}
}

// malformed reports whether the client must close the connection itself.
func (o serverOracle) malformed() bool {
	return o.end != io.EOF && o.end != io.ErrUnexpectedEOF
}

func (o serverOracle) pushes() int { return o.messages + o.hooks + o.shutdowns + o.notices }

// cause is Disconnected.Err once the reader has consumed the stream and
// seen its end.
func (o serverOracle) cause() error {
	if !o.malformed() && o.notice != nil {
		return o.notice
	}
	return o.end
}

// fuzzSession is one client and the goroutines of the fake server.
type fuzzSession struct {
	c       *Client
	srv     net.Conn
	wg      sync.WaitGroup // the fake server's goroutines and the event reader
	sent    chan struct{}  // closed when the server read a non-KEEP packet
	badSend chan error     // the client sent something malformed
	events  []Event        // valid once eventsDone is closed
	evDone  chan struct{}
}

func runServerBytes(t *testing.T, m fuzzMode, cuts, data []byte, alice *rsa.PrivateKey) {
	base := runtime.NumGoroutine()
	d := m.dialect()
	want := predictServer(data, d)
	if want.messages > fuzzMaxDecrypts {
		m &^= modeLoggedIn
	}
	s := startFuzzSession(t, m)
	if m.has(modeLoggedIn) {
		s.c.mu.Lock()
		s.c.sess = session{user: "alice", priv: alice}
		s.c.mu.Unlock()
	}
	reqDone := startRequest(s, m, alice)
	if reqDone != nil {
		select {
		case <-s.sent:
		case <-reqDone: // failed before the server read it; err is checked below
		case <-time.After(fuzzWait):
			t.Fatal("the request never reached the server")
		}
	}
	s.writeChunks(data, cuts)
	exact := !m.has(modeClientClose) || want.malformed()
	if !m.has(modeClientClose) {
		s.srv.Close()
	}
	if exact {
		select {
		case <-s.c.Done():
		case <-time.After(fuzzWait):
			t.Fatalf("the client did not close after %v", want.end)
		}
	}
	closeWithin(t, s.c)
	if reqDone != nil {
		err := waitErr(t, reqDone)
		t.Logf("request: %v", err)
		checkRequest(t, m, want, err)
	}
	select {
	case <-s.evDone:
	case <-time.After(fuzzWait):
		t.Fatal("Events was not closed after Close")
	}
	s.srv.Close()
	s.wg.Wait()
	select {
	case err := <-s.badSend:
		t.Fatalf("the client sent a malformed packet: %v", err)
	default:
	}
	t.Logf("mode %#02x, stream end %v, %d events, %d dropped", uint8(m), want.end, len(s.events), s.c.Dropped())
	checkEvents(t, m, want, s, exact)
	checkGoroutines(t, base)
}

func startFuzzSession(t *testing.T, m fuzzMode) *fuzzSession {
	cliEnd, srvEnd := net.Pipe()
	s := &fuzzSession{srv: srvEnd, sent: make(chan struct{}), badSend: make(chan error, 1), evDone: make(chan struct{})}
	hi, err := spec.MarshalPacket(hello("fuzz"), m.dialect())
	if err != nil {
		t.Fatal(err)
	}
	s.wg.Go(func() { srvEnd.Write(hi) })
	cfg := Config{
		Addr:           "pipe:1",
		Dialect:        m.dialect(),
		KeepAlive:      -1,
		RequestTimeout: 3 * time.Second,
		EventBuffer:    DefaultEventBuffer,
		DialContext:    func(context.Context, string, string) (net.Conn, error) { return cliEnd, nil },
	}
	if m.has(modeKeepAlive) {
		cfg.KeepAlive = 2 * time.Millisecond
	}
	if m.has(modeTinyBuffer) {
		cfg.EventBuffer = 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), fuzzWait)
	defer cancel()
	if s.c, err = Dial(ctx, cfg); err != nil {
		srvEnd.Close()
		t.Fatalf("Dial after a valid HELLO: %v", err)
	}
	s.wg.Go(s.drain)
	s.wg.Go(s.readEvents)
	return s
}

// drain reads what the client sends, checking that it is well-formed.
func (s *fuzzSession) drain() {
	dec := spec.NewDecoder(s.srv, spec.ServerBound, s.c.Dialect())
	signalled := false
	var p spec.Packet
	for {
		err := dec.ReadPacket(&p)
		if err != nil {
			var pe *spec.ProtocolError
			if errors.As(err, &pe) {
				s.badSend <- err
			}
			io.Copy(io.Discard, s.srv)
			return
		}
		if p.Action != spec.KEEP && !signalled {
			signalled = true
			close(s.sent)
		}
	}
}

func (s *fuzzSession) readEvents() {
	defer close(s.evDone)
	for ev := range s.c.Events() {
		s.events = append(s.events, ev)
	}
}

// writeChunks sends data in pieces of cuts[i]+1 bytes (cycling through
// cuts; one write if it is empty), stopping at the first failed write:
// the client may close the connection on a malformed packet.
func (s *fuzzSession) writeChunks(data, cuts []byte) {
	s.srv.SetWriteDeadline(time.Now().Add(fuzzWait))
	for i := 0; len(data) > 0; i++ {
		n := len(data)
		if len(cuts) > 0 {
			n = min(n, int(cuts[i%len(cuts)])+1)
		}
		if _, err := s.srv.Write(data[:n]); err != nil {
			return
		}
		data = data[n:]
	}
}

// startRequest issues the request mode selects in its own goroutine and
// returns the channel of its error, or nil for no request.
func startRequest(s *fuzzSession, m fuzzMode, alice *rsa.PrivateKey) <-chan error {
	var call func(ctx context.Context) error
	switch m & modeRequest {
	case 0:
		return nil
	case 1:
		call = func(ctx context.Context) error { _, err := s.c.Users(ctx, spec.UsrsAll); return err }
	case 2:
		call = func(ctx context.Context) error { _, _, _, err := s.c.RequestKey(ctx, "bob"); return err }
	case 3:
		call = func(ctx context.Context) error { _, err := s.c.Login(ctx, "alice", alice); return err }
	}
	timeout := fuzzWait
	if m.has(modeShortCtx) {
		timeout = 20 * time.Millisecond
	}
	done := make(chan error, 1)
	s.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		done <- call(ctx)
	})
	return done
}

func waitErr(t *testing.T, ch <-chan error) error {
	select {
	case err := <-ch:
		return err
	case <-time.After(fuzzWait):
		t.Fatal("the request did not return after Close")
		return nil
	}
}

func closeWithin(t *testing.T, c *Client) {
	done := make(chan struct{})
	go func() { c.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(fuzzWait):
		t.Fatal("Close did not return")
	}
}

// checkRequest accepts the outcomes a request may have: a reply (which
// may be refused as unexpected), a server error, the close, a timeout or
// the end of its context; Login may also fail to decrypt the challenge.
func checkRequest(t *testing.T, m fuzzMode, want serverOracle, err error) {
	var se *ServerError
	switch {
	case err == nil, errors.As(err, &se), errors.Is(err, ErrUnexpectedReply):
		return
	case m&modeRequest == 3 && errors.Is(err, rsa.ErrDecryption):
		return
	case errors.Is(err, ErrClosed), errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded):
	default:
		t.Fatalf("request failed with %T %v", err, err)
	}
	// The reader hands a reply to its request before it fails the pending
	// ones, so a reply to ID 1 in the stream must have reached Users or
	// RequestKey (Login's later IDs race with its own writes).
	if req := m & modeRequest; want.reply1 && (req == 1 || req == 2) &&
		!m.has(modeClientClose|modeKeepAlive|modeShortCtx) {
		t.Fatalf("a reply to ID 1 was sent, yet the request failed with %v", err)
	}
}

// checkEvents compares the events with the oracle: exactly when the
// reader is known to have consumed the whole stream, at most otherwise.
func checkEvents(t *testing.T, m fuzzMode, want serverOracle, s *fuzzSession, exact bool) {
	evs := s.events
	if len(evs) == 0 {
		t.Fatal("no Disconnected event")
	}
	last, ok := evs[len(evs)-1].(Disconnected)
	if !ok {
		t.Fatalf("last event is %T, not Disconnected", evs[len(evs)-1])
	}
	var got serverOracle
	for _, ev := range evs[:len(evs)-1] {
		switch ev := ev.(type) {
		case Message:
			got.messages++
			if !m.has(modeLoggedIn) && m&modeRequest != 3 && ev.DecryptErr != ErrNotLoggedIn {
				t.Fatalf("message without a session: DecryptErr %v", ev.DecryptErr)
			}
		case Hook:
			got.hooks++
		case Shutdown:
			got.shutdowns++
		case ServerNotice:
			got.notices++
		default:
			t.Fatalf("event %T before the end", ev)
		}
	}
	total := len(evs) - 1 + int(s.c.Dropped())
	if exact && total != want.pushes() || total > want.pushes() {
		t.Fatalf("%d events delivered or dropped, want %d (exact %v)", total, want.pushes(), exact)
	}
	if s.c.Dropped() == 0 {
		g, w := [4]int{got.messages, got.hooks, got.shutdowns, got.notices}, [4]int{want.messages, want.hooks, want.shutdowns, want.notices}
		for i := range g {
			if g[i] > w[i] || exact && g[i] != w[i] {
				t.Fatalf("events (messages, hooks, shutdowns, notices) %v, want %v", g, w)
			}
		}
	}
	checkCause(t, m, want, exact, last.Err)
}

func checkCause(t *testing.T, m fuzzMode, want serverOracle, exact bool, got error) {
	if !exact {
		if got != nil {
			t.Fatalf("Disconnected.Err = %v after a local Close of a well-formed stream", got)
		}
		return
	}
	cause := want.cause()
	var se, gotSE *ServerError
	switch {
	case errors.As(cause, &se) && errors.As(got, &gotSE) && *gotSE == *se:
	case !errors.As(cause, &se) && got != nil && got.Error() == cause.Error():
	case !m.has(modeClientClose) && m.mayWriteLate() && errors.Is(got, io.ErrClosedPipe):
		// A late write hit the server's close before the reader did.
	default:
		t.Fatalf("Disconnected.Err = %v, want %v", got, cause)
	}
}

// checkGoroutines waits, boundedly, for the goroutine count to return to
// what it was before the session.
func checkGoroutines(t *testing.T, base int) {
	deadline := time.Now().Add(fuzzWait)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before the session:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}
