package codec

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"
)

// Padding names a standard RSA encryption padding. The original
// specification names none; OAEP-SHA256 is this project's decision
// (E-15), so the suite decrypts what an implementation under test
// produced with any of them and reports a padding other than E-15's as
// a decision-level difference, never as a failure of the exchange.
type Padding int

// The paddings the suite accepts, in the order it tries them.
const (
	OAEPSHA256     Padding = iota // E-15: SHA-256 as hash and MGF1 hash
	OAEPSHA256MGF1                // SHA-256 hash, MGF1 with SHA-1 (Java's default)
	OAEPSHA1                      // SHA-1 as hash and MGF1 hash
	PKCS1v15                      // PKCS #1 v1.5 type 2
)

// Paddings lists every accepted padding, E-15's first.
var Paddings = []Padding{OAEPSHA256, OAEPSHA256MGF1, OAEPSHA1, PKCS1v15}

func (p Padding) String() string {
	switch p {
	case OAEPSHA256:
		return "RSA-OAEP-SHA256"
	case OAEPSHA256MGF1:
		return "RSA-OAEP-SHA256 with MGF1-SHA1"
	case OAEPSHA1:
		return "RSA-OAEP-SHA1"
	case PKCS1v15:
		return "RSA PKCS#1 v1.5"
	}
	return fmt.Sprintf("padding %d", int(p))
}

// DecryptPadding decrypts c with k under padding p.
func DecryptPadding(k *rsa.PrivateKey, c []byte, p Padding) ([]byte, error) {
	switch p {
	case OAEPSHA256:
		return rsa.DecryptOAEP(sha256.New(), nil, k, c, nil)
	case OAEPSHA256MGF1:
		return k.Decrypt(nil, c, &rsa.OAEPOptions{Hash: crypto.SHA256, MGFHash: crypto.SHA1})
	case OAEPSHA1:
		return rsa.DecryptOAEP(sha1.New(), nil, k, c, nil)
	case PKCS1v15:
		//lint:ignore SA1019 the suite only reads what an implementation under test chose to send
		return rsa.DecryptPKCS1v15(nil, k, c)
	}
	return nil, fmt.Errorf("codec: unknown padding %d", int(p))
}

// DecryptAny is the one way the suite decrypts a ciphertext made by the
// implementation under test: with the first of keys and Paddings that
// opens it, trying E-15's padding with every key before any other
// padding (a wrong key rarely, but possibly, passes the PKCS #1 v1.5
// check). It returns the index of the key and the padding used.
func DecryptAny(keys []*rsa.PrivateKey, c []byte) (pt []byte, key int, p Padding, err error) {
	var first error
	for _, p := range Paddings {
		for i, k := range keys {
			if k == nil {
				continue
			}
			pt, err := DecryptPadding(k, c, p)
			if err == nil {
				return pt, i, p, nil
			}
			if first == nil {
				first = err
			}
		}
	}
	if first == nil {
		first = errors.New("codec: no key to decrypt with")
	}
	return nil, -1, OAEPSHA256, fmt.Errorf("not a ciphertext under %s with any standard RSA padding: %w", keyWord(len(keys)), first)
}

func keyWord(n int) string {
	if n == 1 {
		return "the key"
	}
	return fmt.Sprintf("any of %d keys", n)
}

// DecryptOpen decrypts c with k under any padding of Paddings, for the
// suite's own logins (setup, cleanup, exploration, load), where the
// padding is not what is checked: a scenario's decrypt step judges it.
func DecryptOpen(k *rsa.PrivateKey, c []byte) ([]byte, error) {
	pt, _, _, err := DecryptAny([]*rsa.PrivateKey{k}, c)
	return pt, err
}
