package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/gochatproto/gochat/conformance/expr"
	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/spec"
)

// side is what a role adds to the shared engine: its transport, its own
// steps and the rules that differ with the direction packets travel.
type side interface {
	// setup binds the actors and prepares the transport before the first
	// step; teardown releases everything (also after a failed setup).
	setup(x *exec) error
	teardown(x *exec)
	// step runs one of the role's own step kinds.
	step(x *exec, st *scenario.Step)
	// check applies the rules every packet from the peer must follow and
	// reports whether the scenario sees the packet (false: ignored).
	check(x *exec, c *conn, f *frame) bool
	// serve answers a packet the role handles by itself (a client's
	// KEEP, REQ and RECIV) and reports whether it did.
	serve(x *exec, c *conn, f *frame) bool
	// sendID is the ID of a packet the runner sends; wantID the ID an
	// expectation without one implies (ok false: not checked).
	sendID(c *conn, a spec.Action, id *scenario.IDSpec) uint16
	wantID(c *conn, a spec.Action) (uint16, bool)
	// sent sees every frame the runner writes; consumed every packet an
	// expectation takes.
	sent(c *conn, h spec.Header, args [][]byte)
	consumed(c *conn, f *frame)
	// line files one line of the client adapter's output.
	line(x *exec, m map[string]any)
	// infoChecked reports whether an expectation that gives no info
	// requires the empty 0xFF.
	infoChecked(a spec.Action) bool
	// peer names the implementation under test in messages.
	peer() string
}

// exec is the state of one scenario run.
type exec struct {
	ctx     context.Context
	e       *Engine
	sc      *scenario.Scenario
	res     *result.Result
	side    side
	dialect spec.Dialect
	start   time.Time
	env     *expr.Env // actors' names and keys, variables
	conns   map[string]*conn
	order   []*conn
	wake    chan struct{}         // a reader has frames
	lines   <-chan map[string]any // client role: the adapter's output; nil when none
	step    *scenario.Step

	stopped  bool   // a MUST failure, a skip or a suite error ended the run
	hardFail bool   // a hard check failed (the checks after it did not run)
	suiteErr string // set for error verdicts
	errKind  result.Kind
	skipWhy  string // set when the scenario turns out not to apply
	skipKind result.Kind
	// refusedREG: the packet the current register step got was an ERR.
	refusedREG bool
	// crash: the server failed the liveness probe after this scenario;
	// victim: it died, but another scenario was found to have crashed it.
	crash, victim string

	// The level and source of a check that names no requirement.
	defLevel  result.Level
	defSource string
}

func newExec(ctx context.Context, e *Engine, sc *scenario.Scenario, res *result.Result, start time.Time) *exec {
	x := &exec{ctx: ctx, e: e, sc: sc, res: res, dialect: e.o.Dialect, start: start,
		env: expr.NewEnv(e.o.Dialect, e.o.Seed, sc.ID), conns: map[string]*conn{}, wake: make(chan struct{}, 1)}
	x.defLevel, x.defSource = e.scenarioDefault(sc)
	return x
}

// within scales a step's wait; zero means DefaultWithin.
func (x *exec) within(d time.Duration) time.Duration {
	if d <= 0 {
		d = DefaultWithin
	}
	return x.e.scale(d)
}

// fail records a failed check of the current step that is not an
// expectation's (the step checks it by itself); see failCheck. A level
// set in f wins over the requirement's.
func (x *exec) fail(f result.Failure) { x.failCheck(nil, f) }

// mismatch records a failed check: what was wanted and what came.
func (x *exec) mismatch(level result.Level, msg, expected, actual string) {
	x.fail(result.Failure{Level: level, Message: msg, Expected: expected, Actual: actual})
}

// mismatchCheck records a failed expectation ch.
func (x *exec) mismatchCheck(ch *scenario.Check, msg, expected, actual string) {
	x.failCheck(ch, result.Failure{Message: msg, Expected: expected, Actual: actual})
}

// suite records a fault of the suite or the network (verdict error).
func (x *exec) suite(format string, args ...any) {
	if x.suiteErr == "" {
		x.suiteErr = fmt.Sprintf(format, args...)
		if x.step != nil {
			x.suiteErr = x.step.Pos.String() + ": " + x.suiteErr
		}
	}
	x.stopped = true
}

// overtime ends a scenario that ran past its deadline (or whose run was
// cancelled): a MUST failure, since every wait is bounded and only a peer
// that keeps answering slowly gets here.
func (x *exec) overtime() {
	if !x.stopped {
		x.mismatch(result.Must, fmt.Sprintf("scenario deadline exceeded (%v)", x.e.scale(ScenarioDeadline)), "", "")
	}
	x.stopped = true
}

func (x *exec) note(conn, format string, args ...any) {
	x.event(result.Event{Conn: conn, Dir: result.Note, Note: fmt.Sprintf(format, args...)})
}

func (x *exec) event(ev result.Event) {
	if ev.At == 0 {
		ev.At = time.Since(x.start)
	}
	x.res.Transcript = append(x.res.Transcript, ev)
}

