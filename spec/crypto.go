package spec

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
)

// ChallengeLen and ChallengeAlphabet describe VERIF challenges: 128
// characters from 61 letters and symbols (no digits), as upstream.
const (
	ChallengeLen      = 128
	ChallengeAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%&*+-?!"
)

// GenerateKey creates a KeyBits (4096-bit) RSA key.
func GenerateKey() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, KeyBits) }

// Encrypt is RSA-OAEP with SHA-256 (hash and MGF1) and an empty label.
func Encrypt(pub *rsa.PublicKey, msg []byte) ([]byte, error) {
	return rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, msg, nil)
}

// Decrypt reverses Encrypt.
func Decrypt(priv *rsa.PrivateKey, ct []byte) ([]byte, error) {
	return rsa.DecryptOAEP(sha256.New(), nil, priv, ct, nil)
}

// MaxPlaintext is the longest message Encrypt accepts for pub (446 bytes
// for a 4096-bit key).
func MaxPlaintext(pub *rsa.PublicKey) int {
	n := pub.Size() - 2*sha256.Size - 2
	if n < 0 {
		return 0
	}
	return n
}

// NewChallenge returns ChallengeLen random characters of
// ChallengeAlphabet from crypto/rand, without modulo bias.
func NewChallenge() ([]byte, error) {
	const limit = 256 - 256%len(ChallengeAlphabet) // 244
	out := make([]byte, 0, ChallengeLen)
	var buf [ChallengeLen]byte
	for len(out) < ChallengeLen {
		if _, err := rand.Read(buf[:]); err != nil {
			return nil, err
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < ChallengeLen {
				out = append(out, ChallengeAlphabet[int(b)%len(ChallengeAlphabet)])
			}
		}
	}
	return out, nil
}

// TokenEqual compares tokens in time independent of their content.
func TokenEqual(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
