package core

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/spec"
)

func TestDialReadsHello(t *testing.T) {
	c, _ := pipePair(t, Config{})
	assert.Equal(t, "welcome", c.MOTD())
	assert.False(t, c.Secure())
}

// Two requests in flight are answered in reverse order with pushes in
// between; each caller gets its own reply and the pushes become events.
func TestIDMatchingWithInterleavedPushes(t *testing.T) {
	for _, d := range []spec.Dialect{spec.DialectSpec, spec.DialectGochat1} {
		t.Run(d.String(), func(t *testing.T) {
			c, f := pipePair(t, Config{Dialect: d})
			ctx := testCtx(t)
			type res struct {
				users []spec.UserEntry
				err   error
			}
			all, online := make(chan res, 1), make(chan res, 1)
			go func() { u, err := c.Users(ctx, spec.UsrsAll); all <- res{u, err} }()
			first := f.recv()
			go func() { u, err := c.Users(ctx, spec.UsrsOnlinePerms); online <- res{u, err} }()
			second := f.recv()
			require.NotEqual(t, first.ID, second.ID)
			require.Equal(t, uint8(spec.UsrsAll), first.Info)

			hook := spec.NewPacket(spec.HOOK, 0, []byte("carol"), []byte{2})
			hook.Info = uint8(spec.HookNewLogin)
			f.send(hook)
			f.reply(second, spec.USRS, []byte("alice 0"), []byte("bob 1"))
			f.send(spec.NewPacket(spec.SHTDWN, 0, d.AppendTimestamp(nil, time.Unix(2000000000, 0))))
			f.reply(first, spec.USRS, []byte("alice\nbob\ncarol"))

			r := <-online
			require.NoError(t, r.err)
			assert.Equal(t, []spec.UserEntry{{Name: "alice", HasPerm: true}, {Name: "bob", Perm: 1, HasPerm: true}}, r.users)
			r = <-all
			require.NoError(t, r.err)
			assert.Len(t, r.users, 3)
			assert.Equal(t, Hook{Kind: spec.HookNewLogin, User: "carol", Perm: 2}, nextEvent(t, c))
			assert.Equal(t, Shutdown{At: time.Unix(2000000000, 0)}, nextEvent(t, c))
		})
	}
}

func TestServerErrorReply(t *testing.T) {
	c, f := pipePair(t, Config{})
	done := make(chan error, 1)
	go func() { done <- c.Subscribe(testCtx(t), spec.HookDupSess) }()
	req := f.recv()
	assert.Equal(t, spec.SUB, req.Action)
	assert.Equal(t, uint8(spec.HookDupSess), req.Info)
	f.replyErr(req, spec.CodeExists)
	err := <-done
	var se *ServerError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, &ServerError{Code: spec.CodeExists, Action: spec.SUB, Info: uint8(spec.HookDupSess)}, se)
}

// A malformed packet from the server closes the connection: the waiting
// request fails with ErrClosed and Disconnected carries the violation.
func TestMalformedServerPacketCloses(t *testing.T) {
	cases := map[string][]byte{
		"bad version":     {0x20, 0x1F, 0xF0, 0x00, 0x00, 0x01, 0xFF, 0xFF, '\r', '\n'},
		"OK with null ID": frame(spec.NewPacket(spec.OK, 0)),
		"client action":   frame(spec.NewPacket(spec.LOGIN, 5)),
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			c, f := pipePair(t, Config{})
			done := make(chan error, 1)
			go func() { done <- c.Logout(testCtx(t)) }()
			f.recv()
			f.sendRaw(raw)
			err := <-done
			require.ErrorIs(t, err, ErrClosed)
			d := disconnected(t, c)
			_, ok := spec.CodeOf(d.Err)
			assert.True(t, ok, "Disconnected.Err = %v", d.Err)
			<-c.Done()
			require.ErrorIs(t, c.Logout(testCtx(t)), ErrClosed)
			_, open := <-c.Events()
			assert.False(t, open)
		})
	}
}

func TestNullIDErrorThenClose(t *testing.T) {
	c, f := pipePair(t, Config{})
	p := spec.NewPacket(spec.ERR, 0)
	p.Info = uint8(spec.CodeIdle)
	f.send(p)
	f.conn.Close()
	assert.Equal(t, ServerNotice{Code: spec.CodeIdle}, nextEvent(t, c))
	d := disconnected(t, c)
	assert.True(t, IsCode(d.Err, spec.CodeIdle), "got %v", d.Err)
}

