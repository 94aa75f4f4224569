package shell

import (
	"context"
	"time"

	"github.com/gochatproto/gochat/refclient/core"
	"github.com/gochatproto/gochat/refclient/store"
)

// pump prints one connection's events. It is the only reader of the
// client's Events channel; syncEvents asks it to handle everything queued
// so far before the next command runs.
type pump struct {
	c    *core.Client
	sync chan chan struct{}
	done chan struct{}
}

func (s *Shell) startPump(c *core.Client) *pump {
	p := &pump{c: c, sync: make(chan chan struct{}), done: make(chan struct{})}
	go s.runPump(p)
	return p
}

func (s *Shell) runPump(p *pump) {
	defer close(p.done)
	events := p.c.Events()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return
			}
			s.handleEvent(p.c, ev)
		case ack := <-p.sync:
			for drained := false; !drained; {
				select {
				case ev, ok := <-events:
					if !ok {
						close(ack)
						return
					}
					s.handleEvent(p.c, ev)
				default:
					drained = true
				}
			}
			close(ack)
		}
	}
}

// syncEvents waits until the pump has handled every event queued now.
func (s *Shell) syncEvents() {
	s.mu.Lock()
	p := s.pump
	s.mu.Unlock()
	if p == nil {
		return
	}
	ack := make(chan struct{})
	select {
	case p.sync <- ack:
		select {
		case <-ack:
		case <-p.done:
		}
	case <-p.done:
	}
}

const clock = "15:04:05"

func (s *Shell) handleEvent(c *core.Client, ev core.Event) {
	switch ev := ev.(type) {
	case core.Message:
		s.handleMessage(ev)
	case core.Hook:
		s.printf("[HOOK] %s", core.FormatHook(ev))
	case core.Shutdown:
		s.printf("[SHTDWN] server shuts down at %s (in %s)", ev.At.Format(time.DateTime),
			ev.At.Sub(s.opts.Now()).Round(time.Second))
	case core.ServerNotice:
		s.printf("[ERR] server notice: %s", ev.Code)
	case core.Disconnected:
		s.mu.Lock()
		if s.client == c {
			s.client, s.user, s.pump, s.last = nil, "", nil, c
		}
		s.mu.Unlock()
		if ev.Err != nil {
			s.printf("[INFO] disconnected: %v", describe(ev.Err))
		}
	}
}

func (s *Shell) handleMessage(m core.Message) {
	stamp := m.Stamp
	if m.StampErr != nil {
		stamp = s.opts.Now()
	}
	if m.DecryptErr != nil {
		s.printf("[MSG] %s %s: <cannot decrypt: %v>", stamp.Format(clock), m.From, m.DecryptErr)
		return
	}
	s.printf("[MSG] %s %s: %s", stamp.Format(clock), m.From, m.Text)
	s.mu.Lock()
	server, user := s.server.Name, s.user
	s.mu.Unlock()
	if user == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _, err := s.st.AddMessage(ctx, store.Message{
		Server: server, Account: user, Peer: m.From, Direction: store.Incoming,
		Stamp: m.Stamp, Body: m.Text,
	})
	if err != nil {
		s.errorf("storing message from %s: %v", m.From, err)
	}
}

// storePinner pins keys in the store for the logged-in account.
type storePinner struct{ s *Shell }

func (p storePinner) Pin(user string, der []byte) (core.PinResult, error) {
	p.s.mu.Lock()
	server, account := p.s.server.Name, p.s.user
	p.s.mu.Unlock()
	if account == "" {
		return core.PinNew, nil // nothing to pin against before LOGIN
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := p.s.st.PinContactKey(ctx, server, account, user, der)
	if err != nil {
		return 0, err
	}
	switch r {
	case store.PinUnchanged:
		return core.PinMatch, nil
	case store.PinChanged:
		return core.PinChanged, nil
	}
	return core.PinNew, nil
}
