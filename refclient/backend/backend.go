// Package backend implements the terminal interface's ui.Backend on
// refclient/app sessions: one session per connected server, keyed by the
// saved server's name.
//
// Goroutines: each session's event pump (owned by app.Session) translates
// its events into ui events and hands them to the Events channel; a lost
// logged-in connection starts a reconnection loop for its server (see
// reconnect.go). Quit stops the loops, then every pump by closing every
// session; a pump or loop blocked on a full channel gives up once Quit has
// begun.
package backend

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/gochatproto/gochat/refclient/app"
	"github.com/gochatproto/gochat/refclient/core"
	"github.com/gochatproto/gochat/refclient/store"
	"github.com/gochatproto/gochat/refclient/ui"
	"github.com/gochatproto/gochat/spec"
)

// eventBuffer is the capacity of the Events channel.
const eventBuffer = 1024

// Options tune a Backend; the zero value is usable.
type Options struct {
	// Backoff is the wait before reconnection attempt n (0, 1, ...);
	// default DefaultBackoff.
	Backoff func(attempt int) time.Duration
}

// DefaultBackoff doubles the wait from one second up to half a minute,
// with a fifth of jitter so clients a restart cut off do not come back in
// step.
func DefaultBackoff(attempt int) time.Duration {
	d := 30 * time.Second
	if attempt < 5 {
		d = time.Second << attempt
	}
	return d - time.Duration(rand.Int64N(int64(d/5)))
}

// Backend is a ui.Backend. Create it with New.
type Backend struct {
	cfg    app.Config
	opts   Options
	events chan ui.Event
	quit   chan struct{}
	wg     sync.WaitGroup // reconnection loops

	mu       sync.Mutex
	sessions map[string]*app.Session // live connections
	lost     map[string]*lostLink    // lost logins being restored
	quitting bool
}

var _ ui.Backend = (*Backend)(nil)

// New returns a backend whose sessions use cfg (cfg.Store is required).
func New(cfg app.Config, opts Options) *Backend {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if opts.Backoff == nil {
		opts.Backoff = DefaultBackoff
	}
	return &Backend{cfg: cfg, opts: opts, events: make(chan ui.Event, eventBuffer),
		quit: make(chan struct{}), sessions: make(map[string]*app.Session),
		lost: make(map[string]*lostLink)}
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

// Connect connects to a saved server or to an address ("[tls:]host[:port]"
// with options -tls, -insecure, -dialect), which is saved as a server
// named after it. A reconnection in progress for that server is dropped.
func (b *Backend) Connect(ctx context.Context, target string, options []string) (string, error) {
	want := store.Server{Dialect: store.Dialect(b.cfg.Dialect.String()), TLS: strings.HasPrefix(target, "tls:")}
	if err := app.ParseServerOptions(&want, options); err != nil {
		return "", err
	}
	sv, err := app.ResolveServer(ctx, b.cfg.Store, target, want)
	if err != nil {
		return "", err
	}
	if _, err := b.session(sv.Name); err == nil {
		return "", fmt.Errorf("already connected to %s", sv.Name)
	}
	b.stopReconnecting(sv.Name)
	s, err := app.Connect(ctx, b.cfg, sv, b.handle)
	if err != nil {
		return "", errors.New(app.Explain(err))
	}
	if !b.adopt(s) {
		s.Close()
		return "", fmt.Errorf("already connected to %s", sv.Name)
	}
	if motd := s.Client().MOTD(); motd != "" {
		b.emit(ui.NoticeEvent{Server: sv.Name, Text: "MOTD: " + motd})
	}
	return sv.Name, nil
}

// adopt makes s the live session of its server unless there is one.
func (b *Backend) adopt(s *app.Session) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	name := s.Server().Name
	if b.quitting || b.sessions[name] != nil {
		return false
	}
	b.sessions[name] = s
	return true
}

// drop forgets s if it is still the session of its server.
func (b *Backend) drop(s *app.Session) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if name := s.Server().Name; b.sessions[name] == s {
		delete(b.sessions, name)
	}
}

// Disconnect closes the connection to server, or stops reconnecting to it.
func (b *Backend) Disconnect(_ context.Context, server string) error {
	stopped := b.stopReconnecting(server)
	s, err := b.session(server)
	if err != nil {
		if stopped {
			return nil
		}
		return err
	}
	b.drop(s)
	return s.Close()
}

// AddServer saves a named server.
func (b *Backend) AddServer(ctx context.Context, name, address string, options []string) error {
	sv := store.Server{Name: name, Dialect: store.Dialect(b.cfg.Dialect.String())}
	if err := app.ParseServerOptions(&sv, options); err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		host, port = address, app.DefaultPort
		if sv.TLS {
			port = app.DefaultTLSPort
		}
	}
	if sv.Address, err = app.HostPort(host, port); err != nil {
		return err
	}
	return b.cfg.Store.AddServer(ctx, sv)
}

