package engine

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/internal/tlsutil"
	"github.com/gochatproto/gochat/spec"
)

// clientSide is the client role: the runner plays the server on loopback
// listeners (plain TCP and TLS with a throw-away certificate), launches the
// client under test through its driver adapter (docs/driver.md) and steers
// it with driver commands.
//
// Every packet from the client is checked against the header and framing
// rules (CLIENT-1, CLIENT-3). Requests a client may make on its own (KEEP,
// REQ for a known actor, RECIV) are answered automatically unless a step
// expects them, so scenarios do not depend on one client's habits.
type clientSide struct {
	plain, tls net.Listener
	p          *proc
	events     []map[string]any
	responses  map[int64]map[string]any
	cmds       map[int64]string // driver command names by id
	lastDrive  int64
	// reqs holds each connection's requests by ID; loggedIn whether the
	// runner has accepted a login (OK to LOGIN or VERIF) on it.
	reqs     map[*conn]map[uint16]spec.Action
	loggedIn map[*conn]bool
	// events0 lists the events the adapter said it reports (handshake
	// "events"); nil: all of them.
	events0 map[string]bool
}

// loginGated are the requests the specification allows only to a
// logged-in user ("The user must be logged in to perform this operation").
var loginGated = map[spec.Action]bool{spec.LOGOUT: true, spec.DEREG: true, spec.REQ: true, spec.USRS: true,
	spec.MSG: true, spec.RECIV: true, spec.ADMIN: true, spec.SUB: true, spec.UNSUB: true}

func (s *clientSide) peer() string { return "client" }

// setup binds the actors, opens the listeners and launches the adapter.
func (s *clientSide) setup(x *exec) error {
	for name, a := range x.sc.Actors {
		x.env.Keys[name] = x.e.o.Keys[a.Key]
		if a.Name == nil {
			x.env.Names[name] = name
		}
	}
	bindTemplatedNames(x)
	s.responses, s.cmds = map[int64]map[string]any{}, map[int64]string{}
	s.reqs, s.loggedIn = map[*conn]map[uint16]spec.Action{}, map[*conn]bool{}
	var err error
	if s.plain, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return err
	}
	cfg, err := tlsutil.SelfSignedTLS()
	if err != nil {
		return err
	}
	if s.tls, err = tls.Listen("tcp", "127.0.0.1:0", cfg); err != nil {
		return err
	}
	cmd := strings.NewReplacer("{addr}", s.plain.Addr().String(), "{tls_addr}", s.tls.Addr().String(),
		"{dialect}", x.dialect.String()).Replace(x.e.o.ClientCmd)
	p, hs, err := launch(cmd, x.within(10*time.Second))
	if err != nil {
		return fmt.Errorf("launching the client: %w", err)
	}
	s.p, x.lines = p, p.lines
	x.note("driver", "client %v speaks driver version %v", hs["client"], hs["version"])
	if evs, listed := hs["events"].([]any); listed {
		s.events0 = map[string]bool{}
		for _, ev := range evs {
			if name, ok := ev.(string); ok {
				s.events0[name] = true
			}
		}
	}
	return nil
}

func (s *clientSide) teardown(x *exec) {
	if s.p != nil {
		// An adapter whose output ended is exiting; its process may not
		// be reaped yet, so wait a little for it before judging.
		gone := s.p.exited() || x.lines == nil && s.p.exitedWithin(x.within(2*time.Second))
		if gone && x.crash == "" {
			x.crash = "the client adapter exited during the scenario (" + s.lastWire(x) + ")"
		}
		s.p.stop(x.within(2 * time.Second))
		if e := s.p.stderr.String(); e != "" {
			x.note("driver", "client stderr:\n%s", e)
		}
	}
	x.closeAll()
	for _, l := range []net.Listener{s.plain, s.tls} {
		if l != nil {
			l.Close()
		}
	}
}

func (s *clientSide) step(x *exec, st *scenario.Step) {
	switch st.Kind {
	case scenario.KindAccept:
		s.accept(x, st.Accept)
	case scenario.KindDrive:
		s.drive(x, st.Drive)
	case scenario.KindResponse:
		s.response(x, st.Response, s.lastDrive)
	case scenario.KindExpectEvent:
		s.expectEvent(x, st.ExpectEvent)
	}
}

