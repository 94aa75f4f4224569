package session

import (
	"context"
	"errors"

	"github.com/gochatproto/gochat/refserver/hub"
	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/spec"
)

// register is REG <username> <key> (E-16..E-20).
func (s *Session) register(ctx context.Context, r *request) error {
	name, err := username(r.Args[0])
	if err != nil {
		return err
	}
	pub, err := spec.ParsePublicKey(r.Args[1])
	if err != nil || spec.CheckKeySize(pub) != nil {
		return fail(spec.CodeArgs)
	}
	der, err := spec.CanonicalKey(r.Args[1])
	if err != nil {
		return fail(spec.CodeArgs)
	}
	_, err = s.st.CreateUser(ctx, name, der, store.PermUser)
	switch {
	case errors.Is(err, store.ErrNameTaken), errors.Is(err, store.ErrKeyTaken):
		return fail(spec.CodeExists)
	case errors.Is(err, store.ErrNameDangling):
		return fail(spec.CodeDereg)
	case err != nil:
		return err
	}
	s.log.Info("registered", "user", name)
	return s.ok(ctx, r)
}

// login is LOGIN <username> [token]: a challenge encrypted to the stored
// key (answered by VERIF with the LOGIN's ID), or a reusable token over
// TLS (E-24, E-25).
func (s *Session) login(ctx context.Context, r *request) error {
	name, err := username(r.Args[0])
	if err != nil {
		return err
	}
	u, err := s.liveUser(ctx, name)
	if err != nil {
		return err
	}
	if err := s.hub.CheckDup(name, s.conn); err != nil {
		return fail(spec.CodeDupSess)
	}
	if len(r.Args) == 2 {
		return s.tokenLogin(ctx, r, u, r.Args[1])
	}
	pub, err := spec.ParsePublicKey(u.Key)
	if err != nil {
		return fail(spec.CodeCorrupted)
	}
	challenge, err := spec.NewChallenge()
	if err != nil {
		return err
	}
	ct, err := spec.Encrypt(pub, challenge)
	if err != nil {
		return fail(spec.CodeCorrupted)
	}
	if err := s.hub.BeginVerify(s, name, challenge); err != nil {
		return fail(spec.CodeLogin)
	}
	return s.reply(ctx, spec.NewPacket(spec.VERIF, r.ID, ct))
}

func (s *Session) tokenLogin(ctx context.Context, r *request, u store.User, tok []byte) error {
	if !s.conn.Secure() {
		return fail(spec.CodeNoSecure)
	}
	switch err := s.hub.CheckToken(u.Name, tok); {
	case errors.Is(err, hub.ErrNotFound):
		return fail(spec.CodeNotFound)
	case err != nil:
		return fail(spec.CodeHandshake)
	}
	s.hub.CancelVerify(s)
	return s.enter(ctx, r, u, nil)
}

// verify is VERIF <username> <plaintext> (E-21): checked against this
// connection's pending verification only.
func (s *Session) verify(ctx context.Context, r *request) error {
	name, err := username(r.Args[0])
	if err != nil {
		return err
	}
	p, err := s.hub.TakeVerify(s)
	if err != nil {
		return fail(spec.CodeInvalid)
	}
	if name != p.Name || !spec.TokenEqual(r.Args[1], p.Challenge) {
		return fail(spec.CodeHandshake)
	}
	u, err := s.liveUser(ctx, name)
	if err != nil {
		return err
	}
	var token []byte
	if s.conn.Secure() {
		token = p.Challenge
	}
	return s.enter(ctx, r, u, token)
}

// enter binds the user to this connection and answers OK, followed by the
// shutdown notice if one is scheduled (E-32). A token (TLS VERIF) is
// issued only once the login succeeded and before the OK, so a refused
// VERIF never replaces the winner's token and the client may use it as
// soon as it reads the OK (E-25).
func (s *Session) enter(ctx context.Context, r *request, u store.User, token []byte) error {
	m, err := s.hub.Login(u.Name, u.Perm, s.conn)
	if err != nil {
		return fail(spec.CodeDupSess)
	}
	if token != nil {
		s.hub.IssueToken(u.Name, token)
	}
	s.member = m
	s.log.Info("login", "user", u.Name, "ip", s.conn.RemoteIP())
	ok := spec.NewPacket(spec.OK, r.ID)
	if p := s.hub.ShutdownNotice(); p != nil {
		return s.reply(ctx, ok, p) // right after the OK (E-32)
	}
	return s.reply(ctx, ok)
}

// logout is LOGOUT: ends the session (the connection stays open, E-23) or
// cancels a pending verification (E-22).
func (s *Session) logout(ctx context.Context, r *request) error {
	if s.member != nil {
		s.hub.Logout(s.member)
		s.member = nil
	} else if !s.hub.CancelVerify(s) {
		return fail(spec.CodeNoSess)
	}
	return s.ok(ctx, r)
}

// deregister is DEREG: the name dangles for good, the key is released and
// the session ends with the connection open (E-20, E-23).
func (s *Session) deregister(ctx context.Context, r *request) error {
	name := s.member.Name
	if err := s.st.Deregister(ctx, name); err != nil {
		return err
	}
	s.hub.DropToken(name)
	s.hub.Logout(s.member)
	s.member = nil
	s.log.Info("deregistered", "user", name)
	return s.ok(ctx, r)
}
