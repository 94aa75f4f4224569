package engine

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"maps"
	"sort"
	"sync"
)

// KeyPool leases account keys to scenarios. The server rejects a second
// account with a key already registered (REG-3), so two scenarios running
// at once never get the same key.
//
// Whether a key may be leased again depends on the server. By default a
// key is returned once the scenario's accounts were deregistered, which
// relies on the server releasing the key (E-20, a decision of this
// project; the embedded reference server does). With a SingleUse policy
// a key leased for the shared server is spent: never leased again, in
// this run or, through the ledger, in a later one; the pool grows by
// generating keys when it runs dry.
type KeyPool struct {
	mu    sync.Mutex
	cond  *sync.Cond
	free  []string
	keys  map[string]*rsa.PrivateKey
	total int // keys that may still become free
	once  *SingleUse
	spent map[string]bool
}

// SingleUse is the policy for servers that may keep a deregistered
// account's key taken.
type SingleUse struct {
	// Ledger lists the keys registered on the server by earlier runs and
	// records the ones this run registers.
	Ledger interface {
		Used(pub *rsa.PublicKey) bool
		Mark(pub *rsa.PublicKey) error
	}
	// Generate makes a new key (and caches it); nil: the pool cannot grow.
	Generate func() (string, *rsa.PrivateKey, error)
}

// NewKeyPool pools every key except the privileged "admin" and "owner"
// and those whose DER encoding contains CRLF: in the gochat1 dialect, where
// arguments end at CRLF, such a key cannot be sent as DER (scenarios that
// send keys in the other encoding, ENC-3, would fail for the key, not for
// the server). With once, keys its ledger lists are left out too.
func NewKeyPool(keys map[string]*rsa.PrivateKey, once *SingleUse) *KeyPool {
	p := &KeyPool{keys: maps.Clone(keys), once: once, spent: map[string]bool{}}
	if p.keys == nil {
		p.keys = map[string]*rsa.PrivateKey{}
	}
	p.cond = sync.NewCond(&p.mu)
	for name, k := range keys {
		if name != "admin" && name != "owner" && derIsSafe(k) && (once == nil || !once.Ledger.Used(&k.PublicKey)) {
			p.free = append(p.free, name)
		}
	}
	sort.Strings(p.free)
	p.total = len(p.free)
	return p
}

// errPoolTooSmall means a scenario needs more distinct keys than exist.
var errPoolTooSmall = errors.New("key pool too small for this scenario (keys that may still be registered are not reused)")

// Lease takes n keys for a scenario on the shared server (shared) or on
// a private one, waiting until that many are free (under SingleUse, for
// the shared server, generating the missing ones instead). The scenario
// gives them back with Return, Spend or Taint.
func (p *KeyPool) Lease(n int, shared bool) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	single := shared && p.once != nil
	for len(p.free) < n {
		if single && p.once.Generate != nil {
			if err := p.grow(); err != nil {
				return nil, err
			}
			continue
		}
		if n > p.total {
			return nil, errPoolTooSmall
		}
		p.cond.Wait()
	}
	out := append([]string(nil), p.free[len(p.free)-n:]...)
	p.free = p.free[:len(p.free)-n]
	return out, nil
}

// SingleUse reports whether the pool spends keys used on the shared
// server instead of returning them.
func (p *KeyPool) SingleUse() bool { return p.once != nil }

// Spend retires keys a scenario may have registered on the shared server
// (SingleUse): the ledger records them and they are never leased again.
func (p *KeyPool) Spend(names []string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var err error
	for _, name := range names {
		if p.spent[name] {
			continue
		}
		p.spent[name] = true
		p.total--
		if p.once != nil {
			err = errors.Join(err, p.once.Ledger.Mark(&p.keys[name].PublicKey))
		}
	}
	p.cond.Broadcast()
	return err
}

// grow generates one key, without holding the lock meanwhile (it takes
// seconds).
func (p *KeyPool) grow() error {
	p.mu.Unlock()
	name, k, err := p.once.Generate()
	p.mu.Lock()
	if err != nil {
		return err
	}
	p.keys[name] = k
	p.free = append(p.free, name)
	p.total++
	return nil
}

// Return gives keys back (spent ones stay out).
func (p *KeyPool) Return(names []string) {
	p.mu.Lock()
	for _, n := range names {
		if !p.spent[n] {
			p.free = append(p.free, n)
		}
	}
	p.mu.Unlock()
	p.cond.Broadcast()
}

// Taint drops keys that may still be registered (cleanup failed).
func (p *KeyPool) Taint(names []string) {
	p.mu.Lock()
	for _, n := range names {
		if !p.spent[n] {
			p.total--
		}
	}
	p.mu.Unlock()
	p.cond.Broadcast()
}

// Key returns a pooled key by name.
func (p *KeyPool) Key(name string) *rsa.PrivateKey {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.keys[name]
}

// derIsSafe reports whether k's PKIX DER encoding has no CRLF.
func derIsSafe(k *rsa.PrivateKey) bool {
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	return err == nil && !bytes.Contains(der, []byte("\r\n"))
}
