package app

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"

	"github.com/gochatproto/gochat/refclient/core"
	"github.com/gochatproto/gochat/refclient/keyring"
	"github.com/gochatproto/gochat/refclient/store"
	"github.com/gochatproto/gochat/spec"
)

// ErrWrongPassword means a local account's key did not unseal.
var ErrWrongPassword = errors.New("wrong password")

// NoAccountError means there is no local account of that name on the
// session's server.
type NoAccountError struct{ Server, User string }

func (e *NoAccountError) Error() string {
	return fmt.Sprintf("no local account %s for server %s (REG or IMPORT it first)", e.User, e.Server)
}

// HasAccount reports whether a local account name exists on the server.
func (s *Session) HasAccount(ctx context.Context, name string) (bool, error) {
	_, err := s.st.Account(ctx, s.server.Name, name)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// OpenKey unseals the key of the local account name with password.
func (s *Session) OpenKey(ctx context.Context, name string, password []byte) (*rsa.PrivateKey, error) {
	acct, err := s.st.Account(ctx, s.server.Name, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &NoAccountError{Server: s.server.Name, User: name}
	}
	if err != nil {
		return nil, err
	}
	key, err := keyring.OpenKey(acct.SealedKey, password)
	if errors.Is(err, keyring.ErrWrongPassword) {
		return nil, ErrWrongPassword
	}
	return key, err
}

// RegisterResult describes a registration.
type RegisterResult struct {
	// Existing is set when the key of an existing local account (from an
	// import) was used; then password had to be that account's.
	Existing    bool
	Fingerprint string // of the registered public key
}

// Register registers name on the server. If a local account of that name
// exists (for example imported) its key is used, unsealed with password;
// otherwise Config.GenerateKey makes a key pair, which is sealed with
// password and saved as a new local account once the server accepted it.
func (s *Session) Register(ctx context.Context, name string, password []byte) (RegisterResult, error) {
	var res RegisterResult
	exists, err := s.HasAccount(ctx, name)
	if err != nil {
		return res, err
	}
	var key *rsa.PrivateKey
	var sealed []byte
	if exists {
		res.Existing = true
		if key, err = s.OpenKey(ctx, name, password); err != nil {
			return res, err
		}
	} else {
		if key, err = s.cfg.GenerateKey(); err != nil {
			return res, err
		}
		if sealed, err = keyring.SealKey(key, password, s.cfg.KeyParams); err != nil {
			return res, err
		}
	}
	if err := s.c.Register(ctx, name, key); err != nil {
		return res, err
	}
	res.Fingerprint = spec.Fingerprint(&key.PublicKey)
	if !exists {
		acct := store.Account{Server: s.server.Name, Username: name, SealedKey: sealed}
		if err := s.st.AddAccount(ctx, acct); err != nil {
			return res, fmt.Errorf("registered on the server but not saved locally: %w", err)
		}
	}
	return res, nil
}

// LoginOptions say what to do right after a successful login.
type LoginOptions struct {
	// CatchUp fetches the messages the server cached while the user was
	// offline (they arrive, and are stored, as events).
	CatchUp bool
	// SubscribeAll subscribes to every hook, as the original client did.
	SubscribeAll bool
}

// LoginResult describes a login.
type LoginResult struct {
	core.LoginResult
	CaughtUp int // messages received by CatchUp
	// Recovered are messages kept undecoded earlier (core.Undecodable)
	// that this login could read at last; they are stored now.
	Recovered []core.Message
}

// Login unseals name's local key with password and logs in with it.
func (s *Session) Login(ctx context.Context, name string, password []byte, opts LoginOptions) (LoginResult, error) {
	key, err := s.OpenKey(ctx, name, password)
	if err != nil {
		return LoginResult{}, err
	}
	return s.login(ctx, core.Credentials{User: name, Key: key}, opts, func(ctx context.Context) (core.LoginResult, error) {
		return s.c.Login(ctx, name, key)
	})
}

// Relogin logs in again with the credentials held since Redial: the
// reusable token over TLS, else the handshake with the key in memory.
func (s *Session) Relogin(ctx context.Context, opts LoginOptions) (LoginResult, error) {
	s.mu.Lock()
	cr := s.held
	s.mu.Unlock()
	if cr.User == "" {
		return LoginResult{}, ErrNotLoggedIn
	}
	return s.login(ctx, cr, opts, func(ctx context.Context) (core.LoginResult, error) {
		return s.c.Restore(ctx, cr)
	})
}

// login runs do (the protocol login) as cr.User and then the steps opts
// ask for. The server dialect is known once do returns (E-53), so the
// catch-up and the retry of kept packets read it right.
func (s *Session) login(ctx context.Context, cr core.Credentials, opts LoginOptions,
	do func(context.Context) (core.LoginResult, error)) (LoginResult, error) {
	var res LoginResult
	// The pinner and the message store need the account name as soon as
	// the server may push a message, which is right after the OK.
	s.mu.Lock()
	prevUser, prevKey := s.user, s.key
	s.user, s.key = cr.User, cr.Key
	s.mu.Unlock()
	var err error
	if res.LoginResult, err = do(ctx); err != nil {
		s.mu.Lock()
		s.user, s.key = prevUser, prevKey
		s.mu.Unlock()
		return res, err
	}
	s.mu.Lock()
	s.held = core.Credentials{}
	s.mu.Unlock()
	if err := s.st.RecordLogin(ctx, s.server.Name, cr.User); err != nil {
		s.cfg.Logger.Debug("recording login", "err", err)
	}
	if opts.SubscribeAll {
		if err := s.c.Subscribe(ctx, spec.HookAll); err != nil {
			return res, fmt.Errorf("logged in, but subscribing to hooks failed: %w", err)
		}
		s.trackPresence(ctx)
	}
	if opts.CatchUp {
		if res.CaughtUp, err = s.c.CatchUp(ctx); err != nil {
			return res, fmt.Errorf("logged in, but fetching cached messages failed: %w", err)
		}
	}
	res.Recovered = s.retryKept(ctx)
	return res, nil
}

func (s *Session) forget() {
	s.mu.Lock()
	s.user, s.key = "", nil
	s.online, s.tracking = nil, false
	s.mu.Unlock()
}

// Logout ends the session; the connection stays open.
func (s *Session) Logout(ctx context.Context) error {
	if _, err := s.account(); err != nil {
		return err
	}
	if err := s.c.Logout(ctx); err != nil {
		return err
	}
	s.forget()
	return nil
}

// Deregister deletes the logged-in account on the server and then
// locally: the server releases the key (E-20), so the local copy is
// useless. It returns the account's name.
func (s *Session) Deregister(ctx context.Context) (string, error) {
	user, err := s.account()
	if err != nil {
		return "", err
	}
	if err := s.c.Deregister(ctx); err != nil {
		return user, err
	}
	s.forget()
	if err := s.st.DeleteAccount(ctx, s.server.Name, user); err != nil {
		return user, fmt.Errorf("deregistered on the server, but deleting the local account failed: %w", err)
	}
	return user, nil
}