// ciphertextWithCRLF encrypts msg until the ciphertext contains CRLF,
// which happens for about 0.7 % of 512-byte ciphertexts.
func ciphertextWithCRLF(t testing.TB, priv *rsa.PrivateKey, msg []byte) []byte {
	t.Helper()
	for range 5000 {
		ct, err := spec.Encrypt(&priv.PublicKey, msg)
		require.NoError(t, err)
		if bytes.Contains(ct, []byte("\r\n")) {
			return ct
		}
	}
	t.Fatal("no CRLF ciphertext found")
	return nil
}

func TestLoginChallengeAndMessageWithCRLF(t *testing.T) {
	alice, _ := testKeys(t)
	for _, d := range []spec.Dialect{spec.DialectSpec, spec.DialectGochat1} {
		t.Run(d.String(), func(t *testing.T) {
			c, f := pipePair(t, Config{Dialect: d})
			challenge := bytes.Repeat([]byte("Ab#"), 40)
			done := make(chan LoginResult, 1)
			go func() {
				res, err := c.Login(testCtx(t), "Alice", alice)
				assert.NoError(t, err)
				done <- res
			}()
			login := f.recv()
			assert.Equal(t, spec.LOGIN, login.Action)
			assert.Equal(t, [][]byte{[]byte("alice")}, login.Args)
			f.reply(login, spec.VERIF, ciphertextWithCRLF(t, alice, challenge))
			verif := f.recv()
			assert.Equal(t, [][]byte{[]byte("alice"), challenge}, verif.Args)
			f.reply(verif, spec.OK)
			req := f.recv()
			assert.Equal(t, [][]byte{[]byte("alice")}, req.Args)
			key, err := d.MarshalPublicKey(&alice.PublicKey)
			require.NoError(t, err)
			f.reply(req, spec.REQ, []byte("alice"), key, []byte{1})
			res := <-done
			assert.Equal(t, LoginResult{Perm: 1}, res, "no token over plain TCP")
			name, perm := c.User()
			assert.Equal(t, "alice", name)
			assert.Equal(t, uint8(1), perm)

			ct := ciphertextWithCRLF(t, alice, []byte("hi alice"))
			f.send(spec.NewPacket(spec.RECIV, 0, []byte("bob"), d.AppendTimestamp(nil, time.Unix(1700000000, 0)), ct))
			m, ok := nextEvent(t, c).(Message)
			require.True(t, ok)
			assert.NoError(t, m.DecryptErr)
			assert.Equal(t, "bob", m.From)
			assert.Equal(t, "hi alice", m.Text)
			assert.Equal(t, time.Unix(1700000000, 0), m.Stamp)
			assert.Equal(t, ct, m.Ciphertext)
		})
	}
}

func TestTokenOnlyOverTLS(t *testing.T) {
	alice, _ := testKeys(t)
	c, _ := pipePair(t, Config{})
	_, err := c.LoginWithToken(testCtx(t), "alice", []byte("tok"), alice)
	require.ErrorIs(t, err, ErrNotSecure)
	require.ErrorIs(t, c.AdminBroadcast(testCtx(t), "hello"), ErrNotSecure)

	tc, f := tlsPair(t, Config{})
	assert.True(t, tc.Secure())
	assert.Equal(t, "secure", tc.MOTD())
	challenge := []byte("challenge-text")
	done := make(chan LoginResult, 1)
	go func() {
		res, err := tc.Login(testCtx(t), "alice", alice)
		assert.NoError(t, err)
		done <- res
	}()
	login := f.recv()
	ct, err := spec.Encrypt(&alice.PublicKey, challenge)
	require.NoError(t, err)
	f.reply(login, spec.VERIF, ct)
	f.reply(f.recv(), spec.OK)
	f.replyErr(f.recv(), spec.CodeNotFound) // own REQ: perm stays 0
	res := <-done
	assert.Equal(t, challenge, res.Token)
	assert.Equal(t, challenge, tc.Token())

	go func() {
		require.NoError(t, tc.Logout(testCtx(t)))
		res, err := tc.LoginWithToken(testCtx(t), "alice", tc.Token(), alice)
		assert.NoError(t, err)
		done <- res
	}()
	f.reply(f.recv(), spec.OK)
	login = f.recv()
	assert.Equal(t, [][]byte{[]byte("alice"), challenge}, login.Args)
	f.reply(login, spec.OK)
	f.replyErr(f.recv(), spec.CodeNotFound)
	assert.True(t, (<-done).UsedToken)
}

