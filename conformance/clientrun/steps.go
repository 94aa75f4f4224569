package clientrun

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/conformance/serverconn"
	"github.com/gochatproto/gochat/spec"
)

func (x *exec) step(st *scenario.ClientStep) {
	switch {
	case st.Drive != nil:
		x.drive(st)
	case st.Response != nil:
		x.response(st, st.Response, x.lastDrive)
	case st.Accept != nil:
		x.acceptStep(st)
	case st.Send != nil:
		x.send(st)
	case st.SendRaw != nil:
		x.sendRaw(st)
	case st.Expect != nil:
		x.expect(st)
	case st.ExpectEvent != nil:
		x.expectEvent(st)
	case st.ExpectClose != nil:
		x.expectClose(st)
	case st.ExpectNone != nil:
		x.expectNone(st)
	case st.Disconnect != "":
		if c := x.conn(st.Disconnect); c != nil {
			c.c.Close()
		}
	default:
		deadline := time.Now().Add(x.wait(st.Sleep))
		for x.pump(deadline) {
			x.autoServe()
		}
	}
}

func (x *exec) conn(name string) *conn {
	if name == "" {
		name = scenario.DefaultConn
	}
	c := x.conns[name]
	if c == nil {
		x.suite("no accepted connection %q (missing accept step?)", name)
	}
	return c
}

func (x *exec) drive(st *scenario.ClientStep) {
	d := st.Drive
	cmd := map[string]any{"cmd": d.Cmd}
	for k, v := range d.Fields {
		if s, ok := v.(string); ok {
			b, err := x.env.Expand(s)
			if err != nil {
				x.suite("drive: %s: %v", k, err)
				return
			}
			v = string(b)
		}
		cmd[k] = v
	}
	if d.Actor != "" {
		cmd["user"] = x.env.Names[d.Actor]
		if d.Cmd == "register" || d.Cmd == "login" {
			if _, given := cmd["key_pem"]; !given {
				cmd["key_pem"] = string(spec.MarshalPrivateKey(x.env.Keys[d.Actor]))
			}
		}
	}
	if d.Cmd == "connect" {
		cmd["addr"], cmd["dialect"] = x.plain.Addr(), x.o.Dialect.String()
		if d.TLS {
			cmd["addr"], cmd["insecure"] = x.tls.Addr(), true
		}
	}
	id, err := x.p.send(cmd)
	if err != nil {
		x.suite("writing to the client adapter: %v", err)
		return
	}
	x.lastDrive = id
	shown := map[string]any{}
	for k, v := range cmd {
		if k == "key_pem" {
			v = "(PEM)"
		}
		shown[k] = v
	}
	x.note("driver", "send", "%s", compactJSON(shown))
	if d.Expect != nil {
		x.response(st, d.Expect, id)
	}
}

// response waits for the response to command id, serving the client's
// side requests meanwhile, and checks it.
func (x *exec) response(st *scenario.ClientStep, want *scenario.Response, id int64) {
	deadline := time.Now().Add(x.wait(want.Within))
	for x.responses[id] == nil && !x.stopped {
		x.autoServe()
		if !x.pump(deadline) {
			break
		}
	}
	r := x.responses[id]
	if r == nil {
		if !x.stopped {
			x.fail(st, "", "no response from the client to driver command %d within %v", id, x.wait(want.Within))
		}
		return
	}
	ok, _ := r["ok"].(bool)
	code := ""
	if e, isMap := r["error"].(map[string]any); isMap {
		code, _ = e["code"].(string)
	}
	if code == "unsupported" {
		x.skip = fmt.Sprintf("the client does not support driver command %d (%s)", id, compactJSON(r))
		x.stopped = true
		return
	}
	wantOK := want.OK == nil || *want.OK
	if want.Error != "" {
		wantOK = false
	}
	switch {
	case ok != wantOK:
		x.fail(st, "", "driver response ok=%v, want ok=%v: %s", ok, wantOK, compactJSON(r))
	case want.Error != "" && code != want.Error:
		x.fail(st, "", "driver error code %q, want %q", code, want.Error)
	default:
		x.checkFields(st, r, want.Fields, "")
	}
}

