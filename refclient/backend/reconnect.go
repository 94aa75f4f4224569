package backend

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gochatproto/gochat/refclient/app"
	"github.com/gochatproto/gochat/refclient/core"
	"github.com/gochatproto/gochat/refclient/model"
	"github.com/gochatproto/gochat/refclient/ui"
	"github.com/gochatproto/gochat/spec"
)

// A logged-in connection that ends without being asked to (the server
// stopped, the network went away) is restored by itself, as irssi and
// weechat do: the interface keeps its buffers and drafts, the status line
// counts down to the next attempt, and each attempt dials again and logs
// in with the key still in memory (or the reusable token over TLS), then
// subscribes and catches up. The wait doubles up to half a minute; the
// user can try at once with /reconnect or give up with /disconnect.
//
// A null-ID ERR_DISCN is ambiguous: a kicked user and everyone at a
// shutdown get it (ADMIN-11, SHTDWN-5). Without an announced shutdown the
// first attempt only dials: if the server answers at once, it did not
// stop, so the user was kicked, and the client stays connected without
// logging in again until the user asks with /reconnect.

// lostLink is a server whose login is being restored.
type lostLink struct {
	sess *app.Session // the last session, holding the credentials
	wake chan struct{}
	stop chan struct{}
	// again is a session the loop restored that was lost again before the
	// loop ended (guarded by Backend.mu): the loop goes on with it.
	again *app.Session
}

// lostConnection handles the end of a session's connection.
func (b *Backend) lostConnection(s *app.Session, cause error) {
	server := s.Server().Name
	b.mu.Lock()
	ours := b.sessions[server] == s
	if ours {
		delete(b.sessions, server)
	}
	quitting := b.quitting
	b.mu.Unlock()
	if !ours || quitting { // asked for by Disconnect or Quit
		return
	}
	why := app.DisconnectText(cause, s.ShutdownAt(), time.Local)
	if s.User() == "" && !s.CanRelogin() {
		b.emit(ui.StatusEvent{Server: server, State: model.Disconnected, Text: "Disconnected: " + why + "."})
		return
	}
	probe := core.IsCode(cause, spec.CodeDiscn) && s.ShutdownAt().IsZero()
	b.startReconnecting(s, why, probe)
}

// startReconnecting runs the reconnection loop for s's server.
func (b *Backend) startReconnecting(s *app.Session, why string, probe bool) {
	server := s.Server().Name
	l := &lostLink{sess: s, wake: make(chan struct{}, 1), stop: make(chan struct{})}
	b.mu.Lock()
	if old := b.lost[server]; old != nil {
		old.again = s // lost just after its loop restored it
		b.mu.Unlock()
		return
	}
	if b.quitting {
		b.mu.Unlock()
		return
	}
	b.lost[server] = l
	b.wg.Add(1)
	b.mu.Unlock()
	go b.reconnectLoop(server, l, why, probe)
}

// stopReconnecting ends the loop of server, if any, and reports whether
// there was one.
func (b *Backend) stopReconnecting(server string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := b.lost[server]
	if l == nil {
		return false
	}
	delete(b.lost, server)
	close(l.stop)
	return true
}

// Reconnect tries at once: it wakes the loop of a lost connection, logs a
// kicked session in again, or starts over from the last lost session.
func (b *Backend) Reconnect(ctx context.Context, server string) error {
	b.mu.Lock()
	l, live := b.lost[server], b.sessions[server]
	b.mu.Unlock()
	switch {
	case l != nil:
		select {
		case l.wake <- struct{}{}:
		default:
		}
		return nil
	case live != nil && live.User() != "":
		return fmt.Errorf("already connected and logged in to %s", server)
	case live != nil && live.CanRelogin():
		res, err := live.Relogin(ctx, loginOptions)
		if err != nil && live.User() == "" {
			return describe(err)
		}
		b.emit(ui.StatusEvent{Server: server, State: model.LoggedIn, User: live.User(), Text: "Logged in again as " + live.User() + "."})
		if err != nil {
			b.emit(ui.ErrorEvent{Server: server, Text: describe(err).Error()})
		}
		b.afterLogin(server, res)
		return nil
	}
	return fmt.Errorf("no lost login to restore on %s: /connect, then /login", server)
}

