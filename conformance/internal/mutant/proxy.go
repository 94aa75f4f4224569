// Package mutant puts deliberately broken behaviour between the runner
// and a correct server, so tests can prove that every scenario is able to
// fail: a proxy that rewrites, drops or injects packets, or refuses to
// close on malformed input.
package mutant

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"time"

	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/conformance/target"
	"github.com/gochatproto/gochat/internal/tlsutil"
	"github.com/gochatproto/gochat/spec"
)

// Mutation changes traffic. Server-to-client packets pass through
// ToClient (return nil to drop, or several packets); client-to-server
// ones through ToServer. NoClose makes the proxy swallow everything after
// the first malformed client packet, so the server never sees it and
// never closes. KeepAlive sends KEEP upstream periodically.
type Mutation struct {
	Name      string
	ToClient  func(p *spec.Packet) []*spec.Packet
	ToServer  func(p *spec.Packet) (up, back []*spec.Packet)
	NoClose   bool
	KeepAlive time.Duration
	// ClientReserved, if non-nil, is written in the Reserved field of
	// every packet to the client (FRAME-3 requires 0xFFFF).
	ClientReserved *uint16
	// Malformed, if set, sees every client packet the strict decoder
	// refuses (before it reaches the server): handled packets are
	// answered with back and not forwarded, so the server never closes.
	Malformed func(h spec.Header, err error) (back []*spec.Packet, handled bool)
	// Everywhere marks a mutation that breaks every packet, so that it
	// kills every scenario through the checks made on each packet: such
	// a kill says nothing about what one scenario tests.
	Everywhere bool
	// CloseAfter, if set, closes the client's connection right after a
	// packet to the client for which it returns true.
	CloseAfter func(p *spec.Packet) bool
}

// Target wraps another target, inserting a proxy in front of every plain
// TCP endpoint (TLS endpoints are left alone).
type Target struct {
	Inner target.Target
	M     *Mutation

	mu      sync.Mutex
	proxies []*proxy
	shared  *target.Endpoint
}

// New starts the proxy for the inner target's shared endpoint.
func New(inner target.Target, m *Mutation) (*Target, error) {
	t := &Target{Inner: inner, M: m}
	ep, err := t.wrap(inner.Shared())
	if err != nil {
		return nil, err
	}
	t.shared = ep
	return t, nil
}

func (t *Target) wrap(in *target.Endpoint) (*target.Endpoint, error) {
	p, err := startProxy(in.Addr, t.M, inner(t.Inner), nil)
	if err != nil {
		return nil, err
	}
	t.add(p)
	ep := *in
	ep.Direct, ep.Addr = in.Addr, p.l.Addr().String()
	if in.TLSAddr != "" {
		// Terminate TLS with a throwaway certificate and re-originate it,
		// so that TLS-only scenarios meet the same mutations.
		cfg, err := tlsutil.SelfSignedTLS()
		if err != nil {
			return nil, err
		}
		tp, err := startProxy(in.TLSAddr, t.M, inner(t.Inner), cfg)
		if err != nil {
			return nil, err
		}
		t.add(tp)
		ep.TLSAddr = tp.l.Addr().String()
	}
	return &ep, nil
}

func (t *Target) add(p *proxy) {
	t.mu.Lock()
	t.proxies = append(t.proxies, p)
	t.mu.Unlock()
}

func inner(t target.Target) spec.Dialect { return t.Dialect() }

// Shared implements target.Target.
func (t *Target) Shared() *target.Endpoint { return t.shared }

// CanFresh implements target.FreshCapable.
func (t *Target) CanFresh() bool {
	fc, ok := t.Inner.(target.FreshCapable)
	return ok && fc.CanFresh()
}

// Fresh implements target.Target.
func (t *Target) Fresh(ctx context.Context, cfg scenario.ServerConfig) (*target.Endpoint, func(), error) {
	in, stop, err := t.Inner.Fresh(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	ep, err := t.wrap(in)
	if err != nil {
		stop()
		return nil, nil, err
	}
	return ep, stop, nil
}

// Dialect implements target.Target.
func (t *Target) Dialect() spec.Dialect { return t.Inner.Dialect() }

// Close stops the proxies (not the inner target).
func (t *Target) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range t.proxies {
		p.close()
	}
	return nil
}

