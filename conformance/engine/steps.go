package engine

import (
	"crypto/rsa"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/conformance/expr"
	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/spec"
)

// writeTimeout bounds each write to the peer (scaled by the run's timeout
// scale). It catches a peer that stopped reading, not slow pacing.
const writeTimeout = 5 * time.Second

// sendDir is the direction of the packets the runner writes.
func (x *exec) sendDir() spec.Direction {
	if x.sc.Role == scenario.RoleServer {
		return spec.ServerBound
	}
	return spec.ClientBound
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
	var b []byte
	var first uint16
	for i := range max(s.Repeat, 1) {
		p.ID = x.side.sendID(c, p.Action, s.ID)
		if i == 0 {
			first = p.ID
		}
		if b, err = spec.AppendPacket(b, p, x.dialect); err != nil {
			x.suite("cannot encode %s: %v", p.Action, err)
			return
		}
		x.side.sent(c, p.Header(), p.Args)
	}
	if s.Repeat > 1 { // a flood: the transcript shows the first packet and a count
		x.event(result.Event{Conn: c.name, Dir: result.Send, Header: p.Header().String(),
			Note: fmt.Sprintf("%d packets like this one, IDs from %d, %d bytes", s.Repeat, first, len(b))})
		x.write(c, b, 0)
		return
	}
	x.writeFrame(c, b, s.Chunked)
}

func (x *exec) sendRaw(s *scenario.SendRaw) {
	c := x.conn(s.Conn)
	if c == nil {
		return
	}
	b := []byte(s.Hex)
	if b == nil {
		args, err := x.env.EvalAll(s.Args)
		if err != nil {
			x.suite("send_raw: %v", err)
			return
		}
		rh := s.Header
		p := &spec.Packet{Action: rh.Action.Action, Info: rh.Info.Value, Args: args}
		p.ID = x.side.sendID(c, p.Action, rh.ID)
		b = spec.AppendRaw(nil, &spec.RawPacket{Header: override(p.Header(), rh), HeaderSep: s.HeaderSep,
			Args: args, ArgSep: s.ArgSep, OmitFinalSep: s.OmitFinalSep, Trailer: s.Trailer})
	}
	x.writeFrame(c, b, s.Chunked)
}

// override replaces the fields of h, the header a legal packet would have,
// that rh sets.
func override(h spec.Header, rh *scenario.RawHeader) spec.Header {
	if rh.Version != nil {
		h.Version = *rh.Version
	}
	if rh.Args != nil {
		h.Args = *rh.Args
	}
	if rh.Len != nil {
		h.Len = *rh.Len
	}
	if rh.Reserved != nil {
		h.Reserved = *rh.Reserved
	}
	return h
}

// writeFrame records and writes one frame, legal or forged.
func (x *exec) writeFrame(c *conn, b []byte, chunk int) {
	ev := result.Event{Conn: c.name, Dir: result.Send, Hex: hex.EncodeToString(b)}
	if len(b) >= spec.HeaderSize {
		h := spec.ParseHeader(b)
		ev.Header = h.String()
		var args [][]byte
		if len(b) > spec.HeaderSize+2 {
			args = x.splitSent(h, b[spec.HeaderSize+2:])
			ev.Args = showAll(args)
		}
		x.side.sent(c, h, args)
	}
	x.event(ev)
	x.write(c, b, chunk)
}

func (x *exec) write(c *conn, b []byte, chunk int) {
	if err := c.write(b, chunk, x.within(writeTimeout)); err != nil {
		// Writing to a connection the peer closed is the peer's choice,
		// not a suite fault; later expectations will judge it.
		x.note(c.name, "write failed: %v", err)
	}
}

// splitSent splits an outgoing payload for the transcript the way the
// peer should (by the action's schema, E-5), falling back to every CRLF
// for forged packets.
func (x *exec) splitSent(h spec.Header, payload []byte) [][]byte {
	if sc, ok := spec.SchemaFor(x.sendDir(), h.Action, h.Info); ok && int(h.Len) == len(payload) {
		if args, err := spec.SplitArgs(nil, payload, int(h.Args), sc, x.dialect); err == nil {
			return args
		}
	}
	return spec.SplitCRLF(nil, payload, spec.MaxArgs)
}

