package explore

import (
	"context"
	"crypto/rsa"
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
	x := &executor{cfg: cfg, h: newHistory()}
	out := &Outcome{Plan: cfg.Plan}
	if cfg.Registered {
	} else if err := x.register(ctx); err != nil {
		out.Setup = fmt.Errorf("%w: %v", errSetup, err)
		return out
	}
	start := time.Now()
	actors := x.runActors(ctx)
	out.Elapsed = time.Since(start)
	x.quiesce(ctx, actors)
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

// actor owns its connections; only its goroutine touches them.
type actor struct {
	x     *executor
	i     int
	conns []*conn
	gen   []int
}

func (x *executor) runActors(ctx context.Context) []*actor {
	if x.cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, x.cfg.Duration)
		defer cancel()
	}
	stopProgress := x.progress()
	defer stopProgress()
	actors := make([]*actor, x.cfg.Plan.Actors)
	var wg sync.WaitGroup
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
	c := a.conn(ctx, op.Conn, op.Index)
	if c == nil {
		return
	}
	switch op.Kind {
	case OpLogin, OpLoginWrong, OpLoginHalf, OpLoginClose:
		a.login(ctx, c, op)
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
	if op.Kind == OpLogin {
		note = ""
		pt, err := codec.DecryptOpen(a.x.cfg.Accounts[a.i].Key, r.Args[0])
		if err != nil {
			return // a challenge that does not decrypt: the VERIF reply check sees the ERR path
		}
		answer = pt
	}
	if w, err := c.send(spec.NewPacket(spec.VERIF, 0, []byte(me), answer), op.Index, note); err == nil {
		c.wait(ctx, w, op.Index)
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
