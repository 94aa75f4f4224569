package core

import (
	"bytes"
	"context"
	"crypto/rsa"
	"fmt"
	"time"

	"github.com/gochatproto/gochat/spec"
)

// LoginResult describes a successful login.
type LoginResult struct {
	// Perm is the user's permission level, learnt with a REQ for the
	// user's own name after the login (as the original client does).
	Perm uint8
	// Token is the reusable token: the decrypted challenge, kept only on
	// TLS connections (E-25). It is nil on plain TCP.
	Token []byte
	// UsedToken reports that the login skipped the handshake.
	UsedToken bool
}

// canonicalName lowercases ASCII letters, as the server does (E-17), so
// the session and pins use the canonical name. Invalid names are sent as
// typed and left for the server to refuse.
func canonicalName(name string) string {
	if n, err := spec.NormalizeUsername([]byte(name)); err == nil {
		return n
	}
	return name
}

// Register creates an account for name with priv's public key, encoded in
// the client's dialect. It does not log in. With DetectDialect, a REG
// refused with ERR_ARGS before the server's dialect is known is sent again
// with the other dialect's key encoding: a server of the other dialect may
// accept only its own (E-53). ERR_ARGS means nothing was created, so the
// retry cannot register twice.
func (c *Client) Register(ctx context.Context, name string, priv *rsa.PrivateKey) error {
	err := c.register(ctx, name, priv, c.Dialect())
	if !IsCode(err, spec.CodeArgs) || !c.cfg.DetectDialect || c.settled.Load() {
		return err
	}
	alt := other(c.Dialect())
	if c.register(ctx, name, priv, alt) != nil {
		return err
	}
	c.learnDialect(alt, "it refused REG with a "+keyEncoding(other(alt))+" key and took a "+keyEncoding(alt)+" one")
	return nil
}

func (c *Client) register(ctx context.Context, name string, priv *rsa.PrivateKey, d spec.Dialect) error {
	key, err := d.MarshalPublicKey(&priv.PublicKey)
	if err != nil {
		return err
	}
	_, err = c.expect(ctx, spec.NewPacket(spec.REG, 0, []byte(canonicalName(name)), key), spec.OK)
	return err
}

// Login runs the verification handshake: LOGIN, decrypt the VERIF
// challenge with priv, VERIF with the plaintext, OK. Over TLS the
// plaintext is kept as the reusable token. priv is then used to decrypt
// incoming messages.
func (c *Client) Login(ctx context.Context, name string, priv *rsa.PrivateKey) (LoginResult, error) {
	name = canonicalName(name)
	r, err := c.expect(ctx, spec.NewPacket(spec.LOGIN, 0, []byte(name)), spec.VERIF)
	if err != nil {
		return LoginResult{}, err
	}
	plain, err := spec.Decrypt(priv, r.pkt.Args[0])
	if err != nil {
		// Tell the server we give up rather than leave a pending
		// verification behind (E-22); its answer does not matter.
		c.expect(ctx, spec.NewPacket(spec.LOGOUT, 0), spec.OK)
		return LoginResult{}, fmt.Errorf("gochat: cannot decrypt the login challenge (wrong key?): %w", err)
	}
	if _, err := c.expect(ctx, spec.NewPacket(spec.VERIF, 0, []byte(name), plain), spec.OK); err != nil {
		return LoginResult{}, err
	}
	var token []byte
	if c.secure {
		token = plain
	}
	return c.loggedIn(ctx, name, priv, token, false), nil
}

// LoginWithToken logs in with a reusable token, skipping the handshake.
// It refuses to send a token over plain TCP (ErrNotSecure). priv may be nil,
// but then incoming messages cannot be decrypted.
func (c *Client) LoginWithToken(ctx context.Context, name string, token []byte, priv *rsa.PrivateKey) (LoginResult, error) {
	if !c.secure {
		return LoginResult{}, ErrNotSecure
	}
	name = canonicalName(name)
	if _, err := c.expect(ctx, spec.NewPacket(spec.LOGIN, 0, []byte(name), token), spec.OK); err != nil {
		return LoginResult{}, err
	}
	return c.loggedIn(ctx, name, priv, append([]byte(nil), token...), true), nil
}

func (c *Client) loggedIn(ctx context.Context, name string, priv *rsa.PrivateKey, token []byte, used bool) LoginResult {
	c.mu.Lock()
	c.sess = session{user: name, priv: priv, token: token}
	c.mu.Unlock()
	res := LoginResult{Token: append([]byte(nil), token...), UsedToken: used}
	if _, _, perm, err := c.requestKey(ctx, name); err == nil {
		res.Perm = perm
		c.mu.Lock()
		c.sess.perm = perm
		c.mu.Unlock()
	} else {
		c.log.Debug("could not learn own permission level", "err", err)
	}
	return res
}

