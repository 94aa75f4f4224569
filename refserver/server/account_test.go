package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/refserver/server"
	"github.com/gochatproto/gochat/spec"
)

func TestHelloCarriesMOTD(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.dialNoHello()
	p := c.expect(spec.HELLO, 0)
	require.Equal(t, [][]byte{[]byte("welcome")}, p.Args)
}

func TestRegister(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.dial()
	c.do(spec.REG, spec.EmptyInfo, []byte("Alice"), pubDER(t, 0))
	u, err := e.st.UserByName(context.Background(), "alice")
	require.NoError(t, err, "REG lowercases (E-17)")
	require.Equal(t, uint8(0), u.Perm)

	pem, err := spec.DialectGochat1.MarshalPublicKey(&key(t, 1).PublicKey)
	require.NoError(t, err)
	c.do(spec.REG, spec.EmptyInfo, []byte("bob"), pem) // PEM accepted (E-12)

	for _, tc := range []struct {
		name string
		key  []byte
		code spec.ErrCode
	}{
		{"alice", pubDER(t, 2), spec.CodeExists},
		{"ALICE", pubDER(t, 2), spec.CodeExists},
		{"carol", pubDER(t, 0), spec.CodeExists}, // key taken
		{"carol", pem, spec.CodeExists},          // same key, other encoding (E-19)
		{"al ice", pubDER(t, 2), spec.CodeArgs},
		{"abcdefghijklmnopqrstuvwxyz0123456", pubDER(t, 2), spec.CodeArgs}, // 33
		{"carol", []byte("not a key"), spec.CodeArgs},
	} {
		c.expectErr(c.send(spec.REG, spec.EmptyInfo, []byte(tc.name), tc.key), tc.code)
	}
	// An empty name cannot be framed as an error-free REG? It can: the
	// argument is empty.
	c.expectErr(c.send(spec.REG, spec.EmptyInfo, []byte(""), pubDER(t, 2)), spec.CodeArgs)
}

func TestRegisterRejectsSmallKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.dial()
	b, err := readTestdata("small2048.pem")
	require.NoError(t, err)
	k, err := spec.ParsePrivateKey(b)
	require.NoError(t, err)
	der, err := spec.DialectSpec.MarshalPublicKey(&k.PublicKey)
	require.NoError(t, err)
	c.expectErr(c.send(spec.REG, spec.EmptyInfo, []byte("small"), der), spec.CodeArgs) // E-16
}

func TestLoginVerify(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.user("alice", 0, 0)
	c := e.dial()
	c.expectErr(c.send(spec.LOGIN, spec.EmptyInfo, []byte("nobody")), spec.CodeNotFound)
	c.expectErr(c.send(spec.VERIF, spec.EmptyInfo, []byte("alice"), []byte("x")), spec.CodeInvalid)
	c.expectErr(c.send(spec.LOGOUT, spec.EmptyInfo), spec.CodeNoSess)
	c.expectErr(c.send(spec.REQ, spec.EmptyInfo, []byte("alice")), spec.CodeNoSess)

	// Wrong plaintext cancels the verification (E-21).
	c.challenge("alice", 0)
	c.expectErr(c.send(spec.VERIF, spec.EmptyInfo, []byte("alice"), []byte("wrong")), spec.CodeHandshake)
	c.expectErr(c.send(spec.VERIF, spec.EmptyInfo, []byte("alice"), []byte("wrong")), spec.CodeInvalid)

	c.login("ALICE", 0) // case-folded (E-17)
	for _, a := range []spec.Action{spec.LOGIN, spec.REG} {
		args := [][]byte{[]byte("alice")}
		if a == spec.REG {
			args = append(args, pubDER(t, 3))
		}
		c.expectErr(c.send(a, spec.EmptyInfo, args...), spec.CodeInvalid) // E-24
	}
	c.expectErr(c.send(spec.VERIF, spec.EmptyInfo, []byte("alice"), []byte("x")), spec.CodeInvalid)
	c.do(spec.LOGOUT, spec.EmptyInfo)
	c.expectErr(c.send(spec.LOGOUT, spec.EmptyInfo), spec.CodeNoSess)
	c.login("alice", 0) // same connection again (E-23)
}

func TestVerifyOtherName(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.user("alice", 0, 0)
	e.user("bob", 1, 0)
	c := e.dial()
	plain := c.challenge("alice", 0)
	c.expectErr(c.send(spec.VERIF, spec.EmptyInfo, []byte("bob"), plain), spec.CodeHandshake)
}

func TestVerifyBelongsToConnection(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.user("alice", 0, 0)
	a, b := e.dial(), e.dial()
	plain := a.challenge("alice", 0)
	b.challenge("alice", 0) // does not disturb a's verification (E-21)
	b.expectErr(b.send(spec.VERIF, spec.EmptyInfo, []byte("alice"), plain), spec.CodeHandshake)
	a.do(spec.VERIF, spec.EmptyInfo, []byte("alice"), plain)
}

func TestLogoutCancelsVerification(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.user("alice", 0, 0)
	c := e.dial()
	plain := c.challenge("alice", 0)
	c.do(spec.LOGOUT, spec.EmptyInfo) // E-22
	c.expectErr(c.send(spec.VERIF, spec.EmptyInfo, []byte("alice"), plain), spec.CodeInvalid)
}

