// Package backend implements the terminal interface's ui.Backend on
// refclient/app sessions: one session per connected server, keyed by the
// saved server's name.
//
// Goroutines: each session's event pump (owned by app.Session) translates
// its events into ui events and hands them to the Events channel; Quit
// stops every pump by closing every session, and a pump blocked on a full
// channel gives up once Quit has begun.
package backend

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gochatproto/gochat/refclient/app"
	"github.com/gochatproto/gochat/refclient/core"
	"github.com/gochatproto/gochat/refclient/model"
	"github.com/gochatproto/gochat/refclient/store"
	"github.com/gochatproto/gochat/refclient/ui"
	"github.com/gochatproto/gochat/spec"
)

// eventBuffer is the capacity of the Events channel.
const eventBuffer = 1024

// Backend is a ui.Backend. Create it with New.
type Backend struct {
	cfg    app.Config
	events chan ui.Event
	quit   chan struct{}

	mu       sync.Mutex
	sessions map[string]*app.Session
	quitting bool
}

var _ ui.Backend = (*Backend)(nil)

// New returns a backend whose sessions use cfg (cfg.Store is required).
func New(cfg app.Config) *Backend {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Backend{cfg: cfg, events: make(chan ui.Event, eventBuffer),
		quit: make(chan struct{}), sessions: make(map[string]*app.Session)}
}

// Servers lists the saved servers.
func (b *Backend) Servers() []string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	list, err := b.cfg.Store.Servers(ctx)
	if err != nil {
		return nil
	}
	names := make([]string, len(list))
	for i, sv := range list {
		names[i] = sv.Name
	}
	return names
}

// Events delivers the sessions' events. It is never closed.
func (b *Backend) Events() <-chan ui.Event { return b.events }

func (b *Backend) emit(ev ui.Event) {
	select {
	case b.events <- ev:
	case <-b.quit:
	}
}

func (b *Backend) session(server string) (*app.Session, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.sessions[server]
	if s == nil {
		return nil, fmt.Errorf("not connected to %s", server)
	}
	return s, nil
}

// Connect connects to a saved server or to a host:port address, which is
// saved as a server named after it.
func (b *Backend) Connect(ctx context.Context, target string) (string, error) {
	want := store.Server{Dialect: store.Dialect(b.cfg.Dialect.String())}
	sv, err := app.ResolveServer(ctx, b.cfg.Store, target, want)
	if err != nil {
		return "", err
	}
	if _, err := b.session(sv.Name); err == nil {
		return "", fmt.Errorf("already connected to %s", sv.Name)
	}
	s, err := app.Connect(ctx, b.cfg, sv, b.handle)
	if err != nil {
		return "", err
	}
	b.mu.Lock()
	if b.quitting || b.sessions[sv.Name] != nil {
		b.mu.Unlock()
		s.Close()
		return "", fmt.Errorf("already connected to %s", sv.Name)
	}
	b.sessions[sv.Name] = s
	b.mu.Unlock()
	if motd := s.Client().MOTD(); motd != "" {
		b.emit(ui.NoticeEvent{Server: sv.Name, Text: "MOTD: " + motd})
	}
	return sv.Name, nil
}

// drop forgets s if it is still the session of its server.
func (b *Backend) drop(s *app.Session) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if name := s.Server().Name; b.sessions[name] == s {
		delete(b.sessions, name)
	}
}

// Disconnect closes the connection to server.
func (b *Backend) Disconnect(_ context.Context, server string) error {
	s, err := b.session(server)
	if err != nil {
		return err
	}
	b.drop(s)
	return s.Close()
}

// Register registers user with a new key sealed with password (or the key
// of an imported local account of that name, unsealed with password).
func (b *Backend) Register(ctx context.Context, server, user, password string) error {
	s, name, err := b.named(server, user)
	if err != nil {
		return err
	}
	_, err = s.Register(ctx, name, []byte(password))
	return describe(err)
}

func (b *Backend) named(server, user string) (*app.Session, string, error) {
	s, err := b.session(server)
	if err != nil {
		return nil, "", err
	}
	name, err := app.Username(user)
	return s, name, err
}

