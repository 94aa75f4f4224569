package explore

import (
	"fmt"
	"strings"
)

// The operations of a finding's scenario (see scenario.go): each renders
// the requests the executor writes for it, in the same order, and the
// replies and pushes the sequential model expects.

// exp is one expected reply.
type exp struct {
	conn, action, info, args string
	id                       string // "": the default (the last request's ID, 0 for pushes)
	req                      string
	// soft: a mismatch is recorded and the scenario goes on. Decision
	// checks after which the model could no longer follow the server are
	// hard: by default the mismatch is a note that ends the scenario.
	soft bool
	// anyOrder: with its neighbours so marked, in any order (a catch-up's
	// OK and RECIVs: only a decision, E-28, puts the OK first).
	anyOrder bool
}

func (e exp) String() string {
	s := fmt.Sprintf("{conn: %s, action: %s", e.conn, e.action)
	if e.id != "" {
		s += ", id: " + e.id
	}
	if e.info != "" {
		s += ", info: " + e.info
	}
	if e.args != "" {
		s += ", args: " + e.args
	}
	if e.req != "" {
		s += ", req: " + e.req
	}
	if e.soft {
		s += ", soft: true"
	}
	return s + "}"
}

func errExp(c *scnConn, code, req string, soft bool) exp {
	return exp{conn: c.name, action: "ERR", info: code, req: req, soft: soft}
}

// expect writes one expect step per reply; consecutive replies marked
// anyOrder go into one expect_any_order step.
func (w *scnWriter) expect(es ...exp) {
	for i := 0; i < len(es); i++ {
		if !es[i].anyOrder {
			w.step("expect: %s", es[i])
			continue
		}
		var group []string
		for ; i < len(es) && es[i].anyOrder; i++ {
			group = append(group, es[i].String())
		}
		i--
		w.step("expect_any_order: [%s]", strings.Join(group, ", "))
	}
}

func (w *scnWriter) newVar(prefix string) string {
	w.vars++
	return fmt.Sprintf("%s_%d", prefix, w.vars)
}

func nameOf(a *scnActor) string { return fmt.Sprintf("\"${%s.name}\"", a.name) }

// peerName is the MSG or REQ target: an actor, or a name no account has.
func (w *scnWriter) peerName(peer int) string {
	if peer < 0 || peer >= len(w.actors) {
		return "\"${observer.name}x\""
	}
	return nameOf(w.actors[peer])
}

// slot returns the open connection of the actor's slot, connecting a new
// one (over TLS when tls) like the executor when there is none.
func (w *scnWriter) slot(a *scnActor, s int, tls bool) *scnConn {
	if c := a.slots[s]; c != nil && c.open && !tls {
		return c
	}
	a.gen[s]++
	c := &scnConn{name: fmt.Sprintf("%s_c%d_%d", a.name, s, a.gen[s]), actor: a, open: true, tls: tls}
	if tls {
		w.step("connect: {conn: %s, actor: %s, tls: true}", c.name, a.name)
	} else {
		w.step("connect: {conn: %s, actor: %s}", c.name, a.name)
	}
	a.slots[s] = c
	return c
}

func (w *scnWriter) op(op Op) {
	if op.Kind.admin() {
		// The scenario has no admin account, and a kick's or level
		// change's effects are not in its sequential model yet: the
		// operation is left out and the JSON replay runs it.
		w.comment(string(op.Kind) + ": not rendered (the scenario has no admin; the JSON replay runs it)")
		return
	}
	a := w.actors[op.Actor]
	switch op.Kind {
	case OpClose:
		w.closeConn(a.slots[op.Conn])
	case OpRaceLogin, OpRaceClose:
		w.race(a, op)
	case OpTLSLogin, OpTokenLogin:
		w.tlsLogin(a, op)
	case OpLogin, OpLoginHalf, OpLoginWrong, OpLoginClose, OpLoginLate:
		if op.Kind == OpLoginLate && w.late && !a.late {
			a.late = true
			w.lateLogin(a, w.slot(a, op.Conn, false))
			return
		}
		if op.Kind == OpLoginLate {
			w.comment("login-late: a plain login here (the finding is not about the verification timeout, or the actor's one late login is done)")
		}
		w.login(a, w.slot(a, op.Conn, false), op.Kind)
	case OpBurst, OpBurstClose:
		w.burst(a, w.slot(a, op.Conn, false), op)
	default:
		c := w.slot(a, op.Conn, false)
		send, es := w.request(a, c, op, 0)
		w.step("%s", send)
		w.expect(es...)
		if op.Kind == OpUsrs && c.state == csSession {
			w.excludeOffline(c)
		}
	}
}

