package spec

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPublicKeyDialects(t *testing.T) {
	pub := &testKey().PublicKey
	der, err := DialectSpec.MarshalPublicKey(pub)
	require.NoError(t, err)
	assert.Equal(t, byte(0x30), der[0])
	p, err := DialectGochat1.MarshalPublicKey(pub)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(p), "-----BEGIN RSA PUBLIC KEY-----\n"))
	assert.True(t, strings.HasSuffix(string(p), "-----END RSA PUBLIC KEY-----\n"))
	assert.Len(t, p, 808, "upstream's 4096-bit PEM is 808 bytes")
	for _, ln := range strings.Split(strings.TrimSpace(string(p)), "\n") {
		assert.LessOrEqual(t, len(ln), 64)
	}
	assert.False(t, bytes.Contains(p, []byte(crlf)))

	relabeled := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	for name, enc := range map[string][]byte{"der": der, "pem": p, "relabeled": relabeled, "padded": append([]byte("\n"), append(p, " \n"...)...)} {
		got, err := ParsePublicKey(enc)
		require.NoError(t, err, name)
		assert.True(t, got.Equal(pub), name)
		canon, err := CanonicalKey(enc)
		require.NoError(t, err, name)
		assert.Equal(t, der, canon, name)
	}
	assert.NoError(t, CheckKeySize(pub))
	assert.Len(t, Fingerprint(pub), 64)
	assert.Equal(t, Fingerprint(pub), Fingerprint(mustParse(t, p)))
}

func mustParse(t *testing.T, b []byte) *rsa.PublicKey {
	k, err := ParsePublicKey(b)
	require.NoError(t, err)
	return k
}

func TestParsePublicKeyRejects(t *testing.T) {
	pub := &testKey().PublicKey
	der := derOf(t, pub)
	pkcs1 := x509.MarshalPKCS1PublicKey(pub)
	p, _ := DialectGochat1.MarshalPublicKey(pub)
	bad := map[string][]byte{
		"empty":           nil,
		"garbage":         []byte("hello"),
		"der trailing":    append(append([]byte{}, der...), 0),
		"der truncated":   der[:len(der)-1],
		"pkcs1 der":       pkcs1,
		"pkcs1 in pem":    pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: pkcs1}),
		"pem trailing":    append(append([]byte{}, p...), "junk"...),
		"two pem blocks":  append(append([]byte{}, p...), p...),
		"private key pem": MarshalPrivateKey(testKey()),
	}
	for name, b := range bad {
		_, err := ParsePublicKey(b)
		assertProtoErr(t, err, ErrBadKey, CodeArgs)
		_, err = CanonicalKey(b)
		assert.Error(t, err, name)
	}
	small := &rsa.PublicKey{N: big.NewInt(3233), E: 17}
	assert.ErrorIs(t, CheckKeySize(small), ErrKeySize)
	assert.ErrorIs(t, CheckKeySize(nil), ErrKeySize)
	assert.ErrorIs(t, CheckKeySize(&rsa.PublicKey{N: new(big.Int).Rsh(crlfKey().N, 1), E: 3}), ErrKeySize)
}

func TestPrivateKeyRoundTrip(t *testing.T) {
	k := testKey()
	b := MarshalPrivateKey(k)
	assert.True(t, bytes.HasPrefix(b, []byte("-----BEGIN RSA PRIVATE KEY-----")))
	got, err := ParsePrivateKey(b)
	require.NoError(t, err)
	assert.True(t, got.Equal(k))
	p8, err := x509.MarshalPKCS8PrivateKey(k)
	require.NoError(t, err)
	got, err = ParsePrivateKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}))
	require.NoError(t, err)
	assert.True(t, got.Equal(k))
	_, err = ParsePrivateKey([]byte("nope"))
	assert.ErrorIs(t, err, ErrBadKey)
}

func TestEncryptDecrypt(t *testing.T) {
	k := testKey()
	assert.Equal(t, 446, MaxPlaintext(&k.PublicKey))
	msg := bytes.Repeat([]byte("m"), 446)
	ct, err := Encrypt(&k.PublicKey, msg)
	require.NoError(t, err)
	assert.Len(t, ct, 512)
	pt, err := Decrypt(k, ct)
	require.NoError(t, err)
	assert.Equal(t, msg, pt)
	_, err = Encrypt(&k.PublicKey, append(msg, 'x'))
	assert.Error(t, err)
	ct[10] ^= 1
	_, err = Decrypt(k, ct)
	assert.Error(t, err)
}

func TestChallenge(t *testing.T) {
	assert.Len(t, ChallengeAlphabet, 61)
	a, err := NewChallenge()
	require.NoError(t, err)
	b, err := NewChallenge()
	require.NoError(t, err)
	assert.Len(t, a, ChallengeLen)
	assert.NotEqual(t, a, b)
	for _, c := range a {
		assert.Contains(t, ChallengeAlphabet, string(c))
	}
	assert.True(t, TokenEqual(a, append([]byte{}, a...)))
	assert.False(t, TokenEqual(a, b))
	assert.False(t, TokenEqual(a, a[:10]))
}