func (x *exec) decrypt(d *scenario.Decrypt) {
	k := x.env.Keys[d.Actor]
	if k == nil {
		x.suite("decrypt: actor %s has no key", d.Actor)
		return
	}
	pt, _, pad, err := codec.DecryptAny([]*rsa.PrivateKey{k}, x.env.Vars[d.From])
	if err != nil {
		x.failCheck(&d.Check, result.Failure{Level: result.Must, Message: "the ciphertext does not decrypt with " + d.Actor + "'s key",
			Expected: "an RSA ciphertext under " + d.Actor + "'s key (standard padding)", Actual: err.Error()})
		return
	}
	if pad != codec.OAEPSHA256 {
		x.deviation(expr.Deviation{Req: expr.ReqPadding, Why: fmt.Sprintf("the ciphertext uses %s, not %s (E-15)", pad, codec.OAEPSHA256)},
			"a ciphertext under "+codec.OAEPSHA256.String(), pad.String())
	}
	x.env.Vars[d.Into] = pt
	if d.Text == nil {
		return
	}
	want, err := x.env.Expand(d.Text)
	if err != nil {
		x.suite("decrypt: %v", err)
		return
	}
	if string(pt) != string(want) {
		x.mismatchCheck(&d.Check, "the ciphertext decrypts to another text", expr.Show(want), expr.Show(pt))
	}
}

func (x *exec) expectOne(e *scenario.Expect) {
	c := x.conn(e.Conn)
	if c == nil {
		return
	}
	want := x.describe(c, e)
	limit := x.within(e.Within)
	f := x.next(c, time.Now().Add(limit), func(a spec.Action) bool { return a == e.Action.Action })
	if x.closedAfterERR(c, f, want) {
		return
	}
	if f == nil {
		if !x.stopped {
			x.mismatchCheck(&e.Check, x.nothing(c, limit), want, "nothing received")
		}
		return
	}
	x.side.consumed(c, f)
	x.refusedREG = f.err == nil && f.hdr.Action == spec.ERR
	caps := map[string][]byte{}
	why, codeWhy := x.matchSplit(c, e, f, caps)
	if why != "" {
		x.mismatchCheck(&e.Check, why, want, f.String())
		return
	}
	if codeWhy != "" {
		x.codeNote(e, codeWhy, want, f.String())
	}
	x.fileDeviations(want, f)
	x.commit(caps)
}

// nothing explains why no packet came.
func (x *exec) nothing(c *conn, limit time.Duration) string {
	if c.closed != nil {
		return "no packet: the connection is closed (" + closeReason(c.closed) + ")"
	}
	return fmt.Sprintf("no packet within %v", limit)
}

func (x *exec) commit(caps map[string][]byte) {
	for k, v := range caps {
		x.env.Vars[k] = v
	}
}

// expectAnyOrder matches a set of packets that may arrive in any order
// (per connection; connections are independent streams).
func (x *exec) expectAnyOrder(es []*scenario.Expect) {
	var order []string
	byConn := map[string][]*scenario.Expect{}
	for _, e := range es {
		if _, ok := byConn[e.Conn]; !ok {
			order = append(order, e.Conn)
		}
		byConn[e.Conn] = append(byConn[e.Conn], e)
	}
	for _, name := range order {
		c := x.conn(name)
		pending := byConn[name]
		for c != nil && len(pending) > 0 && !x.stopped {
			pending = x.matchSome(c, pending)
		}
	}
}