// accept waits for the client to connect, starts reading it and greets it.
// While it waits, the adapter's output is filed (an "unsupported" answer
// ends the scenario as a skip) and other connections are served.
func (s *clientSide) accept(x *exec, a *scenario.Accept) {
	ln := map[bool]net.Listener{false: s.plain, true: s.tls}[a.TLS]
	limit := x.within(a.Within)
	ch := acceptAsync(ln, limit, x.wake)
	deadline := time.Now().Add(limit)
	var r accepted
	for waiting := true; waiting; {
		select {
		case r = <-ch:
			waiting = false
		default:
			x.autoServe(nil)
			if x.stopped {
				return
			}
			if !x.pump(deadline) {
				r, waiting = accepted{err: fmt.Errorf("nothing within %v", limit)}, false
			}
		}
	}
	if x.stopped {
		return
	}
	nc, err := r.c, r.err
	if a.TLSRefused {
		s.refusedHandshake(x, nc, err)
		return
	}
	if err != nil {
		kind := map[bool]string{false: "plain", true: "TLS"}[a.TLS]
		x.mismatch(result.Must, fmt.Sprintf("the client did not connect to the %s listener: %v", kind, err),
			"a connection", "none")
		return
	}
	c := newConn(a.Conn, "", nc, spec.ServerBound, x.dialect, x.start, true, x.wake)
	x.addConn(c)
	x.note(c.name, "accepted a connection from %s", nc.RemoteAddr())
	if a.NoHello {
		return
	}
	motd := "gochat conformance runner"
	if a.Hello != nil {
		motd = *a.Hello
	}
	s.write(x, c, spec.NewPacket(spec.HELLO, spec.NullID, []byte(motd)))
}

// refusedHandshake judges a TLS connection the client was expected to
// refuse: a completed handshake means it trusted an unverifiable
// certificate.
func (s *clientSide) refusedHandshake(x *exec, nc net.Conn, err error) {
	if err != nil {
		x.note("c", "the client refused the TLS handshake: %v", err)
		return
	}
	nc.Close()
	x.mismatch("", "the client completed a TLS handshake with a self-signed certificate it was asked to verify",
		"handshake refused", "handshake completed")
}

// lastWire names the last packet the runner sent, the likely trigger of
// a crash.
func (s *clientSide) lastWire(x *exec) string {
	for i := len(x.res.Transcript) - 1; i >= 0; i-- {
		if ev := x.res.Transcript[i]; ev.Dir == result.Send && ev.Conn != "driver" {
			return "last packet sent: " + ev.Header
		}
	}
	return "no packet sent"
}

type accepted struct {
	c   net.Conn
	err error
}

// acceptAsync accepts one connection, completing a TLS handshake within
// timeout, and delivers it on the returned channel, signalling wake. A
// connection nobody takes (the step gave up) is closed.
func acceptAsync(ln net.Listener, timeout time.Duration, wake chan<- struct{}) <-chan accepted {
	ch := make(chan accepted, 1)
	go func() {
		c, err := ln.Accept() // returns at the latest when teardown closes the listener
		if tc, ok := c.(*tls.Conn); ok && err == nil {
			_ = tc.SetDeadline(time.Now().Add(timeout))
			if err = tc.Handshake(); err != nil {
				tc.Close()
				c = nil
			} else {
				_ = tc.SetDeadline(time.Time{})
			}
		}
		ch <- accepted{c, err}
		select {
		case wake <- struct{}{}:
		default:
		}
	}()
	return ch
}

// write sends a packet the runner composed itself (HELLO, automatic
// answers).
func (s *clientSide) write(x *exec, c *conn, p *spec.Packet) {
	b, err := spec.MarshalPacket(p, x.dialect)
	if err != nil {
		x.suite("cannot encode %s: %v", p.Action, err)
		return
	}
	x.writeFrame(c, b, 0)
}