func TestTimestamps(t *testing.T) {
	tm := time.Unix(1795535841, 0)
	tests := []struct {
		d    Dialect
		t    time.Time
		want []byte
	}{
		{DialectSpec, tm, []byte{0x6B, 0x05, 0xB3, 0xE1}},
		{DialectSpec, time.Unix(0, 0), []byte{0, 0, 0, 0}},
		{DialectSpec, crlfTime, []byte{0x0D, 0x0A, 0x0D, 0x0A}},
		{DialectGochat1, tm, []byte{0xC2, 0xCF, 0xAD, 0xB0, 0x0D}},
		{DialectGochat1, time.Unix(-5, 0), []byte{0x09}},
		{DialectGochat1, time.Unix(0, 0), []byte{0x00}},
	}
	for _, tt := range tests {
		b := tt.d.AppendTimestamp(nil, tt.t)
		assert.Equal(t, tt.want, b, "%s %v", tt.d, tt.t)
		got, err := tt.d.ParseTimestamp(b)
		require.NoError(t, err)
		assert.True(t, got.Equal(tt.t))
		got, err = ParseTimestampAny(b)
		require.NoError(t, err)
		if tt.d == DialectGochat1 && len(b) == 4 {
			continue
		}
		assert.True(t, got.Equal(tt.t), "%s %v", tt.d, tt.t)
	}
	bad := []struct {
		d Dialect
		b []byte
	}{
		{DialectSpec, nil}, {DialectSpec, []byte{1, 2, 3}}, {DialectSpec, []byte{1, 2, 3, 4, 5}},
		{DialectGochat1, nil}, {DialectGochat1, []byte("zz")}, {DialectGochat1, []byte{0x80}},
		{DialectGochat1, bytes.Repeat([]byte{0xFF}, 11)},
	}
	for _, tt := range bad {
		_, err := tt.d.ParseTimestamp(tt.b)
		assertProtoErr(t, err, ErrBadTimestamp, CodeArgs)
	}
}

func TestUsernames(t *testing.T) {
	good := map[string]string{"alice": "alice", "ALICE": "alice", "Bob42": "bob42", "0": "0",
		strings.Repeat("a", 32): strings.Repeat("a", 32)}
	for in, want := range good {
		got, err := NormalizeUsername([]byte(in))
		require.NoError(t, err, in)
		assert.Equal(t, want, got)
		assert.True(t, ValidUsername(got))
	}
	for _, in := range []string{"", strings.Repeat("a", 33), "al ice", "alice\r\n", "ÄLICE", "a_b", "a-b", "a\x00"} {
		_, err := NormalizeUsername([]byte(in))
		assertProtoErr(t, err, ErrBadUsername, CodeArgs)
		assert.False(t, ValidUsername(in), in)
	}
	assert.False(t, ValidUsername("Alice"))
}

func TestUserLists(t *testing.T) {
	entries := []UserEntry{{Name: "alice", Perm: 0}, {Name: "bob", Perm: 1}, {Name: "carol", Perm: 255}}
	frags := FormatUserList(entries, true, 2045)
	assert.Equal(t, [][]byte{[]byte("alice 0\nbob 1\ncarol 255")}, frags)
	got, err := ParseUserList(frags)
	require.NoError(t, err)
	for i := range entries {
		entries[i].HasPerm = true
	}
	assert.Equal(t, entries, got)

	frags = FormatUserList(entries, false, 9)
	assert.Equal(t, [][]byte{[]byte("alice\nbob"), []byte("carol")}, frags)
	got, err = ParseUserList(frags)
	require.NoError(t, err)
	assert.Equal(t, []UserEntry{{Name: "alice"}, {Name: "bob"}, {Name: "carol"}}, got)

	// 200 users of 32 characters need several fragments within the limit.
	var many []UserEntry
	for i := range 200 {
		many = append(many, UserEntry{Name: strings.Repeat(string(rune('a'+i%26)), 29) + string(rune('a'+i/26)) + "xy", Perm: uint8(i % 3)})
	}
	frags = FormatUserList(many, true, DialectSpec.MaxArgSize())
	assert.Greater(t, len(frags), 1)
	for _, f := range frags {
		assert.LessOrEqual(t, len(f), DialectSpec.MaxArgSize())
	}
	got, err = ParseUserList(frags)
	require.NoError(t, err)
	require.Len(t, got, 200)
	assert.Equal(t, many[199].Name, got[199].Name)
	assert.Nil(t, FormatUserList(nil, false, 100))

	empty, err := ParseUserList([][]byte{{}})
	require.NoError(t, err)
	assert.Empty(t, empty)
	for _, bad := range []string{"a\n\nb", "a 256", "a x", "a 1 2", " 1", "a\rb", "a +1", "a "} {
		_, err := ParseUserList([][]byte{[]byte(bad)})
		assertProtoErr(t, err, ErrBadUserList, CodeArgs)
	}
}
