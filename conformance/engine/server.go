package engine

import (
	"context"
	"crypto/rsa"
	"crypto/tls"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/conformance/protoclient"
	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/conformance/target"
	"github.com/gochatproto/gochat/spec"
)

// serverSide is the server role: the runner plays clients, dialing the
// server under test.
type serverSide struct {
	ep       *target.Endpoint
	release  []func()        // locks, the fresh server; undone in reverse at teardown
	gen      int             // the shared server's generation when the scenario started
	leased   []string        // pool keys
	regNames map[string]bool // every username sent in a REG, for cleanup
	// reservedFailed: the FRAME-3 check already failed in this run.
	reservedFailed bool
}

func (s *serverSide) peer() string { return "server" }

// setup takes the locks the scenario needs, starts its private server if
// it needs one, leases fixture keys and binds the actors.
func (s *serverSide) setup(x *exec) error {
	e, sc := x.e, x.sc
	s.regNames = map[string]bool{}
	if sc.NeedsCap(scenario.CapWriteTimeout) {
		e.heavy.Lock()
		s.release = append(s.release, e.heavy.Unlock)
	} else {
		e.heavy.RLock()
		s.release = append(s.release, e.heavy.RUnlock)
	}
	s.ep = e.o.Target.Shared()
	if !sc.NeedsFresh() {
		s.gen = e.live.enter(sc.ID)
		s.release = append(s.release, func() { e.live.leave(sc.ID) })
	}
	if sc.NeedsFresh() {
		ep, stop, err := e.o.Target.Fresh(x.ctx, scaleConfig(sc.Config, e.o.TimeoutScale))
		if err != nil {
			return fmt.Errorf("starting a fresh server: %w", err)
		}
		s.ep, s.release = ep, append(s.release, stop)
	} else if sc.NeedsCap(scenario.CapAdmin) || sc.NeedsCap(scenario.CapOwner) {
		e.privileged.Lock()
		s.release = append(s.release, e.privileged.Unlock)
	}
	logical := logicalKeys(sc)
	leased, err := e.pool.Lease(len(logical), !sc.NeedsFresh())
	if err != nil {
		return err
	}
	s.leased = leased
	fixtures := make(map[string]*rsa.PrivateKey, len(logical))
	for i, l := range logical {
		fixtures[l] = e.pool.Key(leased[i])
	}
	s.bindActors(x, fixtures)
	return nil
}

// bindActors assigns names and keys; templated names are resolved after
// the plain ones so they can refer to them.
func (s *serverSide) bindActors(x *exec, fixtures map[string]*rsa.PrivateKey) {
	for name, a := range x.sc.Actors {
		switch a.Role {
		case "admin", "owner":
			acc := s.ep.Admin
			if a.Role == "owner" {
				acc = s.ep.Owner
			}
			if acc != nil {
				x.env.Names[name], x.env.Keys[name] = acc.Name, acc.Key
			}
		default:
			x.env.Keys[name] = fixtures[a.Key]
			if a.Name == nil {
				x.env.Names[name] = Username(x.e.o.Seed, x.e.o.Salt, x.sc.ID, name)
			}
		}
	}
	bindTemplatedNames(x)
}

// bindTemplatedNames resolves the actors whose name is a template.
func bindTemplatedNames(x *exec) {
	for name, a := range x.sc.Actors {
		if a.Name != nil && a.Role == "" {
			b, err := x.env.Expand(a.Name)
			if err != nil {
				x.suite("actor %s: name: %v", name, err)
			}
			x.env.Names[name] = string(b)
		}
	}
}

// teardown closes the connections, removes the accounts the scenario
// created on a shared server and returns or retires its keys.
func (s *serverSide) teardown(x *exec) {
	x.closeAll()
	s.releaseKeys(x)
	for i := len(s.release) - 1; i >= 0; i-- {
		s.release[i]()
	}
}

