package explore

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/conformance/protoclient"
	"github.com/gochatproto/gochat/conformance/target"
	"github.com/gochatproto/gochat/spec"
)

// Account is one actor's account: a fixture key and the name it is
// registered under.
type Account struct {
	Name string
	Key  *rsa.PrivateKey
}

// Config is one execution of a plan.
type Config struct {
	Endpoint *target.Endpoint
	Dialect  spec.Dialect
	Plan     *Plan
	// Accounts has one account per actor plus, last, the observer that
	// lists the online users at quiescent points.
	Accounts []Account
	// Unknown is a name no account has.
	Unknown string
	// ReplyTimeout bounds each round trip (default 10s).
	ReplyTimeout time.Duration
	// Settle is how long the server may take to notice a closed
	// connection (default 1s); quiescent checks retry within it.
	Settle time.Duration
	// Duration stops the actors early (0: run the whole plan).
	Duration time.Duration
	// Progress, if set, is called about once a second with the number of
	// operations done.
	Progress func(done int)
	// Registered skips the registration (a later round of a long run).
	Registered bool
	// KeepEvery is how often the observer sends KEEP (default 5s).
	KeepEvery time.Duration
	// VerifyTimeout is the server's verification timeout when the
	// explorer started the server itself (0: unknown, no late VERIFs).
	VerifyTimeout time.Duration
	// Admin, if set, runs the plan's administrative operations from its
	// own connection (history actor len(Accounts)); nil skips them.
	Admin *Account
}

// Outcome is a finished execution.
type Outcome struct {
	Plan    *Plan
	Events  []Event
	Done    int           // operations executed
	Elapsed time.Duration // of the concurrent part
	Alive   bool          // the liveness probe got HELLO
	Setup   error         // a failed setup (registration): the run says nothing
}

type executor struct {
	cfg  Config
	h    *History
	done atomic.Int64
	// actorsDone counts the actors' operations only; the admin paces
	// itself by it.
	actorsDone atomic.Int64
}

// errSetup wraps a failed precondition.
var errSetup = errors.New("setup")

// Execute registers the accounts, runs the plan's actors concurrently,
// then runs the quiescent phase (final online list, fresh logins, catch-ups)
// and the liveness probe. It never judges; Check does.
func Execute(ctx context.Context, cfg Config) *Outcome {
	if cfg.ReplyTimeout <= 0 {
		cfg.ReplyTimeout = 10 * time.Second
	}
	if cfg.Settle <= 0 {
		cfg.Settle = time.Second
	}
	if cfg.KeepEvery <= 0 {
		cfg.KeepEvery = 5 * time.Second
	}
	x := &executor{cfg: cfg, h: newHistory()}
	out := &Outcome{Plan: cfg.Plan}
	if cfg.Registered {
	} else if err := x.register(ctx); err != nil {
		out.Setup = fmt.Errorf("%w: %v", errSetup, err)
		return out
	}
	obs := x.watch(ctx)
	adm := x.adminLogin(ctx)
	start := time.Now()
	stopKeep := keepAlive(obs, x.cfg.KeepEvery)
	stopAdminKeep := keepAlive(adm, x.cfg.KeepEvery)
	actors := x.runActors(ctx, adm)
	stopAdminKeep()
	stopKeep()
	out.Elapsed = time.Since(start)
	if adm != nil { // before the online list is taken: the admin is no actor
		adm.close(-1)
	}
	x.quiesce(ctx, actors, obs)
	out.Alive = x.probe(ctx)
	out.Events, out.Done = x.h.Events(), int(x.done.Load())
	return out
}

func (x *executor) register(ctx context.Context) error {
	for _, a := range x.cfg.Accounts {
		c, err := protoclient.Dial(ctx, x.cfg.Endpoint.Addr, protoclient.Options{Dialect: x.cfg.Dialect, Timeout: x.cfg.ReplyTimeout})
		if err != nil {
			return err
		}
		err = c.Register(a.Name, a.Key)
		_ = c.Close()
		if err != nil {
			return fmt.Errorf("REG %s: %w (a key the explorer registered before on this server?)", a.Name, err)
		}
	}
	return nil
}

