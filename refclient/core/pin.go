package core

import (
	"crypto/rsa"
	"crypto/x509"
	"sync"

	"github.com/gochatproto/gochat/spec"
)

// PinResult says how a key compares with the one pinned for a user.
type PinResult uint8

const (
	// PinNew: no key was pinned for the user; this one now is.
	PinNew PinResult = iota
	// PinMatch: the key equals the pinned one.
	PinMatch
	// PinChanged: a different key is pinned. The pinner must keep the old
	// pin until the user explicitly accepts the change.
	PinChanged
)

func (r PinResult) String() string {
	switch r {
	case PinNew:
		return "new"
	case PinMatch:
		return "match"
	case PinChanged:
		return "changed"
	}
	return "unknown"
}

// KeyPinner remembers the public key first seen for each user (trust on
// first use). der is the canonical PKIX DER of the key, whatever the
// dialect's wire encoding. The original client trusts whatever key the
// server returns; the reference client refuses a changed key loudly.
type KeyPinner interface {
	Pin(user string, der []byte) (PinResult, error)
}

// MemoryPinner is a KeyPinner that lives as long as the process; Accept
// replaces a pin. The zero value is ready to use and it is safe for
// concurrent use.
type MemoryPinner struct {
	mu   sync.Mutex
	keys map[string]string
}

// Pin implements KeyPinner.
func (p *MemoryPinner) Pin(user string, der []byte) (PinResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.keys == nil {
		p.keys = map[string]string{}
	}
	old, ok := p.keys[user]
	switch {
	case !ok:
		p.keys[user] = string(der)
		return PinNew, nil
	case old == string(der):
		return PinMatch, nil
	}
	return PinChanged, nil
}

// Accept pins der for user, replacing any earlier pin.
func (p *MemoryPinner) Accept(user string, der []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.keys == nil {
		p.keys = map[string]string{}
	}
	p.keys[user] = string(der)
}

// pinKey checks pub for user against the configured pinner.
func (c *Client) pinKey(user string, pub *rsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	if c.cfg.Pinner == nil {
		return der, nil
	}
	res, err := c.cfg.Pinner.Pin(user, der)
	if err != nil {
		return der, err
	}
	if res == PinChanged {
		return der, &KeyChangedError{User: user, Fingerprint: spec.Fingerprint(pub)}
	}
	return der, nil
}
