package explore

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/conformance/protoclient"
	"github.com/gochatproto/gochat/spec"
)

// Notes on the phase events the checkers look for.
const (
	notePhase    = "quiescent"
	noteExpected = "expected-online" // Body: the online set the history implies
	noteFinal    = "final-online"    // the USRS_ONLINE whose reply ends the retries
	noteRelogin  = "final-login"     // a login of an account with no live session
)

// finalLoginTries bounds the fresh logins of the quiescent phase (each a
// LOGIN refused as a duplicate session means the server still holds a
// session; it gets Settle to let go).
const finalLoginTries = 5

// quiesce runs once every actor is idle: it closes each connection
// whose session state the history leaves uncertain, lets the server
// settle, lists the online users from the observer (retrying within
// Settle until the list matches), logs every account without a live
// session in again on a fresh connection, runs a catch-up everywhere and
// waits for the last pushes. Every step is recorded with Op -1.
func (x *executor) quiesce(ctx context.Context, actors []*actor, obs *conn) {
	ctx = context.WithoutCancel(ctx) // the run's --duration must not cut the final checks short
	x.h.add(Event{Kind: EvPhase, Op: -1, Note: notePhase})
	states := connStates(x.h.Events())
	live := map[int]*conn{}
	for _, a := range actors {
		for _, c := range a.conns {
			if c == nil || c.dead() || c.closing.Load() {
				continue
			}
			if states[c.label] == stSession && live[a.i] == nil {
				live[a.i] = c
				continue
			}
			c.close(-1)
		}
	}
	time.Sleep(x.cfg.Settle)
	for i, c := range live {
		if c.dead() { // the server closed it meanwhile (a kick at the end of the round)
			delete(live, i)
		}
	}
	obsIdx := len(x.cfg.Accounts) - 1
	expected := []string{x.cfg.Accounts[obsIdx].Name}
	for i := range actors {
		if live[i] != nil {
			expected = append(expected, x.cfg.Accounts[i].Name)
		}
	}
	sort.Strings(expected)
	x.h.add(Event{Kind: EvPhase, Op: -1, Note: noteExpected, Body: strings.Join(expected, "\n")})
	if obs == nil || obs.dead() {
		obs = x.loginFresh(ctx, obsIdx, "obs2")
	}
	if obs != nil {
		x.finalOnline(ctx, obs, expected)
	}
	var opened []*conn
	for i := range actors {
		c := live[i]
		if c == nil {
			if c = x.loginFresh(ctx, i, "final"); c == nil {
				continue
			}
			opened = append(opened, c)
		}
		c.call(ctx, spec.NewPacket(spec.RECIV, 0), -1)
	}
	time.Sleep(x.cfg.Settle)
	for _, c := range append(opened, obs) {
		if c != nil {
			c.close(-1)
		}
	}
	for _, c := range live {
		c.close(-1)
	}
}

// finalOnline lists the online users until the list equals expected or
// the settle time is used up; the last call is marked for the checker.
func (x *executor) finalOnline(ctx context.Context, obs *conn, expected []string) {
	want := strings.Join(expected, "\n")
	deadline := time.Now().Add(x.cfg.Settle)
	for {
		w, err := obs.send(usrsOnline(), -1)
		if err != nil {
			return
		}
		r := obs.wait(ctx, w, -1)
		last := time.Now().After(deadline)
		if r != nil && r.Action == spec.USRS && sortedList(r) == want || last || r == nil {
			x.h.add(Event{Kind: EvPhase, Op: -1, Note: noteFinal, Call: w.seq})
			return
		}
		time.Sleep(x.cfg.Settle / 5)
	}
}

func sortedList(p *spec.Packet) string {
	var names []string
	for _, a := range p.Args {
		for _, n := range strings.Split(string(a), "\n") {
			if n != "" {
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	return strings.Join(names, "\n")
}

// answer answers the LOGIN reply r with acc's VERIF and reports whether
// the server accepted it (false when r is no challenge).
func (c *conn) answer(ctx context.Context, acc Account, r *spec.Packet) bool {
	if r == nil || r.Action != spec.VERIF || len(r.Args) != 1 {
		return false
	}
	pt, err := codec.DecryptOpen(acc.Key, r.Args[0])
	if err != nil {
		return false
	}
	v := c.call(ctx, spec.NewPacket(spec.VERIF, 0, []byte(acc.Name), pt), -1)
	return v != nil && v.Action == spec.OK
}

// loginFresh logs account i in on a new connection, retrying a refusal
// as a duplicate session a few times within Settle. Each attempt is
// recorded; the checker judges them.
func (x *executor) loginFresh(ctx context.Context, i int, tag string) *conn {
	acc := x.cfg.Accounts[i]
	c, err := x.dial(ctx, i, fmt.Sprintf("a%d.%s", i, tag), -1)
	if err != nil {
		return nil
	}
	for try := 0; try < finalLoginTries; try++ {
		w, err := c.send(spec.NewPacket(spec.LOGIN, 0, []byte(acc.Name)), -1)
		if err != nil {
			break
		}
		x.h.add(Event{Kind: EvPhase, Actor: i, Conn: c.label, Op: -1, Note: noteRelogin, Call: w.seq})
		r := c.wait(ctx, w, -1)
		if r != nil && r.Action == spec.ERR && spec.ErrCode(r.Info) == spec.CodeDupSess {
			time.Sleep(x.cfg.Settle / finalLoginTries)
			continue
		}
		if c.answer(ctx, acc, r) {
			return c
		}
		break
	}
	c.close(-1)
	return nil
}

// probe is the liveness check: a new connection must get HELLO.
func (x *executor) probe(ctx context.Context) bool {
	c, err := protoclient.Dial(ctx, x.cfg.Endpoint.Addr, protoclient.Options{Dialect: x.cfg.Dialect, Timeout: x.cfg.ReplyTimeout})
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}