func TestCatchUpCountsUntilEmpty(t *testing.T) {
	alice, bob := testKeys(t)
	c, f := pipePair(t, Config{})
	c.mu.Lock()
	c.sess = session{user: "alice", priv: alice}
	c.mu.Unlock()

	type res struct {
		n   int
		err error
	}
	done := make(chan res, 1)
	go func() { n, err := c.CatchUp(testCtx(t)); done <- res{n, err} }()
	req := f.recv()
	f.reply(req, spec.OK)
	for i := range 3 {
		ct, err := spec.Encrypt(&alice.PublicKey, []byte{'m', byte('0' + i)})
		require.NoError(t, err)
		f.send(spec.NewPacket(spec.RECIV, 0, []byte("bob"), spec.DialectSpec.AppendTimestamp(nil, time.Unix(int64(100+i), 0)), ct))
	}
	f.replyErr(f.recv(), spec.CodeEmpty)
	r := <-done
	require.NoError(t, r.err)
	assert.Equal(t, 3, r.n)
	for i := range 3 {
		m := nextEvent(t, c).(Message)
		assert.Equal(t, string([]byte{'m', byte('0' + i)}), m.Text)
	}
	_ = bob

	go func() { n, err := c.CatchUp(testCtx(t)); done <- res{n, err} }()
	f.replyErr(f.recv(), spec.CodeEmpty)
	r = <-done
	require.NoError(t, r.err)
	assert.Zero(t, r.n)
}

// A timed-out request keeps its ID reserved, so a late reply cannot be
// taken for the answer to the next request.
func TestTimeoutKeepsIDReserved(t *testing.T) {
	c, f := pipePair(t, Config{RequestTimeout: 50 * time.Millisecond})
	done := make(chan error, 1)
	go func() { done <- c.Logout(context.Background()) }()
	late := f.recv()
	require.ErrorIs(t, <-done, ErrTimeout)

	c.cfg.RequestTimeout = 5 * time.Second
	go func() { done <- c.Logout(context.Background()) }()
	next := f.recv()
	require.NotEqual(t, late.ID, next.ID)
	f.replyErr(late, spec.CodeNoSess) // dropped
	f.reply(next, spec.OK)
	require.NoError(t, <-done)
}

func TestContextCancel(t *testing.T) {
	c, f := pipePair(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Logout(ctx) }()
	f.recv()
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
}

func TestKeyPinning(t *testing.T) {
	alice, bob := testKeys(t)
	pinner := &MemoryPinner{}
	c, f := pipePair(t, Config{Pinner: pinner})
	ask := func(key []byte) error {
		done := make(chan error, 1)
		go func() { _, _, _, err := c.RequestKey(testCtx(t), "bob"); done <- err }()
		f.reply(f.recv(), spec.REQ, []byte("bob"), key, []byte{0})
		return <-done
	}
	bobDER, _ := spec.DialectSpec.MarshalPublicKey(&bob.PublicKey)
	aliceDER, _ := spec.DialectSpec.MarshalPublicKey(&alice.PublicKey)
	require.NoError(t, ask(bobDER))
	require.NoError(t, ask(bobDER))
	err := ask(aliceDER)
	require.ErrorIs(t, err, ErrKeyChanged)
	var kc *KeyChangedError
	require.ErrorAs(t, err, &kc)
	assert.Equal(t, spec.Fingerprint(&alice.PublicKey), kc.Fingerprint)
	// Sending with the unaccepted key fails before anything is written.
	require.ErrorIs(t, c.SendMessage(testCtx(t), "bob", &alice.PublicKey, "hi", time.Now()), ErrKeyChanged)
	pinner.Accept("bob", aliceDER)
	require.NoError(t, ask(aliceDER))
}

func TestSendMessage(t *testing.T) {
	_, bob := testKeys(t)
	c, f := pipePair(t, Config{})
	require.ErrorIs(t, c.SendMessage(testCtx(t), "bob", &bob.PublicKey, string(make([]byte, 447)), time.Now()), ErrTooLong)
	done := make(chan error, 1)
	at := time.Unix(1700000123, 0)
	go func() { done <- c.SendMessage(testCtx(t), "Bob", &bob.PublicKey, "hello bob", at) }()
	msg := f.recv()
	require.Equal(t, spec.MSG, msg.Action)
	assert.Equal(t, "bob", string(msg.Args[0]))
	assert.Equal(t, []byte{0x65, 0x53, 0xF1, 0x7B}, msg.Args[1])
	pt, err := spec.Decrypt(bob, msg.Args[2])
	require.NoError(t, err)
	assert.Equal(t, "hello bob", string(pt))
	f.reply(msg, spec.OK)
	require.NoError(t, <-done)
}