// Deregister deletes the logged-in account after checking password.
func (b *Backend) Deregister(ctx context.Context, server, password string) error {
	s, err := b.session(server)
	if err != nil {
		return err
	}
	user := s.User()
	if user == "" {
		return app.ErrNotLoggedIn
	}
	if _, err := s.OpenKey(ctx, user, []byte(password)); err != nil {
		return err
	}
	_, err = s.Deregister(ctx)
	return describe(err)
}

// Login logs in, subscribes to every hook and fetches the messages cached
// while the user was offline, as the original client did.
func (b *Backend) Login(ctx context.Context, server, user, password string) error {
	s, name, err := b.named(server, user)
	if err != nil {
		return err
	}
	res, err := s.Login(ctx, name, []byte(password), app.LoginOptions{CatchUp: true, SubscribeAll: true})
	if err != nil && s.User() == name {
		// Logged in; only a follow-up step failed. Say so, but let the
		// interface show the session.
		b.emit(ui.ErrorEvent{Server: server, Text: describe(err).Error()})
		return nil
	}
	if err != nil {
		return describe(err)
	}
	if res.CaughtUp > 0 {
		b.emit(ui.NoticeEvent{Server: server, Text: fmt.Sprintf("%d messages received while you were away.", res.CaughtUp)})
	}
	return nil
}

// Logout ends the session; the connection stays open.
func (b *Backend) Logout(ctx context.Context, server string) error {
	s, err := b.session(server)
	if err != nil {
		return err
	}
	return describe(s.Logout(ctx))
}

// Query fetches and pins user's key unless it is pinned already.
func (b *Backend) Query(ctx context.Context, server, user string) error {
	s, name, err := b.named(server, user)
	if err != nil {
		return err
	}
	_, err = s.ContactKey(ctx, name)
	return describe(err)
}

// Send encrypts, sends and stores a message.
func (b *Backend) Send(ctx context.Context, server, peer, text string) (time.Time, error) {
	s, name, err := b.named(server, peer)
	if err != nil {
		return time.Time{}, err
	}
	at, err := s.Send(ctx, name, text)
	return at, describe(err)
}

// LoadHistory returns stored messages with peer stamped before before.
//
// Protocol stamps are whole seconds, so a before with a fraction of a
// second is the interface's "now" for an empty buffer, not a message's
// stamp: then the newest messages are returned, including those of the
// current second and any a fast peer clock stamped in the future.
func (b *Backend) LoadHistory(ctx context.Context, server, peer string, before time.Time, n int) ([]ui.Message, error) {
	s, name, err := b.named(server, peer)
	if err != nil {
		return nil, err
	}
	var msgs []store.Message
	if before.Nanosecond() != 0 {
		msgs, err = s.History(ctx, name, n)
	} else {
		msgs, err = s.HistoryBefore(ctx, name, before, n)
	}
	if err != nil {
		return nil, err
	}
	out := make([]ui.Message, len(msgs))
	for i, m := range msgs {
		from, at := m.Peer, m.Stamp
		if m.Direction == store.Outgoing {
			from = m.Account
		}
		if at.IsZero() {
			at = m.ReceivedAt
		}
		out[i] = ui.Message{Time: at, From: from, Text: m.Body}
	}
	return out, nil
}

// Users lists the online users, or every registered user.
func (b *Backend) Users(ctx context.Context, server string, all bool) ([]string, error) {
	s, err := b.session(server)
	if err != nil {
		return nil, err
	}
	kind := spec.UsrsOnline
	if all {
		kind = spec.UsrsAll
	}
	list, err := s.Client().Users(ctx, kind)
	if err != nil {
		return nil, describe(err)
	}
	names := make([]string, len(list))
	for i, u := range list {
		names[i] = u.Name
	}
	return names, nil
}

// Subscribe subscribes to a hook (newlogin, newlogout, dupsess, permschg
// or all).
func (b *Backend) Subscribe(ctx context.Context, server, hook string) error {
	return b.hook(ctx, server, hook, true)
}