// DeleteServer forgets a saved server with its local accounts and history.
func (b *Backend) DeleteServer(ctx context.Context, name string) error {
	if _, err := b.session(name); err == nil {
		return fmt.Errorf("disconnect from %s first", name)
	}
	b.stopReconnecting(name)
	return b.cfg.Store.DeleteServer(ctx, name)
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

// loginOptions are the original client's: every hook, and the messages
// cached while the user was offline.
var loginOptions = app.LoginOptions{CatchUp: true, SubscribeAll: true}

// Login logs in, subscribes to every hook and fetches the messages cached
// while the user was offline, as the original client did.
func (b *Backend) Login(ctx context.Context, server, user, password string) error {
	s, name, err := b.named(server, user)
	if err != nil {
		return err
	}
	res, err := s.Login(ctx, name, []byte(password), loginOptions)
	if err != nil && s.User() == name {
		// Logged in; only a follow-up step failed. Say so, but let the
		// interface show the session.
		b.emit(ui.ErrorEvent{Server: server, Text: describe(err).Error()})
		return nil
	}
	if err != nil {
		return describe(err)
	}
	b.afterLogin(server, res)
	return nil
}

// afterLogin reports what a login brought: cached and recovered messages.
func (b *Backend) afterLogin(server string, res app.LoginResult) {
	for _, m := range res.Recovered {
		b.emit(ui.MessageEvent{Server: server, Peer: m.From, Message: ui.Message{Time: m.Stamp, From: m.From, Text: m.Text}})
	}
	if n := len(res.Recovered); n > 0 {
		b.emit(ui.NoticeEvent{Server: server, Text: fmt.Sprintf("%d kept messages could be read at last.", n)})
	}
	if res.CaughtUp > 0 {
		b.emit(ui.NoticeEvent{Server: server, Text: fmt.Sprintf("%d messages received while you were away.", res.CaughtUp)})
	}
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

// Send encrypts, sends and stores a message, split if it is too long.
func (b *Backend) Send(ctx context.Context, server, peer, text string) (ui.SendResult, error) {
	s, name, err := b.named(server, peer)
	if err != nil {
		return ui.SendResult{}, err
	}
	res, err := s.Send(ctx, name, text)
	out := ui.SendResult{Unsent: res.Unsent, Queued: res.Queued}
	for _, p := range res.Parts {
		out.Parts = append(out.Parts, ui.Message{Time: p.Stamp, From: s.User(), Text: p.Text, ID: p.ID, Queued: res.Queued})
	}
	return out, describe(err)
}

// LoadHistory returns up to n stored messages with peer older than the
// stored message before (0: the newest).
func (b *Backend) LoadHistory(ctx context.Context, server, peer string, before int64, n int) ([]ui.Message, error) {
	s, name, err := b.named(server, peer)
	if err != nil {
		return nil, err
	}
	msgs, err := s.History(ctx, name, before, n)
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
		out[i] = ui.Message{Time: at, From: from, Text: m.Body, ID: m.ID, Queued: m.Queued}
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
	return describe(s.Unsubscribe(ctx, h))
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

// Quit stops reconnecting, closes every connection and waits for the
// loops and pumps to stop.
func (b *Backend) Quit() error {
	b.mu.Lock()
	if b.quitting {
		b.mu.Unlock()
		return nil
	}
	b.quitting = true
	close(b.quit)
	b.mu.Unlock()
	b.wg.Wait() // no loop adopts a session after this
	b.mu.Lock()
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
		b.message(server, ev, e)
	case core.Undecodable:
		b.kept(server, e, "A message arrived that this client cannot read: "+ev.Err.Error())
	case core.Hook:
		b.emit(ui.HookEvent{Server: server, Hook: strings.TrimPrefix(ev.Kind.String(), "HOOK_"),
			User: ev.User, Perm: int(ev.Perm), Addr: ev.IP})
	case core.Shutdown:
		b.emit(ui.ShutdownEvent{Server: server, At: ev.At})
	case core.ServerNotice:
		if ev.Code != spec.CodeDiscn && ev.Code != spec.CodeIdle { // the disconnection says those
			b.emit(ui.ErrorEvent{Server: server, Text: "Server notice: " + app.ServerErrorText(&core.ServerError{Code: ev.Code})})
		}
	case core.DialectSwitched:
		text := fmt.Sprintf("This server speaks the %s dialect (%s): switched to it, and saved it for %s. (-dialect %s, or /connect ... -dialect %s, chooses it up front.)",
			ev.Dialect, ev.Evidence, server, ev.Dialect, ev.Dialect)
		if e.StoreErr != nil {
			text += " Saving it failed: " + e.StoreErr.Error()
		}
		b.emit(ui.NoticeEvent{Server: server, Text: text})
	case core.Disconnected:
		b.lostConnection(e.Session, ev.Err)
	}
}

func (b *Backend) message(server string, m core.Message, e app.Event) {
	if m.DecryptErr != nil {
		b.kept(server, e, fmt.Sprintf("A message from %s cannot be decrypted (%v)", m.From, m.DecryptErr))
		return
	}
	at := m.Stamp
	if m.StampErr != nil {
		at = b.cfg.Now()
	}
	b.emit(ui.MessageEvent{Server: server, Peer: m.From, Message: ui.Message{Time: at, From: m.From, Text: m.Text, ID: e.StoredID}})
	if e.StoreErr != nil {
		b.emit(ui.ErrorEvent{Server: server, Text: fmt.Sprintf("Message from %s not saved: %v", m.From, e.StoreErr)})
	}
}

// kept reports a message that could not be read, and whether it was kept.
func (b *Backend) kept(server string, e app.Event, what string) {
	switch {
	case e.Kept:
		what += "; it is kept and will be read again at your next login."
	case e.StoreErr != nil:
		what += "; keeping it failed: " + e.StoreErr.Error()
	}
	b.emit(ui.ErrorEvent{Server: server, Text: what})
}

// describe words an error from a session for the user.
func describe(err error) error {
	var kc *core.KeyChangedError
	var kp *app.KeyPendingError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &kc):
		return fmt.Errorf("%v; check it with %s, then /trust %s", err, kc.User, kc.User)
	case errors.As(err, &kp):
		return fmt.Errorf("%v; check it with %s, then /trust %s", err, kp.User, kp.User)
	}
	return errors.New(app.Explain(err))
}
