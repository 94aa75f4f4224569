package keyring

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// KeyBits is the only RSA modulus size the protocol allows.
const KeyBits = 4096

const pkcs1Type = "RSA PRIVATE KEY"

var (
	// ErrKeySize means an imported key is not a 4096-bit RSA key.
	ErrKeySize = errors.New("keyring: RSA key must be 4096 bits")
	// ErrNotRSA means a PEM block holds a private key of another algorithm.
	ErrNotRSA = errors.New("keyring: not an RSA private key")
)

// MarshalPrivateKeyPEM encodes key as a PKCS#1 "RSA PRIVATE KEY" PEM block,
// the plaintext that Seal protects and that ExportPEM writes.
func MarshalPrivateKeyPEM(key *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: pkcs1Type, Bytes: x509.MarshalPKCS1PrivateKey(key)})
}

// ParsePrivateKeyPEM decodes the first PEM block of data as a PKCS#1
// ("RSA PRIVATE KEY") or PKCS#8 ("PRIVATE KEY") RSA key of KeyBits bits.
func ParsePrivateKeyPEM(data []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block", ErrFormat)
	}
	var key *rsa.PrivateKey
	switch block.Type {
	case pkcs1Type:
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFormat, err)
		}
		key = k
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFormat, err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, ErrNotRSA
		}
		key = rk
	default:
		return nil, fmt.Errorf("%w: unexpected PEM type %q", ErrFormat, block.Type)
	}
	if key.N.BitLen() != KeyBits {
		return nil, fmt.Errorf("%w (got %d)", ErrKeySize, key.N.BitLen())
	}
	return key, nil
}

// SealKey seals key's PKCS#1 PEM encoding with password.
func SealKey(key *rsa.PrivateKey, password []byte, p Params) ([]byte, error) {
	pt := MarshalPrivateKeyPEM(key)
	defer clear(pt)
	return Seal(pt, password, p)
}

// OpenKey opens a blob made by SealKey and parses the key inside.
func OpenKey(blob, password []byte) (*rsa.PrivateKey, error) {
	pt, err := Open(blob, password)
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	return ParsePrivateKeyPEM(pt)
}

// ExportPEM writes key to path as PKCS#1 PEM with mode 0600. An existing
// file is an error (fs.ErrExist) unless overwrite is set; then it is
// replaced atomically so a crash never leaves a truncated key behind.
// The original client wrote exported keys world-readable (0755).
func ExportPEM(path string, key *rsa.PrivateKey, overwrite bool) error {
	data := MarshalPrivateKeyPEM(key)
	defer clear(data)
	if !overwrite {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		return writeClose(f, data, path)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".export-*.pem")
	if err != nil {
		return err
	}
	if err := writeClose(f, data, f.Name()); err != nil { // CreateTemp uses 0600
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

func writeClose(f *os.File, data []byte, name string) error {
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(name)
	}
	return werr
}

// ImportPEM reads a PKCS#1 or PKCS#8 PEM RSA private key from path.
func ImportPEM(path string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	defer clear(data)
	return ParsePrivateKeyPEM(data)
}
