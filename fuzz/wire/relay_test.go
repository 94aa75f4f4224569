package wire

import (
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// relay is what every proxy double of these tests shares: it listens, dials
// the target for each accepted connection and runs the double's two copy
// functions, one per direction. up copies the client's bytes to the server
// (dst is the server side) and down the server's to the client; the side a
// function writes to is closed when it returns. The double's own state may
// use mu, which also guards the connection list.
type relay struct {
	ln       net.Listener
	target   string
	up, down func(dst, src net.Conn)
	mu       sync.Mutex
	dropped  bool
	conns    []net.Conn
	wg       sync.WaitGroup
}

// listenRelay listens on addr; the double sets up and down and calls start.
func listenRelay(addr, target string) (*relay, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &relay{ln: ln, target: target, up: copyAll, down: copyAll}, nil
}

// newRelay is listenRelay on a loopback port for a test, with up and down
// set, started, and stopped by the test's cleanup.
func newRelay(t testing.TB, target string, up, down func(dst, src net.Conn)) *relay {
	r, err := listenRelay("127.0.0.1:0", target)
	require.NoError(t, err)
	r.up, r.down = up, down
	r.start()
	t.Cleanup(r.close)
	return r
}

func (r *relay) addr() string { return r.ln.Addr().String() }

func (r *relay) start() {
	r.wg.Add(1)
	go r.accept()
}

// drop stops listening and closes every connection: the in-process
// equivalent of a server process dying.
func (r *relay) drop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dropped = true
	r.ln.Close()
	for _, c := range r.conns {
		c.Close()
	}
}

// close drops everything and waits for the relay's goroutines.
func (r *relay) close() {
	r.drop()
	r.wg.Wait()
}

func (r *relay) accept() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", r.target)
		if err != nil {
			c.Close()
			continue
		}
		r.mu.Lock()
		if r.dropped {
			r.mu.Unlock()
			c.Close()
			up.Close()
			return
		}
		r.conns = append(r.conns, c, up)
		r.mu.Unlock()
		r.wg.Add(2)
		go func() { defer r.wg.Done(); defer up.Close(); r.up(up, c) }()
		go func() { defer r.wg.Done(); defer c.Close(); r.down(c, up) }()
	}
}

// copyAll copies src to dst until either fails.
func copyAll(dst, src net.Conn) {
	buf := make([]byte, 4096)
	for {
		n, err := src.Read(buf)
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
