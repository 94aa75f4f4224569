package mutant

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"slices"
	"sync"

	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/spec"
)

// OAEPSHA1Challenge is a fair server whose LOGIN challenge is encrypted
// with RSA-OAEP-SHA1 instead of E-15's OAEP-SHA256: the original
// specification names no padding. The proxy cannot read the reference
// server's challenge without the account's private key, so it is given
// the keys the suite may register (keys) and the names of accounts the
// server was started with (known); it re-encrypts the challenge it reads,
// and passes on what it cannot read.
func OAEPSHA1Challenge(keys []*rsa.PrivateKey, known map[string]*rsa.PrivateKey) *Mutation {
	r := &reencrypt{keys: keys, byName: map[string]*rsa.PrivateKey{}}
	for n, k := range known {
		r.byName[n] = k
	}
	return &Mutation{Name: "oaep-sha1-challenge", ToServer: r.toServer, ToClient: r.toClient}
}

// reencrypt keeps the keys most recently named by a REG or LOGIN first,
// so that reading a challenge usually takes one decryption.
type reencrypt struct {
	mu     sync.Mutex
	keys   []*rsa.PrivateKey
	byName map[string]*rsa.PrivateKey
}

func (r *reencrypt) toServer(p *spec.Packet) (up, back []*spec.Packet) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case p.Action == spec.REG && len(p.Args) == 2:
		pub, err := codec.ParsePublicKey(p.Args[1])
		if err != nil {
			break
		}
		if i := slices.IndexFunc(r.keys, func(k *rsa.PrivateKey) bool { return k.N.Cmp(pub.N) == 0 }); i >= 0 {
			r.byName[string(p.Args[0])] = r.keys[i]
			r.front(r.keys[i])
		}
	case p.Action == spec.LOGIN && len(p.Args) >= 1:
		if k := r.byName[string(p.Args[0])]; k != nil {
			r.front(k)
		}
	}
	return one(p), nil
}

func (r *reencrypt) front(k *rsa.PrivateKey) {
	r.keys = slices.DeleteFunc(r.keys, func(o *rsa.PrivateKey) bool { return o == k })
	r.keys = slices.Insert(r.keys, 0, k)
}

func (r *reencrypt) toClient(p *spec.Packet) []*spec.Packet {
	if p.Action != spec.VERIF || len(p.Args) != 1 {
		return one(p)
	}
	r.mu.Lock()
	keys := slices.Clone(r.keys)
	r.mu.Unlock()
	for _, k := range keys {
		pt, err := codec.DecryptPadding(k, p.Args[0], codec.OAEPSHA256)
		if err != nil {
			continue
		}
		if ct, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, &k.PublicKey, pt, nil); err == nil {
			p.Args[0] = ct
		}
		break
	}
	return one(p)
}