type proxy struct {
	l       net.Listener
	tls     bool // dial upstream with TLS
	up      string
	m       *Mutation
	d       spec.Dialect
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   map[net.Conn]bool
	closing bool
}

func startProxy(up string, m *Mutation, d spec.Dialect, tlsCfg *tls.Config) (*proxy, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if tlsCfg != nil {
		l = tls.NewListener(l, tlsCfg)
	}
	p := &proxy{l: l, tls: tlsCfg != nil, up: up, m: m, d: d, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

func (p *proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closing {
		return false
	}
	p.conns[c] = true
	return true
}

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		var u net.Conn
		if p.tls {
			u, err = tls.Dial("tcp", p.up, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // loopback test proxy
		} else {
			u, err = net.Dial("tcp", p.up)
		}
		if err != nil {
			_ = c.Close()
			continue
		}
		if !p.track(c) || !p.track(u) {
			_ = c.Close()
			_ = u.Close()
			return
		}
		p.wg.Add(1)
		go p.serve(c, u)
	}
}

func (p *proxy) close() {
	_ = p.l.Close()
	p.mu.Lock()
	p.closing = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// serve relays one connection pair until either side ends.
func (p *proxy) serve(c, u net.Conn) {
	defer p.wg.Done()
	var wmu sync.Mutex // serialises writes to c (both directions may answer the client)
	writeC := func(pk *spec.Packet) {
		b := raw(pk)
		if r := p.m.ClientReserved; r != nil {
			binary.BigEndian.PutUint16(b[spec.HeaderSize-2:spec.HeaderSize], *r)
		}
		wmu.Lock()
		_, _ = c.Write(b)
		wmu.Unlock()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.downstream(u, writeC)
		_ = c.Close()
	}()
	stopKeep := make(chan struct{})
	if p.m.KeepAlive > 0 {
		go p.keepAlive(u, stopKeep)
	}
	p.upstream(c, u, writeC)
	close(stopKeep)
	_ = u.Close()
	<-done
}

func (p *proxy) keepAlive(u net.Conn, stop chan struct{}) {
	t := time.NewTicker(p.m.KeepAlive)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			_, _ = u.Write(raw(spec.NewPacket(spec.KEEP, 1)))
		}
	}
}

func (p *proxy) downstream(u net.Conn, writeC func(*spec.Packet)) {
	dec := spec.NewRawDecoder(bufio.NewReader(u), spec.ClientBound, p.d)
	for {
		var pk spec.Packet
		if err := dec.ReadPacket(&pk); err != nil {
			return
		}
		pk.Info = dec.LastHeader().Info
		out := []*spec.Packet{pk.Clone()}
		if p.m.ToClient != nil {
			out = p.m.ToClient(out[0])
		}
		for _, o := range out {
			writeC(o)
			if p.m.CloseAfter != nil && p.m.CloseAfter(o) {
				return
			}
		}
	}
}

func (p *proxy) upstream(c, u net.Conn, writeC func(*spec.Packet)) {
	br := bufio.NewReader(c)
	dec := spec.NewRawDecoder(br, spec.ServerBound, p.d)
	for {
		var pk spec.Packet
		if err := dec.ReadPacket(&pk); err != nil {
			return
		}
		if dec.FramingError() != nil || dec.LastSeparator() != [2]byte{'\r', '\n'} {
			if p.m.Malformed != nil {
				if back, ok := p.m.Malformed(dec.LastHeader(), dec.FramingError()); ok {
					for _, o := range back {
						writeC(o)
					}
					continue
				}
			}
			if p.m.NoClose {
				_, _ = io.Copy(io.Discard, br) // swallow, keep the client waiting
				return
			}
			h := dec.LastHeader().Bytes()
			sep := dec.LastSeparator()
			b := append(append(h[:], sep[:]...), dec.LastPayload()...)
			_, _ = u.Write(b)
			continue
		}
		up := []*spec.Packet{pk.Clone()}
		var back []*spec.Packet
		if p.m.ToServer != nil {
			up, back = p.m.ToServer(up[0])
		}
		for _, o := range up {
			_, _ = u.Write(raw(o))
		}
		for _, o := range back {
			writeC(o)
		}
	}
}

// raw encodes a packet without any checks, so mutations may produce
// illegal headers.
func raw(p *spec.Packet) []byte {
	h := p.Header()
	return spec.AppendRaw(nil, &spec.RawPacket{Header: h, Args: p.Args})
}