// request renders one simple request of op (k: its place in a burst) and
// the replies it gets; it applies the request's effect to the model.
func (w *scnWriter) request(a *scnActor, c *scnConn, op Op, k int) (string, []exp) {
	kind := op.Kind
	if kind == OpBurst || kind == OpBurstClose {
		kind = []Kind{OpMsg, OpUsrs, OpReq, OpKeep}[k%4]
	}
	send := func(action, rest string) string {
		return fmt.Sprintf("send: {conn: %s, action: %s%s}", c.name, action, rest)
	}
	if kind == OpKeep {
		return send("KEEP", ""), nil
	}
	if kind == OpLogout {
		return send("LOGOUT", ""), w.logout(a, c)
	}
	action := map[Kind]string{OpMsg: "MSG", OpReciv: "RECIV", OpReq: "REQ", OpUsrs: "USRS", OpSub: "SUB", OpUnsub: "UNSUB"}[kind]
	rest := ""
	switch kind {
	case OpMsg:
		rest = fmt.Sprintf(", args: [%s, {stamp: now}, %q]", w.peerName(op.Peer), msgText(w.f.Plan.Seed, op.Index, k))
	case OpReq:
		rest = fmt.Sprintf(", args: [%s]", w.peerName(op.Peer))
	case OpUsrs:
		rest = ", info: USRS_ONLINE"
	case OpSub, OpUnsub:
		rest = ", info: HOOK_ALL"
	}
	if c.state != csSession {
		return send(action, rest), []exp{errExp(c, "ERR_NOSESS", "CONN-14", false)}
	}
	switch kind {
	case OpMsg:
		return send(action, rest), w.msg(a, c, op, k)
	case OpReciv:
		return send(action, rest), w.catchUp(a, c)
	case OpReq:
		if op.Peer < 0 {
			return send(action, rest), []exp{errExp(c, "ERR_NOTFOUND", "REQ-2", false)}
		}
		return send(action, rest), []exp{{conn: c.name, action: "REQ", req: "REQ-1"}}
	case OpUsrs:
		return send(action, rest), []exp{{conn: c.name, action: "USRS", req: "USRS-2", args: w.onlineList(true)}}
	case OpSub:
		e := exp{conn: c.name, action: "OK", req: "SUB-8"}
		if c.sub {
			e.req, e.soft = "SUB-3", true
		}
		c.sub = true
		return send(action, rest), []exp{e}
	default: // OpUnsub
		e := exp{conn: c.name, action: "OK", req: "SUB-10"}
		if !c.sub {
			e.req, e.soft = "SUB-5", true
		}
		c.sub = false
		return send(action, rest), []exp{e}
	}
}

// msgText is the executor's text for the k-th message of an operation.
func msgText(seed uint64, index, k int) string {
	return fmt.Sprintf("explore-%d-%d-%d", seed, index, k)
}

func (w *scnWriter) msg(a *scnActor, c *scnConn, op Op, k int) []exp {
	switch {
	case op.Peer < 0 || op.Peer >= len(w.actors):
		return []exp{errExp(c, "ERR_NOTFOUND", "MSG-5", true)}
	case op.Peer == a.i:
		return []exp{errExp(c, "ERR_INVALID", "MSG-4", true)}
	}
	text := msgText(w.f.Plan.Seed, op.Index, k)
	out := []exp{{conn: c.name, action: "OK", req: "MSG-1"}}
	p := w.actors[op.Peer]
	if p.session != nil {
		out = append(out, exp{conn: p.session.name, action: "RECIV", req: "RECIV-1",
			args: fmt.Sprintf("[%s, {stamp_near: now, within: 1m}, %q]", nameOf(a), text)})
	} else {
		p.queued, p.from = append(p.queued, text), append(p.from, a.name)
	}
	return out
}

