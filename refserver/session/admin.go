package session

import (
	"context"
	"errors"

	"github.com/gochatproto/gochat/refserver/hub"
	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/spec"
)

// subscribe is SUB with the hook in Info (E-36).
func (s *Session) subscribe(ctx context.Context, r *request) error {
	hook := spec.Hook(r.Info)
	if !hook.Valid() {
		return fail(spec.CodeOption)
	}
	if err := s.hub.Subscribe(s.member, hook); err != nil {
		return fail(spec.CodeExists)
	}
	return s.ok(ctx, r)
}

// unsubscribe is UNSUB with the hook in Info (E-36).
func (s *Session) unsubscribe(ctx context.Context, r *request) error {
	hook := spec.Hook(r.Info)
	if !hook.Valid() {
		return fail(spec.CodeOption)
	}
	if err := s.hub.Unsubscribe(s.member, hook); err != nil {
		return fail(spec.CodeNotFound)
	}
	return s.ok(ctx, r)
}

// minLevel is the permission matrix of E-31.
var minLevel = [...]uint8{
	spec.AdminShtdwn:   store.PermAdmin,
	spec.AdminDereg:    store.PermAdmin,
	spec.AdminBrdcast:  store.PermAdmin,
	spec.AdminChgPerms: store.PermOwner,
	spec.AdminKick:     store.PermAdmin,
	spec.AdminMotd:     store.PermOwner,
}

// broadcastPrefix starts every ADMIN_BRDCAST plaintext (E-33).
const broadcastPrefix = "ADMINISTRATIVE BROADCAST:\n"

// admin is ADMIN with the operation in Info. Checks run in the order of
// E-31: operation, arguments, requester level, then target rules.
func (s *Session) admin(ctx context.Context, r *request) error {
	op := spec.AdminOp(r.Info)
	if !op.Valid() {
		return fail(spec.CodeOption)
	}
	if err := s.checkAdminArgs(op, r.Args); err != nil {
		return err
	}
	level := s.hub.Perm(s.member)
	if level < minLevel[op] {
		return fail(spec.CodePerms)
	}
	var err error
	switch op {
	case spec.AdminShtdwn:
		err = s.adminShutdown(r.Args[0])
	case spec.AdminDereg:
		err = s.adminDereg(ctx, level, r.Args[0])
	case spec.AdminBrdcast:
		err = s.adminBroadcast(ctx, r.Args[0])
	case spec.AdminChgPerms:
		err = s.adminChgPerms(ctx, level, r.Args[0], r.Args[1][0])
	case spec.AdminKick:
		err = s.adminKick(level, r.Args[0])
	case spec.AdminMotd:
		err = s.hub.SetMOTD(ctx, string(r.Args[0]))
	}
	if err != nil {
		return err
	}
	s.log.Info("admin", "op", op, "user", s.member.Name)
	return s.ok(ctx, r)
}

// checkAdminArgs validates argument contents; the decoder already checked
// the count against the operation's schema.
func (s *Session) checkAdminArgs(op spec.AdminOp, args [][]byte) error {
	switch op {
	case spec.AdminShtdwn:
		at, err := s.cfg.Dialect.ParseTimestamp(args[0])
		if err != nil || !at.After(s.hub.Now()) {
			return fail(spec.CodeArgs)
		}
	case spec.AdminDereg, spec.AdminKick:
		if _, err := username(args[0]); err != nil {
			return err
		}
	case spec.AdminChgPerms:
		if _, err := username(args[0]); err != nil {
			return err
		}
		// Any byte is a level (E-14); one at or above the requester's is
		// a permission failure, judged after the level check (PERM-7).
		if len(args[1]) != 1 {
			return fail(spec.CodeArgs)
		}
	case spec.AdminBrdcast:
		// 4096-bit keys take at most 446 bytes of OAEP-SHA256 plaintext.
		if len(broadcastPrefix)+len(args[0]) > 446 {
			return fail(spec.CodeArgs)
		}
	}
	return nil
}

func (s *Session) adminShutdown(arg []byte) error {
	at, _ := s.cfg.Dialect.ParseTimestamp(arg)
	if err := s.hub.ScheduleShutdown(at); err != nil {
		return fail(spec.CodeArgs)
	}
	return nil
}

// adminDereg deregisters a lower-ranked user and disconnects it with
// ERR_DEREG if online (E-34). A deregistered target is OK.
func (s *Session) adminDereg(ctx context.Context, level uint8, arg []byte) error {
	name, _ := username(arg)
	u, err := s.st.UserByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return fail(spec.CodeNotFound)
	} else if err != nil {
		return err
	}
	if u.Perm >= level {
		return fail(spec.CodePerms)
	}
	if u.Deregistered {
		return nil
	}
	if err := s.st.Deregister(ctx, name); err != nil {
		return err
	}
	s.hub.DropToken(name)
	s.hub.Disconnect(name, spec.CodeDereg)
	return nil
}

// adminKick disconnects a lower-ranked online user with ERR_DISCN (E-34).
func (s *Session) adminKick(level uint8, arg []byte) error {
	name, _ := username(arg)
	perm, ok := s.hub.OnlinePerm(name)
	if !ok {
		return fail(spec.CodeNotFound)
	}
	if perm >= level {
		return fail(spec.CodePerms)
	}
	s.hub.Disconnect(name, spec.CodeDiscn)
	return nil
}

// adminChgPerms sets a lower-ranked user's level below the requester's
// (E-31) and raises HOOK_PERMSCHG (E-36).
func (s *Session) adminChgPerms(ctx context.Context, level uint8, arg []byte, to uint8) error {
	name, _ := username(arg)
	u, err := s.liveUser(ctx, name)
	if err != nil {
		return err
	}
	if to >= level || u.Perm >= level {
		return fail(spec.CodePerms)
	}
	if u.Perm == to {
		return fail(spec.CodeInvalid)
	}
	if err := s.st.SetPerm(ctx, name, to); err != nil {
		return err
	}
	s.hub.PermChanged(name, to)
	return nil
}

// adminBroadcast sends every other online user a RECIV from the requester
// whose ciphertext is the prefixed message encrypted to that user's key
// (E-33). It needs TLS because the message arrives in clear.
func (s *Session) adminBroadcast(ctx context.Context, msg []byte) error {
	if !s.conn.Secure() {
		return fail(spec.CodeNoSecure)
	}
	plain := append([]byte(broadcastPrefix), msg...)
	stamp := s.cfg.Dialect.AppendTimestamp(nil, s.hub.Now())
	for _, m := range s.hub.Members() {
		if m == s.member {
			continue
		}
		if err := s.broadcastTo(ctx, m, plain, stamp); err != nil {
			s.log.Warn("broadcast", "to", m.Name, "err", err)
		}
	}
	return nil
}

func (s *Session) broadcastTo(ctx context.Context, m *hub.Member, plain, stamp []byte) error {
	u, err := s.st.UserByName(ctx, m.Name)
	if err != nil {
		return err
	}
	pub, err := spec.ParsePublicKey(u.Key)
	if err != nil {
		return err
	}
	ct, err := spec.Encrypt(pub, plain)
	if err != nil {
		return err
	}
	m.Peer.Send(spec.NewPacket(spec.RECIV, spec.NullID, []byte(s.member.Name), stamp, ct))
	return nil
}
