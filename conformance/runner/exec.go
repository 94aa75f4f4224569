package runner

import (
	"context"
	"crypto/rsa"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/conformance/expr"
	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/conformance/target"
	"github.com/gochatproto/gochat/spec"
)

// exec is the state of one scenario run.
type exec struct {
	ctx      context.Context
	sc       *scenario.Scenario
	ep       *target.Endpoint
	o        Options
	res      *Result
	dialect  spec.Dialect
	start    time.Time
	conns    map[string]*conn
	order    []*conn
	env      *expr.Env       // actors' names and keys, variables
	regNames map[string]bool // every username sent in a REG, for cleanup
	stopped  bool            // a MUST failure or a suite error ended the run
	suiteErr string          // set for error verdicts
	step     *scenario.Step
	// reservedFailed: the FRAME-3 check already failed in this run.
	reservedFailed bool
}

func newExec(ctx context.Context, sc *scenario.Scenario, ep *target.Endpoint, o Options, res *Result,
	fixtures map[string]*rsa.PrivateKey) *exec {
	x := &exec{ctx: ctx, sc: sc, ep: ep, o: o, res: res, dialect: o.Target.Dialect(),
		start: time.Now(), conns: map[string]*conn{}, env: expr.NewEnv(o.Target.Dialect(), o.Seed, sc.ID),
		regNames: map[string]bool{}}
	x.bindActors(fixtures)
	return x
}

// bindActors assigns names and keys; templated names are resolved after
// the plain ones so they can refer to them.
func (x *exec) bindActors(fixtures map[string]*rsa.PrivateKey) {
	for name, a := range x.sc.Actors {
		switch a.Role {
		case "admin", "owner":
			acc := x.ep.Admin
			if a.Role == "owner" {
				acc = x.ep.Owner
			}
			if acc != nil {
				x.env.Names[name], x.env.Keys[name] = acc.Name, acc.Key
			}
		default:
			x.env.Keys[name] = fixtures[a.Key]
			if a.Name == "" {
				x.env.Names[name] = Username(x.o.Seed, x.o.Salt, x.sc.ID, name)
			}
		}
	}
	for name, a := range x.sc.Actors {
		if a.Name != "" && a.Role == "" {
			b, _ := x.env.Expand(a.Name)
			x.env.Names[name] = string(b)
		}
	}
}

func (x *exec) within(d time.Duration) time.Duration {
	if d <= 0 {
		d = DefaultWithin
	}
	return time.Duration(float64(d) * x.o.TimeoutScale)
}

// fail records a failure; a MUST failure stops the scenario.
func (x *exec) fail(level scenario.Level, msg, expected, actual string) {
	x.failReq("", level, msg, expected, actual)
}

// failReq records a failure of requirement req ("": the scenario's own).
func (x *exec) failReq(req string, level scenario.Level, msg, expected, actual string) {
	if level == "" {
		level = scenario.Must
	}
	f := Failure{Level: level, Message: msg, Expected: expected, Actual: actual, Requirement: req}
	if x.step != nil {
		f.Pos, f.Step = x.step.Pos.String(), x.step.Kind()
	}
	if x.res.Record(f, x.o.MustOnly) {
		x.stopped = true
	}
}

// suite records a fault of the suite or the network (verdict error).
func (x *exec) suite(format string, args ...any) {
	x.suiteErr = fmt.Sprintf(format, args...)
	if x.step != nil {
		x.suiteErr = x.step.Pos.String() + ": " + x.suiteErr
	}
	x.stopped = true
}

func (x *exec) note(c, msg string) {
	x.res.Transcript = append(x.res.Transcript, Event{At: time.Since(x.start), Conn: c, Dir: "note", Note: msg})
}

func (x *exec) run() {
	for i := range x.sc.Steps {
		if x.stopped {
			return
		}
		if x.ctx.Err() != nil {
			x.fail(scenario.Must, "scenario deadline exceeded", "", "")
			return
		}
		x.step = &x.sc.Steps[i]
		x.runStep(x.step)
	}
}