func (x *exec) matchSome(c *conn, pending []*scenario.Expect) []*scenario.Expect {
	var wants []string
	for _, e := range pending {
		wants = append(wants, x.describe(c, e))
	}
	want := "one of: " + strings.Join(wants, " | ")
	limit := x.within(pending[0].Within)
	f := x.next(c, time.Now().Add(limit), func(a spec.Action) bool {
		for _, e := range pending {
			if e.Action.Action == a {
				return true
			}
		}
		return false
	})
	if x.closedAfterERR(c, f, want) {
		return nil
	}
	if f == nil {
		if !x.stopped {
			x.mismatchCheck(&pending[0].Check, x.nothing(c, limit), want, "nothing received")
		}
		return nil
	}
	x.side.consumed(c, f)
	x.refusedREG = f.err == nil && f.hdr.Action == spec.ERR
	// An exact match first: a loose ERR expectation must not take the
	// packet another expectation matches with its code.
	for i, e := range pending {
		caps := map[string][]byte{}
		if x.match(c, e, f, caps) == "" {
			x.fileDeviations(x.describe(c, e), f)
			x.commit(caps)
			return append(pending[:i:i], pending[i+1:]...)
		}
	}
	for i, e := range pending {
		caps := map[string][]byte{}
		if why, codeWhy := x.matchSplit(c, e, f, caps); why == "" && codeWhy != "" {
			x.codeNote(e, codeWhy, x.describe(c, e), f.String())
			x.fileDeviations(x.describe(c, e), f)
			x.commit(caps)
			return append(pending[:i:i], pending[i+1:]...)
		}
	}
	x.mismatchCheck(strongest(pending), "packet matches none of the expected ones", want, f.String())
	return nil
}

// strongest is the check of a set of expectations that judges a packet
// matching none of them: a hard one if any (the set is incomplete), and
// among those the one naming a requirement.
func strongest(es []*scenario.Expect) *scenario.Check {
	best := &es[0].Check
	for _, e := range es[1:] {
		if (best.Soft && !e.Soft) || (best.Soft == e.Soft && best.Req == "" && e.Req != "") {
			best = &e.Check
		}
	}
	return best
}

// expectNone: nothing (of the action, if given) arrives for a while, and
// without an action the connection stays open.
func (x *exec) expectNone(e *scenario.ExpectNone) {
	c := x.conn(e.Conn)
	if c == nil {
		return
	}
	limit := x.within(e.For)
	deadline := time.Now().Add(limit)
	x.collect()
	for !x.stopped {
		for _, f := range c.queue {
			switch {
			case f.err != nil && e.Action != nil:
			case e.Action != nil && f.hdr.Action != e.Action.Action:
			default:
				what := "no packet"
				if e.Action != nil {
					what = "no " + e.Action.String()
				}
				if x.closedAfterERR(c, f, what) {
					return
				}
				x.mismatchCheck(&e.Check, fmt.Sprintf("expected %s for %v", what, limit), what, f.String())
				return
			}
		}
		x.autoServe(nil)
		if !x.pump(deadline) {
			return
		}
	}
}

// expectClose: the close itself is a MUST (level: should makes it a
// SHOULD); the recommended null-ID ERR before it and its code are SHOULDs
// (errata E-7).
func (x *exec) expectClose(e *scenario.ExpectClose) {
	c := x.conn(e.Conn)
	if c == nil {
		return
	}
	limit := x.within(e.Within)
	deadline := time.Now().Add(limit)
	if c.resumeDiscarding() {
		x.note(c.name, "reading again to see the close; what the peer queued is discarded")
		defer func() { x.note(c.name, "%d packets discarded", c.discardedCount()) }()
	}
	none := func(spec.Action) bool { return false }
	var errPkt *frame
	for c.closed == nil || len(c.queue) > 0 {
		f := x.next(c, deadline, none)
		if f == nil {
			if c.closed != nil {
				break
			}
			if !x.stopped {
				x.mismatchCheck(&e.Check, fmt.Sprintf("connection still open %v later", limit),
					"the "+x.side.peer()+" closes the connection", "still open")
			}
			return
		}
		if f.err != nil {
			break
		}
		if f.hdr.Action == spec.ERR && errPkt == nil {
			errPkt = f
		}
	}
	x.checkCloseErr(e, errPkt)
}

// checkCloseErr judges the ERR before a close. Its absence or a non-null
// ID fails err_req (default CONN-7, a spec SHOULD: "a malformed packet
// should get a null-ID ERR"); another code is a decision-level note
// (E-60) unless spec_code. Both are soft: the close itself happened.
func (x *exec) checkCloseErr(e *scenario.ExpectClose, errPkt *frame) {
	if e.Err == nil {
		return
	}
	req := e.ErrReq
	if req == "" {
		req = "CONN-7"
	}
	ch := &scenario.Check{Req: req, Soft: true}
	want := fmt.Sprintf("ERR %s with ID 0 before the close", e.Err.ErrCode)
	switch {
	case errPkt == nil:
		x.mismatchCheck(ch, "closed without the recommended ERR", want, "closed with no ERR")
	case errPkt.hdr.ID != spec.NullID:
		x.mismatchCheck(ch, "the ERR before the close does not have ID 0", want, errPkt.String())
	case errPkt.hdr.Info == uint8(e.Err.ErrCode):
	case e.SpecCode:
		x.mismatchCheck(ch, "wrong ERR code before the close", want, errPkt.String())
	default:
		x.failCheck(ch, result.Failure{Source: result.SourceDecision, Expected: want, Actual: errPkt.String(),
			Message: "wrong ERR code before the close (E-60: the code is this project's choice)"})
	}
}

