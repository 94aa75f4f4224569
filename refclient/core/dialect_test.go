package core

import (
	"bytes"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/spec"
)

// loginAgainst runs Login on c while f answers as a server of dialect
// server: the challenge, OK, and the REQ of alice's own key that the
// client sends right after.
func loginAgainst(t *testing.T, c *Client, f *fakeServer, server spec.Dialect) {
	t.Helper()
	alice, _ := testKeys(t)
	done := make(chan error, 1)
	go func() { _, err := c.Login(testCtx(t), "alice", alice); done <- err }()
	login := f.recv()
	ct, err := spec.Encrypt(&alice.PublicKey, []byte("challenge"))
	require.NoError(t, err)
	f.reply(login, spec.VERIF, ct)
	f.reply(f.recv(), spec.OK)
	req := f.recv()
	require.Equal(t, spec.REQ, req.Action)
	key, err := server.MarshalPublicKey(&alice.PublicKey)
	require.NoError(t, err)
	f.reply(req, spec.REQ, []byte("alice"), key, []byte{0})
	require.NoError(t, <-done)
}

// A client set to one dialect meets a server of the other: the REQ reply
// right after login gives the server away, the client switches before any
// catch-up, and what follows (a RECIV, a MSG) uses the server's encoding.
func TestDialectSwitchAfterLogin(t *testing.T) {
	alice, bob := testKeys(t)
	for _, server := range []spec.Dialect{spec.DialectSpec, spec.DialectGochat1} {
		client := other(server)
		t.Run("client "+client.String()+" server "+server.String(), func(t *testing.T) {
			c, f := pipePair(t, Config{Dialect: client, DetectDialect: true})
			loginAgainst(t, c, f, server)
			sw, ok := nextEvent(t, c).(DialectSwitched)
			require.True(t, ok)
			assert.Equal(t, server, sw.Dialect)
			assert.Contains(t, sw.Evidence, "REQ reply")
			assert.Equal(t, server, c.Dialect())
			got, known := c.ServerDialect()
			assert.True(t, known)
			assert.Equal(t, server, got)

			f.d = server
			f.dec = spec.NewDecoder(f.conn, spec.ServerBound, server)
			ct, err := spec.Encrypt(&alice.PublicKey, []byte("queued for you"))
			require.NoError(t, err)
			f.send(spec.NewPacket(spec.RECIV, 0, []byte("bob"), server.AppendTimestamp(nil, time.Unix(1700000000, 0)), ct))
			m := nextEvent(t, c).(Message)
			require.NoError(t, m.StampErr)
			require.NoError(t, m.DecryptErr)
			assert.Equal(t, "queued for you", m.Text)
			assert.Equal(t, time.Unix(1700000000, 0), m.Stamp)

			done := make(chan error, 1)
			go func() { done <- c.SendMessage(testCtx(t), "bob", &bob.PublicKey, "hi", time.Unix(1700000001, 0)) }()
			msg := f.recv()
			stamp, err := server.ParseTimestamp(msg.Args[1])
			require.NoError(t, err, "MSG in the server's dialect")
			assert.Equal(t, time.Unix(1700000001, 0), stamp)
			f.reply(msg, spec.OK)
			require.NoError(t, <-done)
		})
	}
}

// Without DetectDialect the client keeps its dialect (the conformance
// driver must behave as configured) and only reports what it saw.
func TestDialectNotSwitchedWhenFixed(t *testing.T) {
	c, f := pipePair(t, Config{Dialect: spec.DialectSpec})
	loginAgainst(t, c, f, spec.DialectGochat1)
	assert.Equal(t, spec.DialectSpec, c.Dialect())
	got, known := c.ServerDialect()
	assert.True(t, known)
	assert.Equal(t, spec.DialectGochat1, got)
	select {
	case ev := <-c.Events():
		t.Fatalf("unexpected event %#v", ev)
	default:
	}
}

// Only the first key-bearing reply decides: later keys (other users'
// registrations on a server that keeps keys as sent) do not flip it.
func TestDialectDecidedOnce(t *testing.T) {
	_, bob := testKeys(t)
	c, f := pipePair(t, Config{Dialect: spec.DialectSpec, DetectDialect: true})
	loginAgainst(t, c, f, spec.DialectSpec)
	done := make(chan error, 1)
	go func() { _, _, _, err := c.RequestKey(testCtx(t), "bob"); done <- err }()
	pem, _ := spec.DialectGochat1.MarshalPublicKey(&bob.PublicKey)
	f.reply(f.recv(), spec.REQ, []byte("bob"), pem, []byte{0})
	require.NoError(t, <-done)
	assert.Equal(t, spec.DialectSpec, c.Dialect())
}

