package hub

import (
	"crypto/subtle"
	"time"
)

// Pending is a login waiting for its VERIF (E-21): it belongs to one
// connection and expires after Config.VerifyTimeout.
type Pending struct {
	Name      string
	Challenge []byte
	Expires   time.Time
}

// token is a reusable login token (E-25); its expiry never moves.
type token struct {
	value   []byte
	expires time.Time
}

// BeginVerify records a pending verification for the connection owner,
// replacing the one it had. The number of pending verifications is bounded
// server-wide; expired ones are dropped before ErrBusy is reported.
func (h *Hub) BeginVerify(owner any, name string, challenge []byte) error {
	now := h.cfg.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.pending, owner)
	if len(h.pending) >= h.cfg.MaxPending {
		for k, p := range h.pending {
			if !now.Before(p.Expires) {
				delete(h.pending, k)
			}
		}
		if len(h.pending) >= h.cfg.MaxPending {
			return ErrBusy
		}
	}
	h.pending[owner] = &Pending{Name: name, Challenge: challenge, Expires: now.Add(h.cfg.VerifyTimeout)}
	return nil
}

// TakeVerify removes and returns owner's pending verification. ErrNoPending
// if there is none or it has expired.
func (h *Hub) TakeVerify(owner any) (Pending, error) {
	now := h.cfg.Now()
	h.mu.Lock()
	p, ok := h.pending[owner]
	delete(h.pending, owner)
	h.mu.Unlock()
	if !ok || !now.Before(p.Expires) {
		return Pending{}, ErrNoPending
	}
	return *p, nil
}

// CancelVerify drops owner's pending verification and reports whether a
// live one existed (LOGOUT, E-22).
func (h *Hub) CancelVerify(owner any) bool {
	_, err := h.TakeVerify(owner)
	return err == nil
}

// IssueToken makes value name's reusable token, replacing any earlier one,
// with an expiry fixed now (E-25).
func (h *Hub) IssueToken(name string, value []byte) {
	now := h.cfg.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, t := range h.tokens {
		if !now.Before(t.expires) {
			delete(h.tokens, k)
		}
	}
	h.tokens[name] = token{value: append([]byte(nil), value...), expires: now.Add(h.cfg.TokenTTL)}
}

// CheckToken compares value with name's token in constant time. ErrNotFound
// if name has no unexpired token, ErrBadToken if it differs. A matching
// token stays valid and keeps its expiry.
func (h *Hub) CheckToken(name string, value []byte) error {
	now := h.cfg.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	t, ok := h.tokens[name]
	if ok && !now.Before(t.expires) {
		delete(h.tokens, name)
		ok = false
	}
	if !ok {
		return ErrNotFound
	}
	if subtle.ConstantTimeCompare(t.value, value) != 1 {
		return ErrBadToken
	}
	return nil
}

// DropToken forgets name's token (deregistration).
func (h *Hub) DropToken(name string) {
	h.mu.Lock()
	delete(h.tokens, name)
	h.mu.Unlock()
}

// HasPending reports whether owner has an unexpired pending verification.
func (h *Hub) HasPending(owner any) bool {
	now := h.cfg.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	p, ok := h.pending[owner]
	return ok && now.Before(p.Expires)
}
