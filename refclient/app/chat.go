package app

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/gochatproto/gochat/refclient/split"
	"github.com/gochatproto/gochat/refclient/store"
	"github.com/gochatproto/gochat/spec"
)

// KeyPendingError means the server reported a key for User that differs
// from the pinned one; nothing is sent to User until the user accepts the
// new key (Trust).
type KeyPendingError struct {
	User        string
	Fingerprint string // of the new, unaccepted key
}

func (e *KeyPendingError) Error() string {
	return fmt.Sprintf("the server now reports a different key for %s (%s)", e.User, e.Fingerprint)
}

// ContactKey returns the pinned key of user, asking the server (and so
// pinning it) the first time. A pending key change is a *KeyPendingError.
func (s *Session) ContactKey(ctx context.Context, user string) (*rsa.PublicKey, error) {
	account, err := s.account()
	if err != nil {
		return nil, err
	}
	ct, err := s.st.Contact(ctx, s.server.Name, account, user)
	if errors.Is(err, store.ErrNotFound) {
		pub, _, _, err := s.c.RequestKey(ctx, user)
		return pub, err
	}
	if err != nil {
		return nil, err
	}
	if ct.Pending != nil {
		return nil, &KeyPendingError{User: user, Fingerprint: ct.Pending.Fingerprint}
	}
	k, err := x509.ParsePKIXPublicKey(ct.PublicKey)
	if err != nil {
		return nil, err
	}
	pub, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("pinned key is not RSA")
	}
	return pub, nil
}

// RequestKey asks the server for user's key (pinning it on first use) and
// records the permission level it reports.
func (s *Session) RequestKey(ctx context.Context, user string) (fingerprint string, perm uint8, err error) {
	account, err := s.account()
	if err != nil {
		return "", 0, err
	}
	pub, _, perm, err := s.c.RequestKey(ctx, user)
	if err != nil {
		return "", perm, err
	}
	if err := s.st.SetContactPermission(ctx, s.server.Name, account, user, perm); err != nil {
		s.cfg.Logger.Debug("recording permission", "err", err)
	}
	return spec.Fingerprint(pub), perm, nil
}

// SentPart is one MSG of a sent message.
type SentPart struct {
	Text  string
	Stamp time.Time // whole seconds, as sent and stored
	ID    int64     // its stored row (0 if storing failed)
}

// SendResult describes a send.
type SendResult struct {
	// Parts are the MSGs sent, in order: one unless the text was longer
	// than one RSA block holds (SplitMessage).
	Parts []SentPart
	// Unsent is the text not sent because a part failed, "" if none.
	Unsent string
	// Queued says the recipient was offline: the server holds the
	// message until they log in.
	Queued bool
}

// Send encrypts text to the pinned key of to, sends it and stores it.
// Text longer than one RSA block holds is split at word boundaries into
// several MSGs, each encrypted separately (split.Message, E-55). If a part fails, the
// parts before it stay sent and the rest is returned in Unsent with the
// error.
func (s *Session) Send(ctx context.Context, to, text string) (SendResult, error) {
	var res SendResult
	account, err := s.account()
	if err != nil {
		return res, err
	}
	pub, err := s.ContactKey(ctx, to)
	if err != nil {
		return res, err
	}
	if online, err := s.IsOnline(ctx, to); err == nil {
		res.Queued = !online
	}
	pieces, starts := split.Message(text, spec.MaxPlaintext(pub))
	for i, piece := range pieces {
		at := s.cfg.Now().Truncate(time.Second)
		if err := s.c.SendMessage(ctx, to, pub, piece, at); err != nil {
			res.Unsent = text[starts[i]:]
			return res, err
		}
		id, _, err := s.st.AddMessage(ctx, store.Message{
			Server: s.server.Name, Account: account, Peer: to, Direction: store.Outgoing,
			Stamp: at, Body: piece, Queued: res.Queued,
		})
		res.Parts = append(res.Parts, SentPart{Text: piece, Stamp: at, ID: id})
		if err != nil {
			if i+1 < len(pieces) {
				res.Unsent = text[starts[i+1]:]
			}
			return res, fmt.Errorf("sent, but not saved locally: %w", err)
		}
	}
	return res, nil
}

// History returns up to n stored messages with peer older than the row
// before (0: the newest), oldest first. Paging by row, not by stamp, keeps
// messages of the same second apart.
func (s *Session) History(ctx context.Context, peer string, before int64, n int) ([]store.Message, error) {
	account, err := s.account()
	if err != nil {
		return nil, err
	}
	return s.st.History(ctx, s.server.Name, account, peer, before, n)
}

// ErrNoKeyChange means Trust found no pending key change.
var ErrNoKeyChange = errors.New("no key change pending")

// Trust accepts the key change recorded for user and returns the old and
// new fingerprints.
func (s *Session) Trust(ctx context.Context, user string) (old, accepted string, err error) {
	account, err := s.account()
	if err != nil {
		return "", "", err
	}
	ct, err := s.st.Contact(ctx, s.server.Name, account, user)
	if err != nil {
		return "", "", fmt.Errorf("contact %s: %w", user, err)
	}
	if ct.Pending == nil {
		return ct.Fingerprint, "", fmt.Errorf("%w for %s (pinned key %s)", ErrNoKeyChange, user, ct.Fingerprint)
	}
	if err := s.st.AcceptKeyChange(ctx, s.server.Name, account, user, ct.Pending.Fingerprint); err != nil {
		return "", "", err
	}
	return ct.Fingerprint, ct.Pending.Fingerprint, nil
}