// reconnectLoop restores the login of l until it succeeds, fails for a
// reason waiting will not cure, or is stopped.
func (b *Backend) reconnectLoop(server string, l *lostLink, why string, probe bool) {
	defer b.wg.Done()
	defer b.forgetLink(server, l)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // the attempt in progress ends with the loop
		select {
		case <-l.stop:
		case <-b.quit:
		case <-ctx.Done():
		}
		cancel()
	}()
	announced := false
	for attempt := 0; ; attempt++ {
		if attempt > 0 || !probe {
			delay := b.opts.Backoff(attempt)
			text := ""
			if !announced {
				text, announced = "Connection lost: "+why+". Reconnecting...", true
			}
			b.emit(ui.StatusEvent{Server: server, State: model.Reconnecting, Text: text, RetryAt: b.cfg.Now().Add(delay)})
			if !b.wait(ctx, l, delay) {
				return
			}
		}
		ns, err := l.sess.Redial(ctx)
		if err != nil {
			continue
		}
		l.sess = ns
		if probe && attempt == 0 {
			b.kicked(server, ns)
		} else if !b.relogin(ctx, server, ns) {
			continue
		}
		again := b.endLink(server, l)
		if again == nil {
			return
		}
		l.sess, attempt, probe, why, announced = again, -1, false, "lost again", false
	}
}

// endLink ends l's loop unless the session it restored was lost again
// meanwhile; then it returns that session to go on with.
func (b *Backend) endLink(server string, l *lostLink) *app.Session {
	b.mu.Lock()
	defer b.mu.Unlock()
	if again := l.again; again != nil {
		l.again = nil
		return again
	}
	if b.lost[server] == l {
		delete(b.lost, server)
	}
	return nil
}

// wait waits for delay or a wake-up; false means stop.
func (b *Backend) wait(ctx context.Context, l *lostLink, delay time.Duration) bool {
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-l.wake:
	case <-ctx.Done():
		return false
	}
	return true
}

// kicked keeps the fresh connection, not logged in, after a probe found
// the server running.
func (b *Backend) kicked(server string, ns *app.Session) {
	if !b.adopt(ns) {
		ns.Close()
		return
	}
	b.emit(ui.StatusEvent{Server: server, State: model.Connected,
		Text: "Kicked by an admin. Still connected; /reconnect logs in again."})
}

// relogin logs ns in and reports whether the loop is over: logged in, or
// refused for a reason waiting will not cure. A connection that fails
// again is retried.
func (b *Backend) relogin(ctx context.Context, server string, ns *app.Session) bool {
	if !b.adopt(ns) {
		ns.Close()
		return true
	}
	res, err := ns.Relogin(ctx, loginOptions)
	var se *core.ServerError
	switch {
	case err == nil || ns.User() != "":
		b.emit(ui.StatusEvent{Server: server, State: model.LoggedIn, User: ns.User(), Text: "Reconnected; logged in as " + ns.User() + "."})
		if err != nil {
			b.emit(ui.ErrorEvent{Server: server, Text: describe(err).Error()})
		}
		b.afterLogin(server, res)
		return true
	case errors.As(err, &se):
		b.emit(ui.StatusEvent{Server: server, State: model.Connected,
			Text: "Reconnected, but logging in again failed: " + app.Explain(err) + ". Use /login."})
		return true
	}
	b.drop(ns) // the new connection failed too: try again
	ns.Close()
	return false
}

// forgetLink removes l when its loop ends.
func (b *Backend) forgetLink(server string, l *lostLink) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.lost[server] == l {
		delete(b.lost, server)
	}
}