// wantID is the ID e requires (ok false: any).
func (x *exec) wantID(c *conn, e *scenario.Expect) (uint16, bool) {
	switch {
	case e.ID == nil:
		return x.side.wantID(c, e.Action.Action)
	case e.ID.Any:
		return 0, false
	case e.ID.Req:
		return c.lastID, true
	}
	return e.ID.Num, true
}

func (x *exec) describe(c *conn, e *scenario.Expect) string {
	s := e.Action.String()
	if id, ok := x.wantID(c, e); ok {
		s += fmt.Sprintf(" id=%d", id)
	}
	if e.Info.Given() {
		s += " info=" + e.Info.Text
	}
	if e.Args != nil {
		s += fmt.Sprintf(" with %d args", len(e.Args))
	}
	return s
}

// match is the one matcher of both roles: "" if f satisfies e, else why
// not. Captures go to caps.
func (x *exec) match(c *conn, e *scenario.Expect, f *frame, caps map[string][]byte) string {
	x.env.Deviations = x.env.Deviations[:0] // only the last match's count
	if f.err != nil {
		return "connection closed"
	}
	a := e.Action.Action
	if f.hdr.Action != a {
		return fmt.Sprintf("action is %s, want %s", f.hdr.Action, a)
	}
	if id, ok := x.wantID(c, e); ok && f.hdr.ID != id {
		return fmt.Sprintf("ID is %d, want %d", f.hdr.ID, id)
	}
	checkInfo := !e.Info.Any && (e.Info.Given() || x.side.infoChecked(a))
	if checkInfo && f.hdr.Info != e.Info.Value {
		why := fmt.Sprintf("info is %s, want %s", infoName(a, f.hdr.Info), infoName(a, e.Info.Value))
		if e.Info.Given() {
			return why
		}
		// The scenario names no Info: only E-9 asks for 0xFF.
		x.deviate(reqInfoEmpty, why+" (E-9)")
	}
	if f.framing != nil {
		why := "malformed packet from the " + x.side.peer() + ": " + f.framing.Error()
		req := framingDecision(f.framing)
		if req == "" {
			return why
		}
		x.deviate(req, why)
	}
	if e.Args == nil {
		if (a == spec.OK || a == spec.ERR) && len(f.args) != 0 {
			return fmt.Sprintf("%s with %d arguments, want none", a, len(f.args))
		}
		return ""
	}
	if len(e.Args) == 1 && e.Args[0].IsUserList() {
		return x.env.MatchUserList(&e.Args[0], f.args, caps)
	}
	if len(f.args) != len(e.Args) {
		return fmt.Sprintf("%d arguments, want %d", len(f.args), len(e.Args))
	}
	for i := range e.Args {
		if why := x.env.Match(&e.Args[i], f.args[i], caps); why != "" {
			return fmt.Sprintf("argument %d: %s", i+1, why)
		}
	}
	return ""
}

// infoName names an Info value in the vocabulary of action a.
func infoName(a spec.Action, v uint8) string {
	s := spec.Header{Action: a, Info: v}.String()
	if i := strings.Index(s, "info="); i >= 0 {
		s = s[i+5:]
		if j := strings.IndexByte(s, ' '); j >= 0 {
			s = s[:j]
		}
	}
	return s
}

// replyAction reports whether a is sent in answer to a request, and so
// carries the request's ID (FRAME-18/19).
func replyAction(a spec.Action) bool {
	switch a {
	case spec.OK, spec.ERR, spec.VERIF, spec.REQ, spec.USRS:
		return true
	}
	return false
}
