// Package codec holds the argument encodings the conformance runner needs
// beyond framing: public keys and timestamps per dialect, RSA-OAEP
// message encryption (errata E-15) and fixture key loading (the one loader
// of the scenario fixtures and the load generator's key pool).
//
// They are re-implemented here from the specification and errata rather
// than imported from the reference implementation, so that the suite is
// an independent oracle.
package codec

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/gochatproto/gochat/spec"
)

// PEMBlockType is the PEM type the gochat1 dialect wraps PKIX DER in.
const PEMBlockType = "RSA PUBLIC KEY"

// MarshalPublicKey encodes pub as the dialect sends it: PKIX DER (spec) or
// PEM around PKIX DER (gochat1). format "der" or "pem" overrides.
func MarshalPublicKey(d spec.Dialect, pub *rsa.PublicKey, format string) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	if format == "pem" || (format == "" && d == spec.DialectGochat1) {
		return pem.EncodeToMemory(&pem.Block{Type: PEMBlockType, Bytes: der}), nil
	}
	return der, nil
}

// ParsePublicKey accepts DER or PEM (errata E-12).
func ParsePublicKey(b []byte) (*rsa.PublicKey, error) {
	if bytes.HasPrefix(b, []byte("-----BEGIN")) {
		blk, _ := pem.Decode(b)
		if blk == nil {
			return nil, errors.New("codec: bad PEM public key")
		}
		b = blk.Bytes
	}
	k, err := x509.ParsePKIXPublicKey(b)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("codec: not an RSA key")
	}
	return rk, nil
}

// AppendStamp encodes Unix seconds: 4 bytes big-endian (spec) or a zigzag
// varint (gochat1).
func AppendStamp(dst []byte, d spec.Dialect, secs int64) []byte {
	if d == spec.DialectGochat1 {
		return binary.AppendVarint(dst, secs)
	}
	return binary.BigEndian.AppendUint32(dst, uint32(secs))
}

// ParseStamp decodes a timestamp strictly per dialect (errata E-13).
func ParseStamp(d spec.Dialect, b []byte) (int64, error) {
	if d == spec.DialectGochat1 {
		v, n := binary.Varint(b)
		if n <= 0 || n != len(b) {
			return 0, fmt.Errorf("codec: bad varint timestamp %x", b)
		}
		return v, nil
	}
	if len(b) != 4 {
		return 0, fmt.Errorf("codec: timestamp is %d bytes, want 4", len(b))
	}
	return int64(binary.BigEndian.Uint32(b)), nil
}

// Encrypt encrypts msg to pub with RSA-OAEP, SHA-256, empty label.
func Encrypt(pub *rsa.PublicKey, msg []byte) ([]byte, error) {
	return rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, msg, nil)
}

// EncryptWithCRLF retries Encrypt until the ciphertext contains "\r\n"
// (about 1 in 140 tries for 4096-bit keys); it gives up after 10000.
func EncryptWithCRLF(pub *rsa.PublicKey, msg []byte) ([]byte, error) {
	for range 10000 {
		c, err := Encrypt(pub, msg)
		if err != nil {
			return nil, err
		}
		if bytes.Contains(c, []byte("\r\n")) {
			return c, nil
		}
	}
	return nil, errors.New("codec: no ciphertext with CRLF after 10000 tries")
}

// EncryptWithoutCRLF retries Encrypt until the ciphertext holds no
// "\r\n" (139 tries in 140 succeed at once): the original splits every
// argument at CRLF, so only a scenario about CRLF (E-5) may send one.
func EncryptWithoutCRLF(pub *rsa.PublicKey, msg []byte) ([]byte, error) {
	for range 100 {
		c, err := Encrypt(pub, msg)
		if err != nil {
			return nil, err
		}
		if !bytes.Contains(c, []byte("\r\n")) {
			return c, nil
		}
	}
	return nil, errors.New("codec: every ciphertext held CRLF in 100 tries")
}

// Decrypt reverses Encrypt.
func Decrypt(k *rsa.PrivateKey, c []byte) ([]byte, error) {
	return rsa.DecryptOAEP(sha256.New(), nil, k, c, nil)
}

// LoadKeys reads every *.pem in dir of fsys, keyed by base name.
func LoadKeys(fsys fs.FS, dir string) (map[string]*rsa.PrivateKey, error) {
	files, err := fs.Glob(fsys, path.Join(dir, "*.pem"))
	if err != nil {
		return nil, err
	}
	keys := make(map[string]*rsa.PrivateKey, len(files))
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		k, err := spec.ParsePrivateKey(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		keys[strings.TrimSuffix(path.Base(f), ".pem")] = k
	}
	return keys, nil
}