func (w *scnWriter) catchUp(a *scnActor, c *scnConn) []exp {
	if len(a.queued) == 0 {
		return []exp{errExp(c, "ERR_EMPTY", "RECIV-4", true)}
	}
	out := []exp{{conn: c.name, action: "OK", req: "RECIV-2", soft: true}}
	for i, t := range a.queued {
		out = append(out, exp{conn: c.name, action: "RECIV", req: "MSG-10",
			args: fmt.Sprintf("[\"${%s.name}\", {stamp_near: now, within: 1m}, %q]", a.from[i], t)})
	}
	a.queued, a.from = nil, nil
	for i := range out {
		out[i].anyOrder = true
	}
	return out
}

// onlineList is the USRS matcher for the accounts with a live session
// (contains) or without one (excludes); the observer is always online.
func (w *scnWriter) onlineList(online bool) string {
	var names []string
	if online {
		names = append(names, "\"${observer.name}\"")
	}
	for _, a := range w.actors {
		if (a.session != nil) == online {
			names = append(names, nameOf(a))
		}
	}
	if online {
		return fmt.Sprintf("[{user_list_contains: [%s]}]", strings.Join(names, ", "))
	}
	return fmt.Sprintf("[{user_list_excludes: [%s]}]", strings.Join(names, ", "))
}

// excludeOffline asks c for the online list again and checks that the
// accounts without a session are not in it (a matcher is either contains
// or excludes, so the online-set check takes two requests).
func (w *scnWriter) excludeOffline(c *scnConn) {
	for _, a := range w.actors {
		if a.session == nil {
			w.step("send: {conn: %s, action: USRS, info: USRS_ONLINE}", c.name)
			w.expect(exp{conn: c.name, action: "USRS", req: "USRS-2", args: w.onlineList(false)})
			return
		}
	}
}

func (w *scnWriter) logout(a *scnActor, c *scnConn) []exp {
	switch c.state {
	case csSession:
		w.endSession(a, c)
		return append([]exp{{conn: c.name, action: "OK", req: "LOGOUT-1"}}, w.hookExps(a, "HOOK_NEWLOGOUT")...)
	case csPending:
		c.state = csAnon
		return []exp{{conn: c.name, action: "OK", req: "LOGOUT-3"}}
	case csRefused: // LOGOUT would cancel a verification the refusal left pending
		c.state = csAnon
		return []exp{errExp(c, "ERR_NOSESS", "VERIF-4", false)}
	}
	return []exp{errExp(c, "ERR_NOSESS", "LOGOUT-4", false)}
}

func (w *scnWriter) endSession(a *scnActor, c *scnConn) {
	c.state, c.sub = csAnon, false
	if a.session == c {
		a.session = nil
	}
}

// hookExps are the hooks a login or logout of a brings every other
// subscriber: the observer and actors whose session subscribed.
func (w *scnWriter) hookExps(a *scnActor, hook string) []exp {
	args := fmt.Sprintf("[%s]", nameOf(a))
	req := "HOOK-3"
	if hook == "HOOK_NEWLOGIN" {
		args, req = fmt.Sprintf("[%s, any]", nameOf(a)), "HOOK-2"
	}
	subs := []*scnConn{w.obs}
	for _, o := range w.actors {
		if o != a && o.session != nil && o.session.sub {
			subs = append(subs, o.session)
		}
	}
	var out []exp
	for _, s := range subs {
		out = append(out, exp{conn: s.name, action: "HOOK", info: hook, args: args, req: req})
	}
	return out
}

// dupHook: a login refused because a has a live session sends that
// session HOOK_DUPSESS when it subscribed.
func (w *scnWriter) dupHook(a *scnActor) []exp {
	if a.session == nil || !a.session.sub {
		return nil
	}
	return []exp{{conn: a.session.name, action: "HOOK", info: "HOOK_DUPSESS", args: "[any]", req: "HOOK-4"}}
}

// closeConn is the explorer's abrupt close: a session on it ends, which
// its subscribers hear as NEWLOGOUT.
func (w *scnWriter) closeConn(c *scnConn) {
	if c == nil || !c.open {
		return
	}
	w.step("disconnect: %s", c.name)
	c.open = false
	if c.state == csSession {
		w.endSession(c.actor, c)
		w.expect(w.hookExps(c.actor, "HOOK_NEWLOGOUT")...)
	}
	c.state = csAnon
}

