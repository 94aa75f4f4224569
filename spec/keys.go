package spec

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
)

// PEM block labels. The original implementation labels PKIX public keys
// "RSA PUBLIC KEY" (normally the PKCS#1 label); gochat1 keeps that.
const (
	PEMPublicKeyLabel  = "RSA PUBLIC KEY"
	PEMPrivateKeyLabel = "RSA PRIVATE KEY"
)

// MarshalPublicKey encodes pub for a REG or REQ argument: PKIX DER in
// DialectSpec, PEM ("RSA PUBLIC KEY" around PKIX DER, 64-column base64,
// trailing newline) in DialectGochat1.
func (d Dialect) MarshalPublicKey(pub *rsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	if d == DialectGochat1 {
		return pem.EncodeToMemory(&pem.Block{Type: PEMPublicKeyLabel, Bytes: der}), nil
	}
	return der, nil
}

// ParsePublicKey accepts either dialect's encoding: raw PKIX DER (exactly
// one structure, nothing after it) or one PEM block of any label whose
// body is PKIX DER, with only whitespace around it. The key must be RSA.
// Size is not checked here; see CheckKeySize.
func ParsePublicKey(b []byte) (*rsa.PublicKey, error) {
	der, err := publicKeyDER(b)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, perr(CodeArgs, ErrBadKey, "%v", err)
	}
	pub, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, perr(CodeArgs, ErrBadKey, "not an RSA key")
	}
	return pub, nil
}

func publicKeyDER(b []byte) ([]byte, error) {
	if len(b) > 0 && b[0] == 0x30 { // DER SEQUENCE
		return b, nil
	}
	block, rest := pem.Decode(b)
	if block == nil {
		return nil, perr(CodeArgs, ErrBadKey, "neither DER nor PEM")
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, perr(CodeArgs, ErrBadKey, "data after PEM block")
	}
	return block.Bytes, nil
}

// CanonicalKey returns the PKIX DER form of an encoded public key, so
// that the same key in DER or PEM (any label) compares equal.
func CanonicalKey(b []byte) ([]byte, error) {
	pub, err := ParsePublicKey(b)
	if err != nil {
		return nil, err
	}
	return x509.MarshalPKIXPublicKey(pub)
}

// CheckKeySize requires a modulus of exactly KeyBits (4096) bits.
func CheckKeySize(pub *rsa.PublicKey) error {
	if pub == nil || pub.N == nil || pub.N.BitLen() != KeyBits {
		bits := 0
		if pub != nil && pub.N != nil {
			bits = pub.N.BitLen()
		}
		return perr(CodeArgs, ErrKeySize, "%d bits", bits)
	}
	return nil
}

// Fingerprint is the hex SHA-256 of the PKIX DER of pub, for pinning.
func Fingerprint(pub *rsa.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// MarshalPrivateKey encodes priv as PEM "RSA PRIVATE KEY" (PKCS#1).
func MarshalPrivateKey(priv *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: PEMPrivateKeyLabel, Bytes: x509.MarshalPKCS1PrivateKey(priv)})
}

// ParsePrivateKey decodes a PEM private key: PKCS#1 ("RSA PRIVATE KEY")
// or PKCS#8 ("PRIVATE KEY") holding an RSA key.
func ParsePrivateKey(b []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, perr(CodeArgs, ErrBadKey, "no PEM block")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, perr(CodeArgs, ErrBadKey, "%v", err)
	}
	priv, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, perr(CodeArgs, ErrBadKey, "not an RSA key")
	}
	return priv, nil
}
