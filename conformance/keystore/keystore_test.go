package keystore

import (
	"crypto/rsa"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/scenarios"
	"github.com/gochatproto/gochat/spec"
)

func TestLedgerPersists(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	b, err := fs.ReadFile(scenarios.FS, "fixtures/keys/alice.pem")
	require.NoError(t, err)
	k, err := spec.ParsePrivateKey(b)
	require.NoError(t, err)

	l, err := s.Ledger("127.0.0.1:9037")
	require.NoError(t, err)
	assert.False(t, l.Used(&k.PublicKey))
	require.NoError(t, l.Mark(&k.PublicKey))
	assert.True(t, l.Used(&k.PublicKey))

	s2, err := Open(dir)
	require.NoError(t, err)
	l2, err := s2.Ledger("127.0.0.1:9037")
	require.NoError(t, err)
	assert.True(t, l2.Used(&k.PublicKey), "a later run sees the key as used")
	other, err := s2.Ledger("127.0.0.1:9038")
	require.NoError(t, err)
	assert.False(t, other.Used(&k.PublicKey), "ledgers are per server")
}

func TestGenerateCaches(t *testing.T) {
	if testing.Short() {
		t.Skip("generates an RSA-4096 key")
	}
	s, err := Open(t.TempDir())
	require.NoError(t, err)
	name, k, err := s.Generate()
	require.NoError(t, err)
	assert.Equal(t, spec.KeyBits, k.N.BitLen())
	keys, err := s.Keys()
	require.NoError(t, err)
	require.Contains(t, keys, name)
	assert.True(t, keys[name].Equal(k))
}

// ForServer pools the fixtures with the cached keys; a named server's
// ledger persists, the unnamed one lives in memory only.
func TestForServer(t *testing.T) {
	t.Setenv(DirEnv, t.TempDir())
	s, err := OpenDir("")
	require.NoError(t, err)
	b, err := fs.ReadFile(scenarios.FS, "fixtures/keys/alice.pem")
	require.NoError(t, err)
	k, err := spec.ParsePrivateKey(b)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(s.Dir(), "keys", "cached.pem"), spec.MarshalPrivateKey(k), 0o600))
	keys, l, err := s.ForServer(map[string]*rsa.PrivateKey{"alice": k}, "addr 127.0.0.1:1")
	require.NoError(t, err)
	assert.Len(t, keys, 2)
	require.NoError(t, l.Mark(&k.PublicKey))
	_, l2, err := s.ForServer(nil, "addr 127.0.0.1:1")
	require.NoError(t, err)
	assert.True(t, l2.Used(&k.PublicKey))
	_, run, err := s.ForServer(nil, "")
	require.NoError(t, err)
	assert.False(t, run.Used(&k.PublicKey))
}