func (x *exec) runStep(st *scenario.Step) {
	switch {
	case st.Connect != nil:
		x.connect(st.Connect)
	case st.Register != nil:
		x.register(st.Register)
	case st.Login != nil:
		x.login(st.Login)
	case st.Send != nil:
		x.send(st.Send)
	case st.SendRaw != nil:
		x.sendRaw(st.SendRaw)
	case st.Expect != nil:
		x.expectOne(st.Expect)
	case st.ExpectAnyOrder != nil:
		x.expectAnyOrder(st.ExpectAnyOrder)
	case st.ExpectNone != nil:
		x.expectNone(st.ExpectNone)
	case st.ExpectClose != nil:
		x.expectClose(st.ExpectClose)
	case st.Decrypt != nil:
		x.decrypt(st.Decrypt)
	case st.Disconnect != "":
		if c := x.conns[st.Disconnect]; c != nil {
			c.close()
			x.note(c.name, "disconnected by the runner")
		}
	case st.StopReading != "":
		if c := x.conn(st.StopReading); c != nil {
			c.stopReading()
			x.note(c.name, "stopped reading this connection")
		}
	case st.Set != nil:
		if b, err := x.env.Eval(&st.Set.Value); err != nil {
			x.suite("set: %v", err)
		} else {
			x.env.Vars[st.Set.Var] = b
		}
	default:
		time.Sleep(time.Duration(float64(st.Sleep) * x.o.TimeoutScale))
	}
}

func (x *exec) closeAll() {
	for _, c := range x.order {
		c.close()
	}
}

func (x *exec) connect(cn *scenario.Connect) {
	addr, cfg := x.ep.Addr, (*tls.Config)(nil)
	if cn.TLS {
		addr, cfg = x.ep.TLSAddr, x.ep.TLSConfig
		if cfg == nil {
			cfg = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // test servers use self-signed certificates
		}
	}
	nc, err := dial(x.ctx, addr, cfg, x.within(5*time.Second))
	if err != nil {
		x.suite("cannot connect to %s: %v", addr, err)
		return
	}
	read := cn.Read == nil || *cn.Read
	c := newConn(cn.Conn, cn.Actor, nc, x.dialect, x.start, read)
	x.conns[cn.Conn] = c
	x.order = append(x.order, c)
	proto := "tcp"
	if cn.TLS {
		proto = "tls"
	}
	x.note(cn.Conn, fmt.Sprintf("connected (%s) to %s", proto, addr))
	if !read {
		x.note(cn.Conn, "not reading this connection")
		return
	}
	if cn.Hello == nil || *cn.Hello {
		x.expectOne(&scenario.Expect{Conn: cn.Conn, Action: "HELLO", ID: &scenario.IDSpec{},
			Args: []scenario.Matcher{{Kind: "any"}}})
	}
}

// sendPacket encodes and writes a legal packet, recording it.
func (x *exec) sendPacket(c *conn, p *spec.Packet, chunk int) {
	b, err := spec.AppendPacket(nil, p, x.dialect)
	if err != nil {
		x.suite("cannot encode %s: %v", p.Action, err)
		return
	}
	x.writeRaw(c, b, chunk)
}

func (x *exec) writeRaw(c *conn, b []byte, chunk int) {
	ev := Event{At: time.Since(x.start), Conn: c.name, Dir: "send", Hex: hex.EncodeToString(b)}
	if len(b) >= spec.HeaderSize {
		h := spec.ParseHeader(b)
		ev.Header = h.String()
		if len(b) > spec.HeaderSize+2 {
			args := x.splitSent(h, b[spec.HeaderSize+2:])
			for _, a := range args {
				ev.Args = append(ev.Args, expr.Show(a))
			}
			if h.Action == spec.REG && len(args) > 0 {
				x.regNames[strings.ToLower(string(args[0]))] = true
			}
		}
	}
	x.res.Transcript = append(x.res.Transcript, ev)
	if err := c.write(b, chunk, x.within(writeTimeout)); err != nil {
		// Writing to a connection the server closed is the server's
		// choice, not a suite fault; later expectations will judge it.
		x.note(c.name, "write failed: "+err.Error())
	}
}

func (x *exec) conn(name string) *conn {
	c := x.conns[name]
	if c == nil {
		x.suite("connection %q is not open", name)
	}
	return c
}

