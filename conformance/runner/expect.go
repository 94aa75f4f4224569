package runner

import (
	"fmt"
	"strings"
	"time"

	"github.com/gochatproto/gochat/conformance/expr"
	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/spec"
)

// recordRecv appends a received frame to the transcript.
func (x *exec) recordRecv(c *conn, f *frame) {
	ev := Event{At: f.at, Conn: c.name, Dir: "recv"}
	if f.err != nil {
		ev.Note = "connection closed (" + closeReason(f.err) + ")"
		ev.Dir = "note"
	} else {
		ev.Header = f.hdr.String()
		ev.Hex = fmt.Sprintf("%x", f.raw)
		for _, a := range f.args {
			ev.Args = append(ev.Args, expr.Show(a))
		}
		if f.framing != nil {
			ev.Note = "malformed: " + f.framing.Error()
		}
	}
	x.res.Transcript = append(x.res.Transcript, ev)
}

// nextFrame reads and records the next frame, or returns nil on timeout.
// Hooks and messages about users of other scenarios (which share the
// server and run in parallel) are recorded and skipped.
func (x *exec) nextFrame(c *conn, d time.Duration) *frame {
	deadline := time.Now().Add(d)
	for {
		f, ok := c.next(x.ctx, time.Until(deadline))
		if !ok {
			return nil
		}
		if x.foreign(f) {
			x.res.Transcript = append(x.res.Transcript, Event{At: f.at, Conn: c.name, Dir: "note",
				Header: f.hdr.String(), Note: "ignored: about a user of another scenario"})
			continue
		}
		x.recordRecv(c, f)
		x.checkEveryPacket(f)
		return f
	}
}

// checkEveryPacket applies the rules every server packet must follow,
// whatever the scenario expects. A violation names its requirement.
func (x *exec) checkEveryPacket(f *frame) {
	if f.err == nil && f.hdr.Reserved != spec.DefaultReserved && !x.reservedFailed {
		x.reservedFailed = true // once per scenario: the first packet says it all
		x.failReq("FRAME-3", scenario.Must, "FRAME-3: the Reserved field of a server packet is not 0xFFFF",
			"rsv=0xFFFF", f.String())
	}
}

// foreign reports whether f is a NEWLOGIN, NEWLOGOUT or PERMSCHG hook, or
// a RECIV, naming a user that is not an actor of this scenario.
func (x *exec) foreign(f *frame) bool {
	if f.err != nil || len(f.args) == 0 || f.framing != nil {
		return false
	}
	switch {
	case f.hdr.Action == spec.RECIV:
	case f.hdr.Action == spec.HOOK && f.hdr.Info != uint8(spec.HookDupSess):
	default:
		return false
	}
	name := string(f.args[0])
	for _, n := range x.env.Names {
		if n == name {
			return false
		}
	}
	return true
}

func (x *exec) expectOne(e *scenario.Expect) {
	c := x.conn(e.Conn)
	if c == nil {
		return
	}
	want := x.describeExpect(c, e)
	f := x.nextFrame(c, x.within(e.Within))
	if f == nil {
		x.fail(e.Level, fmt.Sprintf("no packet within %v", x.within(e.Within)), want, "nothing received")
		return
	}
	caps := map[string][]byte{}
	if why := x.match(c, e, f, caps); why != "" {
		x.fail(e.Level, why, want, f.String())
		return
	}
	x.commit(caps)
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
		if c == nil {
			return
		}
		pending := byConn[name]
		for len(pending) > 0 && !x.stopped {
			pending = x.matchSome(c, pending)
		}
	}
}

func (x *exec) matchSome(c *conn, pending []*scenario.Expect) []*scenario.Expect {
	var wants []string
	for _, e := range pending {
		wants = append(wants, x.describeExpect(c, e))
	}
	want := "one of: " + strings.Join(wants, " | ")
	f := x.nextFrame(c, x.within(pending[0].Within))
	if f == nil {
		x.fail(pending[0].Level, "no packet within the deadline", want, "nothing received")
		return nil
	}
	for i, e := range pending {
		caps := map[string][]byte{}
		if x.match(c, e, f, caps) == "" {
			x.commit(caps)
			return append(pending[:i:i], pending[i+1:]...)
		}
	}
	x.fail(pending[0].Level, "packet matches none of the expected ones", want, f.String())
	return nil
}

func (x *exec) expectNone(e *scenario.ExpectNone) {
	c := x.conn(e.Conn)
	if c == nil {
		return
	}
	if f := x.nextFrame(c, x.within(e.For)); f != nil {
		x.fail(scenario.Must, fmt.Sprintf("expected nothing for %v", x.within(e.For)), "no packet", f.String())
	}
}

