package wire

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/spec"
)

// regCounter forwards to a server and counts the REG packets clients send.
type regCounter struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	regs   int
	conns  []net.Conn
	wg     sync.WaitGroup
}

func newRegCounter(t testing.TB, target string) *regCounter {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &regCounter{ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		p.ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *regCounter) addr() string { return p.ln.Addr().String() }

func (p *regCounter) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.regs
}

func (p *regCounter) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		p.wg.Add(2)
		go func() { defer p.wg.Done(); defer c.Close(); copyAll(c, up) }()
		go func() { defer p.wg.Done(); defer up.Close(); p.forward(up, c) }()
	}
}

// forward copies a client's packets (whole frames, as protoclient writes
// them) and counts the REGs among them.
func (p *regCounter) forward(dst, src net.Conn) {
	var pending []byte
	buf := make([]byte, 4096)
	for {
		n, err := src.Read(buf)
		pending = append(pending, buf[:n]...)
		for len(pending) >= unitSize {
			size := unitSize + int(spec.ParseHeader(pending).Len)
			if len(pending) < size {
				break
			}
			if spec.ParseHeader(pending).Action == spec.REG {
				p.mu.Lock()
				p.regs++
				p.mu.Unlock()
			}
			pending = pending[size:]
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// TestProvisionOncePerDatabase: the run's accounts are registered on the
// first server only; attaching again to a server whose database knows
// them sends no REG, and a server with an empty database gets each account
// exactly once.
func TestProvisionOncePerDatabase(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d := spec.DialectSpec
	cfg := &FuzzConfig{Dialect: d, Seed: 5}
	cfg.defaults()
	first := newRegCounter(t, startRef(t, d))
	ra, err := provisionRun(ctx, cfg, first.addr())
	require.NoError(t, err)
	require.Equal(t, 3, first.count(), "three accounts on the first server")

	for range 2 { // as after a finding, or a restart that kept the database
		e, err := newEnv(ctx, cfg, first.addr(), ra)
		require.NoError(t, err)
		e.close()
		assert.Equal(t, 3, first.count(), "no REG on a database that knows the accounts")
	}

	empty := newRegCounter(t, startRef(t, d))
	for range 2 {
		e, err := newEnv(ctx, cfg, empty.addr(), ra)
		require.NoError(t, err)
		e.close()
	}
	assert.Equal(t, 3, empty.count(), "each account once on an empty database")
}

// TestVictimReplacedAfterDereg: in admin mode a case may deregister the
// victim; attaching again (after a finding or a restart that kept the
// database) registers a new victim with a key the run has not used, and
// never the deregistered one's key again (E-20 is not relied on).
func TestVictimReplacedAfterDereg(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d := spec.DialectSpec
	addr, root := startRefAdmin(t, d, "fzroot")
	cfg := &FuzzConfig{Dialect: d, Seed: 6, Admin: root}
	cfg.defaults()
	ra, err := provisionRun(ctx, cfg, addr)
	require.NoError(t, err)
	old := *ra.victim

	c, err := dial(ctx, addr, d, cfg.slow())
	require.NoError(t, err)
	defer c.close()
	require.NoError(t, c.login(ctx, *root, cfg.slow()))
	c.SetTimeout(cfg.slow())
	require.NoError(t, c.Do(&spec.Packet{Action: spec.ADMIN, Info: uint8(spec.AdminDereg), Args: [][]byte{[]byte(old.Name)}}))

	e, err := newEnv(ctx, cfg, addr, ra)
	require.NoError(t, err)
	defer e.close()
	require.NotEqual(t, old.Name, ra.victim.Name)
	assert.NotSame(t, old.Key, ra.victim.Key, "a new key, not the deregistered account's")
	assert.Equal(t, ra.victim.Name, e.roles.victim)
}
