package explore

import (
	"context"
	"fmt"
	"net"
	"sync"

	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/conformance/target"
	"github.com/gochatproto/gochat/spec"
)

// A double is the reference server with one injected concurrency bug,
// put in front of it as a proxy that shares state across connections:
// the proxy sees every connection's requests and replies, so it can
// break exactly where two connections race.
type double struct {
	name string
	// up may rewrite or drop a client request (nil: drop).
	up func(b *bugState, c *pconn, p *spec.Packet) *spec.Packet
	// down may rewrite or drop a server packet (nil: drop).
	down func(b *bugState, c *pconn, p *spec.Packet) *spec.Packet
	// leak keeps the upstream connection open when the client closes
	// while one of its requests is in flight.
	leak bool
}

// bugState is what a double shares across connections.
type bugState struct {
	mu     sync.Mutex
	conns  map[*pconn]bool
	ghosts map[string]bool
	spoil  map[string]bool // connections (key) whose next VERIF is spoiled
	notes  map[string]string
	leaked []net.Conn
}

type pconn struct {
	back     func(p *spec.Packet) // answers the client in the server's place
	name     string
	session  bool              // VERIF answered OK, no LOGOUT since
	pending  bool              // LOGIN answered with a challenge
	inflight map[uint16]string // request ID -> action
}

// loggingIn: another connection (of c's account when sameName) is
// between LOGIN and the reply to its VERIF.
func (b *bugState) loggingIn(c *pconn, sameName bool) bool {
	for o := range b.conns {
		if o != c && (!sameName || o.name == c.name) && (o.pending || o.verifying()) {
			return true
		}
	}
	return false
}

// nameLoggingIn: a connection of the account is between LOGIN and the
// reply to its VERIF.
func (b *bugState) nameLoggingIn(name string) bool {
	for o := range b.conns {
		if o.name == name && (o.pending || o.verifying()) {
			return true
		}
	}
	return false
}

// key names the connection in bugState maps.
func (c *pconn) key() string { return fmt.Sprintf("%p", c) }

func (c *pconn) verifying() bool {
	for _, a := range c.inflight {
		if a == "VERIF" || a == "LOGIN" {
			return true
		}
	}
	return false
}

// doubleTarget wraps the embedded target: every endpoint, shared or
// fresh, gets its own proxy and state.
type doubleTarget struct {
	inner  target.Target
	d      *double
	mu     sync.Mutex
	stops  []func()
	shared *target.Endpoint
}

func (t *doubleTarget) wrap(ep *target.Endpoint) (*target.Endpoint, func()) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	b := &bugState{conns: map[*pconn]bool{}, ghosts: map[string]bool{}, spoil: map[string]bool{}, notes: map[string]string{}}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			cl, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); t.serve(b, cl, ep.Addr) }()
		}
	}()
	out := *ep
	out.Addr = l.Addr().String()
	out.TLSAddr = "" // every connection goes through the double (TLS operations become plain logins)
	return &out, func() {
		_ = l.Close()
		b.mu.Lock()
		for _, c := range b.leaked {
			_ = c.Close()
		}
		b.mu.Unlock()
		wg.Wait()
	}
}

func (t *doubleTarget) serve(b *bugState, cl net.Conn, addr string) {
	up, err := net.Dial("tcp", addr)
	if err != nil {
		_ = cl.Close()
		return
	}
	d := t.inner.Dialect()
	var wmu sync.Mutex
	write := func(p *spec.Packet) error {
		buf, _ := spec.AppendPacket(nil, p, d)
		wmu.Lock()
		defer wmu.Unlock()
		_, err := cl.Write(buf)
		return err
	}
	c := &pconn{inflight: map[uint16]string{}, back: func(p *spec.Packet) { _ = write(p) }}
	b.mu.Lock()
	b.conns[c] = true
	b.mu.Unlock()
	done := make(chan struct{})
	go func() { // server -> client
		defer close(done)
		dec := spec.NewDecoder(up, spec.ClientBound, d)
		var p spec.Packet
		for dec.ReadPacket(&p) == nil {
			b.mu.Lock()
			q := t.downstream(b, c, p.Clone())
			b.mu.Unlock()
			if q != nil && write(q) != nil {
				break
			}
		}
		_ = cl.Close()
	}()
	dec := spec.NewDecoder(cl, spec.ServerBound, d)
	var p spec.Packet
	for dec.ReadPacket(&p) == nil {
		b.mu.Lock()
		q := t.upstream(b, c, p.Clone())
		b.mu.Unlock()
		if q != nil {
			buf, _ := spec.AppendPacket(nil, q, d)
			if _, err := up.Write(buf); err != nil {
				break
			}
		}
	}
	b.mu.Lock()
	delete(b.conns, c)
	leak := t.d.leak && len(c.inflight) > 0
	if leak {
		b.leaked = append(b.leaked, up)
	}
	b.mu.Unlock()
	if !leak {
		_ = up.Close()
	}
	<-done
}

func (t *doubleTarget) upstream(b *bugState, c *pconn, p *spec.Packet) *spec.Packet {
	if p.Action == spec.LOGIN && len(p.Args) > 0 {
		c.name = string(p.Args[0])
	}
	if p.Action != spec.KEEP {
		c.inflight[p.ID] = p.Action.String()
	}
	if p.Action == spec.VERIF {
		c.pending = false
	}
	if t.d.up != nil {
		return t.d.up(b, c, p)
	}
	return p
}

func (t *doubleTarget) downstream(b *bugState, c *pconn, p *spec.Packet) *spec.Packet {
	req := c.inflight[p.ID]
	if p.ID != spec.NullID {
		delete(c.inflight, p.ID)
		if req == "LOGIN" {
			c.pending = p.Action == spec.VERIF
		}
		if req == "VERIF" && p.Action == spec.OK {
			c.session = true
		}
		if req == "LOGOUT" && p.Action == spec.OK {
			c.session = false
		}
	}
	if t.d.down != nil {
		return t.d.down(b, c, p.Clone())
	}
	_ = req
	return p
}

// Shared is one proxy in front of the inner target's shared server, made
// on first use (sharedOnly tests a server the explorer cannot start).
func (t *doubleTarget) Shared() *target.Endpoint {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.shared == nil {
		ep, stop := t.wrap(t.inner.Shared())
		t.shared, t.stops = ep, append(t.stops, stop)
	}
	return t.shared
}
func (t *doubleTarget) CanFresh() bool        { return true }
func (t *doubleTarget) Dialect() spec.Dialect { return t.inner.Dialect() }
func (t *doubleTarget) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range t.stops {
		s()
	}
	return t.inner.Close()
}

func (t *doubleTarget) Fresh(ctx context.Context, sc scenario.ServerConfig) (*target.Endpoint, func(), error) {
	ep, stop, err := t.inner.Fresh(ctx, sc)
	if err != nil {
		return nil, nil, err
	}
	pep, pstop := t.wrap(ep)
	return pep, func() { pstop(); stop() }, nil
}