// check applies the rules every client packet must follow: legal header
// and framing (CLIENT-1, CLIENT-3, MUST); no ID reuse while a request is
// unanswered (CLIENT-2) and arguments within 2045 bytes so both dialects
// can read them (ARG-4), SHOULDs.
func (s *clientSide) check(x *exec, c *conn, f *frame) bool {
	if f.framing != nil {
		x.fail(result.Failure{Level: result.Must, Step: "packet", Conn: c.name,
			Requirements: []string{"CLIENT-1", "CLIENT-3"},
			Message:      fmt.Sprintf("the client sent a malformed packet (CLIENT-1, CLIENT-3): %v", f.framing),
			Actual:       f.hdr.String()})
	}
	should := func(req, format string, args ...any) {
		x.fail(result.Failure{Level: result.Should, Step: "packet", Conn: c.name, Requirements: []string{req},
			Message: req + ": " + fmt.Sprintf(format, args...), Actual: f.hdr.String()})
	}
	if f.hdr.Action != spec.KEEP && f.hdr.ID != spec.NullID {
		if c.pending[f.hdr.ID] {
			should("CLIENT-2", "ID %d reused while the request that used it is unanswered", f.hdr.ID)
		}
		c.pending[f.hdr.ID] = true
		if s.reqs[c] == nil {
			s.reqs[c] = map[uint16]spec.Action{}
		}
		s.reqs[c][f.hdr.ID] = f.hdr.Action
	}
	for i, a := range f.args {
		if len(a) > spec.MaxArgSizeGochat1 {
			should("ARG-4", "argument %d has %d bytes, over the 2045 both dialects accept", i+1, len(a))
		}
	}
	return true
}

// serve answers what a client may ask on its own: KEEP (nothing to
// answer), REQ for a known actor (that actor's key, level 0) and RECIV
// (ERR_EMPTY: nothing cached). Before a login, every login-gated request
// gets ERR_LOGIN, as a server answers it, so that a client may either
// refuse such a command locally or send it and report the error.
func (s *clientSide) serve(x *exec, c *conn, f *frame) bool {
	if loginGated[f.hdr.Action] && !s.loggedIn[c] {
		s.write(x, c, &spec.Packet{Action: spec.ERR, Info: uint8(spec.CodeLogin), ID: f.hdr.ID})
		return true
	}
	switch f.hdr.Action {
	case spec.KEEP:
		return true
	case spec.RECIV:
		s.write(x, c, &spec.Packet{Action: spec.ERR, Info: uint8(spec.CodeEmpty), ID: f.hdr.ID})
		return true
	case spec.REQ:
		if len(f.args) != 1 {
			return false
		}
		for actor, name := range x.env.Names {
			if k := x.env.Keys[actor]; name == string(f.args[0]) && k != nil {
				kb, err := x.env.Eval(&scenario.Value{Kind: "key", Actor: actor})
				if err != nil {
					return false
				}
				s.write(x, c, spec.NewPacket(spec.REQ, f.hdr.ID, []byte(name), kb, []byte{0}))
				return true
			}
		}
		s.write(x, c, &spec.Packet{Action: spec.ERR, Info: uint8(spec.CodeNotFound), ID: f.hdr.ID})
		return true
	}
	return false
}

// sendID: the step's number, $req (the last request consumed), or by
// default the last request's ID for replies (ERR included: write id: 0
// for a notice) and 0 for pushes.
func (s *clientSide) sendID(c *conn, a spec.Action, id *scenario.IDSpec) uint16 {
	switch {
	case id != nil && id.Req:
		return c.lastID
	case id != nil:
		return id.Num
	case replyAction(a):
		return c.lastID
	}
	return spec.NullID
}

// wantID: a client chooses its request IDs, so none is implied.
func (s *clientSide) wantID(*conn, spec.Action) (uint16, bool) { return 0, false }

// sent: a packet with a request's ID answers it; an OK to LOGIN or VERIF
// logs the connection in, one to LOGOUT out.
func (s *clientSide) sent(c *conn, h spec.Header, _ [][]byte) {
	if c.pending[h.ID] && h.Action == spec.OK {
		switch s.reqs[c][h.ID] {
		case spec.LOGIN, spec.VERIF:
			s.loggedIn[c] = true
		case spec.LOGOUT:
			s.loggedIn[c] = false
		}
	}
	delete(c.pending, h.ID)
}

// consumed: replies the scenario sends next carry this request's ID.
func (s *clientSide) consumed(c *conn, f *frame) {
	if f.err == nil {
		c.lastID = f.hdr.ID
	}
}