// expectClose: the close itself is a MUST; the recommended null-ID ERR
// and its code are SHOULDs (errata E-7).
func (x *exec) expectClose(e *scenario.ExpectClose) {
	c := x.conn(e.Conn)
	if c == nil {
		return
	}
	limit := x.within(e.Within)
	deadline := time.Now().Add(limit)
	if c.resumeDiscarding() {
		x.note(c.name, "reading again to see the close; what the server queued is discarded")
		defer func() { x.note(c.name, fmt.Sprintf("%d packets discarded", c.discardedCount())) }()
	}
	var errPkt *frame
	for {
		f := x.nextFrame(c, time.Until(deadline))
		if f == nil {
			x.fail(e.Level, fmt.Sprintf("connection still open %v later", limit),
				"the server closes the connection", "still open")
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

func (x *exec) checkCloseErr(e *scenario.ExpectClose, errPkt *frame) {
	if e.Err == "" || e.Err == "null" {
		return
	}
	code, _ := spec.ParseErrCode(e.Err)
	want := fmt.Sprintf("ERR %s with ID 0 before the close", code)
	switch {
	case errPkt == nil:
		x.fail(scenario.Should, "closed without the recommended ERR", want, "closed with no ERR")
	case errPkt.hdr.Info != uint8(code) || errPkt.hdr.ID != spec.NullID:
		x.fail(scenario.Should, "wrong ERR before the close", want, errPkt.String())
	}
}

// defaultID is the ID an expectation implies when it names none.
func defaultID(c *conn, a spec.Action) (uint16, bool) {
	switch a {
	case spec.HELLO, spec.SHTDWN, spec.HOOK, spec.RECIV:
		return spec.NullID, true
	case spec.OK, spec.ERR, spec.VERIF, spec.REQ, spec.USRS:
		return c.lastID, true
	}
	return 0, false
}

func (x *exec) wantID(c *conn, e *scenario.Expect, a spec.Action) (uint16, bool) {
	switch {
	case e.ID == nil:
		return defaultID(c, a)
	case e.ID.Any:
		return 0, false
	case e.ID.Req:
		return c.lastID, true
	}
	return uint16(e.ID.Num), true
}

func (x *exec) describeExpect(c *conn, e *scenario.Expect) string {
	a, _ := spec.ParseAction(e.Action)
	s := a.String()
	if id, ok := x.wantID(c, e, a); ok {
		s += fmt.Sprintf(" id=%d", id)
	}
	if e.Info != "" {
		s += " info=" + e.Info
	}
	if e.Args != nil {
		s += fmt.Sprintf(" with %d args", len(e.Args))
	}
	return s
}

// match returns "" if f satisfies e, else why not. Captures go to caps.
func (x *exec) match(c *conn, e *scenario.Expect, f *frame, caps map[string][]byte) string {
	if f.err != nil {
		return "connection closed"
	}
	a, _ := spec.ParseAction(e.Action)
	if f.hdr.Action != a {
		return fmt.Sprintf("action is %s, want %s", f.hdr.Action, a)
	}
	if id, ok := x.wantID(c, e, a); ok && f.hdr.ID != id {
		return fmt.Sprintf("ID is %d, want %d", f.hdr.ID, id)
	}
	if why := matchInfo(a, e.Info, f.hdr.Info); why != "" {
		return why
	}
	if f.framing != nil {
		return "malformed packet from the server: " + f.framing.Error()
	}
	if e.Args == nil {
		if (a == spec.OK || a == spec.ERR) && len(f.args) != 0 {
			return fmt.Sprintf("%s with %d arguments, want none", a, len(f.args))
		}
		return ""
	}
	if len(e.Args) == 1 && strings.HasPrefix(e.Args[0].Kind, "user_list") {
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

func matchInfo(a spec.Action, want string, got uint8) string {
	if want == "any" || (want == "" && (a == spec.ERR || a == spec.HOOK)) {
		return ""
	}
	w, _ := scenario.ParseInfo(a, want)
	if got != w {
		return fmt.Sprintf("info is %s, want %s", infoName(a, got), infoName(a, w))
	}
	return ""
}

func infoName(a spec.Action, v uint8) string {
	h := spec.Header{Action: a, Info: v}
	s := h.String()
	if i := strings.Index(s, "info="); i >= 0 {
		s = s[i+5:]
		if j := strings.IndexByte(s, ' '); j >= 0 {
			s = s[:j]
		}
	}
	return s
}
