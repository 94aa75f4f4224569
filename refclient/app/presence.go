package app

import (
	"context"

	"github.com/gochatproto/gochat/refclient/core"
	"github.com/gochatproto/gochat/spec"
)

// trackPresence starts following who is online: a snapshot now, then the
// login and logout hooks the session is subscribed to. It is a hint for
// marking messages as queued for an offline recipient, not a guarantee.
func (s *Session) trackPresence(ctx context.Context) {
	users, err := s.c.Users(ctx, spec.UsrsOnline)
	if err != nil {
		s.cfg.Logger.Debug("online users", "err", err)
		return
	}
	online := make(map[string]bool, len(users))
	for _, u := range users {
		online[u.Name] = true
	}
	s.mu.Lock()
	s.online, s.tracking = online, true
	s.mu.Unlock()
}

// notePresence applies a login or logout hook to the tracked set.
func (s *Session) notePresence(h core.Hook) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.tracking {
		return
	}
	switch h.Kind {
	case spec.HookNewLogin:
		s.online[h.User] = true
	case spec.HookNewLogout:
		delete(s.online, h.User)
	}
}

// IsOnline reports whether user is logged in on the server: from the
// tracked set when the session follows hooks, else by asking the server.
func (s *Session) IsOnline(ctx context.Context, user string) (bool, error) {
	s.mu.Lock()
	tracking, online := s.tracking, s.online[user]
	s.mu.Unlock()
	if tracking {
		return online, nil
	}
	users, err := s.c.Users(ctx, spec.UsrsOnline)
	if err != nil {
		return false, err
	}
	for _, u := range users {
		if u.Name == user {
			return true, nil
		}
	}
	return false, nil
}

// Unsubscribe cancels a hook subscription; without login and logout hooks
// the presence set would go stale, so it stops being tracked.
func (s *Session) Unsubscribe(ctx context.Context, h spec.Hook) error {
	if err := s.c.Unsubscribe(ctx, h); err != nil {
		return err
	}
	if h == spec.HookAll || h == spec.HookNewLogin || h == spec.HookNewLogout {
		s.mu.Lock()
		s.online, s.tracking = nil, false
		s.mu.Unlock()
	}
	return nil
}