// watch logs the observer in and subscribes it to every hook for the
// whole round: one subscriber that no operation disturbs, so every login
// and logout of the round must reach it.
func (x *executor) watch(ctx context.Context) *conn {
	obs := x.loginFresh(ctx, len(x.cfg.Accounts)-1, "obs")
	if obs != nil {
		p := spec.NewPacket(spec.SUB, 0)
		p.Info = uint8(spec.HookAll)
		obs.call(ctx, p, -1)
	}
	return obs
}

// keepAlive sends KEEP on the observer's connection every interval so
// that a long round does not reach the server's idle timeout on it.
func keepAlive(c *conn, every time.Duration) func() {
	if c == nil || every <= 0 {
		return func() {}
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				_, _ = c.send(spec.NewPacket(spec.KEEP, 0), -1)
			}
		}
	}()
	return func() { close(stop); <-done }
}

// actor owns its connections; only its goroutine touches them.
type actor struct {
	x     *executor
	i     int
	conns []*conn
	gen   []int
	token []byte // the decrypted challenge of the latest TLS login
	late  bool   // this round's late login happened (one per actor and round: it blocks the actor)
}

func (x *executor) runActors(ctx context.Context, adm *conn) []*actor {
	if x.cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, x.cfg.Duration)
		defer cancel()
	}
	stopProgress := x.progress()
	defer stopProgress()
	actors := make([]*actor, x.cfg.Plan.Actors)
	var wg sync.WaitGroup
	finished := make(chan struct{}) // the actors are done: the admin stops waiting for them
	var awg sync.WaitGroup
	awg.Add(1)
	go func() { defer awg.Done(); x.runAdmin(ctx, adm, finished) }()
	defer awg.Wait()
	defer close(finished)
	for i, ops := range x.cfg.Plan.byActor() {
		a := &actor{x: x, i: i, conns: make([]*conn, x.cfg.Plan.Conns), gen: make([]int, x.cfg.Plan.Conns)}
		actors[i] = a
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, op := range ops {
				if ctx.Err() != nil {
					return
				}
				a.do(ctx, op)
				x.done.Add(1)
				x.actorsDone.Add(1)
			}
		}()
	}
	wg.Wait()
	return actors
}

func (x *executor) progress() func() {
	if x.cfg.Progress == nil {
		return func() {}
	}
	stop, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				x.cfg.Progress(int(x.done.Load()))
			}
		}
	}()
	return func() { close(stop); <-finished }
}

func (a *actor) name(i int) string {
	if i < 0 {
		return a.x.cfg.Unknown
	}
	return a.x.cfg.Accounts[i].Name
}

// conn returns the open connection of slot s, dialing a new one if the
// slot is empty or its connection ended.
func (a *actor) conn(ctx context.Context, s, op int) *conn {
	if c := a.conns[s]; c != nil && !c.dead() && !c.closing.Load() {
		return c
	}
	a.gen[s]++
	c, err := a.x.dial(ctx, a.i, fmt.Sprintf("a%d.c%d.%d", a.i, s, a.gen[s]), op)
	if err != nil {
		a.conns[s] = nil
		return nil
	}
	a.conns[s] = c
	return c
}

