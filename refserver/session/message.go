package session

import (
	"context"

	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/spec"
)

// requestUser is REQ <username>: the key in the server's dialect and the
// level as one raw byte (E-14).
func (s *Session) requestUser(ctx context.Context, r *request) error {
	name, err := username(r.Args[0])
	if err != nil {
		return err
	}
	u, err := s.liveUser(ctx, name)
	if err != nil {
		return err
	}
	pub, err := spec.ParsePublicKey(u.Key)
	if err != nil {
		return fail(spec.CodeCorrupted)
	}
	key, err := s.cfg.Dialect.MarshalPublicKey(pub)
	if err != nil {
		return fail(spec.CodeCorrupted)
	}
	return s.reply(ctx, spec.NewPacket(spec.REQ, r.ID, []byte(u.Name), key, []byte{u.Perm}))
}

// listUsers is USRS with the list kind in Info (E-30).
func (s *Session) listUsers(ctx context.Context, r *request) error {
	kind := spec.UsrsKind(r.Info)
	if !kind.Valid() {
		return fail(spec.CodeOption)
	}
	var users []store.UserSummary
	if kind == spec.UsrsOnline || kind == spec.UsrsOnlinePerms {
		users = s.hub.Online()
	} else {
		var err error
		if users, err = s.st.ListUsers(ctx); err != nil {
			return err
		}
	}
	if len(users) == 0 {
		return fail(spec.CodeEmpty)
	}
	entries := make([]spec.UserEntry, len(users))
	for i, u := range users {
		entries[i] = spec.UserEntry{Name: u.Name, Perm: u.Perm, HasPerm: kind.WithPerms()}
	}
	max := s.cfg.Dialect.MaxArgSize()
	frags := spec.FormatUserList(entries, kind.WithPerms(), max)
	if len(frags) > spec.MaxArgs {
		return fail(spec.CodePacket)
	}
	p := spec.NewPacket(spec.USRS, r.ID, frags...)
	if _, err := spec.MarshalPacket(p, s.cfg.Dialect); err != nil {
		return fail(spec.CodePacket)
	}
	return s.reply(ctx, p)
}

// message is MSG <username> <stamp> <ciphertext> (E-27, E-29). OK means the
// RECIV was written to the recipient's socket or the message is stored.
func (s *Session) message(ctx context.Context, r *request) error {
	to, err := username(r.Args[0])
	if err != nil {
		return err
	}
	stamp, err := s.cfg.Dialect.ParseTimestamp(r.Args[1])
	if err != nil || len(r.Args[2]) == 0 {
		return fail(spec.CodeArgs)
	}
	from := s.member.Name
	if to == from {
		return fail(spec.CodeInvalid)
	}
	body := r.Args[2]
	if m := s.hub.Lookup(to); m != nil {
		if err := s.hold(r.ID, m, from, stamp, body); err != nil {
			return err
		}
	} else {
		s.holdOffline(r.ID, to, from, stamp, body)
	}
	if s.held.full() {
		return s.Flush(ctx)
	}
	return nil
}
