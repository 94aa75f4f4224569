package engine

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/spec"
)

// sha1Encrypter answers a REG with VERIF <"hi" under the sent key with
// RSA-OAEP-SHA1>: a padding the original allows, E-15 does not.
func sha1Encrypter(p *spec.Packet, _ error) ([]*spec.Packet, bool) {
	if p.Action != spec.REG || len(p.Args) != 2 {
		return []*spec.Packet{errPkt(p.ID, spec.CodeUndefined)}, false
	}
	pub, err := codec.ParsePublicKey(p.Args[1])
	if err != nil {
		return []*spec.Packet{errPkt(p.ID, spec.CodeArgs)}, false
	}
	ct, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, []byte("hi"), nil)
	if err != nil {
		return []*spec.Packet{errPkt(p.ID, spec.CodeUndefined)}, false
	}
	return []*spec.Packet{spec.NewPacket(spec.VERIF, p.ID, ct)}, false
}

const paddingDoc = `
id: T-padding
title: padding
requirements: [FRAME-1]
level: must
actors:
  alice: {}
steps:
  - connect: {conn: c}
  - send: {conn: c, action: REG, args: ["${alice.name}", {key: alice}]}
  - expect: {conn: c, action: VERIF, args: [{decrypts_to: {actor: alice, text: hi}, capture: ct}]}
  - decrypt: {actor: alice, from: ct, into: pt, text: hi}
`

// TestOtherPaddingIsADecisionNote: the decrypts_to matcher and the decrypt
// step read an OAEP-SHA1 ciphertext; each files an ENC-10 note by default
// and a decision failure under --strict, and the scenario runs to its end.
func TestOtherPaddingIsADecisionNote(t *testing.T) {
	r := run(t, startFake(t, sha1Encrypter), paddingDoc, withRegistry(t))
	require.Equal(t, result.Pass, r.Verdict, "%v %v", r.Reason, r.Failures)
	require.Len(t, r.Notes, 2)
	for _, n := range r.Notes {
		assert.Equal(t, []string{"ENC-10"}, n.Requirements)
		assert.Contains(t, n.Message, "RSA-OAEP-SHA1")
	}
	r = run(t, startFake(t, sha1Encrypter), paddingDoc, strict(withRegistry(t)))
	require.Equal(t, result.Fail, r.Verdict)
	assert.Len(t, r.Failures, 2)
	assert.Equal(t, result.SourceDecision, r.Failures[0].Source)
}