func (a *actor) do(ctx context.Context, op Op) {
	if op.Kind == OpClose {
		if c := a.conns[op.Conn]; c != nil {
			c.close(op.Index)
		}
		return
	}
	if (op.Kind == OpTLSLogin || op.Kind == OpTokenLogin) && a.x.cfg.Endpoint.TLSAddr != "" {
		a.tlsLogin(ctx, op)
		return
	}
	c := a.conn(ctx, op.Conn, op.Index)
	if c == nil {
		return
	}
	switch op.Kind {
	case OpLogin, OpLoginWrong, OpLoginHalf, OpLoginClose, OpLoginLate:
		a.login(ctx, c, op)
	case OpRaceLogin, OpRaceClose:
		a.race(ctx, c, op)
	case OpTLSLogin, OpTokenLogin: // no TLS address: a plain login
		a.login(ctx, c, Op{Index: op.Index, Kind: OpLogin})
	case OpLogout:
		c.call(ctx, spec.NewPacket(spec.LOGOUT, 0), op.Index)
	case OpMsg:
		c.call(ctx, a.msg(op, 0), op.Index)
	case OpReciv:
		c.call(ctx, spec.NewPacket(spec.RECIV, 0), op.Index)
	case OpReq:
		c.call(ctx, spec.NewPacket(spec.REQ, 0, []byte(a.name(op.Peer))), op.Index)
	case OpUsrs:
		c.call(ctx, usrsOnline(), op.Index)
	case OpSub, OpUnsub:
		p := spec.NewPacket(spec.SUB, 0)
		if op.Kind == OpUnsub {
			p.Action = spec.UNSUB
		}
		p.Info = uint8(spec.HookAll)
		c.call(ctx, p, op.Index)
	case OpKeep:
		_, _ = c.send(spec.NewPacket(spec.KEEP, 0), op.Index)
	case OpBurst, OpBurstClose:
		a.burst(ctx, c, op)
	}
}

func usrsOnline() *spec.Packet {
	p := spec.NewPacket(spec.USRS, 0)
	p.Info = uint8(spec.UsrsOnline)
	return p
}

// msg builds the MSG of op; the text names the operation so that every
// message of a run is distinct.
func (a *actor) msg(op Op, k int) *spec.Packet {
	stamp := a.x.cfg.Dialect.AppendTimestamp(nil, time.Now())
	text := fmt.Sprintf("explore-%d-%d-%d", a.x.cfg.Plan.Seed, op.Index, k)
	return spec.NewPacket(spec.MSG, 0, []byte(a.name(op.Peer)), stamp, []byte(text))
}

func (a *actor) login(ctx context.Context, c *conn, op Op) {
	me := a.name(a.i)
	r := c.call(ctx, spec.NewPacket(spec.LOGIN, 0, []byte(me)), op.Index)
	if op.Kind == OpLoginClose {
		c.close(op.Index)
		return
	}
	if r == nil || r.Action != spec.VERIF || len(r.Args) != 1 || op.Kind == OpLoginHalf {
		return
	}
	answer, note := []byte("not-the-challenge"), noteWrong
	if op.Kind == OpLoginLate && a.x.cfg.VerifyTimeout > 0 && !a.late {
		a.late = true
		select { // past the timeout, with room for the server's timer to fire
		case <-time.After(a.x.cfg.VerifyTimeout * 3 / 2):
		case <-ctx.Done():
			return
		}
	}
	if op.Kind == OpLogin || op.Kind == OpLoginLate {
		note = ""
		pt, err := codec.DecryptOpen(a.x.cfg.Accounts[a.i].Key, r.Args[0])
		if err != nil {
			return // a challenge that does not decrypt: the VERIF reply check sees the ERR path
		}
		answer = pt
	}
	if note == noteWrong {
		if w, err := c.send(spec.NewPacket(spec.VERIF, 0, []byte(me), answer), op.Index, note); err == nil {
			c.wait(ctx, w, op.Index)
		}
		return
	}
	if w := a.sendVerif(c, answer, op); w != nil {
		a.waitVerif(ctx, c, w, answer, op)
	}
}

// sendVerif writes the right VERIF; on a TLS connection the call is
// marked with the ID of the token it will issue.
func (a *actor) sendVerif(c *conn, pt []byte, op Op) *pending {
	p := spec.NewPacket(spec.VERIF, 0, []byte(a.name(a.i)), pt)
	var w *pending
	var err error
	if c.tls {
		w, err = c.send(p, op.Index, noteTLS, tokenID(pt))
	} else {
		w, err = c.send(p, op.Index)
	}
	if err != nil {
		return nil
	}
	return w
}

// waitVerif waits for a VERIF's reply and keeps the token it issued.
func (a *actor) waitVerif(ctx context.Context, c *conn, w *pending, pt []byte, op Op) {
	if r := c.wait(ctx, w, op.Index); r != nil && r.Action == spec.OK && c.tls {
		a.token = pt
	}
}

