package keyring

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExportImportRoundTrip(t *testing.T) {
	key := key4096(t)
	path := filepath.Join(t.TempDir(), "alice.pem")
	require.NoError(t, ExportPEM(path, key, false))

	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm())

	got, err := ImportPEM(path)
	require.NoError(t, err)
	assert.True(t, key.Equal(got))
}

func TestExportRefusesOverwrite(t *testing.T) {
	key := key4096(t)
	path := filepath.Join(t.TempDir(), "alice.pem")
	require.NoError(t, os.WriteFile(path, []byte("keep me"), 0o644))

	err := ExportPEM(path, key, false)
	require.ErrorIs(t, err, fs.ErrExist)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "keep me", string(data), "existing file untouched")

	require.NoError(t, ExportPEM(path, key, true))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm(), "replacement is private")
	got, err := ImportPEM(path)
	require.NoError(t, err)
	assert.True(t, key.Equal(got))
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left behind")
}

func TestExportMissingDir(t *testing.T) {
	key := key4096(t)
	for _, overwrite := range []bool{false, true} {
		err := ExportPEM(filepath.Join(t.TempDir(), "no", "such.pem"), key, overwrite)
		assert.ErrorIs(t, err, fs.ErrNotExist)
	}
}

func TestParsePrivateKeyPEM(t *testing.T) {
	key := key4096(t)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	edDER, err := x509.MarshalPKCS8PrivateKey(edKey)
	require.NoError(t, err)
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	require.NoError(t, err)
	enc := func(typ string, der []byte) []byte {
		return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	}

	cases := []struct {
		name string
		in   []byte
		err  error // nil: must parse to key
	}{
		{"pkcs1", MarshalPrivateKeyPEM(key), nil},
		{"pkcs8", enc("PRIVATE KEY", pkcs8), nil},
		{"pkcs1 with trailing text", append(MarshalPrivateKeyPEM(key), "junk"...), nil},
		{"1024-bit pkcs1", MarshalPrivateKeyPEM(small), ErrKeySize},
		{"ed25519 pkcs8", enc("PRIVATE KEY", edDER), ErrNotRSA},
		{"public key", enc("PUBLIC KEY", pubDER), ErrFormat},
		{"pkcs8 body under pkcs1 label", enc("RSA PRIVATE KEY", pkcs8), ErrFormat},
		{"garbage body", enc("RSA PRIVATE KEY", []byte{0x30, 0x03, 1, 2, 3}), ErrFormat},
		{"not pem", []byte("hello"), ErrFormat},
		{"empty", nil, ErrFormat},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePrivateKeyPEM(tc.in)
			if tc.err != nil {
				assert.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.True(t, key.Equal(got))
		})
	}
}

func TestImportMissingFile(t *testing.T) {
	_, err := ImportPEM(filepath.Join(t.TempDir(), "absent.pem"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
}