// Logout ends the session; the connection stays open (E-23). The token
// is kept for a later reconnect.
func (c *Client) Logout(ctx context.Context) error {
	if _, err := c.expect(ctx, spec.NewPacket(spec.LOGOUT, 0), spec.OK); err != nil {
		return err
	}
	c.mu.Lock()
	c.sess = session{token: c.sess.token}
	c.mu.Unlock()
	return nil
}

// Deregister deletes the logged-in account on the server and forgets the
// session and its token.
func (c *Client) Deregister(ctx context.Context) error {
	if _, err := c.expect(ctx, spec.NewPacket(spec.DEREG, 0), spec.OK); err != nil {
		return err
	}
	c.mu.Lock()
	c.sess = session{}
	c.mu.Unlock()
	return nil
}

// RequestKey asks for name's public key and permission level. der is the
// canonical PKIX DER. With a Pinner configured, a key that differs from
// the pinned one returns the key together with a *KeyChangedError
// (errors.Is(err, ErrKeyChanged)).
func (c *Client) RequestKey(ctx context.Context, name string) (pub *rsa.PublicKey, der []byte, perm uint8, err error) {
	name = canonicalName(name)
	pub, der, perm, err = c.requestKey(ctx, name)
	if err != nil {
		return nil, nil, 0, err
	}
	_, err = c.pinKey(name, pub)
	return pub, der, perm, err
}

func (c *Client) requestKey(ctx context.Context, name string) (*rsa.PublicKey, []byte, uint8, error) {
	r, err := c.expect(ctx, spec.NewPacket(spec.REQ, 0, []byte(name)), spec.REQ)
	if err != nil {
		return nil, nil, 0, err
	}
	pub, err := spec.ParsePublicKey(r.pkt.Args[1])
	if err != nil {
		return nil, nil, 0, unexpected(spec.REQ, r.pkt, err.Error())
	}
	der, err := spec.CanonicalKey(r.pkt.Args[1])
	if err != nil {
		return nil, nil, 0, unexpected(spec.REQ, r.pkt, err.Error())
	}
	return pub, der, r.pkt.Args[2][0], nil
}

// Users lists users; fragments of a long list are joined (E-30).
func (c *Client) Users(ctx context.Context, kind spec.UsrsKind) ([]spec.UserEntry, error) {
	p := spec.NewPacket(spec.USRS, 0)
	p.Info = uint8(kind)
	r, err := c.expect(ctx, p, spec.USRS)
	if err != nil {
		return nil, err
	}
	users, err := spec.ParseUserList(r.pkt.Args)
	if err != nil {
		return nil, unexpected(spec.USRS, r.pkt, err.Error())
	}
	return users, nil
}

// SendMessage encrypts text with the recipient's public key (RSA-OAEP
// SHA-256, E-15) and sends it stamped at. Text longer than one OAEP block
// is refused locally (ErrTooLong). With a Pinner, pub must match the key
// pinned for to (or becomes the pin if none is).
func (c *Client) SendMessage(ctx context.Context, to string, pub *rsa.PublicKey, text string, at time.Time) error {
	to = canonicalName(to)
	if max := spec.MaxPlaintext(pub); len(text) > max {
		return fmt.Errorf("%w: %d bytes, at most %d fit", ErrTooLong, len(text), max)
	}
	if _, err := c.pinKey(to, pub); err != nil {
		return err
	}
	ct, err := spec.Encrypt(pub, []byte(text))
	if err != nil {
		return err
	}
	stamp := c.Dialect().AppendTimestamp(nil, at)
	_, err = c.expect(ctx, spec.NewPacket(spec.MSG, 0, []byte(to), stamp, ct), spec.OK)
	return err
}

// maxCatchUpRounds bounds the barrier loop of CatchUp.
const maxCatchUpRounds = 8

// CatchUp asks for the messages cached while the user was offline; they
// arrive as Message events. The protocol has no end marker, so CatchUp
// sends RECIV again as a barrier: the server handles a connection's
// requests in order, so every cached message precedes the barrier's reply,
// and ERR_EMPTY there proves the cache is drained. n counts the RECIV
// pushes between the first OK and the final ERR_EMPTY (live messages that
// arrive meanwhile are counted too). ERR_EMPTY on the first request means
// n = 0 and no error.
func (c *Client) CatchUp(ctx context.Context) (n int, err error) {
	var start uint64
	for round := 0; round < maxCatchUpRounds; round++ {
		r, err := c.expect(ctx, spec.NewPacket(spec.RECIV, 0), spec.OK)
		switch {
		case IsCode(err, spec.CodeEmpty):
			if round == 0 {
				return 0, nil
			}
			return int(r.recivSeq - start), nil
		case err != nil:
			return 0, err
		case round == 0:
			start = r.recivSeq
		}
	}
	return 0, fmt.Errorf("gochat: catch-up did not drain after %d requests", maxCatchUpRounds)
}

// Subscribe asks for HOOK notifications of kind hook (spec.HookAll: all).
func (c *Client) Subscribe(ctx context.Context, hook spec.Hook) error {
	return c.hookOp(ctx, spec.SUB, hook)
}

