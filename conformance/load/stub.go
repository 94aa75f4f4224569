package load

import (
	"crypto/rsa"
	"errors"
	"net"
	"sync"

	"github.com/gochatproto/gochat/spec"
)

// Stub is a trivial gochat server for measuring the generator itself: it
// accepts every REG, logs in anyone who answers a fixed challenge, relays
// MSG as RECIV to the named user if online and answers OK, and has no
// storage (RECIV gets ERR_EMPTY). Replies are written in batches whenever
// a connection's input is drained, so the stub costs as little per
// message as a server can. It is not a conforming server.
type Stub struct {
	ln net.Listener
	d  spec.Dialect
	wg sync.WaitGroup

	mu     sync.Mutex
	keys   map[string]*rsa.PublicKey
	online map[string]*stubConn
	conns  map[*stubConn]struct{}
	closed bool
}

// stubChallenge is the fixed plaintext of every stub login.
var stubChallenge = []byte("stub-challenge")

type stubConn struct {
	nc   net.Conn
	mu   sync.Mutex
	out  []byte
	name string
}

// StartStub listens on addr (use "127.0.0.1:0") and serves until Close.
func StartStub(addr string, d spec.Dialect) (*Stub, error) {
	if err := CheckAddr(addr, false); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Stub{ln: ln, d: d, keys: map[string]*rsa.PublicKey{}, online: map[string]*stubConn{}, conns: map[*stubConn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is the listening address.
func (s *Stub) Addr() string { return s.ln.Addr().String() }

// Close stops listening, closes every connection and waits for them.
func (s *Stub) Close() error {
	err := s.ln.Close()
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

func (s *Stub) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		c := &stubConn{nc: nc}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(c)
	}
}

func (s *Stub) serve(c *stubConn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		if c.name != "" && s.online[c.name] == c {
			delete(s.online, c.name)
		}
		s.mu.Unlock()
		c.nc.Close()
	}()
	c.queue(spec.NewPacket(spec.HELLO, 0, nil), s.d)
	if c.flush() != nil {
		return
	}
	dec := spec.NewDecoder(c.nc, spec.ServerBound, s.d)
	var p spec.Packet
	touched := map[*stubConn]struct{}{}
	for {
		if err := dec.ReadPacket(&p); err != nil {
			return
		}
		s.handle(c, &p, touched)
		if dec.Buffered() > 0 {
			continue // more input already here: answer it in the same write
		}
		for t := range touched {
			_ = t.flush()
			delete(touched, t)
		}
		if c.flush() != nil {
			return
		}
	}
}

func (s *Stub) handle(c *stubConn, p *spec.Packet, touched map[*stubConn]struct{}) {
	reply := func(a spec.Action, info uint8, args ...[]byte) {
		c.queue(&spec.Packet{Action: a, Info: info, ID: p.ID, Args: args}, s.d)
	}
	ok := func() { reply(spec.OK, spec.EmptyInfo) }
	fail := func(code spec.ErrCode) { reply(spec.ERR, uint8(code)) }
	switch p.Action {
	case spec.REG:
		pub, err := spec.ParsePublicKey(p.Args[1])
		if err != nil {
			fail(spec.CodeArgs)
			return
		}
		s.mu.Lock()
		s.keys[string(p.Args[0])] = pub
		s.mu.Unlock()
		ok()
	case spec.LOGIN:
		s.mu.Lock()
		pub := s.keys[string(p.Args[0])]
		s.mu.Unlock()
		if pub == nil {
			fail(spec.CodeNotFound)
			return
		}
		ct, err := spec.Encrypt(pub, stubChallenge)
		if err != nil {
			fail(spec.CodeServer)
			return
		}
		reply(spec.VERIF, spec.EmptyInfo, ct)
	case spec.VERIF:
		c.name = string(p.Args[0])
		s.mu.Lock()
		s.online[c.name] = c
		s.mu.Unlock()
		ok()
	case spec.LOGOUT, spec.DEREG:
		s.mu.Lock()
		if s.online[c.name] == c {
			delete(s.online, c.name)
		}
		s.mu.Unlock()
		c.name = ""
		ok()
	case spec.MSG:
		s.mu.Lock()
		to := s.online[string(p.Args[0])]
		s.mu.Unlock()
		if to != nil {
			to.queue(spec.NewPacket(spec.RECIV, 0, []byte(c.name), p.Args[1], p.Args[2]), s.d)
			touched[to] = struct{}{}
		}
		ok()
	case spec.RECIV:
		fail(spec.CodeEmpty)
	case spec.KEEP:
	default:
		fail(spec.CodeInvalid)
	}
}

func (c *stubConn) queue(p *spec.Packet, d spec.Dialect) {
	c.mu.Lock()
	c.out, _ = spec.AppendPacket(c.out, p, d)
	c.mu.Unlock()
}

var errStubClosed = errors.New("stub: closed")

func (c *stubConn) flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.out) == 0 {
		return nil
	}
	_, err := c.nc.Write(c.out)
	c.out = c.out[:0]
	if err != nil {
		return errStubClosed
	}
	return nil
}
