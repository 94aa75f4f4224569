package clientrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gochatproto/gochat/conformance/expr"
	"github.com/gochatproto/gochat/conformance/runner"
	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/conformance/serverconn"
	"github.com/gochatproto/gochat/spec"
)

// conn is one accepted client connection and what it has sent so far.
type conn struct {
	name    string
	c       *serverconn.Conn
	queue   []*serverconn.Received // received, not yet consumed by a step
	lastReq uint16                 // ID of the last request consumed
	pending map[uint16]bool        // request IDs the runner has not answered
	closed  error                  // why reading ended (io.EOF: clean close)
}

// inItem is something that arrived: a packet or the end of a connection.
type inItem struct {
	conn *conn
	r    *serverconn.Received
	err  error
}

type exec struct {
	ctx   context.Context
	sc    *scenario.Scenario
	o     Options
	res   *runner.Result
	start time.Time
	env   *expr.Env // actors' names and keys, variables

	plain, tls *serverconn.Listener
	p          *proc
	lines      <-chan map[string]any // p.lines, nil once closed
	conns      map[string]*conn
	inbox      chan inItem

	events    []map[string]any
	responses map[int64]map[string]any
	lastDrive int64

	stopped  bool   // a MUST failure ended the scenario
	skip     string // the adapter does not support a command
	suiteErr string
}

func newExec(ctx context.Context, sc *scenario.Scenario, o Options, res *runner.Result) *exec {
	x := &exec{ctx: ctx, sc: sc, o: o, res: res, start: time.Now(),
		env:   expr.NewEnv(o.Dialect, o.Seed, sc.ID),
		conns: map[string]*conn{}, inbox: make(chan inItem, 64), responses: map[int64]map[string]any{}}
	for name, a := range sc.Actors {
		x.env.Keys[name] = o.Keys[a.Key]
		x.env.Names[name] = name
		if a.Name != "" {
			x.env.Names[name] = a.Name
		}
	}
	return x
}

func (x *exec) wait(d time.Duration) time.Duration {
	if d <= 0 {
		d = runner.DefaultWithin
	}
	return time.Duration(float64(d) * x.o.TimeoutScale)
}

func (x *exec) note(conn, dir, format string, args ...any) {
	x.res.Transcript = append(x.res.Transcript, runner.Event{At: time.Since(x.start), Conn: conn, Dir: dir,
		Note: fmt.Sprintf(format, args...)})
}

func (x *exec) packetEvent(conn, dir string, h spec.Header, args [][]byte) {
	ev := runner.Event{At: time.Since(x.start), Conn: conn, Dir: dir, Header: h.String()}
	for _, a := range args {
		ev.Args = append(ev.Args, expr.Show(a))
	}
	x.res.Transcript = append(x.res.Transcript, ev)
}

// fail records a failed check; a MUST failure ends the scenario.
func (x *exec) fail(st *scenario.ClientStep, level scenario.Level, format string, args ...any) {
	if level == "" {
		level = scenario.Must
	}
	f := runner.Failure{Level: level, Pos: st.Pos.String(), Step: st.Kind(), Message: fmt.Sprintf(format, args...)}
	if x.res.Record(f, x.o.MustOnly) {
		x.stopped = true
	}
}

func (x *exec) suite(format string, args ...any) {
	if x.suiteErr == "" {
		x.suiteErr = fmt.Sprintf(format, args...)
	}
	x.stopped = true
}

// setup opens the listeners and launches the client adapter.
func (x *exec) setup() error {
	var err error
	if x.plain, err = serverconn.Listen(); err != nil {
		return err
	}
	if x.tls, err = serverconn.ListenTLS(); err != nil {
		return err
	}
	cmd := expandCmd(x.o.ClientCmd, x.plain.Addr(), x.tls.Addr(), x.o.Dialect.String())
	p, hs, err := launch(cmd, x.wait(10*time.Second))
	if err != nil {
		return fmt.Errorf("launching the client: %w", err)
	}
	x.p, x.lines = p, p.lines
	x.note("driver", "note", "client %v speaks driver version %v", hs["client"], hs["version"])
	return nil
}

func (x *exec) teardown() {
	if x.p != nil {
		x.p.stop(x.wait(2 * time.Second))
		if s := x.p.stderr.String(); s != "" {
			x.note("driver", "note", "client stderr:\n%s", s)
		}
	}
	for _, c := range x.conns {
		c.c.Close()
	}
	if x.plain != nil {
		x.plain.Close()
	}
	if x.tls != nil {
		x.tls.Close()
	}
}

// pump waits until deadline for one thing to arrive (a driver line or a
// packet) and files it. It reports false on timeout or cancellation.
func (x *exec) pump(deadline time.Time) bool {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-x.ctx.Done():
		x.suite("scenario deadline: %v", x.ctx.Err())
		return false
	case <-t.C:
		return false
	case m, ok := <-x.lines:
		if !ok {
			x.lines = nil // the adapter exited; packets may still come
			x.note("driver", "note", "client process closed its output")
			return true
		}
		x.fileLine(m)
	case it := <-x.inbox:
		x.filePacket(it)
	}
	return true
}

