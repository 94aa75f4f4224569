package wire

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"fmt"
	"sort"
	"time"

	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/conformance/protoclient"
	"github.com/gochatproto/gochat/scenarios"
	"github.com/gochatproto/gochat/spec"
)

// fixtureKeys returns the committed RSA-4096 fixture keys in name order.
// Keys are never generated per run: that takes about a second each.
func fixtureKeys() ([]*rsa.PrivateKey, error) {
	m, err := codec.LoadKeys(scenarios.FS, "fixtures/keys")
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]*rsa.PrivateKey, len(names))
	for i, n := range names {
		out[i] = m[n]
	}
	return out, nil
}

// runTag is a short random tag that keeps account names of concurrent or
// repeated runs apart on a long-lived server.
func runTag() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// provision registers n accounts named prefix+tag+index with fixture keys,
// trying them from index first on (a run's seed picks it, so that runs on a
// long-lived server use different keys) and skipping a key the server
// refuses as taken (ERR_EXISTS, errata E-19). It returns the keys it did
// not try, for accounts the run may need later.
func provision(ctx context.Context, addr string, d spec.Dialect, n int, prefix string, first int, timeout time.Duration) ([]Account, []*rsa.PrivateKey, error) {
	keys, err := fixtureKeys()
	if err != nil {
		return nil, nil, err
	}
	first %= len(keys)
	keys = append(keys[first:], keys[:first]...)
	c, err := dial(ctx, addr, d, timeout)
	if err != nil {
		return nil, nil, err
	}
	defer c.close()
	tag := runTag()
	var out []Account
	for i, k := range keys {
		if len(out) == n {
			return out, keys[i:], nil
		}
		a := Account{Name: fmt.Sprintf("%s%s%d", prefix, tag, i), Key: k}
		err := c.register(a, timeout)
		if protoclient.IsCode(err, spec.CodeExists) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("registering %s: %w", a.Name, err)
		}
		out = append(out, a)
	}
	if len(out) < n {
		return nil, nil, fmt.Errorf("only %d of %d fixture keys are free on the server; pass --user/--key", len(out), n)
	}
	return out, nil, nil
}
