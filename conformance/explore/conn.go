package explore

import (
	"context"
	cryptotls "crypto/tls"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gochatproto/gochat/conformance/protoclient"
	"github.com/gochatproto/gochat/spec"
)

// conn is one connection of an actor. Its reader goroutine records every
// packet the server sends and hands replies to the request waiting for
// them, so an actor may write several requests before reading (bursts)
// and pushes are recorded the moment they arrive.
type conn struct {
	x     *executor
	actor int
	label string
	c     *protoclient.Client
	tls   bool // over TLS: a successful VERIF issues the account's token (E-25)

	mu      sync.Mutex
	waiting map[uint16]*pending

	closing atomic.Bool
	done    chan struct{} // closed when the reader stops
}

// pending is a request waiting for its reply.
type pending struct {
	seq int
	ch  chan *spec.Packet // receives the reply; closed if the connection ends first
}

func (x *executor) dial(ctx context.Context, actor int, label string, op int) (*conn, error) {
	return x.dialOn(ctx, actor, label, op, false)
}

// dialOn dials the plain or, with tls, the TLS address.
func (x *executor) dialOn(ctx context.Context, actor int, label string, op int, tls bool) (*conn, error) {
	addr, o := x.cfg.Endpoint.Addr, protoclient.Options{Dialect: x.cfg.Dialect, Timeout: x.cfg.ReplyTimeout}
	if tls {
		addr, o.TLS = x.cfg.Endpoint.TLSAddr, x.cfg.Endpoint.TLSConfig
		if o.TLS == nil { // a server the explorer launched on loopback (--server-cmd): its certificate is its own
			o.TLS = &cryptotls.Config{InsecureSkipVerify: true} //nolint:gosec // loopback server started by the explorer
		}
	}
	c, err := protoclient.Dial(ctx, addr, o)
	if err != nil {
		x.h.add(Event{Kind: EvLost, Actor: actor, Conn: label, Op: op, Note: "dial: " + err.Error()})
		return nil, err
	}
	_ = c.NetConn().SetReadDeadline(time.Time{}) // the reader waits as long as the connection lives
	cn := &conn{x: x, actor: actor, label: label, c: c, tls: tls, waiting: map[uint16]*pending{}, done: make(chan struct{})}
	e := Event{Kind: EvOpen, Actor: actor, Conn: label, Op: op}
	if tls {
		e.Note = noteTLS
	}
	x.h.add(e)
	go cn.read()
	return cn, nil
}

func (cn *conn) read() {
	defer close(cn.done)
	for {
		p, err := cn.c.Read()
		if err != nil {
			if !cn.closing.Load() {
				cn.x.h.add(Event{Kind: EvLost, Actor: cn.actor, Conn: cn.label, Op: -1, Note: err.Error()})
			}
			cn.mu.Lock()
			for id, w := range cn.waiting {
				close(w.ch)
				delete(cn.waiting, id)
			}
			cn.mu.Unlock()
			return
		}
		cn.deliver(p.Clone())
	}
}

func (cn *conn) deliver(p *spec.Packet) {
	e := Event{Actor: cn.actor, Conn: cn.label, Op: -1}
	describe(&e, p)
	if p.ID == spec.NullID {
		e.Kind = EvPush
		cn.x.h.add(e)
		return
	}
	cn.mu.Lock()
	defer cn.mu.Unlock() // recorded under the lock so the reply follows its call in the history
	w, ok := cn.waiting[p.ID]
	if !ok {
		e.Kind, e.Note = EvStray, "no request with this ID is waiting"
		cn.x.h.add(e)
		return
	}
	delete(cn.waiting, p.ID)
	e.Kind, e.Call = EvReply, w.seq
	cn.x.h.add(e)
	w.ch <- p
}

// send writes p with a fresh ID and records the invocation. KEEP gets no
// waiter: it has no reply.
// note, if given, is the call's note and then its Body (a token's ID).
func (cn *conn) send(p *spec.Packet, op int, note ...string) (*pending, error) {
	p.ID = cn.c.NextID()
	buf, err := spec.AppendPacket(nil, p, cn.x.cfg.Dialect)
	if err != nil {
		return nil, err
	}
	e := Event{Kind: EvCall, Actor: cn.actor, Conn: cn.label, Op: op}
	describe(&e, p)
	if len(note) > 0 {
		e.Note = note[0]
	}
	if len(note) > 1 {
		e.Body = note[1]
	}
	var w *pending
	cn.mu.Lock()
	e.Seq = cn.x.h.add(e)
	if p.Action != spec.KEEP {
		w = &pending{seq: e.Seq, ch: make(chan *spec.Packet, 1)}
		cn.waiting[p.ID] = w
	}
	cn.mu.Unlock()
	if err := cn.c.Write(buf); err != nil {
		return w, err
	}
	return w, nil
}

// wait returns the reply of w, or nil when the connection ended first or
// the reply timeout passed (recorded as a no-reply event).
func (cn *conn) wait(ctx context.Context, w *pending, op int) *spec.Packet {
	if w == nil {
		return nil
	}
	t := time.NewTimer(cn.x.cfg.ReplyTimeout)
	defer t.Stop()
	select {
	case p, ok := <-w.ch:
		if ok {
			return p
		}
		return nil
	case <-t.C:
	case <-ctx.Done():
		return nil
	}
	cn.mu.Lock()
	defer cn.mu.Unlock()
	select { // the reply may have raced with the timer
	case p, ok := <-w.ch:
		if ok {
			return p
		}
		return nil
	default:
	}
	for id, x := range cn.waiting {
		if x == w {
			delete(cn.waiting, id)
		}
	}
	if !cn.closing.Load() && !cn.dead() {
		cn.x.h.add(Event{Kind: EvNoResp, Actor: cn.actor, Conn: cn.label, Op: op, Call: w.seq,
			Note: fmt.Sprintf("no reply within %v", cn.x.cfg.ReplyTimeout)})
	}
	return nil
}

// call sends p and waits for its reply.
func (cn *conn) call(ctx context.Context, p *spec.Packet, op int) *spec.Packet {
	w, err := cn.send(p, op)
	if err != nil {
		return nil
	}
	return cn.wait(ctx, w, op)
}

func (cn *conn) dead() bool {
	select {
	case <-cn.done:
		return true
	default:
		return false
	}
}

// close closes the connection abruptly (no LOGOUT) and waits for the
// reader to stop.
func (cn *conn) close(op int) {
	if cn.closing.Swap(true) {
		return
	}
	cn.x.h.add(Event{Kind: EvClose, Actor: cn.actor, Conn: cn.label, Op: op})
	_ = cn.c.Close()
	<-cn.done
}
