package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Account is a local user registered on a server. SealedKey is a
// keyring.Seal blob of the user's PKCS#1 private key PEM.
type Account struct {
	Server    string
	Username  string
	SealedKey []byte
	Created   time.Time // set by AddAccount
	LastLogin time.Time // zero if never logged in
}

// AddAccount stores a new account on an existing server.
func (s *Store) AddAccount(ctx context.Context, a Account) error {
	if a.Username == "" || len(a.SealedKey) == 0 {
		return fmt.Errorf("%w: account needs a username and a sealed key", ErrInvalid)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		sid, err := serverID(ctx, tx, a.Server)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO accounts
			(server_id, username, sealed_key, created) VALUES (?, ?, ?, ?)`,
			sid, a.Username, a.SealedKey, s.unixNow())
		return wrapErr("add account", err)
	})
}

const accountSelect = `SELECT s.name, a.username, a.sealed_key, a.created, a.last_login
	FROM accounts a JOIN servers s ON s.id = a.server_id`

func scanAccount(row interface{ Scan(...any) error }) (Account, error) {
	var a Account
	var created int64
	var last sql.NullInt64
	err := row.Scan(&a.Server, &a.Username, &a.SealedKey, &created, &last)
	a.Created = fromUnix(created)
	if last.Valid {
		a.LastLogin = fromUnix(last.Int64)
	}
	return a, err
}

// Account returns the account user on server.
func (s *Store) Account(ctx context.Context, server, user string) (Account, error) {
	row := s.db.QueryRowContext(ctx, accountSelect+` WHERE s.name = ? AND a.username = ?`, server, user)
	a, err := scanAccount(row)
	return a, wrapErr("account", err)
}

// Accounts returns the accounts on server ordered by username; an unknown
// server has none.
func (s *Store) Accounts(ctx context.Context, server string) ([]Account, error) {
	rows, err := s.db.QueryContext(ctx, accountSelect+` WHERE s.name = ? ORDER BY a.username`, server)
	if err != nil {
		return nil, wrapErr("accounts", err)
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, wrapErr("accounts", err)
		}
		out = append(out, a)
	}
	return out, wrapErr("accounts", rows.Err())
}

// SetSealedKey replaces an account's sealed key, for password changes and
// for re-sealing with stronger keyring parameters.
func (s *Store) SetSealedKey(ctx context.Context, server, user string, sealed []byte) error {
	if len(sealed) == 0 {
		return fmt.Errorf("%w: empty sealed key", ErrInvalid)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE accounts SET sealed_key = ?
		WHERE username = ? AND server_id = (SELECT id FROM servers WHERE name = ?)`,
		sealed, user, server)
	return affectedOne("set sealed key", res, err)
}

// RecordLogin sets an account's last login time to now.
func (s *Store) RecordLogin(ctx context.Context, server, user string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE accounts SET last_login = ?
		WHERE username = ? AND server_id = (SELECT id FROM servers WHERE name = ?)`,
		s.unixNow(), user, server)
	return affectedOne("record login", res, err)
}

// DeleteAccount removes an account with its contacts and messages.
func (s *Store) DeleteAccount(ctx context.Context, server, user string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM accounts
		WHERE username = ? AND server_id = (SELECT id FROM servers WHERE name = ?)`, user, server)
	return affectedOne("delete account", res, err)
}

func serverID(ctx context.Context, tx *sql.Tx, name string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM servers WHERE name = ?`, name).Scan(&id)
	return id, wrapErr("server "+name, err)
}

// accountID resolves (server, user) to the accounts row id.
func accountID(ctx context.Context, q querier, server, user string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT a.id FROM accounts a JOIN servers s ON s.id = a.server_id
		WHERE s.name = ? AND a.username = ?`, server, user).Scan(&id)
	return id, wrapErr("account "+server+"/"+user, err)
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
