package server

import (
	"container/list"
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// gate admits connections up to a limit; extra ones wait in FIFO order
// without HELLO (and before any TLS handshake) until a slot frees (E-38).
type gate struct {
	max int // 0 = unlimited

	mu      sync.Mutex
	active  int
	waiters list.List // of *waiter
}

type waiter struct {
	ready   chan struct{}
	granted bool // guarded by gate.mu
}

// acquire waits for a slot. While waiting it watches nc for a hang-up; a
// byte the client sends meanwhile is returned so it can be replayed.
func (g *gate) acquire(ctx context.Context, nc net.Conn) ([]byte, error) {
	g.mu.Lock()
	if g.max <= 0 || (g.active < g.max && g.waiters.Len() == 0) {
		g.active++
		g.mu.Unlock()
		return nil, nil
	}
	w := &waiter{ready: make(chan struct{})}
	elem := g.waiters.PushBack(w)
	g.mu.Unlock()

	var buf [1]byte
	var n int
	hung := make(chan error, 1)
	go func() {
		var err error
		n, err = nc.Read(buf[:])
		hung <- err
	}()
	watching := true
	for {
		var hungC <-chan error
		if watching {
			hungC = hung
		}
		select {
		case <-w.ready:
			if watching {
				// Interrupt the watcher and take whatever it read.
				_ = nc.SetReadDeadline(time.Unix(1, 0))
				<-hung
				_ = nc.SetReadDeadline(time.Time{})
			}
			return buf[:n], nil
		case err := <-hungC:
			watching = false
			if n == 1 {
				continue // the client is talking early; keep its byte
			}
			g.leave(elem, w)
			return nil, err
		case <-ctx.Done():
			_ = nc.Close()
			if watching {
				<-hung
			}
			g.leave(elem, w)
			return nil, ctx.Err()
		}
	}
}

// leave removes a waiter that gave up, passing on a slot it was granted
// in the meantime.
func (g *gate) leave(elem *list.Element, w *waiter) {
	g.mu.Lock()
	granted := w.granted
	if !granted {
		g.waiters.Remove(elem)
	}
	g.mu.Unlock()
	if granted {
		g.release()
	}
}

// release frees a slot, handing it straight to the oldest waiter.
func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if front := g.waiters.Front(); front != nil {
		w := g.waiters.Remove(front).(*waiter)
		w.granted = true
		close(w.ready)
		return
	}
	g.active--
}

// prefixConn replays bytes read during admission before reading on.
type prefixConn struct {
	net.Conn
	pre []byte
}

func (c *prefixConn) Read(b []byte) (int, error) {
	if len(c.pre) > 0 {
		n := copy(b, c.pre)
		c.pre = c.pre[n:]
		return n, nil
	}
	return c.Conn.Read(b)
}

// CloseWrite half-closes the underlying connection if it supports it.
func (c *prefixConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}
