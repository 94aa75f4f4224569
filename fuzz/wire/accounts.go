package wire

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/conformance/keystore"
	"github.com/gochatproto/gochat/conformance/protoclient"
	"github.com/gochatproto/gochat/scenarios"
	"github.com/gochatproto/gochat/spec"
)

// fixtureKeys returns the committed RSA-4096 fixture keys in name order.
// Keys are never generated per run when a fixture or cached key will do:
// that takes about a second each.
func fixtureKeys() ([]*rsa.PrivateKey, error) {
	m, err := codec.LoadKeys(scenarios.FS, "fixtures/keys")
	if err != nil {
		return nil, err
	}
	return byName(m), nil
}

func byName(m map[string]*rsa.PrivateKey) []*rsa.PrivateKey {
	names := slices.Collect(maps.Keys(m))
	sort.Strings(names)
	out := make([]*rsa.PrivateKey, len(names))
	for i, n := range names {
		out[i] = m[n]
	}
	return out
}

// runTag is a short random tag that keeps account names of concurrent or
// repeated runs apart on a long-lived server.
func runTag() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Keys says where a run's account keys come from. Without a Store, the
// fixture keys are used, from an index the seed picks on. With one (the
// CLI's --key-cache, shared with the scenario runner), its cached keys
// join them and Server names the ledger of keys already registered on the
// server under test ("addr HOST:PORT" as the runner writes it; "" for a
// server the run starts itself): a key the ledger lists is never sent in a
// REG again, each key is entered before its REG, and when none is left a
// new one is generated and cached.
type Keys struct {
	Store  *keystore.Store
	Server string
}

// keySource hands out keys for REG, each at most once.
type keySource struct {
	keys   []*rsa.PrivateKey
	ledger *keystore.Ledger // nil: no record (fixture keys on a test server)
	gen    func() (string, *rsa.PrivateKey, error)
}

func newKeySource(k Keys, first int) (*keySource, error) {
	keys, err := fixtureKeys()
	if err != nil {
		return nil, err
	}
	first %= len(keys)
	keys = append(keys[first:], keys[:first]...)
	src := &keySource{keys: keys}
	if k.Store == nil {
		return src, nil
	}
	cached, err := k.Store.Keys()
	if err != nil {
		return nil, err
	}
	src.keys = append(src.keys, byName(cached)...)
	src.gen = k.Store.Generate
	src.ledger = k.Store.RunLedger()
	if k.Server != "" {
		if src.ledger, err = k.Store.Ledger(k.Server); err != nil {
			return nil, err
		}
	}
	return src, nil
}

// next returns a key never registered on the server (as far as the ledger
// knows), entered in the ledger.
func (s *keySource) next() (*rsa.PrivateKey, error) {
	for len(s.keys) > 0 {
		k := s.keys[0]
		s.keys = s.keys[1:]
		if s.ledger != nil && s.ledger.Used(&k.PublicKey) {
			continue
		}
		return k, s.mark(k)
	}
	if s.gen == nil {
		return nil, errors.New("no unused fixture key is left (pass --key-cache, or --user/--key)")
	}
	_, k, err := s.gen()
	if err != nil {
		return nil, err
	}
	return k, s.mark(k)
}

func (s *keySource) mark(k *rsa.PrivateKey) error {
	if s.ledger == nil {
		return nil
	}
	return s.ledger.Mark(&k.PublicKey)
}

// provision registers n accounts named prefix+tag+index with keys from
// src. A key the server refuses as taken (ERR_EXISTS, errata E-19) was
// registered by something the ledger does not know; it is skipped.
func provision(ctx context.Context, addr string, d spec.Dialect, n int, prefix string, src *keySource, timeout time.Duration) ([]Account, error) {
	c, err := dial(ctx, addr, d, timeout)
	if err != nil {
		return nil, err
	}
	defer c.close()
	tag := runTag()
	var out []Account
	for i := 0; len(out) < n; i++ {
		k, err := src.next()
		if err != nil {
			return nil, fmt.Errorf("%d of %d accounts registered: %w", len(out), n, err)
		}
		a := Account{Name: fmt.Sprintf("%s%s%d", prefix, tag, i), Key: k}
		err = c.register(a, timeout)
		if protoclient.IsCode(err, spec.CodeExists) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("registering %s: %w", a.Name, err)
		}
		out = append(out, a)
	}
	return out, nil
}
