package app

import (
	"context"
	"time"

	"github.com/gochatproto/gochat/refclient/core"
	"github.com/gochatproto/gochat/refclient/store"
	"github.com/gochatproto/gochat/spec"
)

// A message the server delivered exists nowhere else: the server forgot
// it when it wrote it. So a pushed RECIV the client cannot read (split in
// the wrong dialect, encrypted for another key) is kept byte for byte in
// the store and retried at each login, when the dialect and the key are
// known; nothing received is dropped.

// keepRaw stores an undecodable packet for the logged-in account.
func (s *Session) keepRaw(raw []byte, reason string) (bool, error) {
	user := s.User()
	if user == "" {
		user = s.credentials().User
	}
	if user == "" {
		return false, nil // nobody to keep it for: a RECIV before any login
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := s.st.AddUndecoded(ctx, store.Undecoded{Server: s.server.Name, Account: user, Raw: raw, Reason: reason})
	return err == nil, err
}

// keepMessage keeps a message whose text could not be decrypted.
func (s *Session) keepMessage(m core.Message) (bool, error) {
	raw, err := core.EncodeRECIV(m, s.c.Dialect())
	if err != nil {
		return false, err
	}
	return s.keepRaw(raw, "cannot decrypt: "+m.DecryptErr.Error())
}

// decodeKept reads a kept packet in either dialect, the one spoken now
// first, with the logged-in key.
func (s *Session) decodeKept(raw []byte) (core.Message, bool) {
	s.mu.Lock()
	key := s.key
	s.mu.Unlock()
	if key == nil {
		return core.Message{}, false
	}
	d := s.c.Dialect()
	for _, try := range []spec.Dialect{d, otherDialect(d)} {
		if m, err := core.DecodeRECIV(raw, try, key); err == nil {
			return m, true
		}
	}
	return core.Message{}, false
}

func otherDialect(d spec.Dialect) spec.Dialect {
	if d == spec.DialectGochat1 {
		return spec.DialectSpec
	}
	return spec.DialectGochat1
}

// retryKept reads the packets kept for the logged-in account, stores the
// messages it can now read and forgets their raw copies. It returns them.
func (s *Session) retryKept(ctx context.Context) []core.Message {
	user := s.User()
	kept, err := s.st.UndecodedPackets(ctx, s.server.Name, user)
	if err != nil {
		s.cfg.Logger.Debug("listing kept packets", "err", err)
		return nil
	}
	var out []core.Message
	for _, u := range kept {
		m, ok := s.decodeKept(u.Raw)
		if !ok {
			continue
		}
		if _, err := s.storeIncoming(m); err != nil {
			s.cfg.Logger.Debug("storing a recovered message", "err", err)
			continue
		}
		if err := s.st.DeleteUndecoded(ctx, u.ID); err != nil {
			s.cfg.Logger.Debug("forgetting a recovered packet", "err", err)
		}
		out = append(out, m)
	}
	return out
}