// infoChecked: a client's requests carry meaningful Info (USRS, SUB,
// ADMIN), so it is checked only where the step gives it.
func (s *clientSide) infoChecked(spec.Action) bool { return false }

// line files one line of the adapter's output: a response (by id) or an
// event. An "unsupported" response ends the scenario as a skip whatever
// step is waiting: the adapter cannot do what the scenario needs.
func (s *clientSide) line(x *exec, m map[string]any) {
	x.event(result.Event{Conn: "driver", Dir: result.Recv, Note: compactJSON(m)})
	if bad, isBad := m["_bad"]; isBad {
		x.fail(result.Failure{Level: result.Must, Step: "driver",
			Message: fmt.Sprintf("adapter wrote a line that is not a JSON object: %v", bad)})
		return
	}
	id, isResp := m["id"].(float64)
	if !isResp {
		s.events = append(s.events, m)
		return
	}
	s.responses[int64(id)] = m
	if driverErrCode(m) == "unsupported" && x.skipWhy == "" {
		x.skipWhy, x.skipKind = s.cmds[int64(id)], result.KindUnsupported
		if x.skipWhy == "" {
			x.skipWhy = compactJSON(m)
		}
		x.stopped = true
	}
}

func (s *clientSide) drive(x *exec, d *scenario.Drive) {
	cmd := map[string]any{"cmd": d.Cmd}
	for k, f := range d.Fields {
		v, err := fieldValue(x, f)
		if err != nil {
			x.suite("drive: %s: %v", k, err)
			return
		}
		cmd[k] = v
	}
	if d.Actor != "" {
		cmd["user"] = x.env.Names[d.Actor]
		if _, given := cmd["key_pem"]; !given && (d.Cmd == "register" || d.Cmd == "login") {
			cmd["key_pem"] = string(spec.MarshalPrivateKey(x.env.Keys[d.Actor]))
		}
	}
	if d.Cmd == "connect" {
		cmd["addr"], cmd["dialect"] = s.plain.Addr().String(), x.dialect.String()
		if d.TLS {
			cmd["addr"], cmd["tls"] = s.tls.Addr().String(), true
			if _, given := cmd["insecure"]; !given {
				cmd["insecure"] = true
			}
		}
	}
	id, err := s.p.send(cmd)
	if err != nil && s.p.exitedWithin(x.within(2*time.Second)) {
		x.crash = "the client adapter exited during the scenario (" + s.lastWire(x) + ")"
		x.stopped = true
		return
	}
	if err != nil {
		x.suite("writing to the client adapter: %v", err)
		return
	}
	s.lastDrive, s.cmds[id] = id, d.Cmd
	shown := maps.Clone(cmd)
	if _, ok := shown["key_pem"]; ok {
		shown["key_pem"] = "(PEM)"
	}
	x.event(result.Event{Conn: "driver", Dir: result.Send, Note: compactJSON(shown)})
	if d.Expect != nil {
		s.response(x, d.Expect, id)
	}
}

// fieldValue renders a driver field: templates expanded, other scalars as
// written.
func fieldValue(x *exec, f scenario.Field) (any, error) {
	switch {
	case f.Text != nil:
		b, err := x.env.Expand(f.Text)
		return string(b), err
	case f.List != nil:
		out := make([]string, len(f.List))
		for i := range f.List {
			b, err := x.env.Expand(&f.List[i])
			if err != nil {
				return nil, err
			}
			out[i] = string(b)
		}
		return out, nil
	}
	return f.Plain, nil
}

// response waits for the response to command id, serving the client's
// side requests meanwhile, and checks it.
func (s *clientSide) response(x *exec, want *scenario.Response, id int64) {
	limit := x.within(want.Within)
	deadline := time.Now().Add(limit)
	x.collect()
	for s.responses[id] == nil && !x.stopped {
		x.autoServe(nil)
		if !x.pump(deadline) {
			break
		}
	}
	r := s.responses[id]
	if r == nil {
		if !x.stopped {
			x.mismatchCheck(&want.Check, fmt.Sprintf("no response from the client to driver command %d within %v", id, limit),
				"a response", "none")
		}
		return
	}
	if x.stopped { // "unsupported" (see line)
		return
	}
	ok := r["ok"] == true
	code := driverErrCode(r)
	wantOK := (want.OK == nil || *want.OK) && want.Error == ""
	switch {
	case ok != wantOK:
		x.mismatchCheck(&want.Check, fmt.Sprintf("driver response ok=%v, want ok=%v", ok, wantOK),
			fmt.Sprintf("ok=%v", wantOK), compactJSON(r))
	case want.Error != "" && code != want.Error:
		x.mismatchCheck(&want.Check, fmt.Sprintf("driver error code %q, want %q", code, want.Error), want.Error, compactJSON(r))
	default:
		s.checkFields(x, r, want.Fields, &want.Check)
	}
}