func TestVerifyTimeout(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	clock := &fakeClock{t: now}
	e := newEnv(t, func(c *server.Config) { c.Now = clock.Now; c.VerifyTimeout = time.Minute })
	e.user("alice", 0, 0)
	c := e.dial()
	plain := c.challenge("alice", 0)
	clock.Add(61 * time.Second)
	c.expectErr(c.send(spec.VERIF, spec.EmptyInfo, []byte("alice"), plain), spec.CodeInvalid)
	c.expectErr(c.send(spec.LOGOUT, spec.EmptyInfo), spec.CodeNoSess)
}

func TestPendingVerificationsBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.MaxPending = 1 })
	e.user("alice", 0, 0)
	e.user("bob", 1, 0)
	a, b := e.dial(), e.dial()
	a.challenge("alice", 0)
	b.expectErr(b.send(spec.LOGIN, spec.EmptyInfo, []byte("bob")), spec.CodeLogin)
	a.challenge("alice", 0) // replacing one's own is fine
}

func TestDuplicateSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.user("alice", 0, 0)
	a := e.dial()
	a.login("alice", 0)
	a.do(spec.SUB, uint8(spec.HookDupSess))
	b := e.dial()
	b.expectErr(b.send(spec.LOGIN, spec.EmptyInfo, []byte("ALICE")), spec.CodeDupSess)
	h := a.expect(spec.HOOK, 0)
	require.Equal(t, uint8(spec.HookDupSess), h.Info)
	require.Equal(t, "127.0.0.1", string(h.Args[0]))
}

func TestDuplicateSessionRaceAtVerify(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.user("alice", 0, 0)
	a, b := e.dial(), e.dial()
	pa := a.challenge("alice", 0)
	pb := b.challenge("alice", 0)
	a.do(spec.VERIF, spec.EmptyInfo, []byte("alice"), pa)
	b.expectErr(b.send(spec.VERIF, spec.EmptyInfo, []byte("alice"), pb), spec.CodeDupSess)
}

func TestDeregister(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.user("alice", 0, 0)
	e.user("bob", 1, 0)
	c := e.dial()
	c.login("alice", 0)
	c.do(spec.DEREG, spec.EmptyInfo)
	c.expectErr(c.send(spec.REQ, spec.EmptyInfo, []byte("bob")), spec.CodeNoSess) // unbound, still open
	c.expectErr(c.send(spec.LOGIN, spec.EmptyInfo, []byte("alice")), spec.CodeDereg)
	c.expectErr(c.send(spec.REG, spec.EmptyInfo, []byte("alice"), pubDER(t, 2)), spec.CodeDereg)
	c.do(spec.REG, spec.EmptyInfo, []byte("alice2"), pubDER(t, 0)) // key released (E-20)
	c.login("bob", 1)
	c.expectErr(c.send(spec.REQ, spec.EmptyInfo, []byte("alice")), spec.CodeDereg)
	c.expectErr(c.send(spec.MSG, spec.EmptyInfo, []byte("alice"), stamp(e.cfg.Dialect, 5), []byte("x")), spec.CodeDereg)
}

// A TLS VERIF refused as a duplicate session is not a successful login:
// it must not replace the token of the session that won (E-25). Found by
// gochat-conformance explore (token-usable).
func TestRefusedVerifKeepsToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.TokenTTL = 30 * time.Minute })
	e.user("alice", 0, 0)

	late := e.dialTLS()
	lateAnswer := late.challenge("alice", 0) // pending, not yet answered

	winner := e.dialTLS()
	tok := winner.challenge("alice", 0)
	winner.do(spec.VERIF, spec.EmptyInfo, []byte("alice"), tok)

	late.expectErr(late.send(spec.VERIF, spec.EmptyInfo, []byte("alice"), lateAnswer), spec.CodeDupSess)
	winner.do(spec.LOGOUT, spec.EmptyInfo)

	d := e.dialTLS()
	d.do(spec.LOGIN, spec.EmptyInfo, []byte("alice"), tok) // the winner's token still logs in
}

func TestTokenLogin(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	e := newEnv(t, func(c *server.Config) { c.Now = clock.Now; c.TokenTTL = 30 * time.Minute })
	e.user("alice", 0, 0)

	plain := e.dial()
	plain.expectErr(plain.send(spec.LOGIN, spec.EmptyInfo, []byte("alice"), []byte("tok")), spec.CodeNoSecure)

	c := e.dialTLS()
	c.expectErr(c.send(spec.LOGIN, spec.EmptyInfo, []byte("alice"), []byte("tok")), spec.CodeNotFound)
	tok := c.challenge("alice", 0)
	c.do(spec.VERIF, spec.EmptyInfo, []byte("alice"), tok)

	d := e.dialTLS()
	d.expectErr(d.send(spec.LOGIN, spec.EmptyInfo, []byte("alice"), tok), spec.CodeDupSess)
	c.do(spec.LOGOUT, spec.EmptyInfo)
	d.expectErr(d.send(spec.LOGIN, spec.EmptyInfo, []byte("alice"), []byte("wrong")), spec.CodeHandshake)
	clock.Add(20 * time.Minute)
	d.do(spec.LOGIN, spec.EmptyInfo, []byte("alice"), tok)
	d.do(spec.LOGOUT, spec.EmptyInfo)
	d.do(spec.LOGIN, spec.EmptyInfo, []byte("alice"), tok) // reusable
	d.do(spec.LOGOUT, spec.EmptyInfo)
	clock.Add(11 * time.Minute) // not renewed by use (E-25)
	d.expectErr(d.send(spec.LOGIN, spec.EmptyInfo, []byte("alice"), tok), spec.CodeNotFound)
}