func (x *exec) checkFields(st *scenario.ClientStep, got map[string]any, want map[string]string, level scenario.Level) {
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, present := got[k]
		if !present {
			x.fail(st, level, "field %q missing in %s", k, compactJSON(got))
			return
		}
		if want[k] == "any" {
			continue
		}
		exp, err := x.env.Expand(want[k])
		if err != nil {
			x.suite("%v", err)
			return
		}
		if s := textOf(v); s != string(exp) {
			x.fail(st, level, "field %q is %q, want %q", k, s, exp)
			return
		}
	}
}

func textOf(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case float64:
		return fmt.Sprint(int64(t))
	case bool:
		return fmt.Sprint(t)
	}
	b, _ := json.Marshal(v) // lists and objects compare as compact JSON
	return string(b)
}

func compactJSON(m map[string]any) string {
	b, _ := json.Marshal(m)
	return string(b)
}

func (x *exec) acceptStep(st *scenario.ClientStep) {
	a := st.Accept
	name := a.Conn
	if name == "" {
		name = scenario.DefaultConn
	}
	c, err := x.accept(name, a.TLS, x.wait(a.Within))
	if err != nil {
		x.fail(st, "", "the client did not connect to the %s listener: %v", map[bool]string{false: "plain", true: "TLS"}[a.TLS], err)
		return
	}
	if a.NoHello {
		return
	}
	motd := "gochat conformance runner"
	if a.Hello != nil {
		motd = *a.Hello
	}
	x.write(c, spec.NewPacket(spec.HELLO, spec.NullID, []byte(motd)), 0)
}

func (x *exec) send(st *scenario.ClientStep) {
	s := st.Send
	c := x.conn(s.Conn)
	if c == nil {
		return
	}
	p, err := x.env.Packet(s)
	if err != nil {
		x.suite("send: %v", err)
		return
	}
	p.ID = x.replyID(c, p.Action, s.ID)
	x.write(c, p, s.Chunked)
}

// replyID is the ID of a packet the server sends: the scenario's number,
// $req (the last request consumed), or by default the last request's ID
// for replies (ERR included: write id: 0 for a notice) and 0 for pushes.
func (x *exec) replyID(c *conn, a spec.Action, id *scenario.IDSpec) uint16 {
	switch {
	case id != nil && id.Req:
		return c.lastReq
	case id != nil && !id.Any:
		return uint16(id.Num)
	case a == spec.OK || a == spec.ERR || a == spec.VERIF || a == spec.REQ || a == spec.USRS:
		return c.lastReq
	}
	return spec.NullID
}

func (x *exec) sendRaw(st *scenario.ClientStep) {
	s := st.SendRaw
	c := x.conn(s.Conn)
	if c == nil {
		return
	}
	var b []byte
	if s.Hex != "" {
		b, _ = scenario.DecodeHex(s.Hex)
	} else {
		args, err := x.env.EvalAll(s.Args)
		if err != nil {
			x.suite("send_raw: %v", err)
			return
		}
		b = spec.AppendRaw(nil, s.Packet(x.rawHeader(c, s.Header, args), args))
	}
	if len(b) >= spec.HeaderSize {
		h := spec.ParseHeader(b)
		delete(c.pending, h.ID)
		x.packetEvent(c.name, "send", h, nil)
	}
	if err := c.c.WriteBytes(b, s.Chunked, time.Millisecond); err != nil {
		x.note(c.name, "note", "write failed: %v", err)
	}
}

func (x *exec) rawHeader(c *conn, rh *scenario.RawHeader, args [][]byte) spec.Header {
	if rh == nil {
		rh = &scenario.RawHeader{}
	}
	a, _ := spec.ParseAction(rh.Action)
	info, _ := scenario.ParseInfo(a, rh.Info)
	return rh.Override((&spec.Packet{Action: a, Info: info, ID: x.replyID(c, a, rh.ID), Args: args}).Header())
}

// next waits for the next packet on c that the scenario did not leave to
// autoServe: packets of other actions that autoServe handles are answered
// and skipped.
func (x *exec) next(c *conn, action spec.Action, deadline time.Time) *serverconn.Received {
	for !x.stopped {
		for len(c.queue) > 0 {
			r := c.queue[0]
			c.queue = c.queue[1:]
			if r.Packet.Action != action && x.serveOne(c, r) {
				continue
			}
			return r
		}
		if c.closed != nil || !x.pump(deadline) {
			return nil
		}
		x.autoServeOthers(c)
	}
	return nil
}

