package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/spec"
)

// BootstrapUser makes sure name exists with key and level perm, so tests
// and operators get an owner or admin without a database shell. The name
// is normalized like REG does; the key may be DER or PEM and must be a
// 4096-bit RSA key. An existing live user with the same key just gets the
// level; one with a different key is an error.
func BootstrapUser(ctx context.Context, st store.Store, name string, key []byte, perm uint8) error {
	canon, err := spec.NormalizeUsername([]byte(name))
	if err != nil {
		return fmt.Errorf("bootstrap %q: %w", name, err)
	}
	pub, err := spec.ParsePublicKey(key)
	if err != nil {
		return fmt.Errorf("bootstrap %q: %w", name, err)
	}
	if err := spec.CheckKeySize(pub); err != nil {
		return fmt.Errorf("bootstrap %q: %w", name, err)
	}
	der, err := spec.CanonicalKey(key)
	if err != nil {
		return err
	}
	_, err = st.CreateUser(ctx, canon, der, perm)
	if !errors.Is(err, store.ErrNameTaken) {
		return err
	}
	u, err := st.UserByName(ctx, canon)
	if err != nil {
		return err
	}
	if string(u.Key) != string(der) {
		return fmt.Errorf("bootstrap %q: user exists with a different key", canon)
	}
	if u.Perm == perm {
		return nil
	}
	if err := st.SetPerm(ctx, canon, perm); err != nil {
		return fmt.Errorf("set-perm %q: %w", canon, err)
	}
	return nil
}

// SetPerm changes a user's level offline (the `user set-perm` command).
func SetPerm(ctx context.Context, st store.Store, name string, perm uint8) error {
	canon, err := spec.NormalizeUsername([]byte(name))
	if err != nil {
		return fmt.Errorf("set-perm %q: %w", name, err)
	}
	if err := st.SetPerm(ctx, canon, perm); err != nil {
		return fmt.Errorf("set-perm %q: %w", canon, err)
	}
	return nil
}