// releaseKeys gives the scenario's keys back to the pool: reused after
// their accounts were deregistered (E-20), or, under SingleUse on the
// shared server, spent as soon as a REG may have registered them.
func (s *serverSide) releaseKeys(x *exec) {
	p, dead := x.e.pool, x.crash != "" || x.victim != ""
	switch {
	case s.leased == nil:
	case p.SingleUse() && !x.sc.NeedsFresh():
		if !dead {
			s.cleanup(x) // tidiness only: the keys are not reused
		}
		if len(s.regNames) == 0 {
			p.Return(s.leased)
		} else if err := p.Spend(s.leased); err != nil {
			x.note("cleanup", "%v", err)
		}
	case dead: // no server to clean up on, or a new one
		p.Taint(s.leased)
	case x.sc.NeedsFresh() || s.cleanup(x):
		p.Return(s.leased)
	default:
		p.Taint(s.leased)
	}
}

func (s *serverSide) step(x *exec, st *scenario.Step) {
	switch st.Kind {
	case scenario.KindConnect:
		s.connect(x, st.Connect)
	case scenario.KindStopReading:
		if c := x.conn(st.Conn); c != nil {
			c.stopReading()
			x.note(c.name, "stopped reading this connection")
		}
	}
}

func (s *serverSide) connect(x *exec, cn *scenario.Connect) {
	addr, cfg := s.ep.Addr, (*tls.Config)(nil)
	if cn.TLS {
		addr, cfg = s.ep.TLSAddr, s.ep.TLSConfig
		if cfg == nil {
			cfg = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // test servers use self-signed certificates
		}
	}
	nc, err := protoclient.DialNet(x.ctx, addr, cfg, x.within(5*time.Second))
	if err != nil {
		x.suite("cannot connect to %s: %v", addr, err)
		return
	}
	read := cn.Read == nil || *cn.Read
	x.addConn(newConn(cn.Conn, cn.Actor, nc, spec.ClientBound, x.dialect, x.start, read, x.wake))
	proto := map[bool]string{false: "tcp", true: "tls"}[cn.TLS]
	x.note(cn.Conn, "connected (%s) to %s", proto, addr)
	if !read {
		x.note(cn.Conn, "not reading this connection")
		return
	}
	if cn.Hello == nil || *cn.Hello {
		// The greeting is CONN-4's, whatever the scenario is about.
		x.expectOne(&scenario.Expect{Conn: cn.Conn, Action: scenario.Action{Action: spec.HELLO}, Check: helloCheck,
			ID: &scenario.IDSpec{}, Info: scenario.Info{Value: spec.EmptyInfo}, Args: []scenario.Matcher{{Kind: "any"}}})
	}
}

// helloCheck is the check of the HELLO every connect step awaits.
var helloCheck = scenario.Check{Req: "CONN-4"}

// check applies the rules every server packet must follow, whatever the
// scenario expects, and hides hooks and messages about users of other
// scenarios (which share the server and run in parallel).
func (s *serverSide) check(x *exec, c *conn, f *frame) bool {
	if s.foreign(x, f) {
		x.event(result.Event{At: f.at, Conn: c.name, Dir: result.Note, Header: f.hdr.String(),
			Note: "ignored: about a user of another scenario"})
		return false
	}
	if f.hdr.Reserved != spec.DefaultReserved && !s.reservedFailed {
		s.reservedFailed = true // once per scenario: the first packet says it all
		x.fail(result.Failure{Requirements: []string{"FRAME-3"}, Conn: c.name, Soft: true,
			Message: "FRAME-3: the Reserved field of a server packet is not 0xFFFF", Expected: "rsv=0xFFFF",
			Actual: f.String()})
	}
	return true
}