// autoServeOthers serves every connection but c (whose queue the caller
// is consuming).
func (x *exec) autoServeOthers(c *conn) {
	for _, o := range x.conns {
		for o != c && len(o.queue) > 0 && x.serveOne(o, o.queue[0]) {
			o.queue = o.queue[1:]
		}
	}
}

func (x *exec) expect(st *scenario.ClientStep) {
	e := st.Expect
	c := x.conn(e.Conn)
	if c == nil {
		return
	}
	want, _ := spec.ParseAction(e.Action)
	r := x.next(c, want, time.Now().Add(x.wait(e.Within)))
	if r == nil {
		if !x.stopped {
			why := "nothing arrived"
			if c.closed != nil {
				why = "the client closed the connection (" + c.closed.Error() + ")"
			}
			x.fail(st, e.Level, "expected %s from the client within %v: %s", want, x.wait(e.Within), why)
		}
		return
	}
	p := r.Packet
	c.lastReq = p.ID
	if why := x.matchPacket(e, want, p); why != "" {
		x.fail(st, e.Level, "%s (got %s)", why, r.Header)
	}
}

func (x *exec) matchPacket(e *scenario.Expect, want spec.Action, p *spec.Packet) string {
	if p.Action != want {
		return fmt.Sprintf("action is %s, want %s", p.Action, want)
	}
	if e.ID != nil && !e.ID.Any && !e.ID.Req && int(p.ID) != e.ID.Num {
		return fmt.Sprintf("ID is %d, want %d", p.ID, e.ID.Num)
	}
	if e.Info != "" {
		info, _ := scenario.ParseInfo(want, e.Info)
		if p.Info != info {
			return fmt.Sprintf("Info is %d, want %d (%s)", p.Info, info, e.Info)
		}
	}
	if e.Args == nil {
		return ""
	}
	if len(p.Args) != len(e.Args) {
		return fmt.Sprintf("%d arguments, want %d", len(p.Args), len(e.Args))
	}
	for i := range e.Args {
		if why := x.env.Match(&e.Args[i], p.Args[i], x.env.Vars); why != "" {
			return fmt.Sprintf("argument %d %s", i+1, why)
		}
	}
	return ""
}

func (x *exec) expectEvent(st *scenario.ClientStep) {
	e := st.ExpectEvent
	deadline := time.Now().Add(x.wait(e.Within))
	for !x.stopped {
		for len(x.events) > 0 {
			ev := x.events[0]
			x.events = x.events[1:]
			if ev["event"] == e.Event {
				x.checkFields(st, ev, e.Fields, e.Level)
				return
			}
		}
		x.autoServe()
		if !x.pump(deadline) {
			break
		}
	}
	if !x.stopped {
		x.fail(st, e.Level, "the client reported no %q event within %v", e.Event, x.wait(e.Within))
	}
}

func (x *exec) expectClose(st *scenario.ClientStep) {
	c := x.conn(st.ExpectClose.Conn)
	if c == nil {
		return
	}
	deadline := time.Now().Add(x.wait(st.ExpectClose.Within))
	for c.closed == nil && x.pump(deadline) {
	}
	if c.closed == nil && !x.stopped {
		x.fail(st, "", "the client did not close the connection within %v", x.wait(st.ExpectClose.Within))
	}
}

func (x *exec) expectNone(st *scenario.ClientStep) {
	e := st.ExpectNone
	c := x.conn(e.Conn)
	if c == nil {
		return
	}
	var only spec.Action
	if e.Action != "" {
		only, _ = spec.ParseAction(e.Action)
	}
	deadline := time.Now().Add(x.wait(e.For))
	for !x.stopped {
		for _, r := range c.queue {
			if only == spec.NullAction || r.Packet.Action == only {
				x.fail(st, "", "the client sent %s, want nothing%s", r.Header, map[bool]string{true: " of that action", false: ""}[only != 0])
				return
			}
		}
		x.autoServe()
		if !x.pump(deadline) {
			return
		}
	}
}
