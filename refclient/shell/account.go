package shell

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/gochatproto/gochat/refclient/keyring"
	"github.com/gochatproto/gochat/refclient/store"
	"github.com/gochatproto/gochat/spec"
)

func username(s string) (string, error) {
	n, err := spec.NormalizeUsername([]byte(s))
	if err != nil {
		return "", fmt.Errorf("bad username %q: 1 to 32 letters and digits", s)
	}
	return n, nil
}

// openKey decrypts the sealed key of a local account.
func (s *Shell) openKey(acct store.Account) (*rsa.PrivateKey, error) {
	pw, err := s.password(acct.Username+"'s password: ", false)
	if err != nil {
		return nil, err
	}
	key, err := keyring.OpenKey(acct.SealedKey, pw)
	if errors.Is(err, keyring.ErrWrongPassword) {
		return nil, errors.New("wrong password")
	}
	return key, err
}

// REG registers user on the server. If a local account of that name
// exists (for example from IMPORT) its key is used; otherwise a new key
// pair is generated and sealed with a new password.
func cmdReg(s *Shell, ctx context.Context, a args) error {
	c, sv, err := s.conn()
	if err != nil {
		return err
	}
	name, err := username(a.fields[0])
	if err != nil {
		return err
	}
	acct, err := s.st.Account(ctx, sv.Name, name)
	var key *rsa.PrivateKey
	switch {
	case err == nil:
		s.infof("using the key of local account %s", name)
		if key, err = s.openKey(acct); err != nil {
			return err
		}
	case errors.Is(err, store.ErrNotFound):
		pw, err := s.password("password for "+name+": ", true)
		if err != nil {
			return err
		}
		s.infof("generating RSA-4096 key pair...")
		if key, err = s.opts.GenerateKey(); err != nil {
			return err
		}
		sealed, err := keyring.SealKey(key, pw, s.opts.KeyParams)
		if err != nil {
			return err
		}
		acct = store.Account{Server: sv.Name, Username: name, SealedKey: sealed}
	default:
		return err
	}
	if err := c.Register(ctx, name, key); err != nil {
		return describe(err)
	}
	if acct.Created.IsZero() {
		if err := s.st.AddAccount(ctx, acct); err != nil {
			return fmt.Errorf("registered on the server but not saved locally: %w", err)
		}
	}
	s.okf("user %s registered (key %s)", name, spec.Fingerprint(&key.PublicKey)[:16])
	return nil
}

func cmdLogin(s *Shell, ctx context.Context, a args) error {
	c, sv, err := s.conn()
	if err != nil {
		return err
	}
	name, err := username(a.fields[0])
	if err != nil {
		return err
	}
	acct, err := s.st.Account(ctx, sv.Name, name)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no local account %s for server %s (REG or IMPORT it first)", name, sv.Name)
	}
	if err != nil {
		return err
	}
	key, err := s.openKey(acct)
	if err != nil {
		return err
	}
	// The pinner and the message store need the account name as soon as
	// the server may push a message, which is right after the OK.
	s.mu.Lock()
	prev := s.user
	s.user = name
	s.mu.Unlock()
	res, err := c.Login(ctx, name, key)
	if err != nil {
		s.mu.Lock()
		s.user = prev
		s.mu.Unlock()
		return describe(err)
	}
	if err := s.st.RecordLogin(ctx, sv.Name, name); err != nil {
		s.opts.Logger.Debug("recording login", "err", err)
	}
	how := "handshake"
	if res.Token != nil {
		how = "handshake, reusable token kept"
	}
	s.okf("logged in as %s with permission level %d (%s)", name, res.Perm, how)
	return nil
}

func cmdLogout(s *Shell, ctx context.Context, _ args) error {
	c, _, _, err := s.session()
	if err != nil {
		return err
	}
	if err := c.Logout(ctx); err != nil {
		return describe(err)
	}
	s.mu.Lock()
	s.user = ""
	s.mu.Unlock()
	s.okf("logged out")
	return nil
}

// DEREG deletes the logged-in account on the server and then locally:
// the server releases the key (E-20), so the local copy is useless.
func cmdDereg(s *Shell, ctx context.Context, _ args) error {
	c, sv, user, err := s.session()
	if err != nil {
		return err
	}
	if err := c.Deregister(ctx); err != nil {
		return describe(err)
	}
	s.mu.Lock()
	s.user = ""
	s.mu.Unlock()
	if err := s.st.DeleteAccount(ctx, sv.Name, user); err != nil {
		return fmt.Errorf("deregistered on the server, but deleting the local account failed: %w", err)
	}
	s.okf("user %s deregistered and its local account deleted", user)
	return nil
}

// IMPORT user path: creates a local account on the current server from a
// PEM private key (it does not register anything; use REG for that).
func cmdImport(s *Shell, ctx context.Context, a args) error {
	_, sv, err := s.conn()
	if err != nil {
		return err
	}
	name, err := username(a.fields[0])
	if err != nil {
		return err
	}
	key, err := keyring.ImportPEM(a.fields[1])
	if err != nil {
		return err
	}
	pw, err := s.password("new password for "+name+": ", true)
	if err != nil {
		return err
	}
	sealed, err := keyring.SealKey(key, pw, s.opts.KeyParams)
	if err != nil {
		return err
	}
	if err := s.st.AddAccount(ctx, store.Account{Server: sv.Name, Username: name, SealedKey: sealed}); err != nil {
		return err
	}
	s.okf("key imported as local account %s on %s (key %s)", name, sv.Name, spec.Fingerprint(&key.PublicKey)[:16])
	return nil
}

// EXPORT user [path]: writes the decrypted private key as PEM (mode 0600).
func cmdExport(s *Shell, ctx context.Context, a args) error {
	_, sv, err := s.conn()
	if err != nil {
		return err
	}
	name, err := username(a.fields[0])
	if err != nil {
		return err
	}
	acct, err := s.st.Account(ctx, sv.Name, name)
	if err != nil {
		return fmt.Errorf("local account %s: %w", name, err)
	}
	key, err := s.openKey(acct)
	if err != nil {
		return err
	}
	path := filepath.Join(s.opts.ExportDir, name+".priv")
	if len(a.fields) > 1 {
		path = a.fields[1]
	}
	if err := keyring.ExportPEM(path, key, false); err != nil {
		return err
	}
	s.okf("private key of %s written to %s", name, path)
	return nil
}

// TRUST user: accepts the key change recorded for user.
func cmdTrust(s *Shell, ctx context.Context, a args) error {
	_, sv, account, err := s.session()
	if err != nil {
		return err
	}
	name, err := username(a.fields[0])
	if err != nil {
		return err
	}
	ct, err := s.st.Contact(ctx, sv.Name, account, name)
	if err != nil {
		return fmt.Errorf("contact %s: %w", name, err)
	}
	if ct.Pending == nil {
		return fmt.Errorf("no key change pending for %s (pinned key %s)", name, ct.Fingerprint)
	}
	if err := s.st.AcceptKeyChange(ctx, sv.Name, account, name, ct.Pending.Fingerprint); err != nil {
		return err
	}
	s.okf("new key of %s accepted: %s (was %s)", name, ct.Pending.Fingerprint, ct.Fingerprint)
	return nil
}

func cmdAccounts(s *Shell, ctx context.Context, _ args) error {
	_, sv, err := s.conn()
	if err != nil {
		return err
	}
	list, err := s.st.Accounts(ctx, sv.Name)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		s.infof("no local accounts on %s", sv.Name)
	}
	for _, ac := range list {
		s.printf("%s", ac.Username)
	}
	return nil
}