// foreign reports whether f is a NEWLOGIN, NEWLOGOUT or PERMSCHG hook, or
// a RECIV, naming a user that is not an actor of this scenario.
func (s *serverSide) foreign(x *exec, f *frame) bool {
	if len(f.args) == 0 || f.framing != nil {
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

func (s *serverSide) serve(*exec, *conn, *frame) bool { return false }

func (s *serverSide) line(*exec, map[string]any) {}

// sendID: the step's number, $req (the last request ID), or the
// connection's next ID (1, 2, ... 1023, 1).
func (s *serverSide) sendID(c *conn, _ spec.Action, id *scenario.IDSpec) uint16 {
	v := c.allocID()
	switch {
	case id != nil && id.Req:
		v = c.lastID
	case id != nil:
		v = id.Num
	}
	return v
}

// wantID: 0 for pushes, the last request's ID for replies.
func (s *serverSide) wantID(c *conn, a spec.Action) (uint16, bool) {
	switch {
	case a == spec.HELLO || a == spec.SHTDWN || a == spec.HOOK || a == spec.RECIV:
		return spec.NullID, true
	case replyAction(a):
		return c.lastID, true
	}
	return 0, false
}

// sent remembers the request ID replies should carry and the names
// registered, which cleanup removes.
func (s *serverSide) sent(c *conn, h spec.Header, args [][]byte) {
	c.lastID = h.ID
	if h.Action == spec.REG && len(args) > 0 {
		s.regNames[strings.ToLower(string(args[0]))] = true
	}
}

func (s *serverSide) consumed(*conn, *frame) {}

// infoChecked: a server's packets carry Info 0xFF except ERR and HOOK.
func (s *serverSide) infoChecked(a spec.Action) bool { return a != spec.ERR && a != spec.HOOK }

// cleanup deregisters every account the scenario may have created on the
// shared server, so that its keys can be leased again. It reports whether
// every leased key is known to be free.
func (s *serverSide) cleanup(x *exec) bool {
	ok := true
	privileged := map[string]bool{}
	for _, a := range []*target.Account{s.ep.Admin, s.ep.Owner} {
		if a != nil {
			privileged[a.Name] = true
		}
	}
	names := map[string]bool{}
	for actor, name := range x.env.Names {
		if x.sc.Actors[actor].Role == "" {
			names[strings.ToLower(name)] = true
		}
	}
	for name := range s.regNames {
		names[name] = true
	}
	for name := range names {
		if privileged[name] {
			continue
		}
		if err := s.deregister(x, name); err != nil {
			x.note("cleanup", "could not deregister %s: %v", name, err)
			ok = false
		}
	}
	return ok
}

// deregister logs name in on a new connection and sends DEREG. An
// unknown or already deregistered name is fine. The scenario's deadline
// may have passed, so cleanup gets its own.
func (s *serverSide) deregister(x *exec, name string) error {
	addr := s.ep.Addr
	if s.ep.Direct != "" {
		addr = s.ep.Direct
	}
	ctx, cancel := context.WithTimeout(context.Background(), x.within(10*time.Second))
	defer cancel()
	c, err := protoclient.Dial(ctx, addr, protoclient.Options{Dialect: x.dialect, Timeout: x.within(DefaultWithin)})
	if err != nil {
		return err
	}
	defer c.Close()
	err = c.LoginWith(ctx, name, func(ct []byte) ([]byte, error) { return decryptAny(x, ct) })
	switch {
	case protoclient.IsCode(err, spec.CodeNotFound), protoclient.IsCode(err, spec.CodeDereg),
		protoclient.IsCode(err, spec.CodeArgs):
		return nil
	case err != nil:
		return err
	}
	return c.Dereg()
}

// decryptAny decrypts a challenge with whichever key of the scenario
// registered the account (forged REGs may pair any name with any key).
func decryptAny(x *exec, ct []byte) ([]byte, error) {
	keys := slices.Collect(maps.Values(x.env.Keys))
	pt, _, _, err := codec.DecryptAny(keys, ct)
	if err != nil {
		return nil, fmt.Errorf("the challenge does not decrypt with any key of the scenario: %w", err)
	}
	return pt, nil
}

// logicalKeys lists the distinct fixture key names the scenario's
// non-privileged actors use, in a stable order.
func logicalKeys(sc *scenario.Scenario) []string {
	seen := map[string]bool{}
	var out []string
	for _, name := range slices.Sorted(maps.Keys(sc.Actors)) {
		a := sc.Actors[name]
		if a.Role == "" && !seen[a.Key] {
			seen[a.Key] = true
			out = append(out, a.Key)
		}
	}
	return out
}

// scaleConfig stretches a fresh server's timeouts by the same factor as the
// scenario's waits and sleeps.
func scaleConfig(c scenario.ServerConfig, k float64) scenario.ServerConfig {
	scale := func(d time.Duration) time.Duration { return time.Duration(float64(d) * k) }
	c.IdleTimeout = scale(c.IdleTimeout)
	c.VerifyTimeout = scale(c.VerifyTimeout)
	c.TokenTTL = scale(c.TokenTTL)
	c.WriteTimeout = scale(c.WriteTimeout)
	return c
}
