package store

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	keysOnce sync.Once
	testKeys [3][]byte
)

// pubDER returns one of three fixed-per-run PKIX DER RSA public keys. Small
// keys keep the tests fast; pinning does not care about the size.
func pubDER(t *testing.T, i int) []byte {
	t.Helper()
	keysOnce.Do(func() {
		for j := range testKeys {
			k, err := rsa.GenerateKey(rand.Reader, 1024)
			if err != nil {
				panic(err)
			}
			der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
			if err != nil {
				panic(err)
			}
			testKeys[j] = der
		}
	})
	return testKeys[i]
}

func TestPinStateMachine(t *testing.T) {
	s, clock := newStore(t)
	ctx := context.Background()
	withAccount(t, s)
	k0, k1, k2 := pubDER(t, 0), pubDER(t, 1), pubDER(t, 2)
	pin := func(der []byte) PinResult {
		t.Helper()
		r, err := s.PinContactKey(ctx, "srv", "alice", "bob", der)
		require.NoError(t, err)
		return r
	}
	contact := func() Contact {
		t.Helper()
		c, err := s.Contact(ctx, "srv", "alice", "bob")
		require.NoError(t, err)
		return c
	}

	// new
	assert.Equal(t, PinNew, pin(k0))
	c := contact()
	assert.Equal(t, k0, c.PublicKey)
	assert.Equal(t, Fingerprint(k0), c.Fingerprint)
	assert.Equal(t, t0, c.FirstSeen)
	assert.Nil(t, c.Pending)

	// unchanged, verification time moves
	*clock = time.Minute
	assert.Equal(t, PinUnchanged, pin(k0))
	assert.Equal(t, t0.Add(time.Minute), contact().LastVerified)

	// changed: the pin stays, the new key waits
	*clock = 2 * time.Minute
	assert.Equal(t, PinChanged, pin(k1))
	c = contact()
	assert.Equal(t, k0, c.PublicKey)
	require.NotNil(t, c.Pending)
	assert.Equal(t, PendingKeyChange{PublicKey: k1, Fingerprint: Fingerprint(k1), Seen: t0.Add(2 * time.Minute)}, *c.Pending)
	got, err := s.ContactKey(ctx, "srv", "alice", "bob")
	require.NoError(t, err)
	assert.Equal(t, k0, got, "ContactKey never returns an unaccepted key")

	// the old key again: still unchanged, and the pending change stays
	assert.Equal(t, PinUnchanged, pin(k0))
	assert.NotNil(t, contact().Pending)

	// a third key replaces the pending one
	assert.Equal(t, PinChanged, pin(k2))
	assert.Equal(t, Fingerprint(k2), contact().Pending.Fingerprint)

	// accepting a fingerprint that is not the pending one does nothing
	err = s.AcceptKeyChange(ctx, "srv", "alice", "bob", Fingerprint(k1))
	assert.ErrorIs(t, err, ErrNotFound)

	// accepted
	*clock = 3 * time.Minute
	require.NoError(t, s.AcceptKeyChange(ctx, "srv", "alice", "bob", Fingerprint(k2)))
	c = contact()
	assert.Equal(t, k2, c.PublicKey)
	assert.Nil(t, c.Pending)
	assert.Equal(t, t0.Add(3*time.Minute), c.FirstSeen)
	assert.Equal(t, PinUnchanged, pin(k2))
	assert.Equal(t, PinChanged, pin(k0), "the old key is now a change")

	// rejected
	require.NoError(t, s.RejectKeyChange(ctx, "srv", "alice", "bob"))
	assert.Nil(t, contact().Pending)
	assert.ErrorIs(t, s.RejectKeyChange(ctx, "srv", "alice", "bob"), ErrNotFound)
	assert.ErrorIs(t, s.AcceptKeyChange(ctx, "srv", "alice", "bob", Fingerprint(k0)), ErrNotFound)
}

