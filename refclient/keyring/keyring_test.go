package keyring

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var cheap = InsecureTestParams

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
)

// key4096 generates one 4096-bit key per test binary; generation is slow.
func key4096(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, KeyBits)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	return testKey
}

func TestSealOpenRoundTrip(t *testing.T) {
	cases := []struct {
		name     string
		pt, pass []byte
		p        Params
	}{
		{"empty plaintext", nil, []byte("pw"), cheap},
		{"empty password", []byte("secret"), nil, cheap},
		{"two threads", []byte("secret"), []byte("pw"), Params{Time: 2, MemoryKiB: 32, Threads: 2}},
		{"binary", []byte{0, 1, 2, 0xff}, []byte{0, 0xfe}, Params{Time: 1, MemoryKiB: 1024, Threads: 4}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			blob, err := Seal(tc.pt, tc.pass, tc.p)
			require.NoError(t, err)
			assert.Len(t, blob, headerLen+nonceLen+len(tc.pt)+tagLen)
			got, err := ParseParams(blob)
			require.NoError(t, err)
			assert.Equal(t, tc.p, got, "parameters are recorded in the blob")
			pt, err := Open(blob, tc.pass)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(tc.pt, pt))
		})
	}
}

func TestSealIsRandomized(t *testing.T) {
	a, err := Seal([]byte("x"), []byte("pw"), cheap)
	require.NoError(t, err)
	b, err := Seal([]byte("x"), []byte("pw"), cheap)
	require.NoError(t, err)
	assert.NotEqual(t, a[10:headerLen], b[10:headerLen], "salt")
	assert.NotEqual(t, a[headerLen:headerLen+nonceLen], b[headerLen:headerLen+nonceLen], "nonce")
}

func TestDefaultParams(t *testing.T) {
	assert.Equal(t, Params{Time: 3, MemoryKiB: 65536, Threads: 2}, DefaultParams)
	require.NoError(t, DefaultParams.Validate())
}

func TestSealRejectsBadParams(t *testing.T) {
	for _, p := range []Params{
		{Time: 0, MemoryKiB: 64, Threads: 1},
		{Time: 1, MemoryKiB: 64, Threads: 0},
		{Time: 1, MemoryKiB: 15, Threads: 2},
		{Time: MaxParams.Time + 1, MemoryKiB: 64, Threads: 1},
		{Time: 1, MemoryKiB: MaxParams.MemoryKiB + 1, Threads: 1},
	} {
		_, err := Seal([]byte("x"), []byte("pw"), p)
		assert.ErrorIs(t, err, ErrFormat, "%+v", p)
	}
}

func TestOpenWrongPassword(t *testing.T) {
	blob, err := Seal([]byte("secret"), []byte("right"), cheap)
	require.NoError(t, err)
	_, err = Open(blob, []byte("wrong"))
	assert.ErrorIs(t, err, ErrWrongPassword)
}

func TestOpenTampered(t *testing.T) {
	blob, err := Seal([]byte("secret"), []byte("pw"), cheap)
	require.NoError(t, err)
	// Every byte is covered: header as additional data, nonce by GCM,
	// ciphertext and tag by the tag. Bytes 1..9 change the KDF instead.
	for i := range blob {
		t.Run("", func(t *testing.T) {
			b := bytes.Clone(blob)
			b[i] ^= 0x01
			_, err := open(b, []byte("pw"), Params{Time: 1 << 24, MemoryKiB: 1 << 10, Threads: 2})
			require.Error(t, err, "byte %d", i)
			if i == 0 {
				assert.ErrorIs(t, err, ErrFormat)
			} else if !errors.Is(err, ErrFormat) { // flipped params may exceed limits
				assert.ErrorIs(t, err, ErrWrongPassword, "byte %d", i)
			}
		})
	}
}

func TestOpenFormatErrors(t *testing.T) {
	good, err := Seal([]byte("secret"), []byte("pw"), cheap)
	require.NoError(t, err)
	withParams := func(p Params) []byte {
		b := bytes.Clone(good)
		b[1], b[2], b[3], b[4] = byte(p.Time>>24), byte(p.Time>>16), byte(p.Time>>8), byte(p.Time)
		m := p.MemoryKiB
		b[5], b[6], b[7], b[8] = byte(m>>24), byte(m>>16), byte(m>>8), byte(m)
		b[9] = p.Threads
		return b
	}
	cases := map[string][]byte{
		"nil":            nil,
		"version only":   {1},
		"bad version":    append([]byte{2}, good[1:]...),
		"header only":    good[:headerLen],
		"no tag":         good[:headerLen+nonceLen+tagLen-1],
		"zero time":      withParams(Params{Time: 0, MemoryKiB: 8, Threads: 1}),
		"zero threads":   withParams(Params{Time: 1, MemoryKiB: 8, Threads: 0}),
		"huge memory":    withParams(Params{Time: 1, MemoryKiB: 1 << 31, Threads: 1}),
		"huge time":      withParams(Params{Time: 1 << 30, MemoryKiB: 8, Threads: 1}),
		"too little mem": withParams(Params{Time: 1, MemoryKiB: 7, Threads: 1}),
	}
	for name, blob := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Open(blob, []byte("pw"))
			assert.ErrorIs(t, err, ErrFormat)
		})
	}
}

func TestSealKeyRoundTrip(t *testing.T) {
	key := key4096(t)
	blob, err := SealKey(key, []byte("pw"), cheap)
	require.NoError(t, err)
	pt, err := Open(blob, []byte("pw"))
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(pt, []byte("-----BEGIN RSA PRIVATE KEY-----\n")), "PKCS#1 PEM plaintext")
	got, err := OpenKey(blob, []byte("pw"))
	require.NoError(t, err)
	assert.True(t, key.Equal(got))
	_, err = OpenKey(blob, []byte("nope"))
	assert.ErrorIs(t, err, ErrWrongPassword)
}

func BenchmarkOpenDefaultParams(b *testing.B) {
	blob, err := Seal([]byte("secret"), []byte("pw"), DefaultParams)
	require.NoError(b, err)
	for b.Loop() {
		if _, err := Open(blob, []byte("pw")); err != nil {
			b.Fatal(err)
		}
	}
}