// sendLogin writes LOGIN on c and expects its reply; it returns the
// variable holding the challenge when one came.
func (w *scnWriter) sendLogin(a *scnActor, c *scnConn) string {
	w.step("send: {conn: %s, action: LOGIN, args: [%s]}", c.name, nameOf(a))
	switch {
	case c.state == csSession:
		w.expect(errExp(c, "ERR_INVALID", "LOGIN-5", false))
	case a.session != nil:
		w.expect(errExp(c, "ERR_DUPSESS", "LOGIN-4", false))
		w.expect(w.dupHook(a)...)
	default:
		v := w.newVar("challenge")
		req := "LOGIN-1"
		if c.state == csPending || c.state == csRefused { // a new challenge replacing one is E-21's
			req = "LOGIN-6"
		}
		w.expect(exp{conn: c.name, action: "VERIF", args: fmt.Sprintf("[{capture: %s}]", v), req: req})
		c.state, c.chal = csPending, v
		return v
	}
	return ""
}

// verif answers challenge v on c, rightly or not, and expects the reply
// the model gives.
func (w *scnWriter) verif(a *scnActor, c *scnConn, v string, right bool) {
	answer := "\"not-the-challenge\""
	ans := ""
	if right {
		ans = w.newVar("answer")
		w.step("decrypt: {actor: %s, from: %s, into: %s}", a.name, v, ans)
		answer = fmt.Sprintf("{var: %s}", ans)
	}
	w.step("send: {conn: %s, action: VERIF, args: [%s, %s]}", c.name, nameOf(a), answer)
	switch {
	case c.state == csSession:
		w.expect(errExp(c, "ERR_INVALID", "VERIF-7", false))
	case c.state == csRefused:
		c.state = csAnon
		w.expect(errExp(c, "ERR_INVALID", "VERIF-4", false))
	case c.state != csPending:
		w.expect(errExp(c, "ERR_INVALID", "VERIF-2", false))
	case !right:
		c.state = csRefused
		w.expect(errExp(c, "ERR_HANDSHAKE", "VERIF-10", false))
	case c.chal != v: // the answer to a challenge a later LOGIN replaced (E-21)
		c.state = csRefused
		w.expect(errExp(c, "ERR_HANDSHAKE", "LOGIN-6", false))
	case a.session != nil:
		c.state = csRefused
		w.expect(errExp(c, "ERR_DUPSESS", "VERIF-6", false))
		w.expect(w.dupHook(a)...)
	default:
		req := "VERIF-1"
		if w.otherPending(a, c) { // that another LOGIN leaves this one's verification alone is E-21's
			req = "LOGIN-6"
		}
		w.expect(exp{conn: c.name, action: "OK", req: req})
		w.enterSession(a, c)
		if c.tls {
			a.token = ans
		}
	}
}

// otherPending: another open connection of a has a verification pending.
func (w *scnWriter) otherPending(a *scnActor, c *scnConn) bool {
	for _, o := range a.slots {
		if o != nil && o != c && o.open && o.state == csPending {
			return true
		}
	}
	return false
}

func (w *scnWriter) enterSession(a *scnActor, c *scnConn) {
	c.state, c.sub, a.session = csSession, false, c
	w.expect(w.hookExps(a, "HOOK_NEWLOGIN")...)
}

// login is the executor's login family: LOGIN, then the right VERIF
// (login, login-late), a wrong one (login-wrong), none (login-half), or
// a close (login-close).
func (w *scnWriter) login(a *scnActor, c *scnConn, kind Kind) {
	v := w.sendLogin(a, c)
	switch {
	case kind == OpLoginClose:
		w.closeConn(c)
	case v == "" || kind == OpLoginHalf:
	default:
		w.verif(a, c, v, kind != OpLoginWrong)
	}
}

// lateLogin answers the challenge after the verification timeout the
// scenario's server was given: the VERIF must be refused (VERIF-2), and
// the verification is gone.
func (w *scnWriter) lateLogin(a *scnActor, c *scnConn) {
	v := w.sendLogin(a, c)
	if v == "" {
		return
	}
	w.step("sleep: %s", lateWait)
	ans := w.newVar("answer")
	w.step("decrypt: {actor: %s, from: %s, into: %s}", a.name, v, ans)
	w.step("send: {conn: %s, action: VERIF, args: [%s, {var: %s}]}", c.name, nameOf(a), ans)
	w.expect(errExp(c, "ERR_INVALID", "VERIF-2", false))
	c.state = csAnon
}