func TestKeepAliveWhenIdle(t *testing.T) {
	c, f := pipePair(t, Config{KeepAlive: 20 * time.Millisecond})
	_ = c
	f.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var p spec.Packet
	require.NoError(t, f.dec.ReadPacket(&p))
	assert.Equal(t, spec.KEEP, p.Action)
	assert.NotZero(t, p.ID)
	assert.Empty(t, p.Args)
}

// A slow reader loses nothing: with a buffer of two, five messages and the
// reply queued behind them all arrive, in order, as the reader catches up
// (the server has already forgotten these messages). Only after Close are
// unread events dropped, and Disconnected still arrives last.
func TestEventsNeverDroppedWhileOpen(t *testing.T) {
	alice, _ := testKeys(t)
	c, f := pipePair(t, Config{EventBuffer: 2})
	c.mu.Lock()
	c.sess = session{user: "alice", priv: alice}
	c.mu.Unlock()
	done := make(chan error, 1)
	go func() { done <- c.Logout(testCtx(t)) }()
	req := f.recv()
	go func() { // the pipe is synchronous: write while the test reads
		for i := range 5 {
			ct, _ := spec.Encrypt(&alice.PublicKey, []byte{byte('a' + i)})
			f.send(spec.NewPacket(spec.RECIV, 0, []byte("bob"), spec.DialectSpec.AppendTimestamp(nil, time.Unix(100, 0)), ct))
		}
		f.reply(req, spec.OK)
	}()
	for i := range 5 {
		m, ok := nextEvent(t, c).(Message)
		require.True(t, ok)
		assert.Equal(t, string(rune('a'+i)), m.Text)
	}
	require.NoError(t, <-done)
	assert.Zero(t, c.Dropped())

	for _, u := range []string{"x", "y", "z"} {
		p := spec.NewPacket(spec.HOOK, 0, []byte(u))
		p.Info = uint8(spec.HookNewLogout)
		f.send(p)
	}
	// Two hooks fill the buffer; the reader waits with the third.
	require.Eventually(t, func() bool { return len(c.Events()) == 2 }, 5*time.Second, time.Millisecond)
	require.NoError(t, c.Close())
	assert.Equal(t, uint64(2), c.Dropped(), "x and y made room for z and Disconnected")
	assert.Equal(t, Hook{Kind: spec.HookNewLogout, User: "z"}, nextEvent(t, c))
	assert.Equal(t, Disconnected{}, nextEvent(t, c))
}

// When the server ends the connection, everything it sent before still
// reaches a slow reader: the end does not make room by dropping.
func TestEventsSurviveServerClose(t *testing.T) {
	c, f := pipePair(t, Config{EventBuffer: 1})
	go func() {
		for _, u := range []string{"a", "b", "c"} {
			p := spec.NewPacket(spec.HOOK, 0, []byte(u))
			p.Info = uint8(spec.HookNewLogout)
			f.send(p)
		}
		f.conn.Close()
	}()
	for _, u := range []string{"a", "b", "c"} {
		assert.Equal(t, Hook{Kind: spec.HookNewLogout, User: u}, nextEvent(t, c))
	}
	d := disconnected(t, c)
	assert.ErrorIs(t, d.Err, io.EOF)
	assert.Zero(t, c.Dropped())
}

func TestConcurrentRequestsRace(t *testing.T) {
	c, f := pipePair(t, Config{})
	const n = 50
	go func() {
		for range n {
			req := f.recv()
			f.reply(req, spec.OK)
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() { errs <- c.Subscribe(testCtx(t), spec.HookAll) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

func TestCloseFailsPending(t *testing.T) {
	c, f := pipePair(t, Config{})
	done := make(chan error, 1)
	go func() { done <- c.Logout(context.Background()) }()
	f.recv()
	require.NoError(t, c.Close())
	err := <-done
	require.True(t, errors.Is(err, ErrClosed), "%v", err)
	assert.Nil(t, c.Err())
}

// frame writes p without any checks, as a broken server would.
func frame(p *spec.Packet) []byte {
	h := p.Header().Bytes()
	return append(h[:], '\r', '\n')
}