// A live message pushed before the REQ reply, in the server's dialect,
// cannot be split in the client's: it reveals the dialect and is delivered
// instead of closing the connection.
func TestDialectFromEarlyRECIV(t *testing.T) {
	alice, _ := testKeys(t)
	c, f := pipePair(t, Config{Dialect: spec.DialectSpec, DetectDialect: true})
	c.mu.Lock()
	c.sess = session{user: "alice", priv: alice}
	c.mu.Unlock()
	ct, err := spec.Encrypt(&alice.PublicKey, []byte("early"))
	require.NoError(t, err)
	g1 := spec.DialectGochat1
	b, err := spec.MarshalPacket(spec.NewPacket(spec.RECIV, 0, []byte("bob"), g1.AppendTimestamp(nil, time.Unix(1700000000, 0)), ct), g1)
	require.NoError(t, err)
	f.sendRaw(b)
	assert.Equal(t, DialectSwitched{Dialect: g1, Evidence: "a RECIV split only in gochat1"}, nextEvent(t, c))
	m := nextEvent(t, c).(Message)
	assert.Equal(t, "early", m.Text)
	assert.Equal(t, time.Unix(1700000000, 0), m.Stamp)
	assert.Equal(t, g1, c.Dialect())
}

// A gochat1 client reads a spec server's DER key whose bytes contain CRLF:
// the gochat1 split fails, the spec split works, and that decides.
func TestDialectFromUnsplittableREQ(t *testing.T) {
	_, bob := testKeys(t)
	der := derWithCRLF(t)
	c, f := pipePair(t, Config{Dialect: spec.DialectGochat1, DetectDialect: true})
	type res struct {
		der []byte
		err error
	}
	done := make(chan res, 1)
	go func() { _, d, _, err := c.RequestKey(testCtx(t), "bob"); done <- res{d, err} }()
	req := f.recv()
	b, err := spec.MarshalPacket(spec.NewPacket(spec.REQ, req.ID, []byte("bob"), der, []byte{0}), spec.DialectSpec)
	require.NoError(t, err)
	f.sendRaw(b)
	r := <-done
	require.NoError(t, r.err)
	assert.Equal(t, der, r.der)
	assert.Equal(t, spec.DialectSpec, c.Dialect())
	_ = bob
}

// derWithCRLF returns the DER of a 4096-bit public key that contains CRLF
// (a test-only key: the modulus is patched until it does).
func derWithCRLF(t *testing.T) []byte {
	t.Helper()
	_, bob := testKeys(t)
	pub := bob.PublicKey
	for i := range 1 << 16 {
		n := new(bigInt).Set(pub.N)
		n.Add(n, bigIntFrom(int64(i)<<8))
		k := pub
		k.N = n
		der, err := spec.DialectSpec.MarshalPublicKey(&k)
		require.NoError(t, err)
		if bytes.Contains(der, []byte("\r\n")) {
			return der
		}
	}
	t.Fatal("no key with CRLF")
	return nil
}

// After the dialect is known, a RECIV that cannot be split is kept: the
// client reports its bytes before closing the connection (CLIENT-8).
func TestUndecodableRECIVIsReported(t *testing.T) {
	c, f := pipePair(t, Config{Dialect: spec.DialectSpec, DetectDialect: true})
	loginAgainst(t, c, f, spec.DialectSpec)
	payload := []byte("bob\r\n\x01\x02\r\nct\r\n") // a 2-byte timestamp
	hb := spec.NewPacket(spec.RECIV, 0, []byte("bob"), []byte{1, 2}, []byte("ct")).Header().Bytes()
	raw := append(append(hb[:], '\r', '\n'), payload...)
	f.sendRaw(raw)
	ev := nextEvent(t, c)
	u, ok := ev.(Undecodable)
	require.True(t, ok, "%#v", ev)
	assert.Equal(t, raw, u.Raw)
	assert.Error(t, u.Err)
	d := disconnected(t, c)
	assert.Error(t, d.Err)
}

// An original-style server takes only PEM keys: the client's DER REG is
// refused with ERR_ARGS, the PEM retry passes, and the client switches.
func TestRegisterRetriesOtherKeyEncoding(t *testing.T) {
	alice, _ := testKeys(t)
	c, f := pipePair(t, Config{Dialect: spec.DialectSpec, DetectDialect: true})
	done := make(chan error, 1)
	go func() { done <- c.Register(testCtx(t), "alice", alice) }()
	first := f.recv()
	assert.Equal(t, byte(0x30), first.Args[1][0], "DER first")
	f.replyErr(first, spec.CodeArgs)
	f.d, f.dec = spec.DialectGochat1, spec.NewDecoder(f.conn, spec.ServerBound, spec.DialectGochat1)
	second := f.recv()
	assert.True(t, bytes.HasPrefix(second.Args[1], []byte("-----BEGIN")), "then PEM")
	f.reply(second, spec.OK)
	require.NoError(t, <-done)
	sw := nextEvent(t, c).(DialectSwitched)
	assert.Equal(t, spec.DialectGochat1, sw.Dialect)
	assert.Equal(t, spec.DialectGochat1, c.Dialect())

	// A fixed client, or a refusal the other encoding does not cure,
	// reports the server's error.
	c2, f2 := pipePair(t, Config{Dialect: spec.DialectSpec})
	go func() { done <- c2.Register(testCtx(t), "alice", alice) }()
	f2.replyErr(f2.recv(), spec.CodeArgs)
	require.True(t, IsCode(<-done, spec.CodeArgs))
	c3, f3 := pipePair(t, Config{Dialect: spec.DialectSpec, DetectDialect: true})
	go func() { done <- c3.Register(testCtx(t), "alice", alice) }()
	f3.replyErr(f3.recv(), spec.CodeArgs)
	f3.dec = spec.NewDecoder(f3.conn, spec.ServerBound, spec.DialectGochat1)
	f3.replyErr(f3.recv(), spec.CodeArgs)
	require.True(t, IsCode(<-done, spec.CodeArgs))
	assert.Equal(t, spec.DialectSpec, c3.Dialect())
}

