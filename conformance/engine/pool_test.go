package engine

import (
	"crypto/rsa"
	"io/fs"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/scenarios"
	"github.com/gochatproto/gochat/spec"
)

func fixtureKey(t *testing.T, name string) *rsa.PrivateKey {
	t.Helper()
	b, err := fs.ReadFile(scenarios.FS, "fixtures/keys/"+name+".pem")
	require.NoError(t, err)
	k, err := spec.ParsePrivateKey(b)
	require.NoError(t, err)
	return k
}

func TestPoolSkipsKeysWhoseDERHasCRLF(t *testing.T) {
	crlf := fixtureKey(t, "pool34") // its DER holds 0d0a
	require.False(t, derIsSafe(crlf))
	k := fixtureKey(t, "alice")
	require.True(t, derIsSafe(k))
	p := NewKeyPool(map[string]*rsa.PrivateKey{"alice": k, "admin": k, "pool34": crlf}, nil)
	got, err := p.Lease(1, true)
	require.NoError(t, err)
	assert.Equal(t, []string{"alice"}, got)
	_, err = p.Lease(2, true)
	assert.Error(t, err, "neither admin nor a key with CRLF in its DER is pooled")
}

// memLedger is an in-memory ledger.
type memLedger struct {
	mu   sync.Mutex
	used map[*rsa.PublicKey]bool
}

func (l *memLedger) Used(pub *rsa.PublicKey) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.used[pub]
}

func (l *memLedger) Mark(pub *rsa.PublicKey) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.used[pub] = true
	return nil
}

func TestSingleUsePoolNeverLeasesAKeyTwice(t *testing.T) {
	alice, bob, carol := fixtureKey(t, "alice"), fixtureKey(t, "bob"), fixtureKey(t, "carol")
	led := &memLedger{used: map[*rsa.PublicKey]bool{&carol.PublicKey: true}} // an earlier run's
	dave := fixtureKey(t, "dave")
	spare := []*rsa.PrivateKey{dave}
	gen := func() (string, *rsa.PrivateKey, error) {
		k := spare[0]
		spare = spare[1:]
		return "gen-dave", k, nil
	}
	keys := map[string]*rsa.PrivateKey{"alice": alice, "bob": bob, "carol": carol}
	p := NewKeyPool(keys, &SingleUse{Ledger: led})
	got, err := p.Lease(2, true)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"alice", "bob"}, got, "carol is in the ledger")
	p.Return(got) // a scenario that sent no REG
	got, err = p.Lease(2, true)
	require.NoError(t, err)
	require.NoError(t, p.Spend(got))
	assert.True(t, led.Used(&alice.PublicKey) && led.Used(&bob.PublicKey), "spent keys are recorded")
	p.Return(got)
	_, err = p.Lease(1, true)
	assert.Error(t, err, "spent keys do not come back, and this pool cannot grow")

	p = NewKeyPool(keys, &SingleUse{Ledger: &memLedger{used: map[*rsa.PublicKey]bool{}}, Generate: gen})
	got, err = p.Lease(3, false)
	require.NoError(t, err, "a private server's lease does not spend keys")
	p.Return(got)
	got, err = p.Lease(3, true)
	require.NoError(t, err)
	require.NoError(t, p.Spend(got))
	got, err = p.Lease(1, true)
	require.NoError(t, err, "the pool grows")
	assert.Equal(t, []string{"gen-dave"}, got)
	assert.Same(t, dave, p.Key("gen-dave"))
}
