package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gochatproto/gochat/refclient/model"
	"github.com/gochatproto/gochat/refclient/split"
)

// fakeBackend records calls and answers from canned data.
type fakeBackend struct {
	events chan Event

	mu      sync.Mutex
	servers []string
	calls   []string
	users   []string
	all     []string
	history map[string][]Message // by peer
	stamp   time.Time
	nextID  int64            // of sent messages, after any history
	failOn  map[string]error // by method name
	quit    bool
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{
		events:  make(chan Event, 2000),
		servers: []string{"home"},
		history: map[string][]Message{},
		failOn:  map[string]error{},
		stamp:   time.Date(2026, 1, 2, 10, 5, 0, 0, time.UTC),
		nextID:  1000,
	}
}

func (f *fakeBackend) record(method string, args ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	parts := []string{method}
	for _, a := range args {
		parts = append(parts, fmt.Sprint(a))
	}
	f.calls = append(f.calls, strings.Join(parts, " "))
	return f.failOn[method]
}

// Calls returns the calls so far, one string each.
func (f *fakeBackend) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeBackend) Servers() []string    { return f.servers }
func (f *fakeBackend) Events() <-chan Event { return f.events }

func (f *fakeBackend) Connect(_ context.Context, target string, opts []string) (string, error) {
	if len(opts) > 0 {
		return target, f.record("Connect", target, strings.Join(opts, " "))
	}
	return target, f.record("Connect", target)
}
func (f *fakeBackend) Disconnect(_ context.Context, server string) error {
	return f.record("Disconnect", server)
}
func (f *fakeBackend) Reconnect(_ context.Context, server string) error {
	return f.record("Reconnect", server)
}
func (f *fakeBackend) AddServer(_ context.Context, name, addr string, opts []string) error {
	return f.record("AddServer", name, addr, strings.Join(opts, " "))
}
func (f *fakeBackend) DeleteServer(_ context.Context, name string) error {
	return f.record("DeleteServer", name)
}
func (f *fakeBackend) Register(_ context.Context, server, user, password string) error {
	return f.record("Register", server, user, password)
}
func (f *fakeBackend) Deregister(_ context.Context, server, password string) error {
	return f.record("Deregister", server, password)
}
func (f *fakeBackend) Login(_ context.Context, server, user, password string) error {
	return f.record("Login", server, user, password)
}
func (f *fakeBackend) Logout(_ context.Context, server string) error {
	return f.record("Logout", server)
}
func (f *fakeBackend) Query(_ context.Context, server, user string) error {
	return f.record("Query", server, user)
}

// Send splits as the real backend does and calls the peer offline unless
// it is in the online list.
func (f *fakeBackend) Send(_ context.Context, server, peer, text string) (SendResult, error) {
	if err := f.record("Send", server, peer, text); err != nil {
		return SendResult{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	res := SendResult{Queued: !slices.Contains(f.users, peer)}
	pieces, _ := split.Message(text, model.MaxMessageBytes)
	for _, p := range pieces {
		f.nextID++
		res.Parts = append(res.Parts, Message{Time: f.stamp, Text: p, ID: f.nextID})
	}
	return res, nil
}

// LoadHistory pages f.history[peer] by ID; messages without one are
// numbered from 1 in order.
func (f *fakeBackend) LoadHistory(_ context.Context, server, peer string, before int64, n int) ([]Message, error) {
	err := f.record("LoadHistory", server, peer, n)
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Message
	for i, m := range f.history[peer] {
		if m.ID == 0 {
			m.ID = int64(i + 1)
		}
		if before == 0 || m.ID < before {
			out = append(out, m)
		}
	}
	return out[max(len(out)-n, 0):], err
}
func (f *fakeBackend) Users(_ context.Context, server string, all bool) ([]string, error) {
	if all {
		return f.all, f.record("Users", server, "all")
	}
	return f.users, f.record("Users", server, "online")
}
func (f *fakeBackend) Subscribe(_ context.Context, server, hook string) error {
	return f.record("Subscribe", server, hook)
}
func (f *fakeBackend) Unsubscribe(_ context.Context, server, hook string) error {
	return f.record("Unsubscribe", server, hook)
}
func (f *fakeBackend) Admin(_ context.Context, server, op string, args []string) error {
	return f.record("Admin", server, op, strings.Join(args, "|"))
}
func (f *fakeBackend) Trust(_ context.Context, server, user string) error {
	return f.record("Trust", server, user)
}
func (f *fakeBackend) Quit() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.quit = true
	return nil
}

var _ Backend = (*fakeBackend)(nil)