func TestParseHookName(t *testing.T) {
	for in, want := range map[string]spec.Hook{
		"all": spec.HookAll, "new_login": spec.HookNewLogin, "NEW_LOGOUT": spec.HookNewLogout,
		"duplicated_session": spec.HookDupSess, "permissions_change": spec.HookPermsChg,
		"newlogin": spec.HookNewLogin, "HOOK_DUPSESS": spec.HookDupSess, "permschg": spec.HookPermsChg,
		" 1 ": spec.HookNewLogin, "0": spec.HookAll,
	} {
		got, err := ParseHookName(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "5", "0xFF", "newlogins", "new login", "hook_"} {
		_, err := ParseHookName(in)
		assert.Error(t, err, in)
	}
	for _, name := range HookNames() {
		h, err := ParseHookName(name)
		require.NoError(t, err)
		assert.Equal(t, name, HookName(h), "names round-trip")
	}
}

func FuzzParseHookName(f *testing.F) {
	for _, s := range []string{"all", "new_login", "HOOK_PERMSCHG", "3", "0x04", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHookName(s)
		if err != nil {
			return
		}
		if !h.Valid() {
			t.Fatalf("%q parsed to invalid hook %v", s, h)
		}
		if back, err := ParseHookName(HookName(h)); err != nil || back != h {
			t.Fatalf("%q: %v does not round-trip (%v, %v)", s, h, back, err)
		}
	})
}

type bigInt = big.Int

func bigIntFrom(v int64) *big.Int { return big.NewInt(v) }

// FuzzParseRECIV: a kept packet, whatever its bytes, either parses to a
// message that encodes back to a packet parsing the same, or is refused;
// it never panics. (Decryption, the rest of DecodeRECIV, is left out: it
// is the standard library's, and too slow under coverage to fuzz.)
func FuzzParseRECIV(f *testing.F) {
	for _, d := range []spec.Dialect{spec.DialectSpec, spec.DialectGochat1} {
		raw, err := EncodeRECIV(Message{From: "bob", Stamp: time.Unix(1700000000, 0), Ciphertext: []byte("ct\r\nct")}, d)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw, uint8(d))
		f.Add(raw[:len(raw)-3], uint8(d))
	}
	f.Add([]byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, raw []byte, dialect uint8) {
		d := spec.Dialect(dialect % 2)
		m, err := parseRECIV(raw, d)
		if err != nil {
			return
		}
		again, err := EncodeRECIV(m, d)
		if err != nil {
			t.Fatalf("parsed %+v but cannot encode it: %v", m, err)
		}
		m2, err := parseRECIV(again, d)
		if err != nil || m2.From != m.From || !bytes.Equal(m2.Ciphertext, m.Ciphertext) || !m2.Stamp.Equal(m.Stamp) {
			t.Fatalf("round trip: %+v, %v; want %+v", m2, err, m)
		}
	})
}

func TestDecodeRECIV(t *testing.T) {
	alice, bob := testKeys(t)
	ct, err := spec.Encrypt(&alice.PublicKey, []byte("kept"))
	require.NoError(t, err)
	raw, err := EncodeRECIV(Message{From: "bob", Stamp: time.Unix(1700000000, 0), Ciphertext: ct}, spec.DialectGochat1)
	require.NoError(t, err)
	m, err := DecodeRECIV(raw, spec.DialectGochat1, alice)
	require.NoError(t, err)
	assert.Equal(t, "kept", m.Text)
	_, err = DecodeRECIV(raw, spec.DialectSpec, alice)
	assert.Error(t, err, "the other dialect does not split it")
	_, err = DecodeRECIV(raw, spec.DialectGochat1, bob)
	assert.Error(t, err, "another key does not decrypt it")
	_, err = DecodeRECIV(append(raw, 0), spec.DialectGochat1, alice)
	assert.Error(t, err, "trailing bytes")
}