// Unsubscribe cancels a subscription.
func (b *Backend) Unsubscribe(ctx context.Context, server, hook string) error {
	return b.hook(ctx, server, hook, false)
}

func (b *Backend) hook(ctx context.Context, server, name string, sub bool) error {
	s, err := b.session(server)
	if err != nil {
		return err
	}
	h, err := core.ParseHookName(name)
	if err != nil {
		return err
	}
	if sub {
		return describe(s.Client().Subscribe(ctx, h))
	}
	return describe(s.Client().Unsubscribe(ctx, h))
}

// Admin runs an administrative operation (see app.Session.Admin).
func (b *Backend) Admin(ctx context.Context, server, op string, args []string) error {
	s, err := b.session(server)
	if err != nil {
		return err
	}
	_, err = s.Admin(ctx, op, args)
	var ue *app.UsageError
	if errors.As(err, &ue) {
		return fmt.Errorf("usage: /admin %s", ue.Usage)
	}
	return describe(err)
}

// Trust accepts user's changed public key.
func (b *Backend) Trust(ctx context.Context, server, user string) error {
	s, name, err := b.named(server, user)
	if err != nil {
		return err
	}
	_, _, err = s.Trust(ctx, name)
	return err
}

// Quit closes every connection and waits for their pumps to stop.
func (b *Backend) Quit() error {
	b.mu.Lock()
	if b.quitting {
		b.mu.Unlock()
		return nil
	}
	b.quitting = true
	close(b.quit)
	sessions := b.sessions
	b.sessions = map[string]*app.Session{}
	b.mu.Unlock()
	for _, s := range sessions {
		s.Close()
	}
	return nil
}

// handle runs on a session's pump and translates its events.
func (b *Backend) handle(e app.Event) {
	server := e.Session.Server().Name
	switch ev := e.Core.(type) {
	case core.Message:
		b.message(server, ev, e.StoreErr)
	case core.Hook:
		b.emit(ui.HookEvent{Server: server, Hook: strings.TrimPrefix(ev.Kind.String(), "HOOK_"),
			User: ev.User, Perm: int(ev.Perm), Addr: ev.IP})
	case core.Shutdown:
		b.emit(ui.ShutdownEvent{Server: server, At: ev.At})
	case core.ServerNotice:
		b.emit(ui.ErrorEvent{Server: server, Text: "Server notice: " + ev.Code.String()})
	case core.Disconnected:
		b.mu.Lock()
		ours := b.sessions[server] == e.Session
		b.mu.Unlock()
		b.drop(e.Session)
		if ours { // not asked for by Disconnect or Quit
			text := "Disconnected by the server."
			if ev.Err != nil {
				text = "Disconnected: " + describe(ev.Err).Error()
			}
			b.emit(ui.StatusEvent{Server: server, State: model.Disconnected, Text: text})
		}
	}
}

func (b *Backend) message(server string, m core.Message, storeErr error) {
	if m.DecryptErr != nil {
		b.emit(ui.ErrorEvent{Server: server, Text: fmt.Sprintf("Message from %s cannot be decrypted: %v", m.From, m.DecryptErr)})
		return
	}
	at := m.Stamp
	if m.StampErr != nil {
		at = b.cfg.Now()
	}
	b.emit(ui.MessageEvent{Server: server, Peer: m.From, Message: ui.Message{Time: at, From: m.From, Text: m.Text}})
	if storeErr != nil {
		b.emit(ui.ErrorEvent{Server: server, Text: fmt.Sprintf("Message from %s not saved: %v", m.From, storeErr)})
	}
}

// describe words an error from the core for the user.
func describe(err error) error {
	var se *core.ServerError
	var kc *core.KeyChangedError
	var kp *app.KeyPendingError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		return fmt.Errorf("server replied %s", se.Code)
	case errors.As(err, &kc):
		return fmt.Errorf("%v; check it with %s, then /trust %s", err, kc.User, kc.User)
	case errors.As(err, &kp):
		return fmt.Errorf("%v; check it with %s, then /trust %s", err, kp.User, kp.User)
	}
	return err
}