func (x *exec) send(s *scenario.Send) {
	c := x.conn(s.Conn)
	if c == nil {
		return
	}
	p, err := x.env.Packet(s)
	if err != nil {
		x.suite("send: %v", err)
		return
	}
	if s.Repeat > 1 {
		x.sendRepeated(c, s, p)
		return
	}
	p.ID = x.requestID(c, s.ID)
	x.sendPacket(c, p, s.Chunked)
}

// sendRepeated writes s.Repeat copies of p with successive request IDs in
// one write; the transcript shows the first and a count.
func (x *exec) sendRepeated(c *conn, s *scenario.Send, p *spec.Packet) {
	var b []byte
	first := uint16(0)
	for i := range s.Repeat {
		p.ID = x.requestID(c, s.ID)
		if i == 0 {
			first = p.ID
		}
		var err error
		if b, err = spec.AppendPacket(b, p, x.dialect); err != nil {
			x.suite("cannot encode %s: %v", p.Action, err)
			return
		}
	}
	x.res.Transcript = append(x.res.Transcript, Event{At: time.Since(x.start), Conn: c.name, Dir: "send",
		Header: p.Header().String(), Note: fmt.Sprintf("%d packets like this one, IDs from %d, %d bytes",
			s.Repeat, first, len(b))})
	if err := c.write(b, 0, x.within(writeTimeout)); err != nil {
		x.note(c.name, "write failed: "+err.Error())
	}
}

func (x *exec) requestID(c *conn, id *scenario.IDSpec) uint16 {
	v := c.allocID()
	if id != nil && !id.Req {
		v = uint16(id.Num)
	} else if id != nil && id.Req {
		v = c.lastID
	}
	c.lastID = v
	return v
}

func (x *exec) sendRaw(s *scenario.SendRaw) {
	c := x.conn(s.Conn)
	if c == nil {
		return
	}
	if s.Hex != "" {
		b, _ := scenario.DecodeHex(s.Hex)
		if len(b) >= spec.HeaderSize {
			c.lastID = spec.ParseHeader(b).ID
		}
		x.writeRaw(c, b, s.Chunked)
		return
	}
	args, err := x.env.EvalAll(s.Args)
	if err != nil {
		x.suite("send_raw: %v", err)
		return
	}
	h := x.rawHeader(c, s.Header, args)
	x.writeRaw(c, spec.AppendRaw(nil, s.Packet(h, args)), s.Chunked)
}

// rawHeader builds the header a legal packet with args would have, then
// applies the scenario's overrides.
func (x *exec) rawHeader(c *conn, rh *scenario.RawHeader, args [][]byte) spec.Header {
	a, _ := spec.ParseAction(rh.Action)
	info, _ := scenario.ParseInfo(a, rh.Info)
	h := spec.Header{Version: spec.Version, Action: a, Info: info, Args: uint8(len(args)),
		Reserved: spec.DefaultReserved}
	n := 0
	for _, arg := range args {
		n += len(arg) + 2
	}
	h.Len = uint16(n)
	h.ID = x.requestID(c, rh.ID)
	return rh.Override(h)
}

func (x *exec) decrypt(d *scenario.Decrypt) {
	k := x.env.Keys[d.Actor]
	pt, err := codec.Decrypt(k, x.env.Vars[d.From])
	if err != nil {
		x.fail(scenario.Must, "captured ciphertext does not decrypt with "+d.Actor+"'s key", "a valid RSA-OAEP ciphertext", err.Error())
		return
	}
	x.env.Vars[d.Into] = pt
}

// splitSent splits an outgoing payload for the transcript the way the
// server should (by the action's schema, E-5), falling back to every CRLF
// for forged packets.
func (x *exec) splitSent(h spec.Header, payload []byte) [][]byte {
	if sc, ok := spec.SchemaFor(spec.ServerBound, h.Action, h.Info); ok && int(h.Len) == len(payload) {
		if args, err := spec.SplitArgs(nil, payload, int(h.Args), sc, x.dialect); err == nil {
			return args
		}
	}
	return spec.SplitCRLF(nil, payload, spec.MaxArgs)
}
