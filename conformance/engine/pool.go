package engine

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"sort"
	"sync"
)

// KeyPool leases fixture keys to scenarios. The server rejects a second
// account with a key already registered (REG-3), so two scenarios running
// at once must never use the same key; and a key is only returned after
// the scenario's accounts were deregistered, which releases it (E-20).
type KeyPool struct {
	mu    sync.Mutex
	cond  *sync.Cond
	free  []string
	keys  map[string]*rsa.PrivateKey
	total int
}

// NewKeyPool pools every key except the privileged "admin" and "owner"
// and those whose DER encoding contains CRLF: in the gochat1 dialect, where
// arguments end at CRLF, such a key cannot be sent as DER (scenarios that
// send keys in the other encoding, ENC-3, would fail for the key, not for
// the server).
func NewKeyPool(keys map[string]*rsa.PrivateKey) *KeyPool {
	p := &KeyPool{keys: keys}
	p.cond = sync.NewCond(&p.mu)
	for name, k := range keys {
		if name != "admin" && name != "owner" && derIsSafe(k) {
			p.free = append(p.free, name)
		}
	}
	sort.Strings(p.free)
	p.total = len(p.free)
	return p
}

// errPoolTooSmall means a scenario needs more distinct keys than exist.
var errPoolTooSmall = errors.New("fixture key pool too small for this scenario (tainted keys are not reused)")

// Lease takes n keys, waiting until that many are free.
func (p *KeyPool) Lease(n int) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.free) < n {
		if n > p.total {
			return nil, errPoolTooSmall
		}
		p.cond.Wait()
	}
	out := append([]string(nil), p.free[len(p.free)-n:]...)
	p.free = p.free[:len(p.free)-n]
	return out, nil
}

// Return gives keys back.
func (p *KeyPool) Return(names []string) {
	p.mu.Lock()
	p.free = append(p.free, names...)
	p.mu.Unlock()
	p.cond.Broadcast()
}

// Taint drops keys that may still be registered (cleanup failed).
func (p *KeyPool) Taint(names []string) {
	p.mu.Lock()
	p.total -= len(names)
	p.mu.Unlock()
	p.cond.Broadcast()
}

// derIsSafe reports whether k's PKIX DER encoding has no CRLF.
func derIsSafe(k *rsa.PrivateKey) bool {
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	return err == nil && !bytes.Contains(der, []byte("\r\n"))
}

// Key returns a pooled key by name.
func (p *KeyPool) Key(name string) *rsa.PrivateKey { return p.keys[name] }