// race: LOGIN on two connections of the actor, then both answered
// (race-login) or the second closed and the first answered (race-close).
// Sequentially the second LOGIN follows the first's reply, and the
// VERIFs go one after another.
func (w *scnWriter) race(a *scnActor, op Op) {
	c1 := w.slot(a, op.Conn, false)
	c2 := w.slot(a, (op.Conn+1)%len(a.slots), false)
	v1 := w.sendLogin(a, c1)
	v2 := w.sendLogin(a, c2)
	if op.Kind == OpRaceClose {
		w.closeConn(c2)
	}
	if v1 != "" && c1.open {
		w.verif(a, c1, v1, true)
	}
	if v2 != "" && c2.open && op.Kind == OpRaceLogin {
		w.verif(a, c2, v2, true)
	}
}

// tlsLogin replaces the slot's connection by a TLS one and logs in with
// a challenge (tls-login) or the latest token (token-login); without TLS
// in the original run they were plain logins there and are here.
func (w *scnWriter) tlsLogin(a *scnActor, op Op) {
	if !w.tls {
		w.login(a, w.slot(a, op.Conn, false), OpLogin)
		return
	}
	w.closeConn(a.slots[op.Conn])
	c := w.slot(a, op.Conn, true)
	if op.Kind == OpTLSLogin || a.token == "" {
		if v := w.sendLogin(a, c); v != "" {
			w.verif(a, c, v, true)
		}
		return
	}
	w.step("send: {conn: %s, action: LOGIN, args: [%s, {var: %s}]}", c.name, nameOf(a), a.token)
	if a.session != nil {
		w.expect(errExp(c, "ERR_DUPSESS", "LOGIN-4", false))
		w.expect(w.dupHook(a)...)
		return
	}
	w.expect(exp{conn: c.name, action: "OK", req: "TOKEN-4"})
	w.enterSession(a, c)
}

// burstID is the ID of a burst's first request.
const burstID = 901

// burst writes every request before reading a reply; burst-close closes
// instead of reading. Its MSGs are left out: whether a server read them
// before the close is a race, and their deliveries could not be expected.
func (w *scnWriter) burst(a *scnActor, c *scnConn, op Op) {
	var es []exp
	for k := range op.N {
		if op.Kind == OpBurstClose && k%4 == 0 {
			w.comment(fmt.Sprintf("(MSG %d of the burst left out: the close races with it)", k))
			continue
		}
		send, e := w.request(a, c, op, k)
		// Explicit IDs: the default expects the last request's.
		id := fmt.Sprint(burstID + k)
		w.step("%s, id: %s}", strings.TrimSuffix(send, "}"), id)
		for i := range e {
			if e[i].conn == c.name {
				e[i].id = id
			}
		}
		es = append(es, e...)
	}
	if op.Kind == OpBurstClose {
		w.closeConn(c)
		return
	}
	w.expect(es...)
}

// quiescent renders the explorer's checks at a quiescent point: the
// observer's online list, a fresh login of every account without a
// session (never refused as a duplicate), the catch-up of every cached
// message, and a new connection's HELLO.
func (w *scnWriter) quiescent() {
	w.comment("The quiescent phase: online list, fresh logins, catch-ups, a newcomer's HELLO.")
	w.step("send: {conn: observer, action: USRS, info: USRS_ONLINE}")
	w.expect(exp{conn: "observer", action: "USRS", req: "USRS-2", args: w.onlineList(true)})
	w.excludeOffline(w.obs)
	for _, a := range w.actors {
		if a.session == nil {
			c := &scnConn{name: a.name + "_final", actor: a, open: true}
			w.step("connect: {conn: %s, actor: %s}", c.name, a.name)
			if v := w.sendLogin(a, c); v != "" {
				w.verif(a, c, v, true)
			}
		}
	}
	for _, a := range w.actors {
		if len(a.queued) > 0 && a.session != nil {
			c := a.session
			w.step("send: {conn: %s, action: RECIV}", c.name)
			w.expect(w.catchUp(a, c)...)
		}
	}
	w.step("connect: {conn: newcomer}")
}
