package shell

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/gochatproto/gochat/refclient/app"
	"github.com/gochatproto/gochat/refclient/core"
	"github.com/gochatproto/gochat/refclient/keyring"
	"github.com/gochatproto/gochat/refclient/store"
	"github.com/gochatproto/gochat/spec"
)

func username(s string) (string, error) { return app.Username(s) }

// REG registers user on the server. If a local account of that name
// exists (for example from IMPORT) its key is used; otherwise a new key
// pair is generated and sealed with a new password.
func cmdReg(s *Shell, ctx context.Context, a args) error {
	sess, name, err := s.connUser(a)
	if err != nil {
		return err
	}
	exists, err := sess.HasAccount(ctx, name)
	if err != nil {
		return err
	}
	var pw []byte
	if exists {
		s.infof("using the key of local account %s", name)
		pw, err = s.password(name+"'s password: ", false)
	} else {
		pw, err = s.password("password for "+name+": ", true)
		if err == nil {
			s.printf("[...] generating an RSA-4096 key pair (this takes a few seconds)...")
		}
	}
	if err != nil {
		return err
	}
	res, err := sess.Register(ctx, name, pw)
	if err != nil {
		return describe(err)
	}
	s.okf("user %s registered (key %s)", name, res.Fingerprint[:16])
	return nil
}

func cmdLogin(s *Shell, ctx context.Context, a args) error {
	sess, name, err := s.connUser(a)
	if err != nil {
		return err
	}
	// Check the account before asking for its password.
	if ok, err := sess.HasAccount(ctx, name); err != nil || !ok {
		if err == nil {
			err = &app.NoAccountError{Server: sess.Server().Name, User: name}
		}
		return err
	}
	pw, err := s.password(name+"'s password: ", false)
	if err != nil {
		return err
	}
	res, err := sess.Login(ctx, name, pw, app.LoginOptions{})
	if err != nil {
		return describe(err)
	}
	how := "handshake"
	if res.Token != nil {
		how = "handshake, reusable token kept"
	}
	s.okf("logged in as %s with permission level %d (%s)", name, res.Perm, how)
	s.printRecovered(res.Recovered)
	return nil
}

// printRecovered prints messages kept unread earlier that a login could
// read at last.
func (s *Shell) printRecovered(ms []core.Message) {
	for _, m := range ms {
		s.printMessage(m)
	}
	if len(ms) > 0 {
		s.infof("%d kept messages could be read at last", len(ms))
	}
}

func cmdLogout(s *Shell, ctx context.Context, _ args) error {
	sess, _, err := s.session()
	if err != nil {
		return err
	}
	if err := sess.Logout(ctx); err != nil {
		return describe(err)
	}
	s.okf("logged out")
	return nil
}

// DEREG deletes the logged-in account on the server and then locally:
// the server releases the key (E-20), so the local copy is useless.
func cmdDereg(s *Shell, ctx context.Context, _ args) error {
	sess, _, err := s.session()
	if err != nil {
		return err
	}
	user, err := sess.Deregister(ctx)
	if err != nil {
		return describe(err)
	}
	s.okf("user %s deregistered and its local account deleted", user)
	return nil
}

// IMPORT user path: creates a local account on the current server from a
// PEM private key (it does not register anything; use REG for that).
func cmdImport(s *Shell, ctx context.Context, a args) error {
	sess, name, err := s.connUser(a)
	if err != nil {
		return err
	}
	sv := sess.Server()
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
	sess, name, err := s.connUser(a)
	if err != nil {
		return err
	}
	if ok, err := sess.HasAccount(ctx, name); err != nil || !ok {
		if err == nil {
			err = store.ErrNotFound
		}
		return fmt.Errorf("local account %s: %w", name, err)
	}
	pw, err := s.password(name+"'s password: ", false)
	if err != nil {
		return err
	}
	key, err := sess.OpenKey(ctx, name, pw)
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
	sess, name, err := s.sessionUser(a)
	if err != nil {
		return err
	}
	old, accepted, err := sess.Trust(ctx, name)
	if err != nil {
		return err
	}
	s.okf("new key of %s accepted: %s (was %s)", name, accepted, old)
	return nil
}

func cmdAccounts(s *Shell, ctx context.Context, _ args) error {
	sess, err := s.conn()
	if err != nil {
		return err
	}
	sv := sess.Server()
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