// Unsubscribe cancels a subscription.
func (c *Client) Unsubscribe(ctx context.Context, hook spec.Hook) error {
	return c.hookOp(ctx, spec.UNSUB, hook)
}

func (c *Client) hookOp(ctx context.Context, a spec.Action, hook spec.Hook) error {
	p := spec.NewPacket(a, 0)
	p.Info = uint8(hook)
	_, err := c.expect(ctx, p, spec.OK)
	return err
}

func (c *Client) admin(ctx context.Context, op spec.AdminOp, args ...[]byte) error {
	p := spec.NewPacket(spec.ADMIN, 0, args...)
	p.Info = uint8(op)
	_, err := c.expect(ctx, p, spec.OK)
	return err
}

// AdminShutdown schedules a server shutdown at at.
func (c *Client) AdminShutdown(ctx context.Context, at time.Time) error {
	return c.admin(ctx, spec.AdminShtdwn, c.Dialect().AppendTimestamp(nil, at))
}

// AdminDereg deregisters another user.
func (c *Client) AdminDereg(ctx context.Context, name string) error {
	return c.admin(ctx, spec.AdminDereg, []byte(canonicalName(name)))
}

// AdminBroadcast sends text to every online user. The server sees it in
// clear, so it is refused locally on plain TCP (ErrNotSecure).
func (c *Client) AdminBroadcast(ctx context.Context, text string) error {
	if !c.secure {
		return ErrNotSecure
	}
	return c.admin(ctx, spec.AdminBrdcast, []byte(text))
}

// AdminSetPerm changes name's permission level.
func (c *Client) AdminSetPerm(ctx context.Context, name string, level uint8) error {
	return c.admin(ctx, spec.AdminChgPerms, []byte(canonicalName(name)), []byte{level})
}

// AdminKick disconnects an online user.
func (c *Client) AdminKick(ctx context.Context, name string) error {
	return c.admin(ctx, spec.AdminKick, []byte(canonicalName(name)))
}

// AdminMOTD replaces the server's message of the day.
func (c *Client) AdminMOTD(ctx context.Context, text string) error {
	return c.admin(ctx, spec.AdminMotd, []byte(text))
}

// Credentials are what a logged-in client holds to log in again: the
// user, the private key and, over TLS, the reusable token.
type Credentials struct {
	User  string
	Key   *rsa.PrivateKey
	Token []byte
}

// Credentials returns a copy of the session's credentials; User is empty
// when nobody is logged in.
func (c *Client) Credentials() Credentials {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Credentials{User: c.sess.user, Key: c.sess.priv, Token: bytes.Clone(c.sess.token)}
}

// Redial connects to the same server again, with the same configuration
// and the dialect this client speaks now (which DetectDialect may have
// switched).
func (c *Client) Redial(ctx context.Context) (*Client, error) {
	cfg := c.cfg
	cfg.Dialect = c.Dialect()
	return Dial(ctx, cfg)
}

// Reconnect closes the receiver, dials the same server again (Redial) and
// restores the session with Restore. Without a session the new client is
// simply connected. The new client is returned even when restoring the
// session fails.
func (c *Client) Reconnect(ctx context.Context) (*Client, LoginResult, error) {
	cr := c.Credentials()
	c.Close()
	nc, err := c.Redial(ctx)
	if err != nil {
		return nil, LoginResult{}, err
	}
	if cr.User == "" {
		return nc, LoginResult{}, nil
	}
	res, err := nc.Restore(ctx, cr)
	return nc, res, err
}

// Restore logs in with cr: with the reusable token when one is held and
// the connection is TLS, falling back to the handshake with the key when
// the token is refused (expired, E-25). Because the server may not have
// noticed an old connection's end yet, ERR_DUPSESS is retried for up to
// about a second.
func (c *Client) Restore(ctx context.Context, cr Credentials) (LoginResult, error) {
	for delay := 10 * time.Millisecond; ; delay *= 2 {
		res, err := c.restore(ctx, cr)
		if !IsCode(err, spec.CodeDupSess) || delay > 500*time.Millisecond {
			return res, err
		}
		select {
		case <-ctx.Done():
			return res, err
		case <-time.After(delay):
		}
	}
}

// restore logs in with the token if possible, else with the handshake.
func (c *Client) restore(ctx context.Context, cr Credentials) (LoginResult, error) {
	if len(cr.Token) > 0 && c.secure {
		res, err := c.LoginWithToken(ctx, cr.User, cr.Token, cr.Key)
		if err == nil || cr.Key == nil || IsCode(err, spec.CodeDupSess) {
			return res, err
		}
		c.log.Debug("token login failed; trying the handshake", "err", err)
	}
	if cr.Key == nil {
		return LoginResult{}, ErrNotLoggedIn
	}
	return c.Login(ctx, cr.User, cr.Key)
}
