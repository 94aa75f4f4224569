// Package keyring protects the reference client's RSA private keys at rest.
//
// A sealed blob is self-describing so the KDF cost can be raised later
// without breaking old blobs:
//
//	offset size field
//	0      1    version (1)
//	1      4    argon2id time (passes), big-endian
//	5      4    argon2id memory in KiB, big-endian
//	9      1    argon2id threads
//	10     16   salt
//	26     12   AES-GCM nonce
//	38     n+16 AES-256-GCM ciphertext and tag
//
// Bytes 0..25 (the header) are the GCM additional data, so tampering with the
// parameters or the salt is detected like tampering with the ciphertext. The
// key is argon2id(password, salt, params) with a 32-byte output.
//
// Unlike the original client (scrypt, no additional data, bcrypt-hashed
// password kept beside the blob), nothing but the blob is stored: a wrong
// password is detected by the GCM tag alone.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/crypto/argon2"
)

// Production argon2id parameters (RFC 9106 second recommended option, with
// two lanes to bound latency on small machines).
const (
	DefaultTime      = 3
	DefaultMemoryKiB = 64 * 1024
	DefaultThreads   = 2
)

const (
	version   = 1
	saltLen   = 16
	nonceLen  = 12
	keyLen    = 32
	headerLen = 1 + 4 + 4 + 1 + saltLen
	tagLen    = 16
)

var (
	// ErrWrongPassword means the blob is well-formed but does not
	// authenticate: the password is wrong or the blob was altered.
	ErrWrongPassword = errors.New("keyring: wrong password or corrupted key blob")
	// ErrFormat means the blob is not a sealed key this package can read.
	ErrFormat = errors.New("keyring: malformed key blob")
)

// Params are the argon2id cost parameters recorded in every blob.
type Params struct {
	Time      uint32 // passes over memory, at least 1
	MemoryKiB uint32 // memory in KiB, at least 8 per thread
	Threads   uint8  // lanes, at least 1
}

// DefaultParams is the cost used for keys sealed in production.
var DefaultParams = Params{Time: DefaultTime, MemoryKiB: DefaultMemoryKiB, Threads: DefaultThreads}

// InsecureTestParams are the cheapest valid parameters. They exist so tests
// (here and in packages that store sealed keys) run fast; never use them for
// real keys.
var InsecureTestParams = Params{Time: 1, MemoryKiB: 8, Threads: 1}

// MaxParams bounds the cost Open accepts from a blob, so a crafted blob cannot
// make the client burn minutes of CPU or gigabytes of memory.
var MaxParams = Params{Time: 64, MemoryKiB: 4 * 1024 * 1024, Threads: 64}

// Validate reports whether p is usable and within MaxParams. Low costs are
// allowed on purpose (tests use them); production callers pass DefaultParams.
func (p Params) Validate() error { return p.within(MaxParams) }

func (p Params) within(max Params) error {
	switch {
	case p.Time < 1 || p.Threads < 1:
		return fmt.Errorf("%w: time and threads must be at least 1", ErrFormat)
	case p.MemoryKiB < 8*uint32(p.Threads):
		return fmt.Errorf("%w: memory must be at least 8 KiB per thread", ErrFormat)
	case p.Time > max.Time || p.MemoryKiB > max.MemoryKiB || p.Threads > max.Threads:
		return fmt.Errorf("%w: parameters %+v exceed limit %+v", ErrFormat, p, max)
	}
	return nil
}

// Seal encrypts plaintext under a key derived from password with p.
func Seal(plaintext, password []byte, p Params) ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	out := make([]byte, headerLen+nonceLen, headerLen+nonceLen+len(plaintext)+tagLen)
	out[0] = version
	binary.BigEndian.PutUint32(out[1:5], p.Time)
	binary.BigEndian.PutUint32(out[5:9], p.MemoryKiB)
	out[9] = p.Threads
	if _, err := rand.Read(out[10:]); err != nil { // salt and nonce
		return nil, fmt.Errorf("keyring: random: %w", err)
	}
	aead, err := newAEAD(password, out[10:headerLen], p)
	if err != nil {
		return nil, err
	}
	return aead.Seal(out, out[headerLen:], plaintext, out[:headerLen]), nil
}

// Open decrypts a blob made by Seal. It returns ErrFormat for blobs it
// cannot parse and ErrWrongPassword when authentication fails.
func Open(blob, password []byte) ([]byte, error) {
	return open(blob, password, MaxParams)
}

// open is Open with an explicit cost ceiling, so the fuzz target can keep
// every derivation cheap.
func open(blob, password []byte, max Params) ([]byte, error) {
	p, err := ParseParams(blob)
	if err != nil {
		return nil, err
	}
	if err := p.within(max); err != nil {
		return nil, err
	}
	if len(blob) < headerLen+nonceLen+tagLen {
		return nil, fmt.Errorf("%w: %d bytes is too short", ErrFormat, len(blob))
	}
	aead, err := newAEAD(password, blob[10:headerLen], p)
	if err != nil {
		return nil, err
	}
	nonce := blob[headerLen : headerLen+nonceLen]
	pt, err := aead.Open(nil, nonce, blob[headerLen+nonceLen:], blob[:headerLen])
	if err != nil {
		return nil, ErrWrongPassword
	}
	return pt, nil
}

// ParseParams returns the KDF parameters recorded in a blob, so a caller can
// decide to re-seal keys made with an older, cheaper setting.
func ParseParams(blob []byte) (Params, error) {
	if len(blob) < headerLen {
		return Params{}, fmt.Errorf("%w: %d bytes is too short", ErrFormat, len(blob))
	}
	if blob[0] != version {
		return Params{}, fmt.Errorf("%w: unknown version %d", ErrFormat, blob[0])
	}
	return Params{
		Time:      binary.BigEndian.Uint32(blob[1:5]),
		MemoryKiB: binary.BigEndian.Uint32(blob[5:9]),
		Threads:   blob[9],
	}, nil
}

func newAEAD(password, salt []byte, p Params) (cipher.AEAD, error) {
	key := argon2.IDKey(password, salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	defer clear(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return cipher.NewGCM(block)
}
