package app

import (
	"context"
	"time"

	"github.com/gochatproto/gochat/refclient/core"
	"github.com/gochatproto/gochat/refclient/store"
	"github.com/gochatproto/gochat/spec"
)

// pump is the session's only reader of the connection's events. Sync asks
// it to handle everything queued so far.
func (s *Session) pump() {
	defer close(s.done)
	events := s.c.Events()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return
			}
			s.handleEvent(ev)
		case ack := <-s.sync:
			s.drain(events, ack)
		}
	}
}

func (s *Session) drain(events <-chan core.Event, ack chan struct{}) {
	defer close(ack)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return
			}
			s.handleEvent(ev)
		default:
			return
		}
	}
}

// Sync waits until the pump has handled every event queued now, so a
// line interface can print them before its next command.
func (s *Session) Sync() {
	ack := make(chan struct{})
	select {
	case s.sync <- ack:
		select {
		case <-ack:
		case <-s.done:
		}
	case <-s.done:
	}
}

func (s *Session) handleEvent(ev core.Event) {
	e := Event{Session: s, Core: ev}
	switch ev := ev.(type) {
	case core.Message:
		if ev.DecryptErr != nil {
			e.Kept, e.StoreErr = s.keepMessage(ev)
		} else {
			e.StoredID, e.StoreErr = s.storeIncoming(ev)
		}
	case core.Undecodable:
		if m, ok := s.decodeKept(ev.Raw); ok {
			e.Core = m // the other dialect reads it: an ordinary message
			e.StoredID, e.StoreErr = s.storeIncoming(m)
			break
		}
		e.Kept, e.StoreErr = s.keepRaw(ev.Raw, ev.Err.Error())
	case core.Hook:
		s.notePresence(ev)
	case core.Shutdown:
		s.mu.Lock()
		s.shutdownAt = ev.At
		s.mu.Unlock()
	case core.DialectSwitched:
		e.StoreErr = s.rememberDialect(ev.Dialect)
	}
	s.handle(e)
}

// storeIncoming saves a decrypted message for the logged-in account and
// returns its row (that of the stored copy for a redelivery).
func (s *Session) storeIncoming(m core.Message) (int64, error) {
	user := s.User()
	if user == "" {
		return 0, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id, _, err := s.st.AddMessage(ctx, store.Message{
		Server: s.server.Name, Account: user, Peer: m.From, Direction: store.Incoming,
		Stamp: m.Stamp, Body: m.Text, Ciphertext: m.Ciphertext,
	})
	return id, err
}

// rememberDialect saves the dialect the client switched to for this
// server, so the next connection starts in it (E-53).
func (s *Session) rememberDialect(d spec.Dialect) error {
	s.mu.Lock()
	s.server.Dialect = store.Dialect(d.String())
	sv := s.server
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.st.UpdateServer(ctx, sv)
}

// storePinner pins keys in the store for the logged-in account.
type storePinner struct{ s *Session }

func (p storePinner) Pin(user string, der []byte) (core.PinResult, error) {
	account := p.s.User()
	if account == "" {
		return core.PinNew, nil // nothing to pin against before LOGIN
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := p.s.st.PinContactKey(ctx, p.s.server.Name, account, user, der)
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
