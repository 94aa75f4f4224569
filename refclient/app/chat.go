package app

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

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

// Send encrypts text to the pinned key of to, sends it and stores it.
// It returns the stamp sent and stored (whole seconds).
func (s *Session) Send(ctx context.Context, to, text string) (time.Time, error) {
	account, err := s.account()
	if err != nil {
		return time.Time{}, err
	}
	pub, err := s.ContactKey(ctx, to)
	if err != nil {
		return time.Time{}, err
	}
	at := s.cfg.Now().Truncate(time.Second)
	if err := s.c.SendMessage(ctx, to, pub, text, at); err != nil {
		return at, err
	}
	if _, _, err := s.st.AddMessage(ctx, store.Message{
		Server: s.server.Name, Account: account, Peer: to, Direction: store.Outgoing, Stamp: at, Body: text,
	}); err != nil {
		return at, fmt.Errorf("sent, but not saved locally: %w", err)
	}
	return at, nil
}

// History returns the last n stored messages with peer, oldest first.
func (s *Session) History(ctx context.Context, peer string, n int) ([]store.Message, error) {
	account, err := s.account()
	if err != nil {
		return nil, err
	}
	return s.st.History(ctx, s.server.Name, account, peer, 0, n)
}

// historyScan bounds how many stored messages HistoryBefore reads.
const historyScan = 20 * store.MaxHistoryLimit

// HistoryBefore returns up to n stored messages with peer stamped before
// before, oldest first (in storage order). The store pages by message ID,
// so this scans back from the newest message, at most historyScan of them.
func (s *Session) HistoryBefore(ctx context.Context, peer string, before time.Time, n int) ([]store.Message, error) {
	account, err := s.account()
	if err != nil {
		return nil, err
	}
	var out []store.Message // newest first while collecting
	var cursor int64
	for scanned := 0; len(out) < n && scanned < historyScan; {
		page, err := s.st.History(ctx, s.server.Name, account, peer, cursor, store.MaxHistoryLimit)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			break
		}
		scanned += len(page)
		cursor = page[0].ID
		for i := len(page) - 1; i >= 0 && len(out) < n; i-- {
			if page[i].Stamp.Before(before) {
				out = append(out, page[i])
			}
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
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
