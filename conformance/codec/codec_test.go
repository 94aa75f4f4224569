package codec

import (
	"bytes"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/scenarios"
	"github.com/gochatproto/gochat/spec"
)

func TestStamps(t *testing.T) {
	tests := []struct {
		d    spec.Dialect
		secs int64
		wire []byte
	}{
		{spec.DialectSpec, 0, []byte{0, 0, 0, 0}},
		{spec.DialectSpec, 0x0d0a0d0a, []byte{0x0d, 0x0a, 0x0d, 0x0a}},
		{spec.DialectSpec, 1700000000, []byte{0x65, 0x53, 0xf1, 0x00}},
		{spec.DialectGochat1, 0, []byte{0x00}},
		{spec.DialectGochat1, -1, []byte{0x01}},
		{spec.DialectGochat1, 1, []byte{0x02}},
		{spec.DialectGochat1, 300, []byte{0xd8, 0x04}},
	}
	for _, tt := range tests {
		got := AppendStamp(nil, tt.d, tt.secs)
		assert.Equal(t, tt.wire, got, "%s %d", tt.d, tt.secs)
		back, err := ParseStamp(tt.d, got)
		require.NoError(t, err)
		assert.Equal(t, tt.secs, back)
	}
	_, err := ParseStamp(spec.DialectSpec, []byte{1, 2, 3})
	assert.Error(t, err)
	_, err = ParseStamp(spec.DialectGochat1, []byte{0x02, 0x00})
	assert.Error(t, err, "trailing bytes are rejected (E-13)")
}

func TestKeysAndEncryption(t *testing.T) {
	keys, err := LoadKeys(scenarios.FS, "fixtures/keys")
	require.NoError(t, err)
	require.Contains(t, keys, "alice")
	require.Contains(t, keys, "admin")
	k := keys["alice"]
	assert.Equal(t, 4096, k.N.BitLen())

	der, err := MarshalPublicKey(spec.DialectSpec, &k.PublicKey, "")
	require.NoError(t, err)
	assert.Equal(t, byte(0x30), der[0])
	pemKey, err := MarshalPublicKey(spec.DialectGochat1, &k.PublicKey, "")
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(pemKey, []byte("-----BEGIN RSA PUBLIC KEY-----")))

	c, err := EncryptWithCRLF(&k.PublicKey, []byte("split me"))
	require.NoError(t, err)
	assert.Contains(t, string(c), "\r\n")
	pt, err := Decrypt(k, c)
	require.NoError(t, err)
	assert.Equal(t, "split me", string(pt))

	// Without the flag no ciphertext holds CRLF: 300 plain encryptions
	// would hold one with a chance of about 88%.
	for range 300 {
		c, err := EncryptWithoutCRLF(&k.PublicKey, []byte("whole"))
		require.NoError(t, err)
		require.NotContains(t, string(c), "\r\n")
	}

	b, err := fs.ReadFile(scenarios.FS, "fixtures/keys/bob.pem")
	require.NoError(t, err)
	bob, err := spec.ParsePrivateKey(b)
	require.NoError(t, err)
	assert.True(t, bob.Equal(keys["bob"]))
}