// driverErrCode is the error.code of a response ("" if none).
func driverErrCode(r map[string]any) string {
	if e, isMap := r["error"].(map[string]any); isMap {
		if code, isText := e["code"].(string); isText {
			return code
		}
	}
	return ""
}

func (s *clientSide) checkFields(x *exec, got map[string]any, want map[string]scenario.Template, ch *scenario.Check) {
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, present := got[k]
		if !present {
			x.mismatchCheck(ch, fmt.Sprintf("field %q missing", k), k, compactJSON(got))
			return
		}
		t := want[k]
		if t.Text == "any" {
			continue
		}
		exp, err := x.env.Expand(&t)
		if err != nil {
			x.suite("%v", err)
			return
		}
		if s := textOf(v); s != string(exp) {
			x.mismatchCheck(ch, fmt.Sprintf("field %q is %q, want %q", k, s, exp), string(exp), s)
			return
		}
	}
}

func (s *clientSide) expectEvent(x *exec, e *scenario.ExpectEvent) {
	if e.Absent { // also for an event the adapter never reports
		s.expectNoEvent(x, e)
		return
	}
	if s.events0 != nil && !s.events0[e.Event] {
		x.skipWhy, x.skipKind, x.stopped = "event "+e.Event, result.KindUnsupported, true
		return
	}
	limit := x.within(e.Within)
	deadline := time.Now().Add(limit)
	x.collect()
	for !x.stopped {
		if ev := s.takeEvent(e); ev != nil {
			s.checkFields(x, ev, e.Fields, &e.Check)
			return
		}
		x.autoServe(nil)
		if !x.pump(deadline) {
			break
		}
	}
	if !x.stopped {
		x.mismatchCheck(&e.Check, fmt.Sprintf("the client reported no %q event within %v", e.Event, limit),
			"event "+e.Event, "none")
	}
}

// expectNoEvent lets e.Within pass (serving the client) and fails if an
// event of e's kind was reported meanwhile or before.
func (s *clientSide) expectNoEvent(x *exec, e *scenario.ExpectEvent) {
	x.idle(time.Now().Add(x.within(e.Within)))
	if x.stopped {
		return
	}
	for _, ev := range s.events {
		if ev["event"] == e.Event {
			x.mismatchCheck(&e.Check, fmt.Sprintf("the client reported a %q event it should not have", e.Event),
				"no "+e.Event+" event", compactJSON(ev))
			return
		}
	}
}

// drainLines files every adapter line already waiting, without blocking,
// so that a driver error (above all "unsupported") is seen before a step
// starts to wait for packets.
func (x *exec) drainLines() {
	for x.lines != nil && !x.stopped {
		select {
		case m, ok := <-x.lines:
			if !ok {
				x.lines = nil
				x.note("driver", "client process closed its output")
				return
			}
			x.side.line(x, m)
		default:
			return
		}
	}
}

// takeEvent removes and returns the first buffered event of e's kind; an
// ordered expectation also drops the events before it. Nil: none yet.
func (s *clientSide) takeEvent(e *scenario.ExpectEvent) map[string]any {
	for i, ev := range s.events {
		if ev["event"] != e.Event {
			continue
		}
		if e.Unordered {
			s.events = append(s.events[:i:i], s.events[i+1:]...)
		} else {
			s.events = s.events[i+1:]
		}
		return ev
	}
	if !e.Unordered {
		s.events = s.events[:0]
	}
	return nil
}

// textOf renders a driver field for comparison with a scenario's text.
func textOf(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case float64:
		return fmt.Sprint(int64(t))
	case bool:
		return fmt.Sprint(t)
	}
	return compactJSON(v) // lists and objects compare as compact JSON
}

// compactJSON renders a decoded JSON value; such values always encode.
func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}