func (x *exec) fileLine(m map[string]any) {
	x.note("driver", "recv", "%s", compactJSON(m))
	if bad, ok := m["_bad"]; ok {
		x.res.Failures = append(x.res.Failures, runner.Failure{Level: scenario.Must, Step: "driver",
			Message: fmt.Sprintf("adapter wrote a line that is not a JSON object: %v", bad)})
		return
	}
	if id, ok := m["id"].(float64); ok {
		x.responses[int64(id)] = m
		return
	}
	x.events = append(x.events, m)
}

// filePacket checks a packet against the header and framing rules every
// client must follow (CLIENT-1, CLIENT-3), logs it and queues it.
func (x *exec) filePacket(it inItem) {
	c := it.conn
	if it.err != nil {
		c.closed = it.err
		x.note(c.name, "note", "client closed the connection (%v)", it.err)
		return
	}
	x.packetEvent(c.name, "recv", it.r.Header, it.r.Packet.Args)
	if it.r.Violation != nil {
		x.res.Failures = append(x.res.Failures, runner.Failure{Level: scenario.Must, Step: "packet",
			Message: fmt.Sprintf("the client sent a malformed packet (CLIENT-1, CLIENT-3): %v", it.r.Violation),
			Actual:  it.r.Header.String()})
		x.stopped = true
	}
	x.shouldChecks(c, it.r)
	c.queue = append(c.queue, it.r)
}

// shouldChecks applies the SHOULD-level rules to every client packet: no
// ID reuse while a request is unanswered (CLIENT-2) and arguments within
// 2045 bytes so both dialects can read them (ARG-4).
func (x *exec) shouldChecks(c *conn, r *serverconn.Received) {
	warn := func(format string, args ...any) {
		f := runner.Failure{Level: scenario.Should, Step: "packet", Message: fmt.Sprintf(format, args...),
			Actual: r.Header.String()}
		x.res.Record(f, x.o.MustOnly)
	}
	p := r.Packet
	if p.Action != spec.KEEP && p.ID != spec.NullID {
		if c.pending[p.ID] {
			warn("CLIENT-2: ID %d reused while the request that used it is unanswered", p.ID)
		}
		c.pending[p.ID] = true
	}
	for i, a := range p.Args {
		if len(a) > spec.MaxArgSizeGochat1 {
			warn("ARG-4: argument %d has %d bytes, over the 2045 both dialects accept", i+1, len(a))
		}
	}
}

// autoServe answers the requests a client may make on its own at the
// head of every queue: KEEP (nothing to answer), REQ for a known actor
// (that actor's key, level 0) and RECIV (ERR_EMPTY: nothing cached).
// Scenarios that expect those packets consume them first.
func (x *exec) autoServe() {
	for _, c := range x.conns {
		for len(c.queue) > 0 && x.serveOne(c, c.queue[0]) {
			c.queue = c.queue[1:]
		}
	}
}

func (x *exec) serveOne(c *conn, r *serverconn.Received) bool {
	p := r.Packet
	switch p.Action {
	case spec.KEEP:
		return true
	case spec.RECIV:
		x.write(c, &spec.Packet{Action: spec.ERR, Info: uint8(spec.CodeEmpty), ID: p.ID}, 0)
		return true
	case spec.REQ:
		if len(p.Args) != 1 {
			return false
		}
		for actor, name := range x.env.Names {
			if name == string(p.Args[0]) && x.env.Keys[actor] != nil {
				kb, err := x.env.Eval(&scenario.Value{Kind: "key", Text: actor})
				if err != nil {
					return false
				}
				x.write(c, spec.NewPacket(spec.REQ, p.ID, []byte(name), kb, []byte{0}), 0)
				return true
			}
		}
		x.write(c, &spec.Packet{Action: spec.ERR, Info: uint8(spec.CodeNotFound), ID: p.ID}, 0)
		return true
	}
	return false
}

func (x *exec) write(c *conn, p *spec.Packet, chunk int) {
	delete(c.pending, p.ID)
	x.packetEvent(c.name, "send", p.Header(), p.Args)
	if err := c.c.WritePacket(p, chunk, time.Millisecond); err != nil {
		x.note(c.name, "note", "write failed: %v", err)
	}
}

// accept waits for a connection and starts its reader.
func (x *exec) accept(name string, tls bool, within time.Duration) (*conn, error) {
	ln := x.plain
	if tls {
		ln = x.tls
	}
	sc, err := ln.Accept(within, x.o.Dialect)
	if err != nil {
		return nil, err
	}
	c := &conn{name: name, c: sc, pending: map[uint16]bool{}}
	x.conns[name] = c
	go func() {
		for {
			r, err := sc.ReadPacket(time.Time{})
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = io.EOF
				}
				select {
				case x.inbox <- inItem{conn: c, err: err}:
				case <-x.ctx.Done():
				}
				return
			}
			select {
			case x.inbox <- inItem{conn: c, r: r}:
			case <-x.ctx.Done():
				return
			}
		}
	}()
	return c, nil
}