// tlsLogin replaces the slot's connection by a TLS one and logs in with
// the challenge (tls-login, keeping the plaintext as the token) or with
// the latest token (token-login; a challenge login when there is none).
func (a *actor) tlsLogin(ctx context.Context, op Op) {
	if old := a.conns[op.Conn]; old != nil {
		old.close(op.Index)
	}
	a.gen[op.Conn]++
	c, err := a.x.dialOn(ctx, a.i, fmt.Sprintf("a%d.c%d.%d", a.i, op.Conn, a.gen[op.Conn]), op.Index, true)
	a.conns[op.Conn] = c
	if err != nil {
		return
	}
	me := []byte(a.name(a.i))
	if op.Kind == OpTokenLogin && a.token != nil {
		if w, err := c.send(spec.NewPacket(spec.LOGIN, 0, me, a.token), op.Index, noteToken, tokenID(a.token)); err == nil {
			c.wait(ctx, w, op.Index)
		}
		return
	}
	r := c.call(ctx, spec.NewPacket(spec.LOGIN, 0, me), op.Index)
	if r == nil || r.Action != spec.VERIF || len(r.Args) != 1 {
		return
	}
	pt, err := codec.Decrypt(a.x.cfg.Accounts[a.i].Key, r.Args[0])
	if err != nil {
		return
	}
	if w := a.sendVerif(c, pt, op); w != nil {
		a.waitVerif(ctx, c, w, pt, op)
	}
}

// tokenID names a token in the history without writing it there.
func tokenID(tok []byte) string {
	h := sha256.Sum256(tok)
	return hex.EncodeToString(h[:6])
}

// race writes LOGIN on two connections of the actor before reading
// either challenge, then answers both (race-login) or closes the second
// and answers the first (race-close).
func (a *actor) race(ctx context.Context, c *conn, op Op) {
	c2 := a.conn(ctx, (op.Conn+1)%len(a.conns), op.Index)
	if c2 == nil {
		return
	}
	me := []byte(a.name(a.i))
	cs := []*conn{c, c2}
	var ws []*pending
	for _, cn := range cs {
		w, err := cn.send(spec.NewPacket(spec.LOGIN, 0, me), op.Index)
		if err != nil {
			return
		}
		ws = append(ws, w)
	}
	var challenges [][]byte
	for i, cn := range cs {
		r := cn.wait(ctx, ws[i], op.Index)
		if r == nil || r.Action != spec.VERIF || len(r.Args) != 1 {
			challenges = append(challenges, nil)
			continue
		}
		challenges = append(challenges, r.Args[0])
	}
	if op.Kind == OpRaceClose {
		c2.close(op.Index)
		cs, challenges = cs[:1], challenges[:1]
	}
	type verif struct {
		c  *conn
		w  *pending
		pt []byte
	}
	var vs []verif
	for i, cn := range cs {
		if challenges[i] == nil {
			continue
		}
		pt, err := codec.Decrypt(a.x.cfg.Accounts[a.i].Key, challenges[i])
		if err != nil {
			continue
		}
		if w := a.sendVerif(cn, pt, op); w != nil {
			vs = append(vs, verif{cn, w, pt})
		}
	}
	for _, v := range vs {
		a.waitVerif(ctx, v.c, v.w, v.pt, op)
	}
}

// burst writes op.N requests before reading any reply; burst-close then
// closes without reading.
func (a *actor) burst(ctx context.Context, c *conn, op Op) {
	var ws []*pending
	for k := range op.N {
		var p *spec.Packet
		switch k % 4 {
		case 0:
			p = a.msg(op, k)
		case 1:
			p = usrsOnline()
		case 2:
			p = spec.NewPacket(spec.REQ, 0, []byte(a.name(op.Peer)))
		default:
			p = spec.NewPacket(spec.KEEP, 0)
		}
		w, err := c.send(p, op.Index)
		if err != nil {
			break
		}
		ws = append(ws, w)
	}
	if op.Kind == OpBurstClose {
		c.close(op.Index)
		return
	}
	for _, w := range ws {
		c.wait(ctx, w, op.Index)
	}
}