func TestPinIsPerAccount(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	withAccount(t, s)
	require.NoError(t, s.AddAccount(ctx, Account{Server: "srv", Username: "carol", SealedKey: []byte{1}}))
	r, err := s.PinContactKey(ctx, "srv", "alice", "bob", pubDER(t, 0))
	require.NoError(t, err)
	assert.Equal(t, PinNew, r)
	r, err = s.PinContactKey(ctx, "srv", "carol", "bob", pubDER(t, 1))
	require.NoError(t, err)
	assert.Equal(t, PinNew, r)
}

func TestPinCanonicalizes(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	withAccount(t, s)
	k := pubDER(t, 0)
	// Trailing bytes would make one key pin under two fingerprints; they
	// are rejected rather than stored.
	_, err := s.PinContactKey(ctx, "srv", "alice", "bob", append(append([]byte{}, k...), 0))
	require.ErrorIs(t, err, ErrInvalid)
	r, err := s.PinContactKey(ctx, "srv", "alice", "bob", k)
	require.NoError(t, err)
	assert.Equal(t, PinNew, r)
}

func TestPinRejects(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	withAccount(t, s)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ecDER, err := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	require.NoError(t, err)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: pubDER(t, 0)})

	cases := []struct {
		name, account, user string
		der                 []byte
		err                 error
	}{
		{"not RSA", "alice", "bob", ecDER, ErrInvalid},
		{"PEM, not DER", "alice", "bob", pemKey, ErrInvalid},
		{"garbage", "alice", "bob", []byte{0x30, 0}, ErrInvalid},
		{"empty user", "alice", "", pubDER(t, 0), ErrInvalid},
		{"unknown account", "zed", "bob", pubDER(t, 0), ErrNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.PinContactKey(ctx, "srv", tc.account, tc.user, tc.der)
			assert.ErrorIs(t, err, tc.err)
		})
	}
}

func TestContactsListing(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	withAccount(t, s)
	for i, u := range []string{"dave", "bob", "carl"} {
		_, err := s.PinContactKey(ctx, "srv", "alice", u, pubDER(t, i))
		require.NoError(t, err)
	}
	_, err := s.PinContactKey(ctx, "srv", "alice", "carl", pubDER(t, 0))
	require.NoError(t, err)
	require.NoError(t, s.SetContactPermission(ctx, "srv", "alice", "bob", 2))

	list, err := s.Contacts(ctx, "srv", "alice")
	require.NoError(t, err)
	require.Len(t, list, 3)
	assert.Equal(t, []string{"bob", "carl", "dave"}, []string{list[0].Username, list[1].Username, list[2].Username})
	assert.Equal(t, uint8(2), list[0].Permission)
	assert.Equal(t, "srv", list[0].Server)
	assert.Equal(t, "alice", list[0].Account)

	pending, err := s.PendingKeyChanges(ctx, "srv", "alice")
	require.NoError(t, err)
	require.Len(t, pending, 1)
	assert.Equal(t, "carl", pending[0].Username)

	require.NoError(t, s.DeleteContact(ctx, "srv", "alice", "bob"))
	_, err = s.ContactKey(ctx, "srv", "alice", "bob")
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = s.Contact(ctx, "srv", "alice", "bob")
	assert.ErrorIs(t, err, ErrNotFound)
	assert.ErrorIs(t, s.DeleteContact(ctx, "srv", "alice", "bob"), ErrNotFound)
	assert.ErrorIs(t, s.SetContactPermission(ctx, "srv", "alice", "bob", 1), ErrNotFound)
}

func TestFingerprint(t *testing.T) {
	assert.Equal(t, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Fingerprint(nil))
}

func TestPinResultString(t *testing.T) {
	assert.Equal(t, "new", PinNew.String())
	assert.Equal(t, "unchanged", PinUnchanged.String())
	assert.Equal(t, "changed", PinChanged.String())
	assert.Equal(t, "PinResult(9)", PinResult(9).String())
}