func (x *exec) run() {
	for i := range x.sc.Steps {
		if x.stopped {
			if x.hardFail && x.suiteErr == "" && x.skipWhy == "" {
				x.listNotRun(x.sc.Steps[i:])
			}
			return
		}
		if x.ctx.Err() != nil {
			x.overtime()
			return
		}
		x.step = &x.sc.Steps[i]
		x.runStep(x.step)
	}
}

func (x *exec) runStep(st *scenario.Step) {
	if x.drainLines(); x.stopped { // an "unsupported" answer already waiting ends the run first
		return
	}
	switch st.Kind {
	case scenario.KindSend:
		x.send(st.Send)
	case scenario.KindSendRaw:
		x.sendRaw(st.SendRaw)
	case scenario.KindExpect:
		x.expectOne(st.Expect)
	case scenario.KindAnyOrder:
		x.expectAnyOrder(st.AnyOrder)
	case scenario.KindExpectNone:
		x.expectNone(st.ExpectNone)
	case scenario.KindExpectClose:
		x.expectClose(st.ExpectClose)
	case scenario.KindSleep:
		x.idle(time.Now().Add(x.e.scale(st.Sleep)))
	case scenario.KindDecrypt:
		x.decrypt(st.Decrypt)
	case scenario.KindSet:
		if b, err := x.env.Eval(&st.Set.Value); err != nil {
			x.suite("set: %v", err)
		} else {
			x.env.Vars[st.Set.Var] = b
		}
	case scenario.KindDisconnect:
		if c := x.conn(st.Conn); c != nil {
			c.close()
			x.note(c.name, "disconnected by the runner")
		}
	default:
		x.side.step(x, st)
	}
}

// conn returns an open connection; a missing one is a suite error (loading
// checked the name, so an earlier step failed to open it).
func (x *exec) conn(name string) *conn {
	c := x.conns[name]
	if c == nil {
		x.suite("connection %q is not open", name)
	}
	return c
}

// addConn registers a connection the role opened.
func (x *exec) addConn(c *conn) {
	x.conns[c.name] = c
	x.order = append(x.order, c)
}

func (x *exec) closeAll() {
	for _, c := range x.order {
		c.close()
		if n := c.dropped; n > 0 { // the reader has stopped: no lock needed
			x.note(c.name, "%d packets not recorded: more than %d arrived unread", n, maxBuffered)
		}
	}
}

// collect files what the connections' readers delivered: each packet is
// checked by the role, recorded, and queued for the steps.
func (x *exec) collect() {
	for _, c := range x.order {
		for _, f := range c.take() {
			if f.err != nil {
				c.closed = f.err
				x.event(result.Event{At: f.at, Conn: c.name, Dir: result.Note, Note: f.String()})
				c.queue = append(c.queue, f)
				continue
			}
			if !x.side.check(x, c, f) {
				continue
			}
			ev := result.Event{At: f.at, Conn: c.name, Dir: result.Recv, Header: f.hdr.String(),
				Hex: fmt.Sprintf("%x", f.raw), Args: showAll(f.args)}
			if f.framing != nil {
				ev.Note = "malformed: " + f.framing.Error()
			}
			x.event(ev)
			c.queue = append(c.queue, f)
		}
	}
}

// autoServe answers the packets at the head of every queue but skip's
// that the role handles by itself.
func (x *exec) autoServe(skip *conn) {
	for _, c := range x.order {
		for c != skip && len(c.queue) > 0 && c.queue[0].err == nil && x.side.serve(x, c, c.queue[0]) {
			c.queue = c.queue[1:]
		}
	}
}

// pump waits until deadline for something to arrive (a packet or a driver
// line) and files it. It reports false on timeout or cancellation.
func (x *exec) pump(deadline time.Time) bool {
	d := time.Until(deadline)
	if d <= 0 {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-x.ctx.Done():
		x.overtime()
		return false
	case <-t.C:
		return false
	case <-x.wake:
	case m, ok := <-x.lines:
		if !ok {
			x.lines = nil // the adapter exited; packets may still come
			x.note("driver", "client process closed its output")
		} else {
			x.side.line(x, m)
		}
	}
	x.collect()
	return true
}

// idle lets time pass until deadline, filing and serving what arrives.
func (x *exec) idle(deadline time.Time) {
	x.collect()
	for {
		x.autoServe(nil)
		if x.stopped || !x.pump(deadline) {
			return
		}
	}
}

// next returns the next packet on c that a step wants, waiting until
// deadline; nil on timeout or when c has ended. Packets the step does not
// want and the role serves by itself are answered and skipped.
func (x *exec) next(c *conn, deadline time.Time, wants func(spec.Action) bool) *frame {
	x.collect()
	for !x.stopped {
		for len(c.queue) > 0 {
			f := c.queue[0]
			c.queue = c.queue[1:]
			if f.err == nil {
				c.afterERR = f.hdr.Action == spec.ERR
			}
			if f.err == nil && !wants(f.hdr.Action) && x.side.serve(x, c, f) {
				continue
			}
			return f
		}
		x.autoServe(c)
		if c.closed != nil || !x.pump(deadline) {
			return nil
		}
	}
	return nil
}

func showAll(args [][]byte) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = expr.Show(a)
	}
	return out
}
