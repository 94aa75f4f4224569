package session

import (
	"context"
	"errors"

	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/spec"
)

// catchUpBatch bounds how many queued messages one round of a catch-up
// holds in memory; catchUpRounds bounds the rounds, so a sender who keeps
// queueing cannot hold the connection in RECIV forever.
const (
	catchUpBatch  = 256
	catchUpRounds = 64
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
		if s.held.full() {
			return s.Flush(ctx)
		}
		return nil
	}
	if err := s.Flush(ctx); err != nil {
		return err
	}
	msg := store.Message{From: from, To: to, Stamp: stamp, Body: append([]byte(nil), body...)}
	if err := s.store(ctx, msg); err != nil {
		return err
	}
	return s.ok(ctx, r)
}

// store queues a message for a recipient who is offline or whose live
// delivery failed; the recipient must still be a live account.
func (s *Session) store(ctx context.Context, msg store.Message) error {
	if _, err := s.liveUser(ctx, msg.To); err != nil {
		return err
	}
	if _, err := s.st.QueueMessage(ctx, msg); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fail(spec.CodeNotFound)
		}
		return err
	}
	s.cfg.Observer.MessageStored()
	return nil
}

// catchUp is RECIV from the client (E-28): OK, then every queued message
// as a null-ID RECIV in stamp order; each batch is deleted only after its
// last packet was written, and only the ids that were sent.
func (s *Session) catchUp(ctx context.Context, r *request) error {
	name := s.member.Name
	msgs, err := s.st.PendingMessages(ctx, name, catchUpBatch)
	if err != nil {
		return err
	}
	if len(msgs) == 0 {
		return fail(spec.CodeEmpty)
	}
	if err := s.ok(ctx, r); err != nil {
		return err
	}
	sent := 0
	defer func() { s.cfg.Observer.CaughtUp(sent) }()
	for round := 0; len(msgs) > 0 && round < catchUpRounds; round++ {
		if err := s.sendBatch(ctx, msgs); err != nil {
			return err
		}
		sent += len(msgs)
		if len(msgs) < catchUpBatch {
			return nil
		}
		if msgs, err = s.st.PendingMessages(ctx, name, catchUpBatch); err != nil {
			s.log.Error("catch-up", "user", name, "err", err)
			return nil // OK was already sent; nothing else to say
		}
	}
	return nil
}

// sendBatch writes msgs as RECIVs in one Deliver, which returns once they
// were written, and only then deletes them.
func (s *Session) sendBatch(ctx context.Context, msgs []store.Message) error {
	ids := make([]int64, len(msgs))
	var buf []byte
	for i, m := range msgs {
		ids[i] = m.ID
		p := spec.NewPacket(spec.RECIV, spec.NullID, []byte(m.From), s.cfg.Dialect.AppendTimestamp(nil, m.Stamp), m.Body)
		var err error
		if buf, err = spec.AppendPacket(buf, p, s.cfg.Dialect); err != nil {
			return err
		}
	}
	if err := s.conn.Deliver(ctx, buf); err != nil {
		return ErrClosed
	}
	if err := s.st.DeleteMessages(ctx, s.member.Name, ids); err != nil {
		s.log.Error("catch-up delete", "user", s.member.Name, "err", err)
	}
	return nil
}
