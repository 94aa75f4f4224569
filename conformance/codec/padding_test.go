package codec_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"testing"

	"github.com/gochatproto/gochat/conformance/codec"
)

// TestDecryptAnyPaddings: each standard padding opens and is named, E-15's
// first; a ciphertext under another key opens with nothing.
func TestDecryptAnyPaddings(t *testing.T) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("challenge")
	enc := map[codec.Padding]func() ([]byte, error){
		codec.OAEPSHA256: func() ([]byte, error) { return rsa.EncryptOAEP(sha256.New(), rand.Reader, &k.PublicKey, msg, nil) },
		codec.OAEPSHA256MGF1: func() ([]byte, error) {
			return rsa.EncryptOAEPWithOptions(rand.Reader, &k.PublicKey, msg, &rsa.OAEPOptions{Hash: crypto.SHA256, MGFHash: crypto.SHA1})
		},
		codec.OAEPSHA1: func() ([]byte, error) { return rsa.EncryptOAEP(sha1.New(), rand.Reader, &k.PublicKey, msg, nil) },
		codec.PKCS1v15: func() ([]byte, error) {
			//lint:ignore SA1019 the padding the suite must read
			return rsa.EncryptPKCS1v15(rand.Reader, &k.PublicKey, msg)
		},
	}
	for _, want := range codec.Paddings {
		c, err := enc[want]()
		if err != nil {
			t.Fatal(err)
		}
		pt, i, got, err := codec.DecryptAny([]*rsa.PrivateKey{other, k}, c)
		if err != nil || i != 1 || got != want || string(pt) != string(msg) {
			t.Errorf("%v: got %q key %d padding %v err %v", want, pt, i, got, err)
		}
	}
	c, _ := enc[codec.OAEPSHA1]()
	if _, _, _, err := codec.DecryptAny([]*rsa.PrivateKey{other}, c); err == nil {
		t.Error("a ciphertext under another key decrypted")
	}
}
